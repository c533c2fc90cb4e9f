"""A self-contained ``index.html`` for a run folder.

:func:`write_html` is called by :func:`mer_classic.report.render_report` after it drew
the PNG figures. The page needs no network: the style sheet is inline and every image
is embedded as a ``data:image/png;base64`` URI (the PNG files also stay beside it).
It shows the run's settings and data summary, an honest-evaluation box (grouping,
duplicates removed, label scale, repetitions), the classification report, confusion
heatmaps, per-class F1 bars, regression scatter plots and the valence–arousal plane,
held-out permutation importance (``importance.csv``, see :mod:`mer_classic.importance`)
and the chosen hyper-parameters.

The building blocks (style sheet, escaping, tables, embedded PNGs) live in
:mod:`mer_classic.report._html` and the page sections in :mod:`mer_classic.report._sections`.
"""

from __future__ import annotations

import logging
import os
import shlex
from pathlib import Path
from typing import Any

from mer_classic._io import write_text_atomic
from mer_classic.report._evaluation import EVALUATE_KIND, evaluation_section
from mer_classic.report._files import HTML_FILE
from mer_classic.report._html import CSS, esc, labels_are_quadrants
from mer_classic.report._sections import (
    baseline_section,
    classification_section,
    honest_section,
    importance_section,
    other_figures_section,
    params_section,
    quadrant_section,
    regression_section,
    repeats_section,
    summary_section,
)

__all__ = ["build_html", "write_html"]

logger = logging.getLogger(__name__)


def build_html(
    run_dir: str | os.PathLike[str],
    metrics: dict[str, Any],
    run: dict[str, Any],
    figures: dict[str, str] | None = None,
) -> str:
    """The page as a string (figures already in ``run_dir`` are embedded).

    Parameters
    ----------
    run_dir : path-like
        The run folder (PNG figures are read from it; extra figures are drawn into it).
    metrics, run : dict
        Contents of ``metrics.json`` and ``run.json``.
    figures : dict, default=None
        PNG file name → caption, as collected by :func:`mer_classic.report.render_report`.
        Figures drawn here (per-class F1, importance) are added to it.

    Returns
    -------
    str
        A complete HTML document without any external reference.
    """
    d = Path(run_dir)
    figures = figures if figures is not None else {}
    s = run.get("settings", {})
    task = metrics.get("task", s.get("task"))
    kind = "Evaluation" if run.get("kind") == EVALUATE_KIND else "Training run"
    title = f"{kind}: {s.get('model', '?')} ({task})"
    evaluation = run.get("kind") == EVALUATE_KIND
    where = "external table" if evaluation else "out-of-fold"
    if evaluation:  # what was measured; nothing about training (folds, grids)
        parts = [evaluation_section(metrics, run)]
    else:
        parts = [summary_section(metrics, run), honest_section(metrics, run)]
    before = set(figures)
    if task == "classify" and metrics.get("per_class"):
        parts.append(classification_section(metrics, d, figures, where))
    elif metrics.get("targets"):
        parts.append(regression_section(metrics, d, figures))
    parts.append(baseline_section(metrics))
    if not evaluation:
        parts.append(repeats_section(metrics))
    if metrics.get("quadrant") and not labels_are_quadrants(metrics):
        parts.append(quadrant_section(metrics, d, figures))
    if not evaluation:
        parts.append(importance_section(d, figures, run))
        parts.append(params_section(run))
    shown = {
        "confusion_matrix.png",
        "quadrant_confusion_matrix.png",
        "va_plane.png",
        "f1_per_class.png",
        "importance.png",
    } | {f for f in before if f.startswith("scatter_")}
    parts.append(other_figures_section(d, figures, shown))
    sub = f"Created {run.get('created', '?')}. {metrics.get('evaluation', '')}."
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{esc(title)}</h1><p>{esc(sub)}</p></header><main>"
        + "".join(parts)
        + "<p class='muted'>Written by mer-classic; rebuild with "
        f"<code>mer-classic report {esc(rebuild_path(d, run))}</code>.</p>"
        "</main></body></html>\n"
    )


def rebuild_path(d: Path, run: dict[str, Any]) -> str:
    """The run folder as a shell argument that works from anywhere.

    While a run is written it sits in a temporary folder; ``run.json`` records its
    final place (``folder``), which is used then. A folder redrawn later by
    ``mer-classic report DIR`` (perhaps moved since) is named by its own path.

    Examples
    --------
    >>> rebuild_path(Path(".run.1-ab.tmpdir"), {"folder": "/r/my run"})
    "'/r/my run'"
    """
    temporary = d.name.startswith(".") and d.name.endswith(".tmpdir")
    path = run.get("folder") if temporary and run.get("folder") else d.resolve()
    return shlex.quote(str(path))


def write_html(
    run_dir: str | os.PathLike[str],
    metrics: dict[str, Any],
    run: dict[str, Any],
    figures: dict[str, str] | None = None,
) -> Path:
    """Write ``index.html`` into ``run_dir`` (atomically) and return its path.

    See :func:`build_html` for the parameters.
    """
    d = Path(run_dir)
    page = build_html(d, metrics, run, figures)
    return write_text_atomic(d / HTML_FILE, page)
