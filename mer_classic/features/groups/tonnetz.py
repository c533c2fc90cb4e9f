"""``tonnetz``: the 6 tonal-centroid coordinates of the chroma, per frame."""

from __future__ import annotations

import numpy as np

from mer_classic.features import _dsp
from mer_classic.features.groups._base import Block, Descriptor, FeatureGroup

__all__ = ["Tonnetz", "TONNETZ_AXES"]

TONNETZ_AXES = ("fifth_x", "fifth_y", "minor_x", "minor_y", "major_x", "major_y")


class Tonnetz(FeatureGroup):
    """Tonal centroids (Harte et al.) of the clip's chroma (mean, std)."""

    name = "tonnetz"
    descriptors = tuple(
        Descriptor(
            f"tonnetz_{ax}",
            f"Tonal centroid coordinate ({ax.replace('_', ' ')})",
            deferred=True,
        )
        for ax in TONNETZ_AXES
    )
    needs = frozenset({"chroma"})

    def block(self, b: Block) -> dict[str, np.ndarray]:
        """Tonnetz rows of one batch (each frame from its own chroma)."""
        assert b.chroma is not None
        tonnetz = _dsp.tonnetz_from_chroma(b.chroma)
        return {f"tonnetz_{ax}": tonnetz[i] for i, ax in enumerate(TONNETZ_AXES)}
