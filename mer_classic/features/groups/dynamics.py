"""``dynamics``: frame RMS energy and the clip's loudness, low-energy ratio and
dynamic range."""

from __future__ import annotations

import numpy as np

from mer_classic.features import _dsp
from mer_classic.features.groups._base import (
    Block,
    ClipData,
    Column,
    Descriptor,
    FeatureGroup,
)

__all__ = ["Dynamics"]


class Dynamics(FeatureGroup):
    """RMS per frame (mean, std) and three clip-level loudness statistics."""

    name = "dynamics"
    descriptors = (Descriptor("rms", "Root-mean-square energy per frame (linear)"),)
    columns = (
        Column("loudness_db", "Mean power in dB (10 log10 of mean RMS squared)."),
        Column(
            "low_energy_ratio", "Fraction of frames with RMS below the clip's mean RMS."
        ),
        Column("dynamic_range_db", "95th minus 10th percentile of frame RMS in dB."),
    )

    def __init__(self, sr: int, n_fft: int, hop_length: int) -> None:
        super().__init__(sr, n_fft, hop_length)
        self._rms: list[np.ndarray] = []

    def block(self, b: Block) -> dict[str, np.ndarray]:
        """RMS row of one batch (kept for the clip statistics)."""
        rms = _dsp.rms_from_stft(b.S, self.n_fft)
        self._rms.append(rms)
        return {"rms": rms}

    def values(self, clip: ClipData) -> dict[str, float]:
        """Loudness, low-energy ratio and dynamic range of the clip."""
        rms = np.concatenate(self._rms)
        rms_db = 20 * np.log10(np.maximum(rms, 1e-5))
        return {
            "loudness_db": float(10 * np.log10(max(np.mean(rms**2), 1e-10))),
            "low_energy_ratio": float(np.mean(rms < rms.mean())),
            "dynamic_range_db": float(
                np.percentile(rms_db, 95) - np.percentile(rms_db, 10)
            ),
        }
