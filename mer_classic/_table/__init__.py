"""Feature tables: read a CSV (or DataFrame) into features, targets and groups.

This is the single entry point from "a table on disk" to "arrays a model can
fit": it validates the columns, removes duplicate rows (with a note), drops
constant and non-numeric columns (with a note) and refuses what cannot be used
(missing targets, infinite values, a single class) with a message that says what
to do.

- ``_read``: reading CSV files (:func:`read_csv`, :func:`csv_path`,
  :func:`csv_errors`, :func:`checked_read`: delimiter hints, duplicate column
  names, formula unescaping) and :func:`fingerprint`;
- ``_load``: :class:`Table`, :func:`load_table` and its column/row checks;
- ``_columns``: the feature, target and group columns (:func:`groups_or_own`).
"""

from __future__ import annotations

from mer_classic._table._load import Table, load_table
from mer_classic._table._read import fingerprint, read_csv

__all__ = [
    "Table",
    "load_table",
    "read_csv",
    "fingerprint",
]
