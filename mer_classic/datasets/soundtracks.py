"""The bundled Soundtracks set (Eerola & Vuoskoski 2011; MIT, see SOUNDTRACKS_LICENSE.txt).

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

from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "SOUNDTRACKS_FEATURES",
    "SOUNDTRACKS_RATINGS",
    "SOUNDTRACKS_CITATION",
    "soundtracks_path",
    "load_soundtracks",
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
SOUNDTRACKS_CITATION = (
    "Eerola, T. & Vuoskoski, J. K. (2011). A comparison of the discrete and dimensional "
    "models of emotion in music. Psychology of Music, 39(1), 18-49. "
    "doi:10.1177/0305735610362821 (data: MusicScienceData, MIT)"
)

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
