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
    "md_cell",
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


#: markdown's special characters, escaped with a backslash in text from the data
_MD_SPECIAL = str.maketrans(
    {c: "\\" + c for c in "\\`*_[]|#"}
    | {"<": "&lt;", ">": "&gt;", "&": "&amp;", "\n": " ", "\r": " "}
)


def md_cell(x: Any, nd: int = 3) -> str:
    r"""A value as markdown text that cannot break a table or inject HTML.

    Numbers as :func:`fmt_number`; in text (labels, ids, paths, notes) the markdown
    characters ``\ ` * _ [ ] | #`` get a backslash, ``< > &`` become entities
    and line breaks become spaces, so a label such as ``a|b`` or ``<script>``
    shows as written and stays in its cell (index.html escapes the same values).

    Examples
    --------
    >>> print(md_cell("a|b"), md_cell("<script>"), md_cell("two" + chr(10) + "lines"))
    a\|b &lt;script&gt; two lines
    >>> print(md_cell(0.12345), md_cell("`x`"), md_cell("track_id"))
    0.123 \`x\` track\_id
    """
    return fmt_number(x, nd).translate(_MD_SPECIAL)


#: what a value must be: a type name, a list ``[spec]``, an object ``{key: spec}``
#: (``"key?"`` optional, ``"*"`` every value) or None (anything)
_NUM, _TEXT = "number", "text"
_SCORES = {"precision": _NUM, "recall": _NUM, "f1": _NUM, "support": _NUM}
_CLASSES = {
    "accuracy": _NUM,
    "f1_macro": _NUM,
    "f1_weighted": _NUM,
    "mcc": _NUM,
    "labels": [_TEXT],
    "per_class": {"*": _SCORES},
    "confusion_matrix": [[_NUM]],
    "n?": _NUM,
    "balanced_accuracy?": _NUM,
}
_QUADRANT = {**_CLASSES, "labels?": [_TEXT]}
del _QUADRANT["labels"]
_REPEATS = {"n": _NUM, "*": None}
_METRICS: dict[str, Any] = {
    "classify": {**_CLASSES, "quadrant?": _QUADRANT, "repeats?": _REPEATS},
    "regress": {
        "targets": {"*": {"rmse": _NUM, "r2": _NUM, "pearson_r": _NUM, "mae?": _NUM}},
        "quadrant?": {
            **_QUADRANT,
            "derived_from?": {"valence": _TEXT, "arousal": _TEXT, "scale": None},
        },
        "repeats?": _REPEATS,
    },
}
_CURVE = {
    "pooled": {"rmse": _NUM, "r": _NUM},
    "per_song": {"rmse_mean": _NUM, "rmse_sd": _NUM, "r_mean": _NUM, "r_sd": _NUM},
    "song_mean": {"rmse": _NUM, "r": _NUM},
}
_DYNAMIC = {
    "settings": {
        **{k: _NUM for k in ("n_frames", "n_songs", "n_features", "cv", "seed")},
        **{k: None for k in ("scale", "splitter", "repeats", "grid", "model")},
        "smooth_s": None,
    },
    "metrics": {
        "targets": {"*": {"own": _CURVE, "rescaled_0_1?": _CURVE}},
        "repeats": _REPEATS,
    },
}
_RUN = {
    "kind?": _TEXT,
    "settings?": {"*": None},
    "data?": {"notes?": [_TEXT], "*": None},
    "timings?": {"*": _NUM},
    "fold_params?": None,
    "best_params?": None,
}


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return "a number" if isinstance(value, int | float) else "text"


def _problem(value: Any, spec: Any, where: str) -> str | None:
    """What is wrong with ``value`` at ``where`` (a dotted path), or None."""
    what = f"{where} is" if where else "it holds"
    if spec is None:
        return None
    if spec == _NUM:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else f"{what} {_kind(value)}, not a number"
    if spec == _TEXT:
        return None if isinstance(value, str) else f"{what} {_kind(value)}, not text"
    if isinstance(spec, list):
        if not isinstance(value, list):
            return f"{what} {_kind(value)}, not a list"
        for i, item in enumerate(value):
            if (p := _problem(item, spec[0], f"{where}[{i}]")) is not None:
                return p
        return None
    if not isinstance(value, dict):
        return f"{what} {_kind(value)}, not an object"
    need = [k for k in spec if k != "*" and not k.endswith("?")]
    missing = [k for k in need if k not in value]
    if missing:
        return f"{where or 'it'} has no {', '.join(map(repr, missing))}"
    for key, item in value.items():
        sub = spec.get(key, spec.get(f"{key}?", spec.get("*")))
        if (p := _problem(item, sub, f"{where}.{key}" if where else key)) is not None:
            return p
    return None


def _matrix_problem(block: dict[str, Any], where: str) -> str | None:
    labels = block.get("labels", ["Q1", "Q2", "Q3", "Q4"])
    n, cm = len(labels), block["confusion_matrix"]
    if len(cm) != n or any(len(row) != n for row in cm):
        return (
            f"{where}confusion_matrix is not {n} x {n} (one row and column per label)"
        )
    if sorted(block["per_class"]) != sorted(labels):
        return f"{where}per_class does not hold one entry per label of {labels}"
    return None


def _metrics_problem(metrics: Any, run: dict[str, Any]) -> str | None:
    """What makes ``metrics.json`` unusable for a report of this run, or None."""
    if not isinstance(metrics, dict):
        return f"it holds {_kind(metrics)}, not an object of metrics"
    if run.get("kind") == "dynamic":
        p = _problem(metrics, _DYNAMIC, "")
        if p is None and str(metrics["settings"]["scale"]) not in ("0-1", "0..1"):
            for t, blk in metrics["metrics"]["targets"].items():
                if "rescaled_0_1" not in blk:
                    return f"metrics.targets.{t} has no 'rescaled_0_1'"
        return p
    task = metrics.get("task", (run.get("settings") or {}).get("task"))
    if task not in _METRICS:
        return f"its 'task' is {task!r}; expected 'classify' or 'regress'"
    p = _problem(metrics, _METRICS[task], "")
    if p is None and task == "classify":
        p = _matrix_problem(metrics, "")
    if p is None and isinstance(metrics.get("quadrant"), dict):
        p = _matrix_problem(metrics["quadrant"], "quadrant.")
    return p


def read_run(run_dir: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read ``metrics.json`` and ``run.json`` of a run folder with clear errors.

    Both files are checked for what a report needs (a JSON object, the metrics
    of the run's task with numbers where numbers belong): a damaged file gives a
    DataError naming the file and the first problem, never a traceback later.
    """
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
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"cannot read {str(f)!r}: {exc}") from exc
    metrics, run = out
    hint = (
        "the file is damaged: restore it, or rerun the `mer-classic train` or "
        "`evaluate` that wrote this folder"
    )
    if not isinstance(run, dict):
        problem = f"it holds {_kind(run)}, not an object of run facts"
    else:
        problem = _problem(run, _RUN, "")
    if problem is not None:
        raise DataError(f"{str(d / RUN_FILE)!r} cannot be used: {problem}; {hint}")
    problem = _metrics_problem(metrics, run)
    if problem is not None:
        raise DataError(f"{str(d / METRICS_FILE)!r} cannot be used: {problem}; {hint}")
    return metrics, run


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
