"""Prediction tables as CSV or JSON records: the one table writer of the commands."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from mer_classic._io import csv_text, write_csv_atomic, write_text_atomic
from mer_classic.exceptions import ParameterError

__all__ = ["DIGITS", "FORMATS", "check_format", "table_text", "write_table"]

#: output formats of the prediction commands
FORMATS = ("csv", "json")
#: decimals of every float in a prediction table (probabilities, values), the same in
#: CSV and JSON (pandas would write 17 significant digits to CSV and 10 to JSON)
DIGITS = 6


def _rounded(df: pd.DataFrame) -> pd.DataFrame:
    floats = df.select_dtypes("floating").columns
    return (
        df.assign(**{str(c): df[c].round(DIGITS) for c in floats})
        if len(floats)
        else df
    )


def check_format(fmt: str) -> None:
    """Raise ParameterError unless ``fmt`` is one of :data:`FORMATS`."""
    if fmt not in FORMATS:
        raise ParameterError(f"fmt must be 'csv' or 'json'; got {fmt!r}")


def table_text(df: pd.DataFrame, fmt: str) -> str:
    """``df`` (index included) as CSV text or as indented JSON records (no newline).

    CSV text cells that a spreadsheet would run as formulas get a leading ``'``
    (:func:`mer_classic._io.csv_text`); JSON is written as it is.
    """
    check_format(fmt)
    df = _rounded(df)
    if fmt == "json":
        return df.reset_index().to_json(
            orient="records", indent=2, double_precision=DIGITS
        )
    return csv_text(df)


def write_table(df: pd.DataFrame, path: str | os.PathLike[str], fmt: str) -> Path:
    """Write ``df`` (index included) as CSV or as JSON records, atomically."""
    check_format(fmt)
    if fmt == "json":
        return write_text_atomic(path, table_text(df, fmt) + "\n")
    return write_csv_atomic(_rounded(df), path)
