"""Private block-wise decoding: a long file is read, mixed down and resampled in
blocks, so memory does not grow with its duration.

Only files that libsndfile opens are streamed. Anything else (another decoder,
a missing or odd file, NaN samples, an empty span) is handed to
:func:`~mer_classic.features._decode.load_audio`, which decodes the whole file or
raises its usual :class:`~mer_classic.exceptions.AudioError`, so the messages stay
those of one place. The blocks concatenate to exactly what ``load_audio`` returns
(soxr's stream resampler equals its one-shot resampler).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from mer_classic.exceptions import AudioError
from mer_classic.features._decode import (
    AUDIO_EXTENSIONS,
    _undecodable,
    load_audio,
    mix_to_mono,
    native_stderr_captured,
)

__all__ = ["iter_audio", "DEFAULT_BLOCK_SECONDS"]

#: Seconds of native-rate audio decoded per block.
DEFAULT_BLOCK_SECONDS = 30.0


def _whole(
    p: Path, sr: int, offset: float | None, duration: float | None, block: float
) -> Iterator[np.ndarray]:
    """The whole-file decoder's signal (or its error), cut into blocks."""
    y = load_audio(p, sr=sr, offset=offset, duration=duration)
    size = max(int(block * sr), 1)
    for i in range(0, len(y), size):
        yield y[i : i + size]


def _native(p: Path, call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one libsndfile call with fd 2 captured; its failure is an AudioError.

    A stream damaged in the middle (junk between MP3 frames) opens fine and then
    fails in a read with libsndfile's "Unspecified internal error", after libmpg123
    printed "Illegal Audio-MPEG-Header" / "Giving up resync" lines to fd 2. Both
    stay off the terminal: the lines are captured (logged at DEBUG) and the error
    becomes the decoder's usual "not a decodable audio file" reason. fd 2 is
    restored between calls, so nothing else is hidden while blocks are processed.
    """
    try:
        with native_stderr_captured():
            return call(*args, **kwargs)
    except Exception as exc:
        raise AudioError(_undecodable(p, exc)) from exc


def _streamable(p: Path) -> bool:
    try:
        return (
            p.is_file()
            and p.suffix.lower() in AUDIO_EXTENSIONS
            and p.stat().st_size > 0
            and os.access(p, os.R_OK)
        )
    except OSError:
        return False


def iter_audio(
    path: str | os.PathLike[str],
    *,
    sr: int = 22050,
    offset: float | None = None,
    duration: float | None = None,
    block_seconds: float = DEFAULT_BLOCK_SECONDS,
) -> Iterator[np.ndarray]:
    """Yield a file's mono float32 signal at ``sr`` Hz in consecutive blocks.

    Parameters
    ----------
    path : path-like
        Audio file.
    sr : int, default=22050
        Output sample rate (soxr HQ resampling, as :func:`load_audio`).
    offset, duration : float or None, default=None
        Span to read, in seconds.
    block_seconds : float, default=30.0
        Native-rate seconds decoded per block.

    Yields
    ------
    ndarray of float32
        Consecutive pieces of the signal (some may be empty).

    Raises
    ------
    AudioError
        As :func:`load_audio`, for files that cannot be used.
    """
    p = Path(path)
    f = None
    if _streamable(p):
        import soundfile as sf

        try:
            with native_stderr_captured():  # libmpg123 notes go to fd 2
                f = sf.SoundFile(str(p))
        except Exception:
            f = None
    if f is None or not f.seekable():
        if f is not None:
            f.close()
        yield from _whole(p, sr, offset, duration, block_seconds)
        return
    with f:
        native = int(f.samplerate)
        start = int(round((offset or 0.0) * native))
        left = int(round(duration * native)) if duration else -1
        if start >= f.frames > 0 or left == 0:
            f.close()
            yield from _whole(p, sr, offset, duration, block_seconds)  # raises
            return
        if start:
            _native(p, f.seek, start)
        rs = None
        if native != sr:
            import soxr

            rs = soxr.ResampleStream(native, sr, 1, dtype="float32", quality="HQ")
        size = max(int(block_seconds * native), 1)
        n_read = 0
        while left != 0:
            n = size if left < 0 else min(size, left)
            x = _native(p, f.read, frames=n, dtype="float32", always_2d=True)
            if x.shape[0] == 0:
                break
            n_read += x.shape[0]
            if left > 0:
                left -= x.shape[0]
            y = mix_to_mono(x)
            del x
            if not np.all(np.isfinite(y)):
                f.close()
                load_audio(p, sr=sr, offset=offset, duration=duration)  # raises
                raise AudioError(f"{p.name} contains NaN or infinite samples")
            if rs is not None:
                y = rs.resample_chunk(y, last=False)
            yield np.ascontiguousarray(y, dtype=np.float32)
        if n_read == 0:
            f.close()
            load_audio(p, sr=sr, offset=offset, duration=duration)  # raises
            return
        if rs is not None:
            tail = rs.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
            yield np.ascontiguousarray(tail, dtype=np.float32)
