"""``mel``: energy of 8 bands of the 128-band mel spectrum, per frame."""

from __future__ import annotations

import numpy as np

from mer_classic.features import _dsp
from mer_classic.features.groups._base import Block, Descriptor, FeatureGroup

__all__ = ["Mel"]

N_MEL_BANDS = 8


class Mel(FeatureGroup):
    """Mel-band energies (dB) of 8 groups of 16 mel bands."""

    name = "mel"
    descriptors = tuple(
        Descriptor(
            f"mel_band_{i}",
            f"Energy (dB) of mel bands {16 * (i - 1) + 1}-{16 * i} of 128 "
            f"(band {i} of 8, low to high)",
        )
        for i in range(1, N_MEL_BANDS + 1)
    )
    needs = frozenset({"mel"})

    def block(self, b: Block) -> dict[str, np.ndarray]:
        """Band energies of one batch."""
        assert b.mel is not None
        mel = b.mel
        bands = _dsp.power_to_db(
            mel.reshape(N_MEL_BANDS, -1, mel.shape[1]).sum(axis=1), top_db=None
        )
        return {f"mel_band_{i + 1}": bands[i] for i in range(N_MEL_BANDS)}
