"""``mfcc``: MFCCs of the 128-band log-mel spectrum and their time derivatives.

The reference group module: frame-level descriptors that need the whole clip
(the log-mel's 80 dB floor depends on the clip's maximum), so they are
``deferred`` and computed from the ``"mel_db"`` chunks at the end. Each chunk's
rows are handed on as soon as they are known (the deltas 4 frames later, once
their 9-frame window is complete), so nothing here grows with the clip.
"""

from __future__ import annotations

import numpy as np

from mer_classic.features import _dsp
from mer_classic.features._framing import Windowed
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
        # the Savitzky-Golay delta of width 9 reads 4 frames on each side
        self._delta = Windowed(4, _dsp.delta)

    def mel_db(self, db: np.ndarray) -> dict[str, np.ndarray]:
        """MFCC rows of one chunk of the floored log-mel, and the deltas known."""
        mfcc = _dsp.mfcc_from_mel_db(db)
        rows = {f"mfcc_{i + 1:02d}": mfcc[i] for i in range(mfcc.shape[0])}
        rows.update(self._delta_rows(self._delta.push(mfcc)))
        return rows

    def frames(self, clip: ClipData) -> dict[str, np.ndarray]:
        """The last delta rows."""
        return self._delta_rows(self._delta.finish())

    @staticmethod
    def _delta_rows(d: np.ndarray | None) -> dict[str, np.ndarray]:
        if d is None:
            return {}
        return {f"mfcc_delta_{i + 1:02d}": d[i] for i in range(d.shape[0])}
