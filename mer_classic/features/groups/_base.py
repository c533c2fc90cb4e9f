"""The feature-group interface: what a group declares and how the engine feeds it.

A group is a subclass of :class:`FeatureGroup`. Its class attributes declare
what it is (``name``, frame-level ``descriptors``, clip-level ``columns``) and
the shared front end it needs (``needs``, ``shared``); one instance is made per
clip and analysis, so the instance *is* the group's per-clip state. That state
may be anything from a running statistic to compact per-frame data: the engine
only calls the four hooks below, in this order.

1. :meth:`FeatureGroup.block` for every batch of STFT frames (:class:`Block`),
   returning the rows of its *local* descriptors (those computed from one frame);
2. :meth:`FeatureGroup.mel_db` for every chunk of the clip's floored log-mel
   spectrum, when ``"mel_db"`` is in ``needs`` (MFCC, onsets);
3. :meth:`FeatureGroup.frames` at the end, returning the last rows of its
   *deferred* descriptors (those that need the whole clip, e.g. the 80 dB floor,
   or a few frames of context, e.g. a delta);
4. :meth:`FeatureGroup.values` at the end, at clip level only, returning its
   clip-level columns by name (:class:`ClipData` holds what the engine kept).

Deferred rows are a stream: any of the first three hooks may return the *next*
frames of a deferred descriptor (any number, in frame order), and ``frames`` may
return one dict or an iterator of dicts. The engine summarises them as they come
(clip mode) or stores them on disk (segment mode), so a group that hands on its
rows as soon as they are known costs no memory per minute of audio; the pieces of
each deferred descriptor must add up to the clip's frame count.

Front-end parts a group may ask for in ``needs``:

``"mel"``
    the 128-band mel power of each block (:attr:`Block.mel`);
``"mel_db"``
    the whole clip's log-mel, floored 80 dB below its maximum, in chunks;
``"chroma"``
    the chroma of each block (:attr:`Block.chroma`);
``"clip_chroma"``
    the whole clip's chroma (:attr:`ClipData.chroma`, :attr:`ClipData.tonnetz`):
    kept in memory for the whole clip (about 0.25 MB per minute), so the built-in
    groups read ``"chroma"`` block by block instead.

``shared`` lists :class:`SharedAnalysis` classes (e.g. the melody transcription)
that several groups read: the engine runs each one once per clip, at clip level
only, and stores its result in ``ClipData.shared[cls]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Protocol

import numpy as np

from mer_classic.features import _dsp

__all__ = [
    "Block",
    "ClipData",
    "Column",
    "Descriptor",
    "FeatureGroup",
    "SharedAnalysis",
    "NEEDS",
]

#: The front-end parts a group may list in ``FeatureGroup.needs``.
NEEDS = frozenset({"mel", "mel_db", "chroma", "clip_chroma"})


@dataclass(frozen=True)
class Descriptor:
    """A frame-level descriptor, summarised over frames by ``stats``.

    Its columns are ``<name>_<stat>`` (``spectral_centroid_mean``); segment rows
    carry them too. ``deferred`` marks a descriptor computed at the end of the
    clip (:meth:`FeatureGroup.frames`) instead of per block.
    """

    name: str
    meaning: str
    stats: tuple[str, ...] = ("mean", "std")
    deferred: bool = False


@dataclass(frozen=True)
class Column:
    """A clip-level column (``tempo``): its name and one-line meaning."""

    name: str
    meaning: str


@dataclass
class Block:
    """One batch of STFT frames, as a group sees it.

    Attributes
    ----------
    start : int
        Index of the first frame in the clip.
    frames : ndarray of shape (n, n_fft), float32
        The (centred, zero-padded) signal frames, not windowed.
    S : ndarray of shape (1 + n_fft // 2, n), float32
        Magnitude STFT (Hann window).
    mel : ndarray of shape (128, n) or None
        Mel power spectrum (when a selected group needs ``"mel"``).
    sr, n_fft, hop_length : int
        Front-end settings.
    chroma : ndarray of shape (12, n) or None
        Max-normalised chroma (when a selected group needs it).
    edge_frames : callable or None
        ``() -> (rows, frames)``: the rows of frames that touch the signal's
        edges and those frames without zero padding (zero-crossing rate).
    """

    start: int
    frames: np.ndarray
    S: np.ndarray
    mel: np.ndarray | None
    sr: int
    n_fft: int
    hop_length: int
    chroma: np.ndarray | None = None
    edge_frames: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None


@dataclass
class ClipData:
    """What the engine kept of the whole clip, handed to the groups at the end.

    ``chroma`` is ``None`` when no selected group needs ``"clip_chroma"``;
    ``shared`` maps each :class:`SharedAnalysis` class to its result.
    """

    n_samples: int
    n_frames: int
    sr: int
    n_fft: int
    hop_length: int
    peak: float = 0.0
    chroma: np.ndarray | None = None
    shared: dict[type, Any] = field(default_factory=dict)

    @cached_property
    def tonnetz(self) -> np.ndarray:
        """Tonal centroids of :attr:`chroma` (computed once, for all groups)."""
        assert self.chroma is not None
        return _dsp.tonnetz_from_chroma(self.chroma)


class SharedAnalysis(Protocol):
    """An analysis several groups read (built with ``(sr, n_fft, hop_length)``)."""

    def update(self, block: Block) -> None:
        """Consume one batch of frames."""

    def finish(self, clip: ClipData) -> Any:
        """Return the result the groups read from ``ClipData.shared``."""


class FeatureGroup:
    """Base class of a feature group (see the module docstring).

    Parameters
    ----------
    sr, n_fft, hop_length : int
        Front-end settings of the clip being analysed.
    """

    #: Group name, as selected with ``--features``.
    name: ClassVar[str] = ""
    #: Frame-level descriptors, in output order.
    descriptors: ClassVar[tuple[Descriptor, ...]] = ()
    #: Clip-level columns, in output order.
    columns: ClassVar[tuple[Column, ...]] = ()
    #: Front-end parts needed (subset of :data:`NEEDS`).
    needs: ClassVar[frozenset[str]] = frozenset()
    #: Shared analyses read at clip level (one run per clip for all groups).
    shared: ClassVar[tuple[type, ...]] = ()

    def __init__(self, sr: int, n_fft: int, hop_length: int) -> None:
        self.sr, self.n_fft, self.hop_length = sr, n_fft, hop_length

    def block(self, b: Block) -> dict[str, np.ndarray]:
        """Rows (one value per frame) of the local descriptors for one batch, and
        any next frames of deferred descriptors."""
        return {}

    def mel_db(self, db: np.ndarray) -> dict[str, np.ndarray] | None:
        """Consume the next chunk of the clip's floored log-mel (``"mel_db"``);
        may return the next frames of deferred descriptors."""
        return None

    def frames(
        self, clip: ClipData
    ) -> dict[str, np.ndarray] | Iterator[dict[str, np.ndarray]]:
        """The remaining frames of the deferred descriptors (one dict, or an
        iterator of dicts in frame order)."""
        return {}

    def values(self, clip: ClipData) -> dict[str, float]:
        """Clip-level column values by name."""
        return {}
