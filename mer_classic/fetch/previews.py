"""Preview download: atomic, verified decodable, never half-written.

A preview is streamed (at most ``max_bytes``, within the session's total
deadline) to a temporary file beside ``audio/<track_id>.mp3``, checked
(complete body, a chain of whole MPEG audio frames up to the end of the file, or
a file soundfile can decode) and only then renamed into place. A truncated or
undecodable download is retried once and then reported, never kept. The writer
refuses any destination outside the audio folder it is given. The temporary files a
killed run left are cleared by :func:`mer_classic._io.remove_stale_temporaries`
(the next ``fetch`` calls it).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from mer_classic._io import atomic_path
from mer_classic.exceptions import AudioError, DataError

__all__ = [
    "PreviewResult",
    "download_preview",
    "verify_audio",
    "mp3_frame_count",
    "LEGACY_TEMPORARY",
    "MAX_PREVIEW_BYTES",
]

logger = logging.getLogger(__name__)

_BITRATES = {
    # (version is MPEG-1, layer) -> kbit/s by index
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_TRAILERS = (b"TAG", b"APETAGEX", b"LYRICSBEGIN")
#: largest preview body accepted (a 30 s preview is well under 1 MB)
MAX_PREVIEW_BYTES = 10_000_000
_CHUNK = 64 * 1024
#: temporary files that :func:`download_preview` of versions before the pid-tagged
#: names of ``mer_classic._io`` left (``.<track_id>.mp3.<random>.tmp``), and nothing
#: else; :func:`mer_classic._io.remove_stale_temporaries` removes them and today's
LEGACY_TEMPORARY = re.compile(r"\.[0-9A-Za-z]{22}\.mp3\.[0-9A-Za-z_]{1,32}\.tmp")


def _frame_length(header: bytes) -> int:
    """Length in bytes of the MPEG audio frame starting with ``header``, or 0."""
    if len(header) < 4 or header[0] != 0xFF or (header[1] & 0xE0) != 0xE0:
        return 0
    version = (header[1] >> 3) & 3  # 0: 2.5, 1: reserved, 2: MPEG-2, 3: MPEG-1
    layer = 4 - ((header[1] >> 1) & 3)  # 4 means reserved
    bitrate_index = header[2] >> 4
    rate_index = (header[2] >> 2) & 3
    padding = (header[2] >> 1) & 1
    if version == 1 or layer == 4 or bitrate_index in (0, 15) or rate_index == 3:
        return 0
    mpeg1 = version == 3
    bitrate = _BITRATES[(mpeg1, layer)][bitrate_index] * 1000
    rate = _RATES[version][rate_index]
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    if layer == 3 and not mpeg1:
        return 72 * bitrate // rate + padding
    return 144 * bitrate // rate + padding


def mp3_frame_count(data: bytes) -> int:
    """Count the MPEG audio frames of ``data``; 0 if it is not a *complete* MP3.

    The frames must follow each other up to the end of the data (an ID3v2 tag
    before and an ID3v1/APE/Lyrics tag after are allowed), so a file cut short
    in the middle of a frame gives 0.

    Examples
    --------
    >>> mp3_frame_count(b"not audio")
    0
    """
    pos = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        size = 0
        for byte in data[6:10]:
            size = (size << 7) | (byte & 0x7F)
        pos = 10 + size + (10 if data[5] & 0x10 else 0)
    frames = 0
    end = len(data)
    while pos < end:
        length = _frame_length(data[pos : pos + 4])
        if length == 0:
            if frames and data[pos:].startswith(_TRAILERS):
                return frames
            return 0
        if pos + length > end:
            return 0  # truncated inside the last frame
        pos += length
        frames += 1
    return frames


def verify_audio(path: str | os.PathLike[str]) -> None:
    """Raise :class:`~mer_classic.exceptions.AudioError` unless ``path`` decodes.

    MP3 data is checked frame by frame (complete frames only); anything else
    must be readable by soundfile with at least one sample.
    """
    path = Path(path)
    data = path.read_bytes()
    if not data:
        raise AudioError(f"{path} is empty")
    if data[:3] == b"ID3" or (data[0] == 0xFF and (data[1] & 0xE0) == 0xE0):
        if mp3_frame_count(data) == 0:
            raise AudioError(f"{path} is not a complete MP3 (truncated or corrupt)")
        return
    import soundfile

    try:
        info = soundfile.info(str(path))
        audio, _ = soundfile.read(str(path), frames=info.frames, dtype="float32")
    except Exception as exc:  # soundfile raises LibsndfileError/RuntimeError
        raise AudioError(f"{path} cannot be decoded: {exc}") from exc
    if info.frames <= 0 or len(audio) < info.frames:
        raise AudioError(f"{path} is truncated ({len(audio)} of {info.frames} frames)")


@dataclass
class PreviewResult:
    """Outcome of one preview download.

    Attributes
    ----------
    status : str
        ``"ok"``, ``"preview_http_<code>"``, ``"preview_truncated"``,
        ``"preview_invalid"`` (not decodable), ``"preview_too_large"`` (over
        ``max_bytes``) or ``"preview_network"`` (network error or total deadline).
    path : Path or None
        Where the file is, when ``status == "ok"``.
    requests : int
        HTTP requests sent.
    """

    status: str
    path: Path | None
    requests: int


def download_preview(
    session: requests.Session,
    url: str,
    dest: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    retries: int = 1,
    backoff_base: float = 1.0,
    timeout: float = 30.0,
    max_bytes: int = MAX_PREVIEW_BYTES,
    sleep: Callable[[float], None] = time.sleep,
) -> PreviewResult:
    """Download ``url`` to ``dest`` atomically if the audio verifies.

    Parameters
    ----------
    session : requests.Session
        Session to download with.
    url : str
        The preview URL.
    dest : path
        Final file path (``audio/<track_id>.mp3``).
    root : path, optional
        The folder ``dest`` must be directly in, once both are resolved (symbolic
        links, ``..``); anything else is refused before any request.
    retries : int, default=1
        Extra attempts after a truncated/undecodable body, a 5xx or a network error.
    backoff_base : float, default=1.0
        Seconds to wait before a retry (doubling).
    timeout : float, default=30
        Seconds to wait for the connection and for each read. The total time of a
        download is bounded by the session's deadline
        (:class:`~mer_classic.fetch.session.CountingSession`).
    max_bytes : int, default=10_000_000
        Largest body accepted. A larger ``Content-Length`` is refused before the
        body is read, and a body without one (or with a false one) is cut off as
        soon as it passes the cap: status ``"preview_too_large"``, nothing kept.
    sleep : callable, default=time.sleep
        How to wait.

    Returns
    -------
    PreviewResult
        Never raises for HTTP or decoding problems: they are reported in ``status``.

    Raises
    ------
    DataError
        If ``dest`` is not directly inside ``root``.
    """
    dest = Path(dest)
    if root is not None:
        folder = Path(root).resolve()
        if dest.suffix != ".mp3" or dest.parent.resolve() != folder:
            raise DataError(
                f"refusing to write a preview to {str(dest)!r}: not a .mp3 file "
                f"directly inside {folder}"
            )
    sent = 0
    status = "preview_invalid"
    for attempt in range(retries + 1):
        if attempt:
            sleep(backoff_base * 2 ** (attempt - 1))
        sent += 1
        scope = getattr(session, "deadline_scope", contextlib.nullcontext)
        try:
            with atomic_path(dest) as tmp:
                with scope():
                    _stream_to(session, url, tmp, timeout=timeout, max_bytes=max_bytes)
                verify_audio(tmp)
            return PreviewResult("ok", dest, sent)
        except _TooLarge as exc:
            status = "preview_too_large"
            logger.warning("preview %s refused: %s", url, exc)
            break
        except _HttpStatus as exc:
            status = f"preview_http_{exc.code}"
            if exc.code < 500:
                break
        except AudioError as exc:
            status = "preview_invalid"
            logger.info("preview %s: %s", url, exc)
        except requests.exceptions.ChunkedEncodingError as exc:
            # the body ended before its Content-Length
            status = "preview_truncated"
            logger.info("preview %s: %s", url, exc)
        except requests.exceptions.RequestException as exc:
            status = "preview_network"
            logger.info("preview %s: %s", url, type(exc).__name__)
    return PreviewResult(status, None, sent)


def _stream_to(
    session: requests.Session, url: str, tmp: Path, *, timeout: float, max_bytes: int
) -> None:
    """Stream the body of ``url`` into ``tmp``, at most ``max_bytes`` of it."""
    with session.get(url, timeout=timeout, stream=True) as response:
        if response.status_code != 200:
            raise _HttpStatus(response.status_code)
        declared = str(response.headers.get("Content-Length") or "").strip()
        if declared.isdigit() and int(declared) > max_bytes:
            raise _TooLarge(
                f"Content-Length {int(declared):,} bytes is more than the "
                f"{max_bytes:,}-byte cap"
            )
        size = 0
        with open(tmp, "wb") as fh:
            for chunk in response.iter_content(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise _TooLarge(
                        f"the body passed the {max_bytes:,}-byte cap (a 30 s "
                        "preview is well under 1 MB)"
                    )
                fh.write(chunk)


class _TooLarge(Exception):
    pass


class _HttpStatus(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code
