"""Reading CSV tables: clear errors for missing, empty or unparsable files.

The one path from a CSV on disk to a DataFrame: :func:`read_csv` (via
:func:`csv_path`, :func:`csv_errors`) and :func:`checked_read`, which refuses
duplicate column names and ``;``/tab-separated files and undoes our spreadsheet
escaping (:func:`mer_classic._io.unescape_formulas`).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from mer_classic._io import unescape_formulas
from mer_classic.exceptions import DataError

__all__ = ["csv_path", "csv_errors", "checked_read", "read_csv", "fingerprint"]


def csv_path(
    path: str | os.PathLike[str],
    *,
    what: str = "data file",
    missing_hint: str = "check the path",
) -> Path:
    """``path`` as a Path, or a DataError when it is missing or a folder."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"{what} {str(p)!r} does not exist; {missing_hint}")
    if p.is_dir():
        raise DataError(f"{str(p)!r} is a folder; pass a CSV file (e.g. features.csv)")
    return p


@contextlib.contextmanager
def csv_errors(p: Path, *, what: str = "data file") -> Iterator[None]:
    """Turn pandas' errors for an empty or unparsable CSV into a DataError."""
    try:
        yield
    except pd.errors.EmptyDataError as exc:
        raise DataError(
            f"{what} {str(p)!r} is empty; it needs a header and rows"
        ) from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(
            f"cannot parse {what} {str(p)!r} as CSV: {str(exc).strip()}"
            f"{_delimiter_hint(p)}"
        ) from exc


def _delimiter_hint(p: Path) -> str:
    """A hint when the first line of ``p`` is separated by ``;`` or tabs, else ''."""
    try:
        with open(p, encoding="utf-8", errors="replace") as fh:
            first = fh.readline(65536)
    except OSError:  # pragma: no cover - it was just read
        return ""
    for sep, name in ((";", "semicolon"), ("\t", "tab")):
        if first.count(sep) > first.count(","):
            return (
                f". It looks {name}-separated (header {first.strip()[:60]!r}); "
                "mer-classic reads comma-separated files: save it with commas, e.g. "
                f"pandas.read_csv(path, sep={sep!r}).to_csv(new_path, index=False)"
            )
    return ""


_RENAMED = re.compile(r"(?P<base>.+)\.\d+")


def _duplicate_columns(df: pd.DataFrame, p: Path | None) -> list[str]:
    """Column names that occur more than once in ``df`` or in the header of ``p``.

    pandas renames a repeated ``x`` to ``x.1`` while reading; the file's own header
    is read only when such a name is present.
    """
    names = [str(c) for c in df.columns]
    dups = [c for c, n in Counter(names).items() if n > 1]
    renamed = any((m := _RENAMED.fullmatch(c)) and m["base"] in names for c in names)
    if p is not None and renamed:
        with open(p, newline="", encoding="utf-8", errors="replace") as fh:
            header = next(csv.reader(fh), [])
        dups += [c for c, n in Counter(header).items() if n > 1 and c not in dups]
    return dups


def checked_read(
    df: pd.DataFrame, p: Path | None = None, *, what: str = "data file"
) -> pd.DataFrame:
    """Check a table just read from ``p`` and undo our spreadsheet escaping.

    Refuses duplicate column names (naming them) and a file that has a single
    column because it is separated by ``;`` or tabs; text cells written with a
    leading ``'`` by mer-classic get their value back
    (:func:`mer_classic._io.unescape_formulas`). Every reader of tables applies it.
    """
    source = f"{what} {str(p)!r}" if p is not None else what
    if p is not None and df.shape[1] == 1:
        hint = _delimiter_hint(p)
        if hint:
            raise DataError(f"{source} has a single column{hint}")
    _refuse_duplicates(df, p, source)
    return unescape_formulas(df)


def _refuse_duplicates(df: pd.DataFrame, p: Path | None, source: str) -> None:
    dups = _duplicate_columns(df, p)
    if dups:
        raise DataError(
            f"{source} has duplicate column name(s) {', '.join(map(repr, dups[:10]))}; "
            "each column needs its own name (rename or drop the copies)"
        )


def read_csv(
    path: str | os.PathLike[str],
    *,
    what: str = "data file",
    missing_hint: str = "check the path",
    **kwargs: Any,
) -> pd.DataFrame:
    """Read a CSV file with clear errors for a missing, empty or unreadable file.

    ``what`` names the file in messages; ``kwargs`` go to :func:`pandas.read_csv`.
    The table is checked by :func:`checked_read` (duplicate column names, a ``;``
    separator, our spreadsheet escaping).
    """
    p = csv_path(path, what=what, missing_hint=missing_hint)
    with csv_errors(p, what=what):
        df = pd.read_csv(p, **kwargs)
    df = checked_read(df, p, what=what)
    if df.empty:
        raise DataError(f"{what} {str(p)!r} has a header but no rows")
    return df


def fingerprint(df: pd.DataFrame) -> str:
    """Return a sha256 of a DataFrame's values and column names (order-sensitive)."""
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, df.columns)).encode())
    h.update(pd.util.hash_pandas_object(df, index=True).values.tobytes())
    return h.hexdigest()
