"""``chroma``: energy of the 12 pitch classes per frame (max-normalised)."""

from __future__ import annotations

import numpy as np

from mer_classic.features.groups._base import Block, Descriptor, FeatureGroup

__all__ = ["Chroma", "PITCH_CLASSES"]

PITCH_CLASSES = ("C", "Cs", "D", "Ds", "E", "F", "Fs", "G", "Gs", "A", "As", "B")


class Chroma(FeatureGroup):
    """Chroma of pitch classes C .. B (mean, std)."""

    name = "chroma"
    descriptors = tuple(
        Descriptor(
            f"chroma_{pc}",
            f"Chroma energy of pitch class {pc.replace('s', '#')} "
            "(max-normalised per frame)",
        )
        for pc in PITCH_CLASSES
    )
    needs = frozenset({"chroma"})

    def block(self, b: Block) -> dict[str, np.ndarray]:
        """Chroma rows of one batch."""
        assert b.chroma is not None
        return {f"chroma_{pc}": b.chroma[i] for i, pc in enumerate(PITCH_CLASSES)}
