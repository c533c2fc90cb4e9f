"""Private audio decoding: soundfile first, librosa/audioread only as a fallback."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from mer_classic.exceptions import AudioError

__all__ = ["AUDIO_EXTENSIONS", "load_audio"]

logger = logging.getLogger(__name__)

#: File extensions treated as audio (folder discovery and the format check).
AUDIO_EXTENSIONS: frozenset[str] = frozenset(
    {".wav", ".mp3", ".ogg", ".oga", ".flac", ".aif", ".aiff", ".opus", ".m4a"}
)


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
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise AudioError(f"file not found: {p}") from None
    except OSError as exc:
        raise AudioError(f"cannot read {p}: {exc.strerror or exc}") from None
    if p.is_dir():
        raise AudioError(f"{p} is a folder, not an audio file")
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
        x, native_sr = _read_soundfile(p, offset, duration)
    except PermissionError as exc:
        raise AudioError(f"cannot read {p}: permission denied") from exc
    except Exception as exc:  # libsndfile: unknown/corrupt format -> try audioread
        logger.debug("soundfile could not decode %s (%s); trying audioread", p, exc)
        try:
            x, native_sr = _read_fallback(p, offset, duration)
        except Exception as exc2:
            raise AudioError(
                f"cannot decode {p.name}: corrupt or unsupported audio "
                f"(soundfile: {exc}; audioread: {type(exc2).__name__})"
            ) from exc2
    if x.shape[0] == 0:
        where = f" after offset {offset} s" if offset else ""
        raise AudioError(f"{p.name} holds no audio samples{where} (zero-length)")
    if x.shape[1] == 2:
        y = 0.5 * (x[:, 0] + x[:, 1])
    elif x.shape[1] == 1:
        y = x[:, 0]
    else:
        y = x.mean(axis=1)
    if not np.all(np.isfinite(y)):
        raise AudioError(f"{p.name} contains NaN or infinite samples")
    if native_sr != sr:
        import soxr

        y = soxr.resample(y, native_sr, sr, quality="HQ")
    return np.ascontiguousarray(y, dtype=np.float32)
