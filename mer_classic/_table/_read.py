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
import logging
import os
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_classic._io import unescape_formulas
from mer_classic.exceptions import DataError

__all__ = [
    "csv_path",
    "csv_errors",
    "checked_read",
    "read_csv",
    "drop_saved_index",
    "fingerprint",
    "ID_COLUMNS",
]

logger = logging.getLogger(__name__)

#: columns always read as text (ids such as ``007`` or ``1e5`` keep their spelling)
ID_COLUMNS = ("track_id",)

#: the name pandas gives a column whose header cell is empty
_UNNAMED_FIRST = "Unnamed: 0"


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
    text_columns: Sequence[str | None] = (),
    notes: list[str] | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """Read a CSV file with clear errors for a missing, empty or unreadable file.

    ``what`` names the file in messages; ``kwargs`` go to :func:`pandas.read_csv`.
    The table is checked by :func:`checked_read` (duplicate column names, a ``;``
    separator, our spreadsheet escaping). ``track_id`` and the ``text_columns``
    (id and group columns) are read as text, so ``007``, ``0123`` or ``1e5`` keep
    their spelling. A saved pandas index is dropped (:func:`drop_saved_index`);
    its note goes to ``notes`` when given, else to the log as a warning.
    """
    p = csv_path(path, what=what, missing_hint=missing_hint)
    dtype = kwargs.pop("dtype", None)
    if dtype is None or isinstance(dtype, dict):
        text = {c: str for c in (*ID_COLUMNS, *text_columns) if c is not None}
        dtype = {**text, **(dtype or {})}
    with csv_errors(p, what=what):
        df = pd.read_csv(p, dtype=dtype, **kwargs)
    df = checked_read(df, p, what=what)
    if df.empty:
        raise DataError(f"{what} {str(p)!r} has a header but no rows")
    df, note = drop_saved_index(df, f"{what} {str(p)!r}")
    if note is not None:
        if notes is None:
            logger.warning("%s", note)
        else:
            notes.append(note)
    return df


def drop_saved_index(
    df: pd.DataFrame, source: str = "the table"
) -> tuple[pd.DataFrame, str | None]:
    """Drop a pandas index saved as the table's first column; return a note.

    ``DataFrame.to_csv`` without ``index=False`` writes the row numbers as a first
    column with an empty header, which pandas reads back as ``Unnamed: 0``. Used
    as a feature it can predict the label perfectly when the rows were sorted by
    label, so it is removed when it holds distinct integers (a row number). A
    numeric first column with no name that is not a row number is refused: it
    cannot be told apart from a feature. A text one (ids saved as an unnamed index)
    is kept.

    Examples
    --------
    >>> df = pd.DataFrame({"Unnamed: 0": [0, 1, 2], "f1": [0.5, 0.1, 0.2]})
    >>> out, note = drop_saved_index(df)
    >>> list(out.columns), note.split(":")[0]
    (['f1'], 'dropped the first column of the table')
    """
    if df.shape[1] == 0 or str(df.columns[0]) != _UNNAMED_FIRST:
        return df, None
    col = df.iloc[:, 0]
    if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return df, None
    values = col.to_numpy(dtype=float, na_value=np.nan)
    counts_rows = bool(
        np.isfinite(values).all()
        and (values == np.round(values)).all()
        and col.is_unique
    )
    if not counts_rows:
        raise DataError(
            f"the first column of {source} has no name (empty header cell) and holds "
            f"numbers such as {col.iloc[0]!r} that are not row numbers; it would be "
            "used as a feature. Give it a name in the header, or remove it "
            "(a pandas index is saved like this: write with to_csv(..., index=False))"
        )
    note = (
        f"dropped the first column of {source}: it has no name and counts rows "
        f"({int(values.min())} to {int(values.max())}), a pandas index saved with "
        "the table (write it with to_csv(..., index=False))"
    )
    return df.iloc[:, 1:].copy(), note


def fingerprint(df: pd.DataFrame) -> str:
    """Return a sha256 of a DataFrame's values and column names (order-sensitive)."""
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, df.columns)).encode())
    h.update(pd.util.hash_pandas_object(df, index=True).values.tobytes())
    return h.hexdigest()
