"""The feature groups, one module each (the melody-based ones as one family).

:data:`GROUPS` lists them in order; everything else is derived from this list:
``FEATURE_GROUPS``, ``FEATURE_NAMES``, ``FEATURE_DESCRIPTIONS`` and the
``docs/features.md`` table (:mod:`mer_classic.features`), the selection
accepted by ``--features`` and the work the engine does
(:mod:`mer_classic.features._engine` computes only the front end that the selected
groups declare in ``needs``/``shared`` and then calls their hooks).

Column order: the frame-level columns (``<descriptor>_<stat>``) of every group
come first, in :data:`GROUPS` order, then the clip-level columns, in
:data:`GROUPS` order except that the four groups of :data:`_CLIP_FIRST` keep the
places they had when the registry was built (``rhythm``, ``key``, ``dynamics``,
``timbre``). A new group at the end of :data:`GROUPS` therefore only appends
columns.

Adding a feature group
----------------------
1. Write ``mer_classic/features/groups/<name>.py`` with one
   :class:`~mer_classic.features.groups._base.FeatureGroup` subclass: its
   ``name``, ``descriptors`` (frame level) and/or ``columns`` (clip level) with
   their meanings, the front end it ``needs`` (``"mel"``, ``"mel_db"``,
   ``"chroma"``, ``"clip_chroma"``) or a ``shared`` analysis, and the hooks that
   compute its values (``block``, ``mel_db``, ``frames``, ``values``).
   :mod:`.mfcc` is the reference for deferred frame descriptors,
   :mod:`.dynamics` for a group with both kinds of columns, :mod:`.melody` for
   groups that share one analysis.
2. Import it here and append it to :data:`GROUPS`.
3. Bump ``FEATURES_VERSION`` in :mod:`mer_classic.features` (cache key) and
   regenerate ``docs/features.md`` (``python -m mer_classic.features``).
   To make it part of the default selection, list it in
   ``DEFAULT_FEATURE_GROUPS`` there.

``tests/test_feature_groups.py`` then checks the new group with every other
(columns in order, finite values on real and silent audio, block-wise equal to
whole-signal, its front end skipped when it is not selected).
"""

from __future__ import annotations

from mer_classic.features.groups._base import (
    NEEDS,
    Block,
    ClipData,
    Column,
    Descriptor,
    FeatureGroup,
)
from mer_classic.features.groups.chroma import Chroma
from mer_classic.features.groups.dynamics import Dynamics
from mer_classic.features.groups.harmony import Harmony
from mer_classic.features.groups.key import Key
from mer_classic.features.groups.mel import Mel
from mer_classic.features.groups.melody import (
    Expressive,
    Intervals,
    Melodic,
    NoteDynamics,
    NoteRhythm,
    Texture,
)
from mer_classic.features.groups.mfcc import MFCC
from mer_classic.features.groups.reference import Reference, ReferenceVoice
from mer_classic.features.groups.rhythm import Rhythm
from mer_classic.features.groups.spectral import Spectral
from mer_classic.features.groups.timbre import Timbre
from mer_classic.features.groups.tonnetz import Tonnetz

__all__ = [
    "GROUPS",
    "GROUP_BY_NAME",
    "NEEDS",
    "Block",
    "ClipData",
    "Column",
    "Descriptor",
    "FeatureGroup",
    "clip_column_order",
]

#: Every feature group, in registry order.
GROUPS: tuple[type[FeatureGroup], ...] = (
    MFCC,
    Mel,
    Spectral,
    Dynamics,
    Chroma,
    Tonnetz,
    Harmony,
    Rhythm,
    Key,
    Timbre,
    Melodic,
    Expressive,
    Texture,
    NoteDynamics,
    NoteRhythm,
    Intervals,
    Reference,
    ReferenceVoice,
)

#: Group name → group class.
GROUP_BY_NAME: dict[str, type[FeatureGroup]] = {g.name: g for g in GROUPS}

# Groups whose clip-level columns come first, in this order (their historical
# places); every other group's follow in GROUPS order.
_CLIP_FIRST = ("rhythm", "key", "dynamics", "timbre")


def clip_column_order() -> tuple[type[FeatureGroup], ...]:
    """The groups in the order of their clip-level columns."""
    first = [GROUP_BY_NAME[n] for n in _CLIP_FIRST]
    return (*first, *(g for g in GROUPS if g not in first))
