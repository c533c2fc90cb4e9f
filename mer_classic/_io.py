"""Private file helpers: atomic writes, so nothing already written is ever half-overwritten.

Temporary names
---------------
Every temporary this module creates sits beside its target and is named
``.<target name>.<pid>-<host>-<random>.tmp`` (files) or ``….tmpdir`` (folders;
``….old`` for a folder moved aside by ``--force``), where ``<pid>`` is the writing
process and ``<host>`` six hex digits of a hash of its host name. A process killed
mid-write (SIGKILL, power loss) leaves such an entry behind;
:func:`remove_stale_temporaries` removes those whose owner is known to be gone.

Spreadsheet formulas
--------------------
Every CSV mer-classic writes goes through :func:`write_csv_atomic`, :func:`csv_text`
or (cell by cell) :func:`escape_formula`: a text cell (values, index, column
names) that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
a leading ``'``, so a spreadsheet shows it as text instead of running it as a
formula (OWASP "CSV injection"). Numbers, and text that is a plain number such as
``-3``, are written unchanged. A cell that starts with quotes before such a
character gets one more quote, so :func:`unescape_formulas` (which every reader of
our tables applies) restores exactly what was written.

Modes
-----
Temporary files are created with ``os.open(..., 0o666)`` and folders with
``os.mkdir(..., 0o777)``, so the kernel applies the current umask exactly as for a
plain ``open()``/``mkdir`` (``tempfile.mkstemp``/``mkdtemp`` would give 0600/0700).
A replaced file gets the mode a newly created file would get. Pass ``mode=`` for a
file that must stay private (the Spotify token cache uses 0600).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

__all__ = [
    "atomic_path",
    "atomic_open",
    "atomic_dir",
    "write_text_atomic",
    "write_csv_atomic",
    "csv_text",
    "escape_formula",
    "escape_formulas",
    "unescape_formula",
    "unescape_formulas",
    "refuse_existing",
    "json_text",
    "check_writable",
    "remove_stale_temporaries",
    "STALE_AGE",
]

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
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = _create_temp_file(target, mode)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


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


#: text a spreadsheet runs as a formula (after any quotes already added)
_FORMULA_RE = re.compile(r"'*[=+\-@\t\r]")
#: text that is just a number (``-3``, ``+0.5``, ``-1e-3``): written unchanged
_NUMBER_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def escape_formula(value: Any) -> Any:
    """``value`` with a leading ``'`` when a spreadsheet would run it as a formula.

    Examples
    --------
    >>> escape_formula("=1+1"), escape_formula("-3"), escape_formula(-3)
    ("'=1+1", '-3', -3)
    >>> escape_formula("'=1"), escape_formula("sad")
    ("''=1", 'sad')
    """
    if (
        isinstance(value, str)
        and _FORMULA_RE.match(value)
        and not _NUMBER_RE.fullmatch(value)
    ):
        return "'" + value
    return value


def unescape_formula(value: Any) -> Any:
    """Undo :func:`escape_formula`: drop the ``'`` it added (other values unchanged).

    Examples
    --------
    >>> unescape_formula("'=1+1"), unescape_formula("''=1"), unescape_formula("'tis")
    ('=1+1', "'=1", "'tis")
    """
    if (
        isinstance(value, str)
        and value.startswith("'")
        and _FORMULA_RE.match(value, 1)
        and not _NUMBER_RE.fullmatch(value, 1)
    ):
        return value[1:]
    return value


def _map_text(df: Any, fn: Any, needed: Any) -> Any:
    """``df`` with ``fn`` applied to its text cells, index and column names."""
    import pandas as pd

    def text(values: Any) -> bool:
        return bool(
            pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)
        )

    def labels(idx: pd.Index) -> pd.Index:
        if isinstance(idx, pd.MultiIndex):
            return idx.set_levels([labels(lvl) for lvl in idx.levels])
        if text(idx) and needed(idx):
            return idx.map(fn)
        return idx

    out = None
    for i, (_, col) in enumerate(df.items()):
        if isinstance(col.dtype, pd.CategoricalDtype):
            if text(col.cat.categories) and needed(col.cat.categories):
                out = df.copy() if out is None else out
                out.isetitem(i, col.cat.rename_categories(fn))
        elif text(col) and needed(col):
            out = df.copy() if out is None else out
            out.isetitem(i, col.map(fn))
    out = df if out is None else out
    index, columns = labels(out.index), labels(out.columns)
    if index is not out.index or columns is not out.columns:
        out = out.copy() if out is df else out
        out.index, out.columns = index, columns
    names = [fn(n) for n in out.index.names]
    if names != list(out.index.names):
        out = out.copy() if out is df else out
        out.index.names = names
    return out


def _any_formula(values: Any) -> bool:
    return any(escape_formula(v) is not v for v in values)


def _any_quoted(values: Any) -> bool:
    return any(isinstance(v, str) and v.startswith("'") for v in values)


def escape_formulas(df: Any) -> Any:
    """A copy of ``df`` with :func:`escape_formula` applied to every text cell.

    Cells of the index and the column names are text cells too; numeric columns are
    never touched. ``df`` itself is returned when nothing needs a quote.
    """
    return _map_text(df, escape_formula, _any_formula)


def unescape_formulas(df: Any) -> Any:
    """Undo :func:`escape_formulas` on a table read back from one of our CSVs.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"label": ["=1+1", "'@x", "-3", "sad"], "v": [1, 2, 3, 4]})
    >>> unescape_formulas(escape_formulas(df)).equals(df)
    True
    >>> escape_formulas(df)["label"].tolist()
    ["'=1+1", "''@x", '-3', 'sad']
    """
    return _map_text(df, unescape_formula, _any_quoted)


def csv_text(df: Any, **kwargs: Any) -> str:
    """``df`` as CSV text, text cells escaped (``kwargs`` go to ``DataFrame.to_csv``)."""
    return escape_formulas(df).to_csv(**kwargs)


def write_csv_atomic(df: Any, path: str | os.PathLike[str], **kwargs: Any) -> Path:
    """Write a DataFrame to CSV atomically (``kwargs`` go to ``DataFrame.to_csv``).

    Text cells that a spreadsheet would run as formulas are escaped (see the
    module docstring).
    """
    with atomic_path(path) as tmp:
        escape_formulas(df).to_csv(tmp, **kwargs)
    return Path(path)


def refuse_existing(*paths: str | os.PathLike[str], force: bool = False) -> None:
    """Raise a ConfigError naming the outputs that exist already, unless ``force``.

    Every command calls this before any work, so a refused run costs nothing and
    leaves the existing outputs untouched.
    """
    from mer_classic.exceptions import ConfigError

    if force:
        return
    existing = [str(p) for p in paths if Path(p).exists()]
    if existing:
        what = "already exists" if len(existing) == 1 else "already exist"
        raise ConfigError(
            f"{', '.join(map(repr, existing))} {what}; choose another --out or pass "
            "--force to replace it"
        )


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer | np.floating):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)  # paths, estimators and other objects: their text


def json_text(obj: Any) -> str:
    """``obj`` as indented JSON text ending in a newline: the one JSON encoder.

    Every JSON file mer-classic writes (``metrics.json``, ``run.json``, ``model.json``,
    the dynamic run's files) goes through this. numpy scalars and arrays become
    numbers and lists, anything else unknown (paths, estimators) its ``str``.
    Non-finite floats are written as Python's ``json`` writes them, ``NaN`` and
    ``Infinity``, so a metric that is undefined reads back as a float ``nan``, not
    as ``None``.

    Examples
    --------
    >>> print(json_text({"r": float("nan"), "n": np.int64(3)}), end="")
    {
      "r": NaN,
      "n": 3
    }
    """
    return json.dumps(obj, indent=2, default=_json_default, allow_nan=True) + "\n"


def check_writable(path: str | os.PathLike[str]) -> None:
    """Raise a ConfigError unless ``path`` (a file or folder to write) can be created.

    Checks the nearest existing folder above ``path``: it must be a folder this user
    may write into (``os.access``, which honours ACLs and read-only mounts). Call it
    before any long work, so a run never fails at its last step.
    """
    from mer_classic.exceptions import ConfigError

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
        except FileNotFoundError:  # removed by a concurrent cleaner
            continue
        except OSError:
            continue
        removed.append(path)
    return removed


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
    from mer_classic.exceptions import ConfigError

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target.parent)
    tmp = _create_temp_dir(target)
    try:
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
