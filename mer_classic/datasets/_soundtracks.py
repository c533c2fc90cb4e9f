"""The bundled Soundtracks set (Eerola & Vuoskoski 2011; MIT, see SOUNDTRACKS_LICENSE.txt).

One module for the set: the bundled table (:func:`load_soundtracks`, the default
data of ``mer-classic train``) and its loader in the datasets template
(:func:`load_soundtracks_dataset`, registry name ``soundtracks``).

110 film-music excerpts (Set 2) with mean listener ratings on 1..9 and
librosa-style clip-mean features (RMS, spectral centroid/bandwidth/rolloff,
zero-crossing rate, MFCC1..20). It is the default data of ``mer-classic train``.

Default demo target: ``quadrant``, the Russell quadrant of the mean Valence and
Energy ratings (Energy plays arousal). It uses all 110 excerpts (the discrete
target emotions cover only 50), it is the label space of the 4Q/MERGE datasets,
and the same ratings drive the regression demo (``--task regress``: Valence,
Energy). Splits are grouped by film so that excerpts of one soundtrack (and the
known duplicate pairs 010/095 and 084/088) never sit on both sides.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from mer_classic.datasets._base import (
    Dataset,
    check_range,
    drop_duplicate_ids,
    groups_or_own,
    read_dataset_csv,
    require_columns,
    track_ids,
    va_labels,
)
from mer_classic.datasets._layout import Layout

__all__ = [
    "CITATION",
    "SOUNDTRACKS_FEATURES",
    "SOUNDTRACKS_RATINGS",
    "SOUNDTRACKS_CITATION",
    "soundtracks_path",
    "load_soundtracks",
    "load_soundtracks_dataset",
    "DEFAULTS",
]

SOUNDTRACKS_RATINGS = (
    "Valence",
    "Energy",
    "Tension",
    "Anger",
    "Fear",
    "Happy",
    "Sad",
    "Tender",
    "Beauty",
    "Liking",
)
SOUNDTRACKS_FEATURES = (
    "RMS",
    "sp_centr",
    "spec_bw",
    "spec_rolloff",
    "spec_zcr",
) + tuple(f"MFCC{i}" for i in range(1, 21))
#: how to cite the set: the one source for the loader's meta, the README and reports
CITATION = (
    "Eerola, T. & Vuoskoski, J. K. (2011). A comparison of the discrete and dimensional "
    "models of emotion in music. Psychology of Music, 39(1), 18-49. "
    "doi:10.1177/0305735610362821 (data: MusicScienceData, MIT)"
)
#: the same string under its older name
SOUNDTRACKS_CITATION = CITATION

#: what ``mer-classic train`` uses when no --data is given
DEFAULTS: dict[str, Any] = {
    "classify": {"target": "quadrant"},
    "regress": {"target": ["Valence", "Energy"]},
    "group": "film",
    "id": "excerpt_id",
    "scale": "1-9",
}


def soundtracks_path() -> Path:
    """Path of the bundled CSV inside the installed package."""
    return Path(str(resources.files("mer_classic.data").joinpath("soundtracks.csv")))


def load_soundtracks() -> pd.DataFrame:
    """Return the bundled table: ids, film, target emotion, quadrant, ratings and features.

    Examples
    --------
    >>> df = load_soundtracks()
    >>> df.shape, df["quadrant"].value_counts().to_dict()
    ((110, 42), {'Q4': 35, 'Q2': 34, 'Q1': 26, 'Q3': 15})
    """
    return pd.read_csv(soundtracks_path(), dtype={"excerpt_id": str})


_NAME = "soundtracks"
_LABEL_RATINGS = ("Valence", "Energy", "Tension")
_FEATURES_PREFIX = ("RMS", "sp_centr", "spec_bw", "spec_rolloff", "spec_zcr", "MFCC")


def load_soundtracks_dataset(root: str | os.PathLike[str] | None = None) -> Dataset:
    """Load the Soundtracks set (Eerola & Vuoskoski 2011) in the template.

    Parameters
    ----------
    root : path, default=None
        None for the copy bundled with mer-classic; else a CSV with the bundled
        columns, or a folder holding ``soundtracks.csv`` (directly or in a folder
        directly inside it).

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
        df = load_soundtracks()
        home: Path | None = None
        src = "bundled mer_classic/data/soundtracks.csv"
        files = [str(soundtracks_path())]
    else:
        layout = Layout(root, _NAME)
        path = layout.use(layout.root) if layout.root.is_file() else None
        path = path or layout.find_home(["soundtracks.csv"])
        df = read_dataset_csv(path, dataset=_NAME, dtype={"excerpt_id": str})
        home, src, files = path.parent, str(path), layout.used()
    require_columns(
        df, ("excerpt_id", "film", *_LABEL_RATINGS), path=src, dataset=_NAME
    )
    notes: list[str] = []
    df = df.copy()
    df.index = track_ids(str(v).zfill(3) for v in df["excerpt_id"])
    df = drop_duplicate_ids(df, dataset=_NAME, notes=notes, label_cols=_LABEL_RATINGS)
    for col in _LABEL_RATINGS:
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
    groups = groups_or_own(df["film"], notes=notes, what="film")
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
            "files": files,
            "notes": notes,
        },
    )
