"""The run folder's file names and readers: the bottom of :mod:`mer_classic.report`.

Everything else in the package (and outside it) takes a run folder's file names from
here and reads its JSON and CSV files through these functions, so nothing imports
upward to learn where a file is.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_classic._io import unescape_formulas
from mer_classic.exceptions import DataError

__all__ = [
    "METRICS_FILE",
    "RUN_FILE",
    "PREDICTIONS_FILE",
    "REPORT_FILE",
    "HTML_FILE",
    "IMPORTANCE_FILE",
    "DATA_SUMMARY_KEYS",
    "fmt_number",
    "read_run",
    "read_importance",
]

logger = logging.getLogger(__name__)

#: headline and detailed metrics of a run
METRICS_FILE = "metrics.json"
#: settings, data summary, hyper-parameters and timings of a run
RUN_FILE = "run.json"
#: out-of-fold (train) or external (evaluate) predictions
PREDICTIONS_FILE = "predictions.csv"
#: the markdown report
REPORT_FILE = "report.md"
#: the self-contained HTML page
HTML_FILE = "index.html"
#: held-out permutation importance
IMPORTANCE_FILE = "importance.csv"

#: run.json ``data`` items shown in the Data tables of report.md and index.html
DATA_SUMMARY_KEYS = (
    "source",
    "target",
    "group",
    "id",
    "n_rows_read",
    "n_rows",
    "n_features",
)


def fmt_number(x: Any, nd: int = 3) -> str:
    """A value as report text: floats to ``nd`` decimals (``nan`` when not finite).

    The one number formatter of the reports (markdown, HTML and the dynamic report).

    Examples
    --------
    >>> fmt_number(0.12345), fmt_number(float("nan")), fmt_number(3), fmt_number(None)
    ('0.123', 'nan', '3', 'None')
    """
    if isinstance(x, float | np.floating):
        return "nan" if not np.isfinite(x) else f"{x:.{nd}f}"
    return str(x)


def read_run(run_dir: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read ``metrics.json`` and ``run.json`` of a run folder with clear errors."""
    d = Path(run_dir)
    out = []
    for name in (METRICS_FILE, RUN_FILE):
        f = d / name
        if not f.exists():
            raise DataError(f"{str(d)!r} is not a run folder: {name} is missing")
        try:
            out.append(json.loads(f.read_text(encoding="utf-8")))
        except json.JSONDecodeError as exc:
            raise DataError(f"{str(f)!r} is not valid JSON: {exc}") from exc
    return out[0], out[1]


def read_importance(run_dir: str | os.PathLike[str]) -> pd.DataFrame | None:
    """``importance.csv`` of a run folder, or None when it was not computed."""
    f = Path(run_dir) / IMPORTANCE_FILE
    if not f.exists():
        return None
    try:
        df = unescape_formulas(pd.read_csv(f, index_col=0))
    except Exception as exc:  # noqa: BLE001 - a broken file only loses one section
        logger.warning("cannot read %s (%s); importance left out of the report", f, exc)
        return None
    if "importance" not in df.columns:
        logger.warning("%s has no 'importance' column; left out of the report", f)
        return None
    return df
