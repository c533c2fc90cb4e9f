"""The melody front end shared by the melody-based groups (:mod:`.melody`).

:class:`MelodyFront` keeps only the strongest pitch-salience candidates of each
frame (:func:`~mer_classic.features._pitch.salience_peaks` on every block of the
engine's STFT), so a long file costs a few numbers per frame. At the end of the
clip it tracks the melody, counts the layers and cuts the notes: one
:class:`~mer_classic.features.melody.Transcription` that every selected melody
group reads from ``ClipData.shared[MelodyFront]``.
"""

from __future__ import annotations

import numpy as np

from mer_classic.features._notes import segment_notes
from mer_classic.features._pitch import pitch_track_from_peaks, salience_peaks
from mer_classic.features.groups._base import Block, ClipData
from mer_classic.features.melody import Transcription

__all__ = ["MelodyFront"]


class MelodyFront:
    """Salience candidates per block; the transcription at the end.

    Parameters
    ----------
    sr, n_fft, hop_length : int
        The engine's front-end settings.
    """

    def __init__(self, sr: int, n_fft: int, hop_length: int) -> None:
        self.sr, self.n_fft, self.hop_length = sr, n_fft, hop_length
        self._midi: list[np.ndarray] = []
        self._sal: list[np.ndarray] = []
        self._mean: list[np.ndarray] = []

    def update(self, block: Block) -> None:
        """Keep the salience candidates of the block's frames."""
        midi, sal, mean = salience_peaks(block.S, self.sr, self.n_fft)
        self._midi.append(midi)
        self._sal.append(sal)
        self._mean.append(mean)

    @staticmethod
    def _joined(parts: list[np.ndarray]) -> np.ndarray:
        out = np.concatenate(parts)
        parts.clear()
        return out

    def finish(self, clip: ClipData) -> Transcription:
        """The clip's melody, layer counts and notes."""
        if self._midi:
            # each list is released once joined: the candidates are never held
            # twice over while the clip is tracked
            midi, sal, mean = (
                self._joined(p) for p in (self._midi, self._sal, self._mean)
            )
        else:  # no frame at all
            midi = sal = np.zeros((0, 1))
            mean = np.zeros(0)
        track = pitch_track_from_peaks(
            midi, sal, mean, frame_rate=self.sr / self.hop_length
        )
        return Transcription(track=track, notes=segment_notes(track))
