"""Private audio decoding: soundfile first, librosa/audioread only as a fallback."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

from mer_classic.config import AUDIO_EXTENSIONS
from mer_classic.exceptions import AudioError

__all__ = [
    "AUDIO_EXTENSIONS",
    "check_audio_file",
    "load_audio",
    "mix_to_mono",
    "native_stderr_captured",
]

logger = logging.getLogger(__name__)


_NON_REGULAR = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def check_audio_file(path: str | os.PathLike[str]) -> int:
    """Check that ``path`` is a regular file without opening it; return its size.

    Raises
    ------
    AudioError
        For a missing file, a broken symbolic link or a symbolic-link loop, and for
        anything that is not a regular file (folder, FIFO, socket, device), which
        reading could block on for ever.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        if p.is_symlink():
            raise AudioError(
                f"{p} is a broken symbolic link (its target "
                f"{os.readlink(p)!r} does not exist)"
            ) from None
        raise AudioError(f"file not found: {p}") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise AudioError(
                f"{p} is a symbolic-link loop (it never reaches a file)"
            ) from None
        raise AudioError(f"cannot read {p}: {exc.strerror or exc}") from None
    for test, what in _NON_REGULAR:
        if test(st.st_mode):
            raise AudioError(f"{p} is {what}, not an audio file; not read")
    return int(st.st_size)


class _StderrCapture:
    """One process-wide redirection of fd 2, shared by concurrent users."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.saved: int | None = None
        self.sink: IO[bytes] | None = None

    def enter(self) -> None:
        with self.lock:
            if self.depth == 0:
                try:
                    sys.stderr.flush()
                    sink = tempfile.TemporaryFile()  # noqa: SIM115 - closed in leave()
                    saved = os.dup(2)
                except (OSError, ValueError, AttributeError):
                    pass  # no fd 2 (a daemon): nothing to hide
                else:
                    os.dup2(sink.fileno(), 2)
                    self.sink, self.saved = sink, saved
            self.depth += 1

    def leave(self) -> None:
        noise = ""
        with self.lock:
            self.depth -= 1
            if self.depth == 0 and self.saved is not None and self.sink is not None:
                os.dup2(self.saved, 2)
                os.close(self.saved)
                self.sink.seek(0)
                noise = self.sink.read().decode("utf-8", "replace").strip()
                self.sink.close()
                self.sink = self.saved = None
        if noise:
            logger.debug("native decoder output: %s", noise)


_STDERR = _StderrCapture()


@contextlib.contextmanager
def native_stderr_captured() -> Iterator[None]:
    """Send file descriptor 2 to a temporary file while native decoders run.

    libsndfile's MP3 decoder (libmpg123) writes notes such as "Illegal
    Audio-MPEG-Header" straight to fd 2, below Python's ``sys.stderr``. Inside this
    block they go to a temporary file instead and are logged at DEBUG level; fd 2 is
    restored when the last concurrent user leaves. Threads share one redirection (a
    counter under a lock), so concurrent decodes neither serialise nor restore fd 2
    too early; whatever another thread writes to fd 2 meanwhile is logged the same
    way rather than lost. Our own errors are exceptions, never fd 2 output.
    """
    _STDERR.enter()
    try:
        yield
    finally:
        _STDERR.leave()


def _read_soundfile(
    path: Path, offset: float | None, duration: float | None
) -> tuple[np.ndarray, int]:
    import soundfile as sf

    with sf.SoundFile(str(path)) as f:
        sr = int(f.samplerate)
        start = int(round((offset or 0.0) * sr))
        if start:
            if f.seekable():
                if start >= f.frames > 0:
                    return np.zeros((0, f.channels), dtype=np.float32), sr
                f.seek(start)
            else:  # pragma: no cover - every libsndfile format we use can seek
                f.read(frames=start, dtype="float32")
        frames = int(round(duration * sr)) if duration else -1
        x = f.read(frames=frames, dtype="float32", always_2d=True)
    return x, sr


def _read_fallback(
    path: Path, offset: float | None, duration: float | None
) -> tuple[np.ndarray, int]:
    import warnings

    import librosa

    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # librosa warns before falling back to audioread
        y, sr = librosa.load(
            str(path), sr=None, mono=False, offset=offset or 0.0, duration=duration
        )
    y = np.atleast_2d(y).T  # (n, channels)
    return np.ascontiguousarray(y, dtype=np.float32), int(sr)


#: libsndfile messages that say nothing true about a file it could not decode
_UNHELPFUL = ("not a regular file", "possibly a pipe", "unspecified internal error")


def _undecodable(p: Path, exc: Exception) -> str:
    """The reason for a file that exists but that no decoder could read."""
    fmt = p.suffix.lstrip(".").upper()
    detail = str(exc)
    if detail.startswith("Error opening") and "': " in detail:
        detail = detail.split("': ", 1)[1]
    detail = detail.strip().rstrip(".")
    if any(u in detail.lower() for u in _UNHELPFUL):
        detail = ""
    return (
        f"cannot decode {p.name}: not a decodable audio file (format {fmt} by its "
        "extension; the data is corrupt, truncated or of another format)"
        + (f"; decoder said: {detail}" if detail else "")
    )


def mix_to_mono(x: np.ndarray) -> np.ndarray:
    """Mix ``(n, channels)`` samples down to mono: ``0.5 * (L + R)`` for stereo,
    the channel mean otherwise (shared by whole-file and block-wise decoding)."""
    if x.shape[1] == 2:
        return 0.5 * (x[:, 0] + x[:, 1])
    if x.shape[1] == 1:
        return x[:, 0]
    return x.mean(axis=1)


def load_audio(
    path: str | os.PathLike[str],
    *,
    sr: int = 22050,
    offset: float | None = None,
    duration: float | None = None,
) -> np.ndarray:
    """Decode ``path`` to a mono float32 signal at ``sr`` Hz.

    Stereo is mixed down as ``0.5 * (L + R)``; resampling uses soxr (HQ).

    Raises
    ------
    AudioError
        When the file is missing, unreadable, empty, of an unsupported format,
        cannot be decoded, or holds no samples in the requested span.
    """
    p = Path(path)
    size = check_audio_file(p)
    ext = p.suffix.lower()
    if ext not in AUDIO_EXTENSIONS:
        raise AudioError(
            f"unsupported format {ext or '(no extension)'!r} for {p.name}; "
            f"use one of {', '.join(sorted(AUDIO_EXTENSIONS))}"
        )
    if size == 0:
        raise AudioError(f"{p.name} is empty (0 bytes)")
    if not os.access(p, os.R_OK):
        raise AudioError(f"cannot read {p}: permission denied")
    try:
        with native_stderr_captured():
            x, native_sr = _read_soundfile(p, offset, duration)
    except PermissionError as exc:
        raise AudioError(f"cannot read {p}: permission denied") from exc
    except Exception as exc:  # libsndfile: unknown/corrupt format -> try audioread
        logger.debug("soundfile could not decode %s (%s); trying audioread", p, exc)
        try:
            with native_stderr_captured():
                x, native_sr = _read_fallback(p, offset, duration)
        except Exception as exc2:
            logger.debug("audioread could not decode %s (%r)", p, exc2)
            raise AudioError(_undecodable(p, exc)) from exc2
    if x.shape[0] == 0:
        where = f" after offset {offset} s" if offset else ""
        raise AudioError(f"{p.name} holds no audio samples{where} (zero-length)")
    y = mix_to_mono(x)
    if not np.all(np.isfinite(y)):
        raise AudioError(f"{p.name} contains NaN or infinite samples")
    if native_sr != sr:
        import soxr

        y = soxr.resample(y, native_sr, sr, quality="HQ")
    return np.ascontiguousarray(y, dtype=np.float32)
