"""``key``: key clarity, major/minor key strengths and mode of the clip's chroma."""

from __future__ import annotations

import numpy as np
import scipy.ndimage

from mer_classic.features._framing import Windowed
from mer_classic.features.groups._base import Block, ClipData, Column, FeatureGroup

__all__ = ["Key"]

# Krumhansl-Kessler probe-tone profiles (C major / C minor).
_KK_MAJOR = np.array(
    [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]
)
_KK_MINOR = np.array(
    [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]
)
_TRIADS = np.stack(
    [np.roll(np.isin(np.arange(12), (0, 4, 7)).astype(float), k) for k in range(12)]
    + [np.roll(np.isin(np.arange(12), (0, 3, 7)).astype(float), k) for k in range(12)]
)
_TRIADS = (_TRIADS - _TRIADS.mean(axis=1, keepdims=True)) / np.linalg.norm(
    _TRIADS - _TRIADS.mean(axis=1, keepdims=True), axis=1, keepdims=True
)


class Key(FeatureGroup):
    """Krumhansl-Kessler key correlations and triad-template mode.

    Mode: best major minus best minor triad fit of the mean chroma, and the
    fraction of ~0.5 s-smoothed frames whose best-fitting triad is major (triad
    templates, unlike key profiles, tell a C major triad from E minor). Both are
    accumulated block by block: a running chroma sum and running vote counts.
    """

    name = "key"
    columns = (
        Column(
            "key_clarity",
            "Best correlation of mean chroma with the 24 Krumhansl key profiles.",
        ),
        Column(
            "key_major_strength", "Best correlation with the 12 major-key profiles."
        ),
        Column(
            "key_minor_strength", "Best correlation with the 12 minor-key profiles."
        ),
        Column(
            "mode",
            "Best major minus best minor triad-template fit of mean chroma "
            "(>0: major).",
        ),
        Column(
            "mode_major_ratio",
            "Fraction of frames (chroma smoothed over 0.5 s) whose best triad is "
            "major.",
        ),
    )
    needs = frozenset({"chroma"})

    def __init__(self, sr: int, n_fft: int, hop_length: int) -> None:
        super().__init__(sr, n_fft, hop_length)
        self._sum = np.zeros(12)  # running sum of chroma over frames
        self._n = 0
        # 21-frame (~0.5 s) smoothing: 10 frames of context each side
        self._smooth = Windowed(10, _smooth21)
        self._voiced = 0  # smoothed frames with a pitch-class profile
        self._major = 0  # of which the best triad is major

    def block(self, b: Block) -> dict[str, np.ndarray]:
        """Accumulate the chroma sum and the triad votes of one batch."""
        assert b.chroma is not None
        self._sum += b.chroma.sum(axis=1, dtype=np.float64)
        self._n += b.chroma.shape[1]
        self._vote(self._smooth.push(b.chroma))
        return {}

    def _vote(self, smooth: np.ndarray | None) -> None:
        if smooth is None:
            return
        voiced = np.ptp(smooth, axis=0) > 1e-3
        if np.any(voiced):
            rf = _triad_correlations(smooth[:, voiced])
            self._major += int(np.sum(rf[:12].max(axis=0) > rf[12:].max(axis=0)))
            self._voiced += int(np.sum(voiced))

    def values(self, clip: ClipData) -> dict[str, float]:
        """Key and mode strengths of the clip."""
        self._vote(self._smooth.finish())
        chroma_mean = self._sum / max(self._n, 1)
        major, minor = _key_strengths(chroma_mean)
        r = _triad_correlations(chroma_mean[:, None])[:, 0]
        mode = float(r[:12].max() - r[12:].max())
        major_ratio = self._major / self._voiced if self._voiced else 0.5
        return {
            "key_clarity": max(major, minor),
            "key_major_strength": major,
            "key_minor_strength": minor,
            "mode": mode,
            "mode_major_ratio": major_ratio,
        }


def _smooth21(chroma: np.ndarray) -> np.ndarray:
    return scipy.ndimage.uniform_filter1d(chroma, size=21, axis=1, mode="nearest")


def _key_correlations(chroma_mean: np.ndarray) -> np.ndarray:
    """Pearson correlation with the KK profiles: shape (2, 12) = (major/minor, tonic)."""
    c = chroma_mean - chroma_mean.mean()
    if not np.any(c):
        return np.zeros((2, 12))
    out = np.empty((2, 12))
    for i, profile in enumerate((_KK_MAJOR, _KK_MINOR)):
        prof = np.stack([np.roll(profile, k) for k in range(12)])
        prof = prof - prof.mean(axis=1, keepdims=True)
        out[i] = prof @ c / (np.linalg.norm(prof, axis=1) * np.linalg.norm(c))
    return out


def _key_strengths(chroma_mean: np.ndarray) -> tuple[float, float]:
    """Best Krumhansl-Kessler correlation over the 12 major and the 12 minor keys."""
    r = _key_correlations(chroma_mean)
    return float(r[0].max()), float(r[1].max())


def _triad_correlations(chroma: np.ndarray) -> np.ndarray:
    """Correlation of chroma columns with 12 major then 12 minor triad templates."""
    c = chroma - chroma.mean(axis=0, keepdims=True)
    norm = np.linalg.norm(c, axis=0)
    c = c / np.where(norm > 0, norm, 1.0)
    return _TRIADS @ c
