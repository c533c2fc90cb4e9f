"""Atomic writes: a temporary beside the target, renamed onto it on success.

Also the checks every command makes before any work (:func:`refuse_existing`,
:func:`check_writable`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from mer_classic._io._temporaries import (
    _create_temp_dir,
    _create_temp_file,
    _temp_name,
    remove_stale_temporaries,
)
from mer_classic.exceptions import ConfigError, NoSpaceError

__all__ = [
    "atomic_path",
    "atomic_open",
    "atomic_dir",
    "write_text_atomic",
    "refuse_existing",
    "check_writable",
]


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike[str], *, mode: int | None = None
) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On any exception the temporary file is removed and ``path`` is untouched. The
    file gets the mode a plain ``open()`` would give (the umask applies) unless
    ``mode`` is given (e.g. ``0o600`` for a secret).
    """
    target = Path(path)
    with _no_space_error(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = _create_temp_file(target, mode)
    try:
        with _no_space_error(target):
            yield tmp_path
            os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


@contextlib.contextmanager
def _no_space_error(target: Path) -> Iterator[None]:
    """Turn a full disk (``ENOSPC``) while writing ``target`` into a NoSpaceError.

    The error names ``target`` (not the temporary) and says nothing was replaced,
    which holds because the temporary is removed and the rename never happened.
    """

    try:
        yield
    except NoSpaceError as exc:
        if exc.filename == str(target):
            raise
        raise NoSpaceError(target) from exc
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        raise NoSpaceError(target) from exc


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike[str],
    mode: str = "w",
    *,
    file_mode: int | None = None,
    **kwargs: Any,
) -> Iterator[IO[Any]]:
    """Open a temporary file for writing and move it onto ``path`` when closed cleanly.

    ``file_mode`` sets the permission bits (default: what ``open()`` gives).
    """
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
    with atomic_path(path, mode=file_mode) as tmp, open(tmp, mode, **kwargs) as fh:
        yield fh


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically and return the path."""
    with atomic_open(path, "w", newline="") as fh:
        fh.write(text)
    return Path(path)


def refuse_existing(*paths: str | os.PathLike[str], force: bool = False) -> None:
    """Raise a ConfigError naming the outputs that exist already, unless ``force``.

    Every command calls this before any work, so a refused run costs nothing and
    leaves the existing outputs untouched.
    """

    if force:
        return
    existing = [str(p) for p in paths if Path(p).exists()]
    if existing:
        what = "already exists" if len(existing) == 1 else "already exist"
        raise ConfigError(
            f"{', '.join(map(repr, existing))} {what}; choose another --out or pass "
            "--force to replace it"
        )


def check_writable(path: str | os.PathLike[str]) -> None:
    """Raise a ConfigError unless ``path`` (a file or folder to write) can be created.

    Checks the nearest existing folder above ``path``: it must be a folder this user
    may write into (``os.access``, which honours ACLs and read-only mounts). Call it
    before any long work, so a run never fails at its last step.
    """

    target = Path(path).absolute()
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigError(
            f"cannot write {str(path)!r}: {str(parent)!r} is a file, not a folder; "
            "choose another output path"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(
            f"cannot write {str(path)!r}: this user has no write permission in "
            f"{str(parent)!r}; choose another output path or fix the folder's permissions"
        )
    if target.is_dir() and not os.access(target, os.W_OK | os.X_OK):
        raise ConfigError(
            f"cannot write into {str(path)!r}: this user has no write permission "
            "there; choose another output path or fix the folder's permissions"
        )


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str], *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``path`` that becomes ``path`` on success.

    The final step is a rename onto a name that must not exist: when ``path`` appeared
    while the block ran (a concurrent run), a ConfigError is raised and nothing is
    replaced, unless ``force``. With ``force`` an existing ``path`` is moved aside,
    the new folder renamed in, and the old one removed. On any exception the
    temporary folder is removed. Stale temporaries of killed runs beside ``path``
    are cleaned first (:func:`remove_stale_temporaries`).
    """

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target.parent)
    with _no_space_error(target):
        tmp = _create_temp_dir(target)
    try:
        with _no_space_error(target):
            yield tmp
        aside = None
        if force and target.exists():
            aside = _temp_name(target, "old")
            os.rename(target, aside)
        try:
            if target.exists():  # an empty folder would be replaced silently
                raise FileExistsError(errno.EEXIST, "exists", str(target))
            os.rename(tmp, target)
        except OSError as exc:
            if aside is not None and not target.exists():
                os.rename(aside, target)
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR):
                raise
            raise ConfigError(
                f"{str(target)!r} appeared while this run was working (another run "
                "wrote it); nothing was replaced and this run's output was discarded. "
                "Choose another --out, or pass --force to replace it"
            ) from exc
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
