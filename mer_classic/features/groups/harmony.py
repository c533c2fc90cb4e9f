"""``harmony``: harmonic change and chroma-interval dissonance, per frame."""

from __future__ import annotations

import numpy as np
import scipy.ndimage

from mer_classic.features import _dsp
from mer_classic.features._framing import Windowed
from mer_classic.features.groups._base import Block, ClipData, Descriptor, FeatureGroup

__all__ = ["Harmony"]

# Dissonance weight of each interval class 0..6 semitones (unison .. tritone).
_INTERVAL_DISSONANCE = np.array([0.0, 1.0, 0.6, 0.2, 0.1, 0.25, 0.8])


class Harmony(FeatureGroup):
    """Harmonic change (of smoothed tonal centroids) and dissonance."""

    name = "harmony"
    descriptors = (
        Descriptor(
            "harmonic_change",
            "Harmonic change: distance between successive smoothed tonal centroids",
            deferred=True,
        ),
        Descriptor(
            "dissonance",
            "Chroma-interval dissonance: weighted co-activation of dissonant intervals",
            deferred=True,
        ),
    )
    needs = frozenset({"chroma"})

    def __init__(self, sr: int, n_fft: int, hop_length: int) -> None:
        super().__init__(sr, n_fft, hop_length)
        # 5-frame smoothing of the tonal centroids: 2 frames of context each side
        self._smooth = Windowed(2, _smooth5)
        self._prev: np.ndarray | None = None  # last smoothed centroid emitted

    def block(self, b: Block) -> dict[str, np.ndarray]:
        """Dissonance of one batch, and the harmonic change known so far."""
        assert b.chroma is not None
        rows = {"dissonance": _dissonance(b.chroma)}
        rows.update(self._change(self._smooth.push(_dsp.tonnetz_from_chroma(b.chroma))))
        return rows

    def frames(self, clip: ClipData) -> dict[str, np.ndarray]:
        """The last harmonic-change frames."""
        return self._change(self._smooth.finish())

    def _change(self, ton_s: np.ndarray | None) -> dict[str, np.ndarray]:
        """Distance between successive smoothed centroids (0 for the first frame)."""
        if ton_s is None or ton_s.shape[1] == 0:
            return {}
        prev = ton_s[:, :1] if self._prev is None else self._prev
        joined = np.concatenate([prev, ton_s], axis=1)
        self._prev = ton_s[:, -1:]
        return {
            "harmonic_change": np.sqrt(np.sum(np.diff(joined, axis=1) ** 2, axis=0))
        }


def _smooth5(tonnetz: np.ndarray) -> np.ndarray:
    return scipy.ndimage.uniform_filter1d(tonnetz, size=5, axis=1, mode="nearest")


def _dissonance(chroma: np.ndarray) -> np.ndarray:
    c1 = _dsp.normalize(chroma, norm=1, axis=0)
    out = np.zeros(chroma.shape[1])
    for k in range(1, 7):
        w = _INTERVAL_DISSONANCE[k] * (0.5 if k == 6 else 1.0)  # tritone counted twice
        out += w * np.sum(c1 * np.roll(c1, -k, axis=0), axis=0)
    return out
