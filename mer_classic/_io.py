"""Private file helpers: atomic writes, so nothing already written is ever half-overwritten."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

__all__ = [
    "atomic_path",
    "atomic_open",
    "write_text_atomic",
    "write_csv_atomic",
    "refuse_existing",
    "json_text",
]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On any exception the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike[str], mode: str = "w", **kwargs: Any
) -> Iterator[IO[Any]]:
    """Open a temporary file for writing and move it onto ``path`` when closed cleanly."""
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as fh:
        yield fh


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically and return the path."""
    with atomic_open(path, "w", newline="") as fh:
        fh.write(text)
    return Path(path)


def write_csv_atomic(df: Any, path: str | os.PathLike[str], **kwargs: Any) -> Path:
    """Write a DataFrame to CSV atomically (``kwargs`` go to ``DataFrame.to_csv``)."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, **kwargs)
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
