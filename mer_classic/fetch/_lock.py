"""One crawl at a time per output folder: ``<out>/.fetch-lock``.

:func:`output_lock` holds an exclusive ``fcntl.flock`` on ``<out>/.fetch-lock``
(which records the holder's pid) for the whole crawl. The kernel drops the lock
when its process dies, however it dies, so a lock file left by a killed run is
*stale*: the next run takes it over and says so. A second crawl on the same folder
while the first runs stops at once with :class:`~mer_classic.exceptions.FetchError`
(``another fetch is running in OUT``), before reading or writing anything.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from mer_classic.exceptions import FetchError

__all__ = ["LOCK_NAME", "output_lock"]

logger = logging.getLogger(__name__)

LOCK_NAME = ".fetch-lock"


def _read_pid(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, 64).decode("ascii", "replace").strip()


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold the crawl lock of the folder ``out`` (which must exist) in the block.

    Raises
    ------
    FetchError
        If another process holds it: ``another fetch is running in OUT (pid N)``.
    """
    path = out / LOCK_NAME
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise FetchError(
                f"another fetch is running in {out}"
                + (f" (pid {holder})" if holder.isdigit() else "")
                + "; wait for it to finish, or use another --out"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        # the holder we waited for may have removed the file: lock the live one
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        stale = _read_pid(fd)
        if stale.isdigit() and int(stale) != os.getpid():
            logger.warning(
                "%s: took over the lock of an earlier fetch (pid %s) that is no "
                "longer running",
                out,
                stale,
            )
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # still holding the lock: nobody else can hold this file
        os.close(fd)
