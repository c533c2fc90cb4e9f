"""CSV text safe for spreadsheets: formula escaping and the CSV writers."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from mer_classic._io._atomic import atomic_path

__all__ = [
    "csv_text",
    "write_csv_atomic",
    "escape_formula",
    "escape_formulas",
    "unescape_formula",
    "unescape_formulas",
]

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
