"""Temporaries beside their target: their names, creation and stale clean-up.

Every temporary is named ``.<target name>.<pid>-<host>-<random>.tmp`` (files) or
``….tmpdir`` / ``….old`` (folders); :func:`remove_stale_temporaries` removes those
whose owner is known to be gone (see :mod:`mer_classic._io`).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import shutil
import socket
import time
from pathlib import Path

__all__ = ["STALE_AGE", "remove_stale_temporaries"]

#: age (seconds) after which a temporary whose owner cannot be checked is stale
STALE_AGE = 24 * 3600.0

_TAG_RE = r"(?P<pid>\d+)-(?P<host>[0-9a-f]{6})-[0-9a-z]{8}"
#: our temporaries: ``.<name>.<pid>-<host>-<rand>.tmp`` / ``.tmpdir`` / ``.old``
_TEMP_RE = re.compile(rf"^\.(?P<name>.+)\.{_TAG_RE}\.(?:tmp|tmpdir|old)$")
#: temporaries of mer-classic versions before the pid tag (tempfile's 8 characters)
#: (8 random characters with a letter and a digit, so ``.backup.20240101`` is not one)
_LEGACY_RAND = r"(?=[a-z0-9_]*[a-z_])(?=[a-z0-9_]*[0-9])[a-z0-9_]{8}"
_LEGACY_FILE_RE = re.compile(rf"^\.(?P<name>.+)\.{_LEGACY_RAND}\.tmp$")
#: run folders of those versions (``.<name>.XXXXXXXX``, ``.<name>.old.XXXXXXXX``)
_LEGACY_DIR_RE = re.compile(rf"^\.(?P<name>.+)\.(?:old\.)?{_LEGACY_RAND}$")
#: what a legacy temporary run folder holds (it is removed only if it holds one)
_RUN_MARKERS = ("model.joblib", "metrics.json", "run.json", "run")


def _host_tag() -> str:
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]


def _temp_name(target: Path, kind: str) -> Path:
    rand = "".join(
        secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8)
    )
    return target.with_name(f".{target.name}.{os.getpid()}-{_host_tag()}-{rand}.{kind}")


def _create_temp_file(target: Path, mode: int | None) -> Path:
    for _ in range(100):
        tmp = _temp_name(target, "tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # pragma: no cover - 36**8 names
            continue
        try:
            if mode is not None:
                os.fchmod(fd, mode)
        finally:
            os.close(fd)
        return tmp
    raise FileExistsError(  # pragma: no cover
        errno.EEXIST, "no free temporary name", str(target)
    )


def _create_temp_dir(target: Path, kind: str = "tmpdir") -> Path:
    for _ in range(100):
        tmp = _temp_name(target, kind)
        try:
            os.mkdir(tmp, 0o777)  # the umask applies, as for a plain mkdir
        except FileExistsError:  # pragma: no cover
            continue
        return tmp
    raise FileExistsError(  # pragma: no cover
        errno.EEXIST, "no free temporary name", str(target)
    )


def _owner_gone(pid: int, host: str) -> bool | None:
    """True/False when the owner is known to be gone/alive; None when unknowable."""
    if host != _host_tag():
        return None  # another machine sharing the folder: its pids mean nothing here
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    except OSError:  # pragma: no cover - e.g. pid out of range
        return None
    return False


def _age(path: Path, now: float) -> float:
    try:
        return now - path.lstat().st_mtime
    except FileNotFoundError:
        return 0.0


def remove_stale_temporaries(
    folder: str | os.PathLike[str],
    *,
    max_age: float = STALE_AGE,
    legacy: re.Pattern[str] | None = None,
) -> list[Path]:
    """Remove temporaries left in ``folder`` by killed mer-classic processes.

    Only entries with this module's exact naming are considered (see the module
    docstring), never anything else. One is removed when

    - its owning process (pid and host in the name) was on this host and is gone, or
    - its owner cannot be checked (written on another host, or by a mer-classic
      version whose temporaries carried no pid: ``.<name>.XXXXXXXX.tmp`` files and
      ``.<name>.[old.]XXXXXXXX`` folders holding a run's files) and it was last
      modified more than ``max_age`` ago.

    A temporary of a live process (a concurrent run) is always kept.

    Parameters
    ----------
    folder : path
        The folder to clean (not recursive).
    max_age : float, default=STALE_AGE
        Seconds after which a temporary of an uncheckable owner is stale.
    legacy : compiled regex, default=None
        Names (full match) of files that earlier versions of the caller left and
        that only the caller writes (``fetch``'s ``.<track id>.mp3.<random>.tmp``):
        they are removed whatever their age. Call it only when no such writer runs.

    Returns
    -------
    list of Path
        What was removed.
    """
    d = Path(folder)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(d))
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return removed
    now = time.time()
    for entry in entries:
        m = _TEMP_RE.match(entry.name)
        if m is not None:
            gone = _owner_gone(int(m["pid"]), m["host"])
        elif (
            legacy is not None
            and legacy.fullmatch(entry.name)
            and entry.is_file(follow_symlinks=False)
        ):
            gone = True
        elif _LEGACY_FILE_RE.match(entry.name) and entry.is_file(follow_symlinks=False):
            gone = None
        elif (
            _LEGACY_DIR_RE.match(entry.name)
            and entry.is_dir(follow_symlinks=False)
            and any(os.path.lexists(os.path.join(entry.path, m)) for m in _RUN_MARKERS)
        ):
            gone = None
        else:
            continue
        path = Path(entry.path)
        if gone is False or (gone is None and _age(path, now) <= max_age):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:  # removed by a concurrent cleaner, or not ours to remove
            continue
        removed.append(path)
    return removed
