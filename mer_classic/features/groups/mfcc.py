"""``mfcc``: MFCCs of the 128-band log-mel spectrum and their time derivatives.

The reference group module: frame-level descriptors that need the whole clip
(the log-mel's 80 dB floor depends on the clip's maximum), so they are
``deferred`` and computed from the ``"mel_db"`` chunks at the end.
"""

from __future__ import annotations

import numpy as np

from mer_classic.features import _dsp
from mer_classic.features.groups._base import ClipData, Descriptor, FeatureGroup

__all__ = ["MFCC"]

N_MFCC = 20


class MFCC(FeatureGroup):
    """MFCC 1-20 (mean, std) and their first derivatives (std)."""

    name = "mfcc"
    descriptors = tuple(
        Descriptor(
            f"mfcc_{i:02d}",
            f"MFCC {i} (DCT of the 128-band log-mel spectrum)",
            deferred=True,
        )
        for i in range(1, N_MFCC + 1)
    ) + tuple(
        Descriptor(
            f"mfcc_delta_{i:02d}",
            f"First time derivative of MFCC {i} (9-frame Savitzky-Golay)",
            ("std",),
            deferred=True,
        )
        for i in range(1, N_MFCC + 1)
    )
    needs = frozenset({"mel", "mel_db"})

    def __init__(self, sr: int, n_fft: int, hop_length: int) -> None:
        super().__init__(sr, n_fft, hop_length)
        self._parts: list[np.ndarray] = []

    def mel_db(self, db: np.ndarray) -> None:
        """MFCCs of one chunk of the floored log-mel."""
        self._parts.append(_dsp.mfcc_from_mel_db(db))

    def frames(self, clip: ClipData) -> dict[str, np.ndarray]:
        """MFCC rows and their deltas."""
        mfcc = (
            np.concatenate(self._parts, axis=1)
            if self._parts
            else np.zeros((0, clip.n_frames), dtype=np.float32)
        )
        self._parts = []
        rows = {f"mfcc_{i + 1:02d}": mfcc[i] for i in range(mfcc.shape[0])}
        mfcc_d = _dsp.delta(mfcc)
        for i in range(mfcc.shape[0]):
            rows[f"mfcc_delta_{i + 1:02d}"] = mfcc_d[i]
        return rows
