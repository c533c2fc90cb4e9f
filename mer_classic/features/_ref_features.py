"""The reference-replicating melody, expressive, texture and voice features.

Two steps, so a benchmark can cache the costly one:

1. :func:`reference_front_end` (signal → salience candidates of the mix and of
   the separated voice, and the frame-wise creak measure);
2. :func:`reference_values` (candidates → every column of :data:`REF_COLUMNS`).

:func:`reference_features` runs both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mer_classic.features import _dsp
from mer_classic.features._ref_expressive import expressive_values
from mer_classic.features._ref_melody import (
    salience_candidates,
    segment_notes,
    select_melody,
    stft_params,
    track_contours,
)
from mer_classic.features._ref_names import REF_COLUMNS, VOICE_COLUMNS
from mer_classic.features._ref_texture import mix_layers, texture_values
from mer_classic.features._ref_voice import voice_magnitude
from mer_classic.features._ref_voicequality import creak_frames, creak_values

__all__ = [
    "RefFrontEnd",
    "reference_front_end",
    "reference_values",
    "mix_values",
    "voice_values",
    "reference_features",
]


@dataclass(frozen=True)
class RefFrontEnd:
    """Salience candidates of the mix and of the voice, and the creak frames.

    Attributes
    ----------
    cents, salience : ndarray of shape (n_frames, n_candidates)
        Mix salience candidates (cents above MIDI 0; 0 salience: none).
    mean : ndarray of shape (n_frames,)
        Mean salience of each mix frame (for peakiness).
    voice_cents, voice_salience : ndarray of shape (n_frames, n_candidates)
        The same on the separated voice.
    creak : ndarray of shape (n_frames,)
        Frame-wise creaky-voice measure (see ``_ref_voicequality``).
    frame_rate : float
        Frames per second.
    """

    cents: np.ndarray
    salience: np.ndarray
    mean: np.ndarray
    voice_cents: np.ndarray
    voice_salience: np.ndarray
    creak: np.ndarray
    frame_rate: float


def reference_front_end(y: np.ndarray, sr: float) -> RefFrontEnd:
    """Salience candidates (mix and voice) and creak frames of a mono signal.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono signal.
    sr : float
        Sample rate (Hz).

    Returns
    -------
    RefFrontEnd
    """
    n_fft, hop = stft_params(sr)
    y = np.asarray(y, dtype=np.float32)
    S = _dsp.stft_magnitude(y, n_fft, hop)
    fr = sr / hop
    cents, sal, mean = salience_candidates(S, sr, n_fft)
    n_bins = int(np.searchsorted(_dsp.fft_frequencies(sr, n_fft), 5000.0)) + 2
    V = voice_magnitude(S, fr, n_bins=n_bins)
    vc, vs, _ = salience_candidates(V, sr, n_fft)
    creak = creak_frames(S, sr, n_fft)
    return RefFrontEnd(cents, sal, mean, vc, vs, creak, fr)


def reference_values(fe: RefFrontEnd) -> dict[str, float]:
    """Every column of :data:`REF_COLUMNS` from the front end's candidates.

    Parameters
    ----------
    fe : RefFrontEnd
        From :func:`reference_front_end`.

    Returns
    -------
    dict
        Column name → finite value, in :data:`REF_COLUMNS` order.
    """
    values = mix_values(fe.cents, fe.salience, fe.mean, fe.creak, fe.frame_rate)
    values.update(voice_values(fe.voice_cents, fe.voice_salience, fe.frame_rate))
    return {name: values[name] for name, _, _ in REF_COLUMNS}


def _finite(values: dict[str, float], names: list[str]) -> dict[str, float]:
    out = {}
    for name in names:
        v = float(values.get(name, 0.0))
        out[name] = v if np.isfinite(v) else 0.0
    return out


def mix_values(
    cents: np.ndarray,
    sal: np.ndarray,
    mean: np.ndarray,
    creak: np.ndarray,
    frame_rate: float,
) -> dict[str, float]:
    """Melody, expressive, texture and creak columns of the mix.

    Parameters
    ----------
    cents, sal : ndarray of shape (n_frames, n_candidates)
        Salience candidates of the mix.
    mean : ndarray of shape (n_frames,)
        Mean salience per frame.
    creak : ndarray of shape (n_frames,)
        Frame-wise creak measure of the mix.
    frame_rate : float
        Frames per second.

    Returns
    -------
    dict
        The columns of :data:`REF_COLUMNS` not in :data:`VOICE_COLUMNS`.
    """
    contours = track_contours(cents, sal, frame_rate)
    melody, msal, which = select_melody(contours)
    notes = segment_notes(melody, which, frame_rate)
    values = expressive_values(notes, melody, msal)
    values.update(texture_values(mix_layers(cents, sal, mean), frame_rate))
    values.update(creak_values(creak))
    return _finite(values, [c for c, _, _ in REF_COLUMNS if c not in VOICE_COLUMNS])


def voice_values(
    cents: np.ndarray, sal: np.ndarray, frame_rate: float
) -> dict[str, float]:
    """Layer columns of the separated voice.

    Parameters
    ----------
    cents, sal : ndarray of shape (n_frames, n_candidates)
        Salience candidates of the separated voice.
    frame_rate : float
        Frames per second.

    Returns
    -------
    dict
        The columns of :data:`VOICE_COLUMNS`, in :data:`REF_COLUMNS` order.
    """
    voice = track_contours(cents, sal, frame_rate)
    values = {
        "ref_voice_" + key[len("ref_") :]: v
        for key, v in texture_values(voice.layers(), frame_rate).items()
    }
    return _finite(values, [c for c, _, _ in REF_COLUMNS if c in VOICE_COLUMNS])


def reference_features(y: np.ndarray, sr: float) -> dict[str, float]:
    """All reference-replicating columns of a mono signal.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono signal.
    sr : float
        Sample rate (Hz).

    Returns
    -------
    dict
        Column name → value, in :data:`REF_COLUMNS` order.
    """
    return reference_values(reference_front_end(y, sr))
