"""Quadrant-folder loader: 4Q Audio Emotion Dataset (Panda et al. 2018), MERGE.

Layout::

    Q1/<song>.mp3  Q2/...  Q3/...  Q4/...
    <metadata>.csv   one row per song: an id column (``Song``, ``Audio_Song``,
                     ``song_id``
                     or ``id``), ``Artist`` and ``Quadrant`` (4Q: ``metadata.csv`` with
                     Song,Artist,Title,Quadrant,Moods,Genres)

The label is the quadrant (``Q1``..``Q4``). The folder a clip sits in must agree
with the metadata's quadrant; a disagreement is refused.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from mer_classic.datasets._base import (
    AUDIO_EXTENSIONS,
    Dataset,
    as_root,
    audio_series,
    drop_duplicate_ids,
    read_dataset_csv,
    track_ids,
)
from mer_classic.exceptions import DataError
from mer_classic.labels import QUADRANTS

__all__ = ["load_quadrants", "CITATION"]

CITATION = (
    "Panda, R., Malheiro, R., & Paiva, R. P. (2018). Novel audio features for music "
    "emotion recognition. IEEE Transactions on Affective Computing 11(4), 614-626. "
    "doi:10.1109/TAFFC.2018.2820691"
)
_NAME = "quadrants"
_ID_COLS = ("song", "audio_song", "song_id", "id", "track_id")


def _quadrant_dirs(base: Path) -> dict[str, Path]:
    if not base.is_dir():
        raise DataError(
            f"{_NAME}: {str(base)!r} is a file; pass the folder holding Q1..Q4"
        )
    for cand in [base, *sorted(p for p in base.iterdir() if p.is_dir())]:
        dirs = {q: cand / q for q in QUADRANTS if (cand / q).is_dir()}
        if len(dirs) == len(QUADRANTS):
            return dirs
    raise DataError(
        f"{_NAME}: no Q1, Q2, Q3 and Q4 folders under {str(base)!r}; the 4Q/MERGE "
        "layout keeps each quadrant's clips in a folder named after it"
    )


def _metadata(home: Path) -> tuple[pd.DataFrame, Path] | None:
    for p in sorted(home.glob("*.csv")):
        df = read_dataset_csv(p, dataset=_NAME)
        lower = {c.lower(): c for c in df.columns}
        id_col = next((lower[c] for c in _ID_COLS if c in lower), None)
        if id_col is not None and "quadrant" in lower:
            out = pd.DataFrame(index=track_ids(df[id_col]))
            out["quadrant"] = [str(q).strip().upper() for q in df[lower["quadrant"]]]
            art = lower.get("artist") or lower.get("artists")
            out["artist"] = (
                [str(a).strip() for a in df[art]] if art is not None else None
            )
            for extra in ("title", "genres", "moods"):
                if extra in lower:
                    out[extra] = df[lower[extra]].to_numpy()
            return out, p
    return None


def load_quadrants(root: str | os.PathLike[str]) -> Dataset:
    """Load a quadrant-folder dataset (4Q, MERGE) as distributed.

    Parameters
    ----------
    root : path
        Folder holding ``Q1``..``Q4`` and the metadata CSV.

    Returns
    -------
    Dataset
        ``labels["label"]`` (= ``labels["quadrant"]``) per song, artists as groups
        (from the metadata; one group per song without it) and the clip paths.

    Raises
    ------
    DataError
        When a quadrant folder is missing, the metadata's quadrants are not
        Q1..Q4, or a clip's folder disagrees with its metadata row.
    """
    base = as_root(root, _NAME)
    dirs = _quadrant_dirs(base)
    home = next(iter(dirs.values())).parent
    notes: list[str] = []
    clips: dict[str, Path] = {}
    folder_q: dict[str, str] = {}
    for q, d in dirs.items():
        for p in sorted(d.iterdir()):
            if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file():
                sid = p.stem.strip()
                if sid in folder_q and folder_q[sid] != q:
                    raise DataError(
                        f"{_NAME}: clip {sid!r} is in both {folder_q[sid]} and {q}; "
                        "remove one copy"
                    )
                clips.setdefault(sid, p)
                folder_q[sid] = q

    found = _metadata(home)
    if found is None:
        notes.append(
            "no metadata CSV with an id and a Quadrant column: labels from folders"
        )
        labels = pd.DataFrame(
            {"quadrant": list(folder_q.values())},
            index=pd.Index(list(folder_q), name="track_id", dtype=object),
        )
        labels["artist"] = None
        kind = "song"
    else:
        labels, meta_path = found
        labels = drop_duplicate_ids(
            labels, dataset=_NAME, notes=notes, label_cols=("quadrant",)
        )
        bad = sorted(set(labels["quadrant"]) - set(QUADRANTS))
        if bad:
            raise DataError(
                f"{_NAME}: {str(meta_path)!r} has quadrant values {bad}; "
                "expected Q1..Q4"
            )
        wrong = [
            f"{i} ({folder_q[i]} folder, {labels.at[i, 'quadrant']} in metadata)"
            for i in labels.index
            if i in folder_q and folder_q[i] != labels.at[i, "quadrant"]
        ]
        if wrong:
            raise DataError(
                f"{_NAME}: {len(wrong)} clip(s) sit in a folder that disagrees with "
                f"{meta_path.name}: {wrong[:3]}; fix the folder or the metadata"
            )
        extra = sorted(set(folder_q) - set(labels.index))
        if extra:
            notes.append(
                f"{len(extra)} clip(s) not in the metadata ignored: {extra[:3]}"
            )
        kind = "artist" if labels["artist"].notna().any() else "song"
    labels["label"] = labels["quadrant"]
    groups = pd.Series(
        [
            a if isinstance(a, str) and a and a.lower() != "nan" else f"song:{i}"
            for i, a in labels["artist"].items()
        ],
        index=labels.index,
        name="group",
        dtype=object,
    )
    audio = audio_series(labels.index, clips, dataset=_NAME)
    n_missing = len(labels) - len(audio)
    if n_missing:
        notes.append(f"{n_missing} song(s) in the metadata have no clip")
    return Dataset(
        name=_NAME,
        root=home,
        labels=labels,
        audio=audio,
        groups=groups,
        meta={
            "task": "classify",
            "targets": ["label"],
            "scale": None,
            "classes": list(QUADRANTS),
            "group_kind": kind,
            "citation": CITATION,
            "url": "http://mir.dei.uc.pt/downloads.html",
            "terms": "research use only (commercial previews); never redistribute",
            "audio_hint": "unpack the dataset's Q1..Q4 clip folders",
            "notes": notes,
        },
    )
