"""Quadrant-folder loader: 4Q Audio Emotion Dataset (Panda et al. 2018), MERGE.

Layout::

    Q1/<song>.mp3  Q2/...  Q3/...  Q4/...
    <metadata>.csv   one row per song: an id column (``Song``, ``Audio_Song``,
                     ``song_id``
                     or ``id``), ``Artist`` and ``Quadrant`` (4Q: ``metadata.csv`` with
                     Song,Artist,Title,Quadrant,Moods,Genres)

The label is the quadrant (``Q1``..``Q4``). The folder a clip sits in must agree
with the metadata's quadrant; a disagreement is refused. A song without an artist
is its own group (a note says how many).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from mer_classic.datasets._base import (
    Dataset,
    audio_series,
    drop_duplicate_ids,
    groups_or_own,
    read_dataset_csv,
    track_ids,
)
from mer_classic.datasets._layout import AUDIO_EXTENSIONS, Layout
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


def _read_metadata(path: Path) -> pd.DataFrame | None:
    """The metadata rows (quadrant, artist, ...) if ``path`` has id + Quadrant."""
    df = read_dataset_csv(path, dataset=_NAME)
    lower = {c.lower(): c for c in df.columns}
    id_col = next((lower[c] for c in _ID_COLS if c in lower), None)
    if id_col is None or "quadrant" not in lower:
        return None
    out = pd.DataFrame(index=track_ids(df[id_col]))
    out["quadrant"] = [str(q).strip().upper() for q in df[lower["quadrant"]]]
    art = lower.get("artist") or lower.get("artists")
    out["artist"] = df[art].to_numpy() if art is not None else None
    for extra in ("title", "genres", "moods"):
        if extra in lower:
            out[extra] = df[lower[extra]].to_numpy()
    return out


def _metadata(layout: Layout) -> tuple[pd.DataFrame, Path] | None:
    """The one metadata CSV beside ``Q1..Q4`` (or the CSV the user passed)."""
    if layout.root.is_file():
        df = _read_metadata(layout.root)
        if df is None:
            raise DataError(
                f"{_NAME}: {str(layout.root)!r} has no id ({', '.join(_ID_COLS)}) "
                "and Quadrant columns; pass the metadata CSV or the dataset folder"
            )
        return df, layout.use(layout.root)
    folders = [layout.home]
    if layout.root != layout.home:
        folders.append(layout.root)
    found = []
    for folder in folders:
        for p in sorted(folder.glob("*.csv")):
            df = _read_metadata(p)
            if df is not None:
                found.append((df, p))
    if len(found) > 1:  # an annotation table beside the metadata: the artists decide
        with_artist = [(d, p) for d, p in found if d["artist"].notna().any()]
        found = with_artist or found
    if len(found) > 1:
        names = ", ".join(repr(str(p)) for _, p in found)
        raise DataError(
            f"{_NAME}: {len(found)} metadata CSVs with an id and a Quadrant column: "
            f"{names}; pass the one you mean as the dataset path (its folder must "
            "hold Q1..Q4)"
        )
    if not found:
        return None
    layout.use(found[0][1])
    return found[0]


def load_quadrants(root: str | os.PathLike[str]) -> Dataset:
    """Load a quadrant-folder dataset (4Q, MERGE) as distributed.

    Parameters
    ----------
    root : path
        Folder holding ``Q1``..``Q4`` and the metadata CSV, the folder directly
        above it, or the metadata CSV itself (to choose among several CSVs).
        Nothing deeper than one folder level is searched.

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
    layout = Layout(root, _NAME, hint="unpack the dataset's Q1..Q4 clip folders")
    home = layout.home
    if layout.root.is_dir():
        layout.find_home(
            [tuple(QUADRANTS)], kind="dir", what="Q1, Q2, Q3 and Q4 folders"
        )
        home = layout.home
    dirs = {q: home / q for q in QUADRANTS}
    missing = [q for q, d in dirs.items() if not d.is_dir()]
    if missing:
        raise DataError(
            f"{_NAME}: no Q1, Q2, Q3 and Q4 folders beside {str(layout.root)!r} "
            f"(missing {missing}); the 4Q/MERGE layout keeps each quadrant's clips "
            "in a folder named after it"
        )
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

    found = _metadata(layout)
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
    if kind == "artist":  # a song without an artist is its own group, with a note
        groups = groups_or_own(labels["artist"], notes=notes)
    else:
        groups = pd.Series(
            [f"song:{i}" for i in labels.index],
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
            "files": layout.used(),
            "notes": notes,
        },
    )
