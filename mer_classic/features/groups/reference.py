"""The reference-replicating groups: the 4Q authors' novel features, by definition.

``reference`` (melody, expressive techniques, musical layers and the creak cue of
the mix) and ``reference_voice`` (layers of a REPET-SIM-separated voice) replicate
the novel features of Panda, Malheiro & Paiva (IEEE TAFFC 2018); each column's
meaning names the published feature it replicates, and
``benchmarks/bench_reference_fidelity.py`` measures how closely (the
committed report under ``reports/benchmarks/reference_fidelity/``).

Both read one shared :class:`ReferenceSignal`: the engine's blocks are stitched
back into the clip's signal (each frame's central hop of samples) and the
front end of :mod:`mer_classic.features._ref_features` runs on it at the end,
its mix part once for the group that needs it and the voice separation only when
``reference_voice`` is selected. Unlike the default groups, these two hold
whole-clip data in memory: the signal (about 5 MB per minute at 22 050 Hz) and
the front end's magnitude STFT (about 11 MB per minute; the voice separation
adds one more), so their memory grows with the clip's duration. The voice
separation's frames x frames similarity is built in bands of rows, so it
stays bounded.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from mer_classic.features import _dsp
from mer_classic.features._ref_features import mix_values, voice_values
from mer_classic.features._ref_melody import salience_candidates, stft_params
from mer_classic.features._ref_names import REF_COLUMNS, VOICE_COLUMNS
from mer_classic.features._ref_voice import voice_magnitude
from mer_classic.features._ref_voicequality import creak_frames
from mer_classic.features.groups._base import Block, ClipData, Column, FeatureGroup

__all__ = ["ReferenceSignal", "ReferenceClip", "Reference", "ReferenceVoice"]


def _meaning(meaning: str, reference: str) -> str:
    return f"{meaning} Replicates `{reference}`." if reference else meaning


class ReferenceClip:
    """The clip's signal with its reference front end computed on demand."""

    def __init__(self, y: np.ndarray, sr: int) -> None:
        self.y, self.sr = y, sr
        self.n_fft, self.hop = stft_params(sr)
        self.frame_rate = sr / self.hop

    @cached_property
    def S(self) -> np.ndarray:
        """Magnitude STFT of the reference front end."""
        return _dsp.stft_magnitude(self.y, self.n_fft, self.hop)

    @cached_property
    def mix(self) -> dict[str, float]:
        """The mix columns."""
        cents, sal, mean = salience_candidates(self.S, self.sr, self.n_fft)
        creak = creak_frames(self.S, self.sr, self.n_fft)
        return mix_values(cents, sal, mean, creak, self.frame_rate)

    @cached_property
    def voice(self) -> dict[str, float]:
        """The separated-voice columns."""
        freq = _dsp.fft_frequencies(self.sr, self.n_fft)
        n_bins = int(np.searchsorted(freq, 5000.0)) + 2
        V = voice_magnitude(self.S, self.frame_rate, n_bins=n_bins)
        cents, sal, _ = salience_candidates(V, self.sr, self.n_fft)
        return voice_values(cents, sal, self.frame_rate)


class ReferenceSignal:
    """Stitches the engine's blocks back into the clip's signal.

    Parameters
    ----------
    sr, n_fft, hop_length : int
        The engine's front-end settings.
    """

    def __init__(self, sr: int, n_fft: int, hop_length: int) -> None:
        self.sr, self.n_fft, self.hop_length = sr, n_fft, hop_length
        self._parts: list[np.ndarray] = []

    def update(self, block: Block) -> None:
        """Keep the central ``hop_length`` samples of every frame of the block."""
        c = self.n_fft // 2
        self._parts.append(
            np.ascontiguousarray(block.frames[:, c : c + self.hop_length]).ravel()
        )

    def finish(self, clip: ClipData) -> ReferenceClip:
        """The clip's signal (trimmed to its length), front end on demand."""
        y = np.concatenate(self._parts) if self._parts else np.zeros(0, np.float32)
        return ReferenceClip(y[: clip.n_samples].astype(np.float32), self.sr)


class Reference(FeatureGroup):
    """Vibrato, tremolo, glissando, articulation, musical layers, creak cue."""

    name = "reference"
    columns = tuple(
        Column(c, _meaning(m, r)) for c, r, m in REF_COLUMNS if c not in VOICE_COLUMNS
    )
    shared = (ReferenceSignal,)

    def values(self, clip: ClipData) -> dict[str, float]:  # noqa: D102
        return clip.shared[ReferenceSignal].mix


class ReferenceVoice(FeatureGroup):
    """Musical layers of the separated singing voice (REPET-SIM soft mask)."""

    name = "reference_voice"
    columns = tuple(
        Column(c, _meaning(m, r)) for c, r, m in REF_COLUMNS if c in VOICE_COLUMNS
    )
    shared = (ReferenceSignal,)

    def values(self, clip: ClipData) -> dict[str, float]:  # noqa: D102
        return clip.shared[ReferenceSignal].voice
