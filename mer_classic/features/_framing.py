"""Private framing helpers of the block-wise engine: centred STFT framing of a
signal that arrives in pieces, running moments, and a store that spills to disk."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["Framer", "Moments", "SpillStore", "Windowed", "align_rows", "zcr"]


class Moments:
    """Running mean and sum of squared deviations per row (Chan et al. merge)."""

    def __init__(self) -> None:
        self.n = 0
        self.mean: np.ndarray | None = None
        self.m2: np.ndarray | None = None

    def add(self, x: np.ndarray) -> None:
        nb = x.shape[1]
        if nb == 0:
            return
        mb = x.mean(axis=1)
        m2b = np.sum((x - mb[:, None]) ** 2, axis=1)
        if self.mean is None or self.m2 is None:
            self.n, self.mean, self.m2 = nb, mb, m2b
            return
        n = self.n + nb
        d = mb - self.mean
        self.mean = self.mean + d * (nb / n)
        self.m2 = self.m2 + m2b + d * d * (self.n * nb / n)
        self.n = n

    def result(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        if self.mean is None or self.m2 is None or self.n == 0:
            return np.zeros(k), np.zeros(k)
        return self.mean, np.sqrt(np.maximum(self.m2 / self.n, 0.0))


class SpillStore:
    """Append-only list of blocks that moves to a temporary file once it holds
    more than ``limit`` bytes, so long clips keep a bounded footprint.

    Blocks are stored as ``dtype`` (float32 by default; float64 keeps float64
    rows exact)."""

    def __init__(self, limit: int = 16 * 2**20, dtype: Any = np.float32) -> None:
        self.limit = limit
        self.dtype = np.dtype(dtype)
        self.blocks: list[np.ndarray] = []
        self.shapes: list[tuple[int, ...]] = []
        self.nbytes = 0
        self.file: Any = None

    def append(self, x: np.ndarray) -> None:
        x = np.ascontiguousarray(x, dtype=self.dtype)
        self.nbytes += x.nbytes
        if self.file is None and self.nbytes > self.limit:
            self.file = tempfile.TemporaryFile(prefix="mer-classic-")
            for b in self.blocks:
                b.tofile(self.file)
            self.blocks = []
        if self.file is not None:
            x.tofile(self.file)
        else:
            self.blocks.append(x)
        self.shapes.append(x.shape)

    def drain(self) -> Iterator[np.ndarray]:
        """Yield the blocks in order, releasing them."""
        if self.file is None:
            while self.blocks:
                yield self.blocks.pop(0)
            return
        with self.file as f:
            f.seek(0)
            for shape in self.shapes:
                count = int(np.prod(shape))
                yield np.fromfile(f, dtype=self.dtype, count=count).reshape(shape)
        self.file = None
        self.shapes = []


class Windowed:
    """A function of a ±``ctx``-frame neighbourhood, applied to a stream of
    frames (last axis) piece by piece, with the values of one call on the whole.

    ``fn(x)`` maps an array to one of the same length on its last axis, each
    output frame depending on the input frames at most ``ctx`` away, and near the
    two ends of ``x`` on its edge handling (``mode="nearest"``, ``"reflect"``,
    Savitzky-Golay ``"interp"`` ...), which may reach ``2 * ctx + 1`` frames in.
    Frames are emitted once their right context has arrived, from a buffer that
    keeps ``2 * ctx + 1`` frames of left context; the true start and end of the
    stream are always inside the buffer when their edge frames are computed, so
    the result equals ``fn(whole)`` up to float rounding. A stream shorter than
    the buffer is passed to ``fn`` whole.
    """

    def __init__(self, ctx: int, fn: Any) -> None:
        self.ctx, self.fn = ctx, fn
        self.buf: np.ndarray | None = None
        self.b0 = 0  # stream index of buf[..., 0]
        self.done = 0  # frames emitted

    def push(self, x: np.ndarray) -> np.ndarray | None:
        """Add frames; return the next frames of the result (or None)."""
        self.buf = x if self.buf is None else np.concatenate([self.buf, x], axis=-1)
        total = self.b0 + self.buf.shape[-1]
        upto = total - self.ctx  # frames before this have their right context
        if self.buf.shape[-1] < 6 * self.ctx + 2 or upto <= self.done:
            return None
        y = self.fn(self.buf)[..., self.done - self.b0 : upto - self.b0]
        self.done = upto
        keep = self.done - (2 * self.ctx + 1) - self.b0
        if keep > 0:
            self.buf = self.buf[..., keep:]
            self.b0 += keep
        return y

    def finish(self) -> np.ndarray | None:
        """The remaining frames of the result (the stream has ended)."""
        if self.buf is None or self.b0 + self.buf.shape[-1] <= self.done:
            return None
        y = self.fn(self.buf)[..., self.done - self.b0 :]
        self.done = self.b0 + self.buf.shape[-1]
        self.buf = None
        return y


def align_rows(
    streams: list[Iterator[np.ndarray]], chunk: int = 2048
) -> Iterator[np.ndarray]:
    """Stack row streams block by block: each stream yields arrays of shape
    ``(rows_i, n)`` (or ``(n,)``) in frame order with block sizes of its own; the
    result yields ``(sum rows_i, k)`` blocks of consecutive frames, about ``chunk``
    at a time, until the shortest stream ends."""
    pending: list[list[np.ndarray]] = [[] for _ in streams]
    have = [0] * len(streams)
    ended = [False] * len(streams)
    while True:
        for i, it in enumerate(streams):
            while have[i] < chunk and not ended[i]:
                x = next(it, None)
                if x is None:
                    ended[i] = True
                    break
                x = np.atleast_2d(x)
                pending[i].append(x)
                have[i] += x.shape[1]
        k = min(have) if streams else 0
        if k == 0:
            return
        parts = []
        for i in range(len(streams)):
            joined = np.concatenate(pending[i], axis=1)
            parts.append(joined[:, :k])
            pending[i] = [joined[:, k:]]
            have[i] -= k
        yield np.concatenate(parts, axis=0)


class Framer:
    """Centred STFT framing of a signal that arrives in pieces."""

    def __init__(self, n_fft: int, hop: int) -> None:
        self.n_fft, self.hop, self.pad = n_fft, hop, n_fft // 2
        self.buf = np.zeros(self.pad, dtype=np.float32)  # padded-signal samples
        self.buf_start = 0  # padded index of buf[0]
        self.next = 0  # next frame to emit
        self.n_samples = 0
        self.first = 0.0
        self.last = 0.0
        self.peak = 0.0

    def push(self, y: np.ndarray) -> tuple[int, np.ndarray]:
        y = np.asarray(y, dtype=np.float32)
        if len(y):
            if self.n_samples == 0:
                self.first = float(y[0])
            self.last = float(y[-1])
            self.peak = max(self.peak, float(np.max(np.abs(y))))
            self.n_samples += len(y)
            self.buf = np.concatenate([self.buf, y])
        end = self.buf_start + len(self.buf)
        n_ready = (end - self.n_fft) // self.hop + 1 - self.next
        return self._emit(max(n_ready, 0))

    def finish(self) -> tuple[int, np.ndarray]:
        self.buf = np.concatenate([self.buf, np.zeros(self.pad, dtype=np.float32)])
        total = 1 + self.n_samples // self.hop
        return self._emit(max(total - self.next, 0))

    def _emit(self, n: int) -> tuple[int, np.ndarray]:
        j0 = self.next
        off = j0 * self.hop - self.buf_start
        if n <= 0:
            return j0, np.zeros((0, self.n_fft), dtype=np.float32)
        view = np.lib.stride_tricks.sliding_window_view(self.buf[off:], self.n_fft)
        frames = np.array(view[:: self.hop][:n])
        self.next = j0 + n
        cut = self.next * self.hop - self.buf_start
        self.buf = self.buf[cut:].copy()
        self.buf_start += cut
        return j0, frames

    def edge_frames(
        self, j0: int, frames: np.ndarray, final: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """The frames that touch the padding (their row indices), re-padded with
        the edge samples instead of zeros, as the zero-crossing rate pads."""
        n = len(frames)
        starts = (j0 + np.arange(n)) * self.hop  # padded index of each frame start
        end = self.pad + self.n_samples  # padded index where the right padding starts
        touch = (starts < self.pad) | ((starts + self.n_fft > end) if final else False)
        rows = np.flatnonzero(touch)
        sub = frames[rows].copy()
        if rows.size:
            pos = starts[rows, None] + np.arange(self.n_fft)
            sub[pos < self.pad] = self.first
            if final:
                sub[pos >= end] = self.last
        return rows, sub


def zcr(frames: np.ndarray, hop: int | None = None) -> np.ndarray:
    """Zero-crossing rate per frame (``_dsp.zero_crossing_rate`` on given frames).

    With ``hop`` (consecutive frames ``hop`` samples apart), the crossings are
    counted once on the underlying signal and summed per frame.
    """
    n, width = frames.shape
    if hop is None or n < 2 or hop > width:
        sign = np.signbit(np.where(np.abs(frames) <= 1e-10, 0.0, frames))
        return np.count_nonzero(sign[:, 1:] != sign[:, :-1], axis=1) / width
    seg = np.concatenate([frames[:, :hop].reshape(-1), frames[-1, hop:]])
    sign = seg < -1e-10  # = signbit after zeroing |x| <= 1e-10
    c = np.zeros(len(seg) + 1, dtype=np.int64)
    np.cumsum(sign[1:] != sign[:-1], out=c[2:])
    starts = np.arange(n) * hop
    return (c[starts + width] - c[starts + 1]) / width
