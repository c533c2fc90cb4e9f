"""Melody-based descriptors (Panda, Malheiro & Paiva 2018 feature families).

A predominant melody and a multi-pitch layer count are estimated from the
magnitude STFT by harmonic summation (MELODIA-style, numpy/scipy only; see
:mod:`mer_classic.features._pitch`), the melody is cut into notes
(:mod:`mer_classic.features._notes`), and six groups of clip-level descriptors
are computed from them:

- ``melodic``: register, pitch range/spread, interval and contour statistics,
  note durations;
- ``expressive``: articulation (legato/staccato), vibrato, tremolo, glissando;
- ``texture``: simultaneous pitch layers per frame and their change;
- ``note_dynamics``: note intensity statistics, crescendo/decrescendo;
- ``note_rhythm``: note-onset rate and inter-onset regularity;
- ``intervals``: the distribution of the melodic intervals by size (1 .. 12
  semitones, wider) and the minor/major balance of seconds, thirds and sixths.

Every function returns an ordered ``dict[str, float]`` of finite values; a
value that cannot be measured (silence, noise, no notes, a clip shorter than
one STFT frame) is 0, as documented per feature in ``docs/features.md``.
These groups are clip-level only: segment rows (``segment=0.5``) do not carry
them. Memory stays bounded for long inputs: the salience function is computed
in blocks of frames and only a few candidates per frame are kept.

Examples
--------
>>> import numpy as np
>>> sr = 22050
>>> t = np.arange(2 * sr) / sr
>>> y = sum(0.3 / h * np.sin(2 * np.pi * 220 * h * t) for h in range(1, 6))
>>> f = melodic_features(y, sr)
>>> round(f["melody_pitch_mean"])  # 220 Hz is MIDI 57
57
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mer_classic.features import _dsp
from mer_classic.features._expressive import expressive
from mer_classic.features._melodic import (
    intervals,
    melodic,
    note_dynamics,
    note_rhythm,
    texture,
)
from mer_classic.features._melody_names import MELODY_DESCRIPTORS, MELODY_GROUPS
from mer_classic.features._notes import Notes, segment_notes
from mer_classic.features._pitch import PitchTrack, pitch_track

__all__ = [
    "MELODY_GROUPS",
    "Transcription",
    "transcribe",
]


@dataclass(frozen=True)
class Transcription:
    """Frame-wise melody/layers and the melody's notes of one clip."""

    track: PitchTrack
    notes: Notes


def transcribe(
    y: np.ndarray | None,
    sr: float,
    *,
    S: np.ndarray | None = None,
    n_fft: int = 2048,
    hop_length: int = 512,
) -> Transcription:
    """Predominant melody, layer counts and notes of a mono signal.

    Parameters
    ----------
    y : ndarray of shape (n_samples,) or None
        Mono audio at ``sr``; may be None when ``S`` is given.
    sr : float
        Sample rate (Hz).
    S : ndarray of shape (1 + n_fft // 2, n_frames), default=None
        Magnitude STFT of ``y`` (computed when None), so the extractor's STFT is
        reused.
    n_fft : int, default=2048
        FFT length.
    hop_length : int, default=512
        Hop between frames (samples).

    Returns
    -------
    Transcription
    """
    if S is None:
        y = np.asarray(y, dtype=np.float32)
        if len(y) < n_fft:
            y = np.pad(y, (0, n_fft - len(y)))
        S = _dsp.stft_magnitude(y, n_fft, hop_length)
    track = pitch_track(S, sr, n_fft, hop_length)
    return Transcription(track=track, notes=segment_notes(track))


def _get(
    y: np.ndarray | None,
    sr: float,
    S: np.ndarray | None,
    n_fft: int,
    hop_length: int,
    transcription: Transcription | None,
) -> Transcription:
    if transcription is not None:
        return transcription
    return transcribe(y, sr, S=S, n_fft=n_fft, hop_length=hop_length)


#: group → its values from a transcription, in ``MELODY_DESCRIPTORS`` order
_COMPUTE: dict[str, Callable[[Transcription], dict[str, float]]] = {
    "melodic": lambda tr: melodic(tr.track, tr.notes),
    "expressive": lambda tr: expressive(tr.track, tr.notes),
    "texture": lambda tr: texture(tr.track),
    "note_dynamics": lambda tr: note_dynamics(tr.track, tr.notes),
    "note_rhythm": lambda tr: note_rhythm(tr.track, tr.notes),
    "intervals": lambda tr: intervals(tr.notes),
}


def _group_function(
    compute: Callable[[Transcription], dict[str, float]], name: str, summary: str
) -> Callable[..., dict[str, float]]:
    """A public group function (signature of :func:`transcribe` plus
    ``transcription``) that returns ``compute`` of the clip's transcription."""

    def features(
        y: np.ndarray | None,
        sr: float,
        *,
        S: np.ndarray | None = None,
        n_fft: int = 2048,
        hop_length: int = 512,
        transcription: Transcription | None = None,
    ) -> dict[str, float]:
        return compute(_get(y, sr, S, n_fft, hop_length, transcription))

    features.__name__ = features.__qualname__ = name
    features.__module__ = __name__
    features.__doc__ = (
        f"{summary}\n\n"
        "Parameters are those of :func:`transcribe`; ``transcription`` reuses an "
        "earlier :func:`transcribe` result (``y`` and ``S`` are then ignored).\n"
    )
    return features


melodic_features = _group_function(
    _COMPUTE["melodic"],
    "melodic_features",
    "Melodic group: its values by name, in registry order.",
)
expressive_features = _group_function(
    _COMPUTE["expressive"],
    "expressive_features",
    "Expressive-technique group: its values by name, in registry order.",
)
texture_features = _group_function(
    _COMPUTE["texture"],
    "texture_features",
    "Musical-texture group: its values by name, in registry order.",
)
note_dynamics_features = _group_function(
    _COMPUTE["note_dynamics"],
    "note_dynamics_features",
    "Note-dynamics group: its values by name, in registry order.",
)
note_rhythm_features = _group_function(
    _COMPUTE["note_rhythm"],
    "note_rhythm_features",
    "Note-rhythm group: its values by name, in registry order.",
)
interval_features = _group_function(
    _COMPUTE["intervals"],
    "interval_features",
    "Melodic-interval group: its values by name, in registry order.",
)


def _all_groups(tr: Transcription) -> dict[str, float]:
    out: dict[str, float] = {}
    for compute in _COMPUTE.values():
        out.update(compute(tr))
    return {name: out[name] for _, name, _ in MELODY_DESCRIPTORS}


melody_features = _group_function(
    _all_groups,
    "melody_features",
    "All six melody-based groups, ordered as ``MELODY_DESCRIPTORS``, from one "
    "transcription.",
)
