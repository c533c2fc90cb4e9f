"""``harmony``: harmonic change and chroma-interval dissonance, per frame."""

from __future__ import annotations

import numpy as np
import scipy.ndimage

from mer_classic.features import _dsp
from mer_classic.features.groups._base import ClipData, Descriptor, FeatureGroup

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
    needs = frozenset({"clip_chroma"})

    def frames(self, clip: ClipData) -> dict[str, np.ndarray]:
        """Harmonic change and dissonance rows."""
        assert clip.chroma is not None
        ton_s = scipy.ndimage.uniform_filter1d(
            clip.tonnetz, size=5, axis=1, mode="nearest"
        )
        hcdf = np.zeros(clip.n_frames)
        hcdf[1:] = np.sqrt(np.sum(np.diff(ton_s, axis=1) ** 2, axis=0))
        return {"harmonic_change": hcdf, "dissonance": _dissonance(clip.chroma)}


def _dissonance(chroma: np.ndarray) -> np.ndarray:
    c1 = _dsp.normalize(chroma, norm=1, axis=0)
    out = np.zeros(chroma.shape[1])
    for k in range(1, 7):
        w = _INTERVAL_DISSONANCE[k] * (0.5 if k == 6 else 1.0)  # tritone counted twice
        out += w * np.sum(c1 * np.roll(c1, -k, axis=0), axis=0)
    return out
