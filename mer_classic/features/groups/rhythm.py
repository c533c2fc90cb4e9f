"""``rhythm``: onset strength per frame; tempo, pulse clarity, beat strength and
onset rate of the clip."""

from __future__ import annotations

import numpy as np
import scipy.signal

from mer_classic.features import _dsp
from mer_classic.features.groups._base import (
    ClipData,
    Column,
    Descriptor,
    FeatureGroup,
)

__all__ = ["Rhythm"]


class Rhythm(FeatureGroup):
    """Onset envelope (mel spectral flux of the floored log-mel) and tempo."""

    name = "rhythm"
    descriptors = (
        Descriptor(
            "onset_strength", "Onset strength (mel spectral flux, dB)", deferred=True
        ),
    )
    columns = (
        Column(
            "tempo",
            "Tempo (BPM): onset-autocorrelation peak, log-normal prior around 120 BPM.",
        ),
        Column(
            "pulse_clarity",
            "Mean normalised onset autocorrelation at the tempo lag (0..1).",
        ),
        Column(
            "beat_strength",
            "Onset strength on the best beat phase divided by mean onset strength.",
        ),
        Column("onset_rate", "Detected onsets per second."),
    )
    needs = frozenset({"mel", "mel_db"})

    def __init__(self, sr: int, n_fft: int, hop_length: int) -> None:
        super().__init__(sr, n_fft, hop_length)
        self._parts: list[np.ndarray] = []
        self._prev: np.ndarray | None = None
        self._onset: np.ndarray | None = None

    def mel_db(self, db: np.ndarray) -> None:
        """Positive log-mel differences of one chunk, averaged over bands."""
        prev = self._prev
        joined = db if prev is None else np.concatenate([prev, db], axis=1)
        self._parts.append(
            np.mean(np.maximum(0.0, joined[:, 1:] - joined[:, :-1]), axis=0)
        )
        self._prev = db[:, -1:]

    def _envelope(self, n_frames: int) -> np.ndarray:
        if self._onset is None:
            lag = 1 + self.n_fft // (2 * self.hop_length)
            self._onset = np.concatenate(
                [np.zeros(lag, dtype=np.float32), *self._parts]
            )[:n_frames]
            self._parts = []
        return self._onset

    def frames(self, clip: ClipData) -> dict[str, np.ndarray]:
        """The onset-strength row."""
        return {"onset_strength": self._envelope(clip.n_frames)}

    def values(self, clip: ClipData) -> dict[str, float]:
        """Tempo and pulse statistics of the onset envelope."""
        onset = self._envelope(clip.n_frames)
        sr, hop = self.sr, self.hop_length
        n_seconds = clip.n_samples / sr
        win = max(int(8.0 * sr / hop), 2)  # librosa.feature.tempo: ac_size=8 s
        tg_mean = _dsp.tempogram_mean(onset, win)
        tempo, lag = _dsp.tempo_from_tempogram(tg_mean, sr, hop)
        pulse = float(tg_mean[lag]) if lag < tg_mean.shape[0] else 0.0
        mean_onset = float(onset.mean())
        if lag > 0 and len(onset) > lag and mean_onset > 0:
            n_full = (len(onset) // lag) * lag
            phases = onset[:n_full].reshape(-1, lag).mean(axis=0)
            beat_strength = float(phases.max() / mean_onset)
        else:
            beat_strength = 1.0
        height = mean_onset + 0.5 * float(onset.std())
        peaks, _ = scipy.signal.find_peaks(
            onset, height=height, distance=max(1, int(0.05 * sr / hop))
        )
        return {
            "tempo": tempo,
            "pulse_clarity": pulse,
            "beat_strength": beat_strength,
            "onset_rate": len(peaks) / max(n_seconds, 1e-9),
        }
