"""Musical texture: musical layers from the pitch contours.

After Panda, Malheiro & Paiva (IEEE TAFFC 2018): the number of *musical layers*
of a frame is the number of simultaneous pitches of a multi-pitch estimate. Here
that is the number of salience candidates of the frame (see
:func:`mer_classic.features._ref_melody.salience_candidates`) that are at least
``ratio`` times the frame's strongest, peaked (at least ``min_peakiness`` times
the frame's mean salience: noise gives about 2) and not within ``tolerance``
cents of the unison, octave, twelfth or double octave of a stronger counted
candidate (harmonic summation leaves ghosts there). Counting MELODIA's pitch
contours instead was tried: on the 4Q dev clips it correlates *negatively* with
the reference layer count (dense mixes give few long contours).

Per clip: mean, standard deviation and maximum of the layer count, the share of
frames with exactly one layer (monophonic texture), and the rate of the
transitions between layer counts (per second).
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage

from mer_classic.features._pitch import count_layers as _count_layers

__all__ = ["TRANSITIONS", "count_layers", "texture_values"]

#: (from, to) layer counts whose transition rate is reported
TRANSITIONS = ((0, 1), (1, 0), (1, 2), (2, 1), (2, 3))


def count_layers(
    cents: np.ndarray,
    sal: np.ndarray,
    mean: np.ndarray,
    *,
    ratio: float = 0.5,
    min_peakiness: float = 2.5,
    tolerance: float = 30.0,
    smooth: int = 5,
) -> np.ndarray:
    """Number of musical layers per frame (median-filtered over ``smooth`` frames).

    Parameters
    ----------
    cents, sal : ndarray of shape (n_frames, n_candidates)
        Salience candidates, strongest first (0 salience: none).
    mean : ndarray of shape (n_frames,)
        Mean salience of each frame.
    ratio : float, default=0.5
        Smallest salience relative to the frame's strongest candidate.
    min_peakiness : float, default=2.5
        Smallest salience relative to the frame's mean.
    tolerance : float, default=30.0
        Ghost tolerance around unison/octave/twelfth/double octave (cents).
    smooth : int, default=5
        Width (frames, about 58 ms at the reference hop) of the median filter
        that removes single-frame flicker of the count.

    Returns
    -------
    ndarray of int, shape (n_frames,)
    """
    if len(sal) == 0:
        return np.zeros(0, dtype=np.int64)
    n = _count_layers(
        np.asarray(cents, dtype=float) / 100.0,
        np.asarray(sal, dtype=float),
        np.asarray(mean, dtype=float),
        0.0,
        layer_ratio=ratio,
        floor=0.0,
        min_peakiness=min_peakiness,
        tolerance=tolerance / 100.0,
    )
    n = n.astype(np.int64)
    if smooth > 1:
        n = scipy.ndimage.median_filter(n, size=int(smooth), mode="nearest")
    return n


def texture_values(layers: np.ndarray, frame_rate: float) -> dict[str, float]:
    """Musical-layer statistics of a frame-wise layer count.

    Parameters
    ----------
    layers : ndarray of int, shape (n_frames,)
        Simultaneous contours per frame.
    frame_rate : float
        Frames per second.

    Returns
    -------
    dict
        ``ref_layers_mean``, ``ref_layers_std``, ``ref_layers_max``,
        ``ref_layers_mono_ratio`` and ``ref_layers_<a>_to_<b>_rate`` for each
        pair of :data:`TRANSITIONS` (0 for an empty clip).

    Examples
    --------
    >>> v = texture_values(np.array([0, 1, 1, 2, 2, 1]), frame_rate=2.0)
    >>> v["ref_layers_max"], v["ref_layers_1_to_2_rate"]
    (2.0, 0.3333333333333333)
    """
    L = np.asarray(layers, dtype=np.int64)
    n = len(L)
    out = {
        "ref_layers_mean": float(L.mean()) if n else 0.0,
        "ref_layers_std": float(L.std(ddof=1)) if n > 1 else 0.0,
        "ref_layers_max": float(L.max()) if n else 0.0,
        "ref_layers_mono_ratio": float(np.mean(L == 1)) if n else 0.0,
    }
    seconds = n / frame_rate if n else 1.0
    for a, b in TRANSITIONS:
        hits = int(np.sum((L[:-1] == a) & (L[1:] == b))) if n > 1 else 0
        out[f"ref_layers_{a}_to_{b}_rate"] = hits / seconds
    return out
