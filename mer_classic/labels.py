"""Mood vocabularies, Russell quadrants and valence/arousal scale conversion.

Russell's circumplex quadrants as used by the 4Q dataset (Panda et al. 2018):

- ``Q1``: +arousal, +valence (happy, excited)
- ``Q2``: +arousal, -valence (angry, tense)
- ``Q3``: -arousal, -valence (sad, depressed)
- ``Q4``: -arousal, +valence (calm, relaxed)

Scales in the wild: 1..9 (SAM ratings: DEAM static, emoMusic static, Soundtracks),
-1..1 (DEAM/emoMusic dynamic) and 0..1 (PMEmo). The neutral point is the middle of
the scale (5, 0 and 0.5).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mer_classic.exceptions import DataError, ParameterError

__all__ = [
    "QUADRANTS",
    "QUADRANT_MEANING",
    "MOODS",
    "MOOD_TO_QUADRANT",
    "rescale",
    "va_to_quadrant",
    "to_quadrant",
]

QUADRANTS: tuple[str, ...] = ("Q1", "Q2", "Q3", "Q4")
QUADRANT_MEANING: dict[str, str] = {
    "Q1": "+arousal +valence (happy/excited)",
    "Q2": "+arousal -valence (angry/tense)",
    "Q3": "-arousal -valence (sad/depressed)",
    "Q4": "-arousal +valence (calm/relaxed)",
}
#: The four Spotify-mood labels of the project this descends from.
MOODS: tuple[str, ...] = ("calm", "energetic", "happy", "sad")

#: Common mood words → Russell quadrant (case-insensitive lookup via :func:`to_quadrant`).
MOOD_TO_QUADRANT: dict[str, str] = {
    "happy": "Q1",
    "energetic": "Q1",
    "excited": "Q1",
    "joy": "Q1",
    "anger": "Q2",
    "angry": "Q2",
    "fear": "Q2",
    "tense": "Q2",
    "tension": "Q2",
    "sad": "Q3",
    "sadness": "Q3",
    "depressed": "Q3",
    "calm": "Q4",
    "tender": "Q4",
    "relaxed": "Q4",
    "peaceful": "Q4",
}

#: name → (low, high) of each known annotation scale
SCALES: dict[str, tuple[float, float]] = {
    "1-9": (1.0, 9.0),
    "-1-1": (-1.0, 1.0),
    "0-1": (0.0, 1.0),
}


def scale_bounds(scale: str | tuple[float, float]) -> tuple[float, float]:
    """Return the ``(low, high)`` bounds of an annotation scale.

    Parameters
    ----------
    scale : str or (float, float)
        A name from :data:`SCALES` (``"1-9"``, ``"-1..1"``, ``"0..1"`` and spelling
        variants) or an explicit ``(low, high)`` tuple.

    Raises
    ------
    ParameterError
        Unknown scale name, or ``high <= low``.

    Examples
    --------
    >>> scale_bounds("-1..1")
    (-1.0, 1.0)
    >>> scale_bounds((0, 100))
    (0.0, 100.0)
    """
    if isinstance(scale, str):
        key = scale.replace("..", "-").replace("−", "-").replace(" ", "")
        aliases = {"1-9": "1-9", "-1-1": "-1-1", "-1..1": "-1-1", "0-1": "0-1"}
        if key not in aliases:
            raise ParameterError(
                f"unknown scale {scale!r}; use one of '1-9', '-1..1', '0..1' "
                "or a (low, high) tuple"
            )
        return SCALES[aliases[key]]
    low, high = (float(v) for v in scale)
    if not high > low:
        raise ParameterError(f"scale must have high > low; got {scale!r}")
    return low, high


def rescale(
    values: Any,
    source: str | tuple[float, float],
    target: str | tuple[float, float] = "0-1",
) -> np.ndarray:
    """Linearly map values from one annotation scale to another.

    Examples
    --------
    >>> rescale([1, 5, 9], "1-9", "0-1").tolist()
    [0.0, 0.5, 1.0]
    >>> rescale([0.0, 1.0], "0-1", "-1..1").tolist()
    [-1.0, 1.0]
    """
    lo_s, hi_s = scale_bounds(source)
    lo_t, hi_t = scale_bounds(target)
    arr = np.asarray(values, dtype=float)
    return (arr - lo_s) / (hi_s - lo_s) * (hi_t - lo_t) + lo_t


def infer_scale(values: Any) -> str:
    """Guess the annotation scale of valence/arousal values from their range.

    Examples
    --------
    >>> infer_scale([2.5, 7.1, 4.0])
    '1-9'
    >>> infer_scale([-0.3, 0.4])
    '-1-1'
    >>> infer_scale([0.2, 0.8])
    '0-1'
    """
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        raise DataError("cannot infer the scale of an empty or all-NaN column")
    lo, hi = float(arr.min()), float(arr.max())
    if lo < 0:
        if lo >= -1.0 and hi <= 1.0:
            return "-1-1"
    elif hi <= 1.0:
        return "0-1"
    elif lo >= 1.0 and hi <= 9.0:
        return "1-9"
    raise DataError(
        f"values span [{lo:g}, {hi:g}], which matches no known scale (1..9, -1..1, 0..1); "
        "pass the scale explicitly"
    )


def va_to_quadrant(
    valence: Any, arousal: Any, scale: str | tuple[float, float] | None = None
) -> np.ndarray:
    """Map valence/arousal pairs to Russell quadrants ``Q1..Q4``.

    Values exactly on the neutral point count as positive (the convention of
    the 4Q and MERGE datasets' annotation guidelines is undefined there; we pick
    one and apply it consistently).

    Parameters
    ----------
    valence, arousal : array-like
        Values on the same scale.
    scale : str or (low, high), default=None
        Scale of the values; inferred from both columns together when None.

    Examples
    --------
    >>> va_to_quadrant([7, 3, 3, 7], [7, 7, 3, 3], scale="1-9").tolist()
    ['Q1', 'Q2', 'Q3', 'Q4']
    >>> va_to_quadrant([0.9], [0.1]).tolist()
    ['Q4']
    """
    v = np.asarray(valence, dtype=float)
    a = np.asarray(arousal, dtype=float)
    if v.shape != a.shape:
        raise ParameterError(
            f"valence and arousal differ in shape: {v.shape} vs {a.shape}"
        )
    if scale is None:
        scale = infer_scale(np.concatenate([v.ravel(), a.ravel()]))
    lo, hi = scale_bounds(scale)
    mid = (lo + hi) / 2.0
    pos_v = v >= mid
    pos_a = a >= mid
    out = np.where(pos_a, np.where(pos_v, "Q1", "Q2"), np.where(pos_v, "Q4", "Q3"))
    return out.astype(object)


def to_quadrant(labels: Sequence[Any]) -> np.ndarray:
    """Map mood words (or quadrant names) to quadrants; unknown words raise DataError.

    Examples
    --------
    >>> to_quadrant(["Happy", "sad", "Q2", "Calm"]).tolist()
    ['Q1', 'Q3', 'Q2', 'Q4']
    """
    out = []
    for lab in labels:
        key = str(lab).strip()
        if key.upper() in QUADRANTS:
            out.append(key.upper())
            continue
        q = MOOD_TO_QUADRANT.get(key.lower())
        if q is None:
            raise DataError(
                f"cannot map label {lab!r} to a Russell quadrant; known moods: "
                f"{', '.join(sorted(MOOD_TO_QUADRANT))}"
            )
        out.append(q)
    return np.asarray(out, dtype=object)


def find_va_columns(columns: Sequence[str]) -> tuple[str, str] | None:
    """Find (valence, arousal) columns by name; 'energy' counts as arousal.

    Examples
    --------
    >>> find_va_columns(["Valence", "Energy"])
    ('Valence', 'Energy')
    >>> find_va_columns(["tension"]) is None
    True
    """
    lower = {str(c).lower(): str(c) for c in columns}
    val = next((lower[k] for k in ("valence", "valence_mean", "v") if k in lower), None)
    aro = next(
        (lower[k] for k in ("arousal", "arousal_mean", "energy", "a") if k in lower),
        None,
    )
    return (val, aro) if val and aro else None


def quadrants_of_labels(labels: Any) -> np.ndarray | None:
    """Map class labels to quadrants when every label is a known mood/quadrant, else None."""
    try:
        return to_quadrant(list(labels))
    except DataError:
        return None


def quadrants_of_va(values: Any, va: tuple[str, str], scale: Any = None) -> np.ndarray:
    """Quadrants of a frame holding valence and arousal columns."""
    return va_to_quadrant(
        values[va[0]].to_numpy(float), values[va[1]].to_numpy(float), scale
    )
