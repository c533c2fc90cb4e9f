"""Private block-wise front end: signal blocks in, the selected groups' frame
descriptors and clip values out.

The signal arrives in blocks of any size (:meth:`FrameEngine.push`). A framer
keeps only the samples that the next STFT frame still needs, so frames that
straddle a block edge are the frames of the whole signal (centred, zero padded,
as :func:`~mer_classic.features._dsp.stft_magnitude`). Each batch of frames goes
through one magnitude STFT, and the representations that the selected groups
declare in ``needs`` (mel power, chroma; the clip's log-mel and chroma kept
compactly) are computed once for all of them. Then every selected group
(:mod:`mer_classic.features.groups`) gets the batch; its local frame rows are
either summarised on the fly (clip mode: running mean and variance, merged per
batch) or kept in disk-backed float64 stores (segment mode, read back block by
block for the segment rows). Deferred descriptors (those that need the whole
clip, e.g. the log-mel's 80 dB floor) arrive in pieces too, from any hook, and
are summarised or stored the same way, so no descriptor is ever held as a
whole-clip row. At :meth:`FrameEngine.finish` the groups hand over their last
deferred frames and, at clip level, their clip values.

The engine knows no group by name: what it computes follows from the groups'
declarations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from mer_classic.features import _dsp
from mer_classic.features._framing import Framer, Moments, SpillStore, align_rows
from mer_classic.features.groups import Block, ClipData, FeatureGroup

__all__ = [
    "EngineOutput",
    "FrameEngine",
    "DEFAULT_BLOCK_FRAMES",
]

#: STFT frames analysed per batch (2048 frames at hop 512 and 22050 Hz ≈ 47 s).
DEFAULT_BLOCK_FRAMES = 2048

#: Bytes a segment-mode frame store keeps in memory before it moves to disk: the
#: local rows share one store, each deferred descriptor has its own (small).
_SPILL_LIMIT = 2**20
_LATE_SPILL_LIMIT = 2**16
#: Bytes of the clip's raw log-mel (512 bytes per frame) kept in memory before
#: it moves to disk (about 12 minutes of audio).
_MEL_SPILL_LIMIT = 16 * 2**20


@dataclass
class EngineOutput:
    """What :meth:`FrameEngine.finish` returns.

    Attributes
    ----------
    descriptors : list of str
        Names (registry order) of the frame descriptors computed.
    mean, std : ndarray
        Their clip mean and standard deviation over frames (clip mode).
    frames : None
        Kept for the field order; the descriptor matrix is never built whole.
    clip : ClipData
        What the engine kept of the whole clip.
    extra : dict
        Clip-level values of the selected groups (when asked for).
    frame_chunks : callable or None
        Segment mode: ``() -> iterator`` over the descriptor matrix in blocks of
        consecutive frames, shape ``(len(descriptors), k)``, read once (the
        frames were kept on disk, not in memory).
    """

    descriptors: list[str]
    mean: np.ndarray
    std: np.ndarray
    frames: np.ndarray | None
    clip: ClipData
    extra: dict[str, float] = field(default_factory=dict)
    frame_chunks: Callable[[], Iterator[np.ndarray]] | None = None


class FrameEngine:
    """Block-wise frame analysis for a selection of feature groups.

    Parameters
    ----------
    sr, n_fft, hop_length : int
        Front-end settings.
    groups : iterable of FeatureGroup subclasses
        The selected groups (registry order), already validated.
    keep_frames : bool, default=False
        Keep the frame-descriptor matrix (segment mode) instead of only its
        running mean and standard deviation.
    block_frames : int, default=DEFAULT_BLOCK_FRAMES
        STFT frames analysed per batch.
    clip_values : bool, default=None
        Compute the groups' clip-level values (and the shared analyses they
        read). By default only in clip mode, since segment rows carry frame-level
        statistics alone; a segment run that also wants the clip vector
        (``predict --segments``) asks for them.
    """

    def __init__(
        self,
        *,
        sr: int,
        n_fft: int,
        hop_length: int,
        groups: Iterable[type[FeatureGroup]],
        keep_frames: bool = False,
        block_frames: int = DEFAULT_BLOCK_FRAMES,
        clip_values: bool | None = None,
    ) -> None:
        self.sr, self.n_fft, self.hop = sr, n_fft, hop_length
        self.keep = keep_frames
        self.block_frames = max(int(block_frames), 1)
        self.clip_values = (not keep_frames) if clip_values is None else clip_values
        self.groups = [g(sr, n_fft, hop_length) for g in groups]
        needs: set[str] = set()
        for g in self.groups:
            needs |= g.needs
        self.need_mel = bool(needs & {"mel", "mel_db"})
        self.need_mel_db = "mel_db" in needs
        self.need_clip_chroma = "clip_chroma" in needs
        self.need_chroma = self.need_clip_chroma or "chroma" in needs
        self.descriptors = [d.name for g in self.groups for d in g.descriptors]
        self.local = [
            d.name for g in self.groups for d in g.descriptors if not d.deferred
        ]
        self.mel_users = [g for g in self.groups if "mel_db" in g.needs]
        # one instance per shared analysis, however many groups read it
        self.shared: dict[type, object] = {}
        if self.clip_values:
            for g in self.groups:
                for cls in g.shared:
                    if cls not in self.shared:
                        self.shared[cls] = cls(sr, n_fft, hop_length)
        self.framer = Framer(n_fft, hop_length)
        self.moments = Moments()
        # segment mode: the frame rows go to disk-backed stores (float64, exact)
        # and are read back block by block at the end; clip mode keeps running
        # moments only
        self.kept = SpillStore(limit=_SPILL_LIMIT, dtype=np.float64)
        late = [d for d in self.descriptors if d not in self.local]
        self.late = {d: Moments() for d in late}
        self.late_store = {
            d: SpillStore(limit=_LATE_SPILL_LIMIT, dtype=np.float64)
            for d in (late if keep_frames else ())
        }
        self.late_count = dict.fromkeys(late, 0)
        self.mel_db = SpillStore(limit=_MEL_SPILL_LIMIT)
        self.mel_db_max: np.floating | None = None
        self.chroma: list[np.ndarray] = []

    @property
    def n_samples(self) -> int:
        """Samples received so far."""
        return self.framer.n_samples

    @property
    def peak(self) -> float:
        """Largest absolute sample received so far."""
        return self.framer.peak

    def push(self, y: np.ndarray) -> None:
        """Feed the next piece of the signal."""
        j0, frames = self.framer.push(y)
        self._process(j0, frames, final=False)

    def finish(self) -> EngineOutput:
        """Flush the last frames and compute what needs the whole clip."""
        j0, frames = self.framer.finish()
        self._process(j0, frames, final=True)
        return self._finish()

    # -- per batch ---------------------------------------------------------------
    def _process(self, j0: int, frames: np.ndarray, final: bool) -> None:
        for k in range(0, len(frames), self.block_frames):
            part = frames[k : k + self.block_frames]
            self._batch(j0 + k, part, final)

    def _batch(self, j0: int, frames: np.ndarray, final: bool) -> None:
        S = _dsp.frames_magnitude(frames)
        P = S * S
        mel = _dsp.mel_filterbank(self.sr, self.n_fft) @ P if self.need_mel else None
        chroma = None
        if self.need_chroma:
            chroma = _dsp.normalize(
                _dsp.chroma_filterbank(self.sr, self.n_fft) @ P, norm=np.inf, axis=0
            )
            if self.need_clip_chroma:
                self.chroma.append(chroma)
        if mel is not None and self.need_mel_db:
            raw = 10.0 * np.log10(np.maximum(1e-10, mel))
            top = raw.max() if raw.size else None
            if top is not None:
                self.mel_db_max = (
                    top if self.mel_db_max is None else max(self.mel_db_max, top)
                )
            self.mel_db.append(raw)
        framer = self.framer
        block = Block(
            j0,
            frames,
            S,
            mel,
            self.sr,
            self.n_fft,
            self.hop,
            chroma=chroma,
            edge_frames=lambda: framer.edge_frames(j0, frames, final),
        )
        rows: dict[str, np.ndarray] = {}
        for g in self.groups:
            rows.update(g.block(block))
        if self.local:
            F = np.vstack([np.asarray(rows[n], dtype=np.float64) for n in self.local])
            self.moments.add(F)
            if self.keep:
                self.kept.append(F)
        self._deferred_rows(rows)
        for a in self.shared.values():
            a.update(block)  # type: ignore[attr-defined]

    def _deferred_rows(self, rows: dict[str, np.ndarray] | None) -> None:
        """Hand the next frames of deferred descriptors to their running moments
        (clip mode) or stores (segment mode)."""
        if not rows:
            return
        for name, x in rows.items():
            if name in self.late:
                x = np.asarray(x, dtype=np.float64).reshape(1, -1)
                self.late[name].add(x)
                if self.keep:
                    self.late_store[name].append(x)
                self.late_count[name] += x.shape[1]

    # -- whole clip --------------------------------------------------------------
    def _finish(self) -> EngineOutput:
        n_frames = self.framer.next
        clip = ClipData(
            n_samples=self.framer.n_samples,
            n_frames=n_frames,
            sr=self.sr,
            n_fft=self.n_fft,
            hop_length=self.hop,
            peak=self.framer.peak,
        )
        if self.need_mel_db:
            floor = None if self.mel_db_max is None else self.mel_db_max - 80.0
            for raw in self.mel_db.drain():
                db = raw if floor is None else np.maximum(raw, floor)
                for g in self.mel_users:
                    self._deferred_rows(g.mel_db(db))
        if self.need_clip_chroma:
            clip.chroma = np.concatenate(self.chroma, axis=1)
            self.chroma = []
        for g in self.groups:
            out = g.frames(clip)
            for part in [out] if isinstance(out, dict) else out:
                self._deferred_rows(part)
        for d, n in self.late_count.items():
            if n != n_frames:
                raise RuntimeError(
                    f"feature group bug: {n} frames of {d!r} for a clip of "
                    f"{n_frames} frames"
                )
        late = [d for d in self.descriptors if d not in self.local]
        frames = self._frame_chunks if self.keep else None
        lmean, lstd = self.moments.result(len(self.local))
        by_name = {d: (lmean[i], lstd[i]) for i, d in enumerate(self.local)}
        for d in late:
            m, s = self.late[d].result(1)
            by_name[d] = (m[0], s[0])
        mean = np.array([by_name[d][0] for d in self.descriptors], dtype=float)
        std = np.array([by_name[d][1] for d in self.descriptors], dtype=float)
        extra: dict[str, float] = {}
        if self.clip_values:
            for cls, a in self.shared.items():
                clip.shared[cls] = a.finish(clip)  # type: ignore[attr-defined]
            for g in self.groups:
                extra.update(g.values(clip))
        return EngineOutput(
            list(self.descriptors), mean, std, None, clip, extra, frames
        )

    def _frame_chunks(self) -> Iterator[np.ndarray]:
        """Segment mode: the descriptor matrix in blocks of consecutive frames
        (rows in ``descriptors`` order), read back once from the stores."""
        streams: list[Iterator[np.ndarray]] = []
        order: list[str] = []
        if self.local:
            streams.append(self.kept.drain())
            order += self.local
        for d, store in self.late_store.items():
            streams.append(store.drain())
            order.append(d)
        pos = [order.index(d) for d in self.descriptors]
        for F in align_rows(streams, self.block_frames):
            yield F[pos]
