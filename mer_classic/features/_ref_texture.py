"""Musical texture: musical layers from a multi-pitch estimate.

After Panda, Malheiro & Paiva (IEEE TAFFC 2018): the number of *musical layers*
of a frame is the number of simultaneous pitches of a multi-pitch estimate (ML0:
none, ML1: one = monophonic texture, ...). Here that is the number of salience
candidates of the frame (see
:func:`mer_classic.features._ref_melody.salience_candidates`) that
:func:`mer_classic.features._pitch.count_layers` (the one layer counter, also
behind the default ``melody`` group) counts with :data:`LAYER_SETTINGS`: at least
0.3 times the frame's strongest and 0.1 times (-20 dB) the clip's loud-frame
salience (so quiet frames have no layers), peaked (at least 2.5 times the
frame's mean salience: noise gives about 2), not within 30 cents of the unison,
octave, twelfth or double octave of a stronger counted candidate (harmonic
summation leaves ghosts there), and the count median-filtered over 9 frames
(about 100 ms, MELODIA's shortest contour), so that a layer must last about
50 ms to count.

Tried on the 4Q dev clips and left: counting MELODIA's pitch contours (this
package's contour tracker, also with other seed thresholds and contour
salience filters) and essentia's ``MultiPitchMelodia`` both correlate far less
with the reference layer statistics (|ρ| 0.0-0.5); the clip floor was chosen
among none / MELODIA's distribution threshold / 0.05-0.3 of the loud-frame
salience, the ratio among 0.2 / 0.3 / 0.5 / 0.7 and the filter among 1 / 5 / 9
/ 17 frames.

Per clip: mean, standard deviation and maximum of the layer count, the share of
frames with exactly one layer (monophonic texture), and the rate of the
transitions between layer counts (per second).
"""

from __future__ import annotations

import numpy as np

from mer_classic.features._pitch import count_layers

__all__ = ["LAYER_SETTINGS", "TRANSITIONS", "mix_layers", "texture_values"]

#: settings of :func:`mer_classic.features._pitch.count_layers` for the layers
LAYER_SETTINGS = {
    "layer_ratio": 0.3,
    "min_peakiness": 2.5,
    "tolerance": 0.3,
    "clip_floor": 0.1,
    "smooth": 9,
}

#: (from, to) layer counts whose transition rate is reported
TRANSITIONS = ((0, 1), (1, 0), (1, 2), (2, 1), (2, 3))


def mix_layers(cents: np.ndarray, sal: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Musical layers per frame of salience candidates, with :data:`LAYER_SETTINGS`.

    Parameters
    ----------
    cents, sal : ndarray of shape (n_frames, n_candidates)
        Salience candidates (cents above MIDI 0), strongest first (0: none).
    mean : ndarray of shape (n_frames,)
        Mean salience of each frame.

    Returns
    -------
    ndarray of int, shape (n_frames,)
    """
    if len(sal) == 0:
        return np.zeros(0, dtype=np.int64)
    n = count_layers(
        np.asarray(cents, dtype=float) / 100.0,
        np.asarray(sal, dtype=float),
        np.asarray(mean, dtype=float),
        0.0,
        floor=0.0,
        **LAYER_SETTINGS,
    )
    return n.astype(np.int64)


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
