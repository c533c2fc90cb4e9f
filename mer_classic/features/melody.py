"""Melody-based descriptors (Panda, Malheiro & Paiva 2018 feature families).

A predominant melody and a multi-pitch layer count are estimated from the
magnitude STFT by harmonic summation (MELODIA-style, numpy/scipy only; see
:mod:`mer_classic.features._pitch`), the melody is cut into notes
(:mod:`mer_classic.features._notes`), and five groups of clip-level descriptors
are computed from them:

- ``melodic``: register, pitch range/spread, interval and contour statistics,
  note durations;
- ``expressive``: articulation (legato/staccato), vibrato, tremolo, glissando;
- ``texture``: simultaneous pitch layers per frame and their change;
- ``note_dynamics``: note intensity statistics, crescendo/decrescendo;
- ``note_rhythm``: note-onset rate and inter-onset regularity.

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

from dataclasses import dataclass

import numpy as np

from mer_classic.features import _dsp
from mer_classic.features._expressive import expressive
from mer_classic.features._melodic import melodic, note_dynamics, note_rhythm, texture
from mer_classic.features._melody_names import MELODY_DESCRIPTORS, MELODY_GROUPS
from mer_classic.features._notes import Notes, segment_notes
from mer_classic.features._pitch import PitchTrack, pitch_track

__all__ = [
    "MELODY_DESCRIPTORS",
    "MELODY_GROUPS",
    "Transcription",
    "transcribe",
    "melody_features",
    "melodic_features",
    "expressive_features",
    "texture_features",
    "note_dynamics_features",
    "note_rhythm_features",
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


def melodic_features(
    y: np.ndarray | None,
    sr: float,
    *,
    S: np.ndarray | None = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    transcription: Transcription | None = None,
) -> dict[str, float]:
    """Melodic group (see :func:`transcribe` for the parameters).

    ``transcription`` reuses an earlier :func:`transcribe` result.
    """
    tr = _get(y, sr, S, n_fft, hop_length, transcription)
    return melodic(tr.track, tr.notes)


def expressive_features(
    y: np.ndarray | None,
    sr: float,
    *,
    S: np.ndarray | None = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    transcription: Transcription | None = None,
) -> dict[str, float]:
    """Expressive-technique group (see :func:`melodic_features`)."""
    tr = _get(y, sr, S, n_fft, hop_length, transcription)
    return expressive(tr.track, tr.notes)


def texture_features(
    y: np.ndarray | None,
    sr: float,
    *,
    S: np.ndarray | None = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    transcription: Transcription | None = None,
) -> dict[str, float]:
    """Musical-texture group (see :func:`melodic_features`)."""
    tr = _get(y, sr, S, n_fft, hop_length, transcription)
    return texture(tr.track)


def note_dynamics_features(
    y: np.ndarray | None,
    sr: float,
    *,
    S: np.ndarray | None = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    transcription: Transcription | None = None,
) -> dict[str, float]:
    """Note-dynamics group (see :func:`melodic_features`)."""
    tr = _get(y, sr, S, n_fft, hop_length, transcription)
    return note_dynamics(tr.track, tr.notes)


def note_rhythm_features(
    y: np.ndarray | None,
    sr: float,
    *,
    S: np.ndarray | None = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    transcription: Transcription | None = None,
) -> dict[str, float]:
    """Note-rhythm group (see :func:`melodic_features`)."""
    tr = _get(y, sr, S, n_fft, hop_length, transcription)
    return note_rhythm(tr.track, tr.notes)


def melody_features(
    y: np.ndarray | None,
    sr: float,
    *,
    S: np.ndarray | None = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    transcription: Transcription | None = None,
) -> dict[str, float]:
    """All five melody-based groups, ordered as ``MELODY_DESCRIPTORS``.

    One transcription serves every group (see :func:`melodic_features`).
    """
    tr = _get(y, sr, S, n_fft, hop_length, transcription)
    out: dict[str, float] = {}
    out.update(melodic(tr.track, tr.notes))
    out.update(expressive(tr.track, tr.notes))
    out.update(texture(tr.track))
    out.update(note_dynamics(tr.track, tr.notes))
    out.update(note_rhythm(tr.track, tr.notes))
    return {name: out[name] for _, name, _ in MELODY_DESCRIPTORS}
