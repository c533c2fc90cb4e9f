"""``timbre``: harmonic/percussive energy ratio (median-filter HPSS)."""

from __future__ import annotations

import numpy as np
import scipy.ndimage

from mer_classic.features._framing import Windowed
from mer_classic.features.groups._base import Block, ClipData, Column, FeatureGroup

__all__ = ["Timbre"]


class Timbre(FeatureGroup):
    """HPSS proxy on a 32-band, half-frame-rate mel power spectrum."""

    name = "timbre"
    columns = (
        Column(
            "harmonic_ratio_db",
            "Harmonic/percussive energy ratio in dB (median-filter HPSS on mel power).",
        ),
    )
    needs = frozenset({"mel"})

    def __init__(self, sr: int, n_fft: int, hop_length: int) -> None:
        super().__init__(sr, n_fft, hop_length)
        self._carry: np.ndarray | None = None
        self._pushed = False
        # the 9-column median over time reads 4 columns on each side; the
        # filtered spectrum comes back with the columns it belongs to
        self._hpss = Windowed(4, _split)
        self._e = np.zeros(2)  # harmonic, percussive energy so far

    def block(self, b: Block) -> dict[str, np.ndarray]:
        """Add the 32-band mel power at half the frame rate (mean of frame pairs
        0-1, 2-3, ...), carrying an unpaired last frame to the next batch."""
        assert b.mel is not None
        small = b.mel.reshape(32, 4, -1).sum(axis=1)
        if self._carry is not None:
            small = np.concatenate([self._carry, small], axis=1)
            self._carry = None
        if small.shape[1] % 2:
            self._carry = small[:, -1:]
            small = small[:, :-1]
        if small.shape[1]:
            self._pushed = True
            self._energy(self._hpss.push(small.reshape(32, -1, 2).mean(axis=2)))
        return {}

    def _energy(self, part: np.ndarray | None) -> None:
        if part is not None:
            self._e += part.reshape(2, 32, -1).sum(axis=(1, 2))

    def values(self, clip: ClipData) -> dict[str, float]:
        """The harmonic ratio of the clip (an odd last frame dropped)."""
        if not self._pushed and self._carry is not None:  # a one-frame clip
            self._energy(self._hpss.push(self._carry))
        self._energy(self._hpss.finish())
        e_h, e_p = float(self._e[0]), float(self._e[1])
        return {
            "harmonic_ratio_db": float(10 * np.log10((e_h + 1e-10) / (e_p + 1e-10)))
        }


def _split(small: np.ndarray) -> np.ndarray:
    """Harmonic and percussive energy per column (stacked: 64 rows) of a 32-band
    power spectrum, by median-filter soft masks."""
    harm = scipy.ndimage.median_filter(small, size=(1, 9), mode="reflect")
    perc = scipy.ndimage.median_filter(small, size=(9, 1), mode="reflect")
    mask = harm**2 / np.maximum(harm**2 + perc**2, 1e-20)
    return np.concatenate([small * mask, small * (1 - mask)])
