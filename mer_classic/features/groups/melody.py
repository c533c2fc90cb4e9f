"""The melody-based groups (Panda, Malheiro & Paiva 2018), clip level only.

``melodic``, ``expressive``, ``texture``, ``note_dynamics``, ``note_rhythm`` and
``intervals`` all read one transcription of the clip (the shared
:class:`~mer_classic.features.groups._melody.MelodyFront`), computed once however
many of them are selected. Their columns and meanings are the melody family's
table, :data:`~mer_classic.features._melody_names.MELODY_DESCRIPTORS` (kept
there, free of numpy, because the value functions in ``_melodic.py`` and
``_expressive.py`` order their output by it); the values come from those
functions via :mod:`mer_classic.features.melody`.
"""

from __future__ import annotations

from mer_classic.features._expressive import expressive
from mer_classic.features._melodic import (
    intervals,
    melodic,
    note_dynamics,
    note_rhythm,
    texture,
)
from mer_classic.features._melody_names import MELODY_DESCRIPTORS
from mer_classic.features.groups._base import ClipData, Column, FeatureGroup
from mer_classic.features.groups._melody import MelodyFront
from mer_classic.features.melody import Transcription

__all__ = [
    "Melodic",
    "Expressive",
    "Texture",
    "NoteDynamics",
    "NoteRhythm",
    "Intervals",
]


def _columns(group: str) -> tuple[Column, ...]:
    return tuple(Column(n, text) for g, n, text in MELODY_DESCRIPTORS if g == group)


class _MelodyGroup(FeatureGroup):
    """A group computed from the clip's transcription."""

    shared = (MelodyFront,)

    def values(self, clip: ClipData) -> dict[str, float]:
        """The group's values from the shared transcription."""
        return self.compute(clip.shared[MelodyFront])

    def compute(self, tr: Transcription) -> dict[str, float]:
        """The group's values from a transcription."""
        raise NotImplementedError


class Melodic(_MelodyGroup):
    """Register, pitch range/spread, interval and contour statistics."""

    name = "melodic"
    columns = _columns("melodic")

    def compute(self, tr: Transcription) -> dict[str, float]:  # noqa: D102
        return melodic(tr.track, tr.notes)


class Expressive(_MelodyGroup):
    """Articulation, vibrato, tremolo, glissando."""

    name = "expressive"
    columns = _columns("expressive")

    def compute(self, tr: Transcription) -> dict[str, float]:  # noqa: D102
        return expressive(tr.track, tr.notes)


class Texture(_MelodyGroup):
    """Simultaneous pitch layers per frame and their change."""

    name = "texture"
    columns = _columns("texture")

    def compute(self, tr: Transcription) -> dict[str, float]:  # noqa: D102
        return texture(tr.track)


class NoteDynamics(_MelodyGroup):
    """Note intensity statistics, crescendo/decrescendo."""

    name = "note_dynamics"
    columns = _columns("note_dynamics")

    def compute(self, tr: Transcription) -> dict[str, float]:  # noqa: D102
        return note_dynamics(tr.track, tr.notes)


class NoteRhythm(_MelodyGroup):
    """Note-onset rate and inter-onset regularity."""

    name = "note_rhythm"
    columns = _columns("note_rhythm")

    def compute(self, tr: Transcription) -> dict[str, float]:  # noqa: D102
        return note_rhythm(tr.track, tr.notes)


class Intervals(_MelodyGroup):
    """Distribution of melodic intervals by size; minor/major balance."""

    name = "intervals"
    columns = _columns("intervals")

    def compute(self, tr: Transcription) -> dict[str, float]:  # noqa: D102
        return intervals(tr.notes)
