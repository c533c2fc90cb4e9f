"""Template wrapper around the bundled Soundtracks set (``soundtracks.py``)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from mer_classic.datasets._base import (
    Dataset,
    as_root,
    check_range,
    drop_duplicate_ids,
    find_file,
    read_dataset_csv,
    require_columns,
    track_ids,
    va_labels,
)

__all__ = ["load_soundtracks_dataset", "CITATION"]

CITATION = (
    "Eerola, T., & Vuoskoski, J. K. (2011). A comparison of the discrete and "
    "dimensional models of emotion in music. Psychology of Music 39(1), 18-49. "
    "doi:10.1177/0305735610362821 (data: MusicScienceData, MIT)"
)
_NAME = "soundtracks"
_RATINGS = ("Valence", "Energy", "Tension")
_FEATURES_PREFIX = ("RMS", "sp_centr", "spec_bw", "spec_rolloff", "spec_zcr", "MFCC")


def _bundled_frame() -> pd.DataFrame:
    """The bundled table (``soundtracks.load_soundtracks``)."""
    from mer_classic.datasets.soundtracks import load_soundtracks

    return load_soundtracks()


def load_soundtracks_dataset(root: str | os.PathLike[str] | None = None) -> Dataset:
    """Load the Soundtracks set (Eerola & Vuoskoski 2011) in the template.

    Parameters
    ----------
    root : path, default=None
        None for the copy bundled with mer-classic; else a folder (or file) holding a
        ``soundtracks.csv`` with the bundled columns.

    Returns
    -------
    Dataset
        Valence and arousal (= the ``Energy`` rating) on 1..9, ``tension``, the
        target emotion and quadrant, films as groups, the 25 librosa-style
        features as ``features``; no audio (the clips are commercial).

    Examples
    --------
    >>> ds = load_soundtracks_dataset()
    >>> len(ds), ds.meta["scale"], ds.meta["group_kind"]
    (110, '1-9', 'film')
    """
    if root is None:
        df = _bundled_frame()
        home: Path | None = None
        src = "bundled mer_classic/data/soundtracks.csv"
    else:
        base = as_root(root, _NAME)
        path = find_file(base, ["soundtracks.csv"], dataset=_NAME)
        assert path is not None
        df = read_dataset_csv(path, dataset=_NAME, dtype={"excerpt_id": str})
        home, src = path.parent, str(path)
    require_columns(df, ("excerpt_id", "film", *_RATINGS), path=src, dataset=_NAME)
    notes: list[str] = []
    df = df.copy()
    df.index = track_ids(str(v).zfill(3) for v in df["excerpt_id"])
    df = drop_duplicate_ids(df, dataset=_NAME, notes=notes, label_cols=_RATINGS)
    for col in _RATINGS:
        check_range(df[col], "1-9", dataset=_NAME, what=col)
    labels = va_labels(df.index, df["Valence"], df["Energy"], "1-9")
    if "quadrant" in df.columns:  # the bundled table's own quadrant column wins
        labels["quadrant"] = df["quadrant"].to_numpy()
    labels["tension"] = df["Tension"].astype(float)
    for col in ("TARGET_EMOTION", "TARGET_FRAMEWORK", "film"):
        if col in df.columns:
            labels[col.lower()] = df[col].to_numpy()
    notes.append(
        "excerpts 010/095 are the same track and 084/088 two segments of one track "
        "(OSF readme); film groups keep each pair on one side"
    )
    feat_cols = [c for c in df.columns if c.startswith(_FEATURES_PREFIX)]
    groups = pd.Series(
        [str(f).strip() for f in df["film"]], index=df.index, name="group", dtype=object
    )
    return Dataset(
        name=_NAME,
        root=home,
        labels=labels,
        audio=None,
        groups=groups,
        features=df[feat_cols].astype(float) if feat_cols else None,
        meta={
            "task": "regress",
            "targets": ["valence", "arousal"],
            "scale": "1-9",
            "arousal_source": "Energy rating",
            "group_kind": "film",
            "citation": CITATION,
            "url": "https://osf.io/p6vkg/",
            "terms": "MIT (MusicScienceData); audio not included (commercial)",
            "source": src,
            "notes": notes,
        },
    )
