"""A self-contained ``index.html`` for a run folder.

:func:`write_html` is called by :func:`mer_classic.report.render_report` after it drew
the PNG figures. The page needs no network: the style sheet is inline and every image
is embedded as a ``data:image/png;base64`` URI (the PNG files also stay beside it).
It shows the run's settings and data summary, an honest-evaluation box (grouping,
duplicates removed, label scale, repetitions), the classification report, confusion
heatmaps, per-class F1 bars, regression scatter plots and the valence–arousal plane,
held-out permutation importance (``importance.csv``, see :mod:`mer_classic.importance`)
and the chosen hyper-parameters.
"""

from __future__ import annotations

import base64
import html
import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mer_classic._io import write_text_atomic

__all__ = ["HTML_FILE", "build_html", "write_html"]

logger = logging.getLogger(__name__)

#: file name of the page inside a run folder
HTML_FILE = "index.html"

#: importance bars drawn in the figure (the table lists every feature)
TOP_FEATURES = 20

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
background:#f5f6f8;color:#1d2330;line-height:1.45}
header{background:#1f3b57;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:1.5em}header p{margin:0;opacity:.85}
main{max-width:1180px;margin:0 auto;padding:18px 24px 40px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);
padding:14px 20px;margin:16px 0}
h2{font-size:1.2em;margin:4px 0 10px;color:#1f3b57}h3{font-size:1.02em;margin:12px 0 6px}
table{border-collapse:collapse;font-size:.9em;margin:6px 0 10px}
th,td{border-bottom:1px solid #e3e6eb;padding:4px 10px;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
th{background:#eef1f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:4px 0 8px}
.card{background:#eef3f9;border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:1.35em}.card span{font-size:.8em;color:#4a5568}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:14px}
figure{margin:0;text-align:center}figure img{max-width:100%;height:auto}
figcaption{font-size:.85em;color:#4a5568}
.honest{border-left:5px solid #2f855a;background:#f0fff4}
.honest.warn{border-left-color:#c05621;background:#fffaf0}
.honest li{margin:3px 0}.muted{color:#718096;font-size:.9em}
code{background:#edf2f7;padding:1px 4px;border-radius:3px}
"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _fmt(x: Any, nd: int = 3) -> str:
    if isinstance(x, bool) or x is None:
        return str(x)
    if isinstance(x, float | np.floating):
        return "nan" if not math.isfinite(float(x)) else f"{float(x):.{nd}f}"
    if isinstance(x, list | tuple):
        return ", ".join(_fmt(v, nd) for v in x)
    return str(x)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], cls: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for r in rows:
        cells = []
        for c in r:
            num = (
                cls != "kv"
                and not isinstance(c, bool)
                and isinstance(c, int | float | np.integer | np.floating)
            )
            cells.append(
                f'<td class="num">{_e(_fmt(c))}</td>'
                if num
                else f"<td>{_e(_fmt(c))}</td>"
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    c = f' class="{cls}"' if cls else ""
    return f"<table{c}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _img(path: Path, caption: str) -> str:
    """A figure with the PNG embedded as a data URI (nothing to fetch)."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{_e(caption)}" '
        f'data-file="{_e(path.name)}"><figcaption>{_e(caption)}</figcaption></figure>'
    )


def _cards(items: Sequence[tuple[str, Any]]) -> str:
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><b>{_e(_fmt(v))}</b><span>{_e(k)}</span></div>'
            for k, v in items
        )
        + "</div>"
    )


def _section(title: str, body: str, cls: str = "", sid: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    i = f' id="{sid}"' if sid else ""
    return f"<section{c}{i}><h2>{_e(title)}</h2>{body}</section>"


# -- extra figures drawn here ------------------------------------------------------------


def _plot_f1_bars(metrics: dict[str, Any], path: Path) -> Path:
    from mer_classic.plots import pyplot

    plt = pyplot()
    pc = metrics["per_class"]
    labels = list(pc)
    f1 = [pc[k]["f1"] for k in labels]
    fig, ax = plt.subplots(figsize=(max(4.0, 0.7 * len(labels) + 2), 3.4))
    bars = ax.bar(range(len(labels)), f1, color="#3b6ea5")
    ax.axhline(
        metrics["f1_macro"],
        color="#c05621",
        ls="--",
        lw=1,
        label=f"macro F1 {metrics['f1_macro']:.2f}",
    )
    for b, v in zip(bars, f1, strict=True):
        ax.text(
            b.get_x() + b.get_width() / 2,
            v + 0.01,
            f"{v:.2f}",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_xticks(range(len(labels)), labels=labels, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("F1 (out-of-fold)")
    ax.set_title("Per-class F1")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _plot_importance(imp: Any, path: Path) -> Path:
    from mer_classic.plots import pyplot

    plt = pyplot()
    top = imp.head(TOP_FEATURES).iloc[::-1]
    fig, ax = plt.subplots(figsize=(6.4, 0.28 * len(top) + 1.2))
    sd = top["sd"].to_numpy(dtype=float) if "sd" in top else None
    ax.barh(
        range(len(top)),
        top["importance"].to_numpy(dtype=float),
        xerr=sd,
        color="#2f855a",
        ecolor="#4a5568",
        capsize=2,
    )
    ax.set_yticks(range(len(top)), labels=[str(i) for i in top.index], fontsize=8)
    ax.axvline(0, color="grey", lw=0.8)
    scoring = str(top["scoring"].iloc[0]) if "scoring" in top and len(top) else "score"
    ax.set_xlabel(f"drop in {scoring} when shuffled (held-out folds)")
    ax.set_title(f"Permutation importance (top {len(top)})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# -- sections ----------------------------------------------------------------------------


def _summary(metrics: dict[str, Any], run: dict[str, Any]) -> str:
    s = run.get("settings", {})
    data = run.get("data", {})
    rows = [[k, s[k]] for k in sorted(s)]
    body = "<div class='grid'><div><h3>Settings</h3>" + _table(
        ["setting", "value"], rows, "kv"
    )
    drows = [
        [k, data.get(k)]
        for k in (
            "source",
            "target",
            "group",
            "id",
            "n_rows_read",
            "n_rows",
            "n_features",
        )
        if k in data
    ]
    if data.get("fingerprint"):
        drows.append(["fingerprint", str(data["fingerprint"])[:16] + "…"])
    body += "</div><div><h3>Data</h3>" + _table(["item", "value"], drows, "kv")
    if metrics.get("task") == "classify" and metrics.get("per_class"):
        body += "<h3>Class balance</h3>" + _table(
            ["class", "rows"],
            [[k, v["support"]] for k, v in metrics["per_class"].items()],
        )
    notes = data.get("notes") or []
    if notes:
        body += (
            "<h3>Notes on the data</h3><ul>"
            + "".join(f"<li>{_e(n)}</li>" for n in notes)
            + "</ul>"
        )
    return _section("Run settings and data", body + "</div></div>", sid="settings")


def _honest(metrics: dict[str, Any], run: dict[str, Any]) -> str:
    s = run.get("settings", {})
    data = run.get("data", {})
    notes = [str(n) for n in data.get("notes") or []]
    group = data.get("group") or s.get("group")
    items = []
    warn = False
    if run.get("kind") == "evaluate":
        items.append(
            "Saved model applied to an external table: no refit, no tuning on it."
        )
    else:
        items.append(
            f"Scores are {_e(metrics.get('evaluation', 'cross-validated'))}; "
            f"splitter <code>{_e(s.get('splitter', '?'))}</code>, "
            f"{_e(s.get('cv', '?'))} folds, seed {_e(s.get('seed', '?'))}."
        )
    if group:
        items.append(
            f"<b>Grouping:</b> splits grouped by <code>{_e(group)}</code>; no group "
            "is on both sides of a fold."
        )
    elif run.get("kind") != "evaluate":
        warn = True
        items.append(
            "<b>Grouping:</b> <b>none</b>. Tracks of one artist/album can sit on "
            "both sides of a fold, which inflates scores; pass <code>--group</code>."
        )
    dup = [n for n in notes if "duplicate" in n.lower()]
    items.append(
        "<b>Duplicates removed:</b> "
        + (_e("; ".join(dup)) if dup else "none found in the table.")
    )
    if metrics.get("task") == "regress" or s.get("scale"):
        scale = metrics.get("scale") or s.get("scale") or "as given"
        items.append(
            f"<b>Label scale:</b> {_e(scale)} (metrics on this scale; quadrants "
            "split at its middle)."
        )
    else:
        labels = metrics.get("labels") or run.get("classes") or []
        items.append(
            f"<b>Labels:</b> {_e(s.get('target', '?'))} with {len(labels)} classes "
            f"({_e(', '.join(map(str, labels)))})."
        )
    rep = metrics.get("repeats") or {}
    n = int(rep.get("n", s.get("repeats", 1)) or 1)
    if n > 1:
        parts = [
            f"{_e(k)} {v['mean']:.3f} ± {v['sd']:.3f}"
            for k, v in rep.items()
            if isinstance(v, dict) and "mean" in v
        ]
        items.append(
            f"<b>Repetitions:</b> {n} × CV with different fold seeds: "
            + "; ".join(parts[:6])
            + "."
        )
    else:
        items.append(
            "<b>Repetitions:</b> 1 (one CV run; pass <code>--repeats</code> "
            "for mean ± sd over fold seeds)."
        )
    if run.get("kind") != "evaluate":
        items.append(
            "Imputation, scaling and SMOTE "
            f"({'on' if s.get('smote') else 'off'}) are fitted inside each "
            "training fold only."
        )
        items.append(
            "Hyper-parameters: "
            + (
                "chosen by an inner grid search on each training fold (nested CV)."
                if s.get("grid")
                else "no grid search (registry defaults)."
            )
        )
    body = "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
    return _section(
        "Honest evaluation", body, cls="honest warn" if warn else "honest", sid="honest"
    )


def _classification(metrics: dict[str, Any], d: Path, figures: dict[str, str]) -> str:
    pc = metrics["per_class"]
    n = metrics.get("n", sum(v["support"] for v in pc.values()))
    cards = _cards(
        [
            ("accuracy", metrics["accuracy"]),
            ("balanced accuracy", metrics.get("balanced_accuracy", float("nan"))),
            ("F1 macro", metrics["f1_macro"]),
            ("F1 weighted", metrics["f1_weighted"]),
            ("MCC", metrics["mcc"]),
            ("rows", n),
        ]
    )
    rows = [
        [k, v["precision"], v["recall"], v["f1"], v["support"]] for k, v in pc.items()
    ]
    prec = np.array([v["precision"] for v in pc.values()], dtype=float)
    rec = np.array([v["recall"] for v in pc.values()], dtype=float)
    sup = np.array([v["support"] for v in pc.values()], dtype=float)
    w = sup / sup.sum() if sup.sum() else sup
    rows.append(
        ["macro avg", float(prec.mean()), float(rec.mean()), metrics["f1_macro"], n]
    )
    rows.append(
        ["weighted avg", float(w @ prec), float(w @ rec), metrics["f1_weighted"], n]
    )
    body = (
        cards
        + "<h3>Classification report</h3>"
        + _table(["class", "precision", "recall", "F1", "support"], rows)
    )
    figs = []
    if "confusion_matrix.png" in figures and (d / "confusion_matrix.png").exists():
        figs.append(_img(d / "confusion_matrix.png", figures["confusion_matrix.png"]))
    f1_png = d / "f1_per_class.png"
    _plot_f1_bars(metrics, f1_png)
    figures["f1_per_class.png"] = "Per-class F1"
    figs.append(_img(f1_png, "Per-class F1 (out-of-fold)"))
    body += "<div class='grid'>" + "".join(figs) + "</div>"
    return _section("Classification", body, sid="classification")


def _regression(metrics: dict[str, Any], d: Path, figures: dict[str, str]) -> str:
    rows = [
        [k, t["rmse"], t.get("mae", float("nan")), t["r2"], t["pearson_r"]]
        for k, t in metrics["targets"].items()
    ]
    body = (
        f"<p>Scale of the targets: <b>{_e(metrics.get('scale') or 'as given')}</b> "
        "(metrics on that scale).</p>"
        + _table(["target", "RMSE", "MAE", "R²", "Pearson r"], rows)
    )
    figs = [
        _img(d / f, cap)
        for f, cap in figures.items()
        if (f.startswith("scatter_") or f == "va_plane.png") and (d / f).exists()
    ]
    body += "<div class='grid'>" + "".join(figs) + "</div>"
    return _section("Regression", body, sid="regression")


def _quadrant(metrics: dict[str, Any], d: Path, figures: dict[str, str]) -> str:
    q = metrics["quadrant"]
    src = q.get("derived_from")
    how = (
        f"derived from predicted {src['valence']}/{src['arousal']} (scale {src['scale']})"
        if src
        else "labels mapped to quadrants"
    )
    body = f"<p>Q1 +A+V, Q2 +A−V, Q3 −A−V, Q4 −A+V; {_e(how)}.</p>" + _cards(
        [
            ("accuracy", q["accuracy"]),
            ("F1 macro", q["f1_macro"]),
            ("F1 weighted", q["f1_weighted"]),
            ("MCC", q["mcc"]),
        ]
    )
    f = "quadrant_confusion_matrix.png"
    if f in figures and (d / f).exists():
        body += "<div class='grid'>" + _img(d / f, figures[f]) + "</div>"
    return _section("Russell quadrants", body, sid="quadrants")


def _importance(d: Path, figures: dict[str, str]) -> str:
    from mer_classic.importance import read_importance

    imp = read_importance(d)
    if imp is None or imp.empty:
        return _section(
            "Feature importance",
            "<p class='muted'>Not computed for this run. Held-out permutation importance "
            "is computed with <code>mer_classic.importance.add_importance_to_run(run_dir, "
            "X, y, groups)</code>, which writes <code>importance.csv</code> and redraws "
            "this page.</p>",
            sid="importance",
        )
    png = d / "importance.png"
    _plot_importance(imp, png)
    figures["importance.png"] = "Permutation importance"
    scoring = str(imp["scoring"].iloc[0]) if "scoring" in imp.columns else "the score"
    rows = [
        [i, r["importance"], r.get("sd", float("nan"))]
        for i, r in imp.head(TOP_FEATURES).iterrows()
    ]
    body = (
        f"<p>Drop in <b>{_e(scoring)}</b> when one feature is shuffled in the held-out "
        "fold (mean ± sd over folds and repeats); the model was refitted on each "
        "training fold.</p><div class='grid'>"
        + _img(png, "Permutation importance on held-out folds")
        + "<div>"
        + _table(["feature", "importance", "sd"], rows)
        + "</div></div>"
    )
    return _section("Feature importance", body, sid="importance")


def _params(run: dict[str, Any]) -> str:
    bp = run.get("best_params") or {}
    body = (
        _table(["parameter", "value"], [[k, v] for k, v in bp.items()], "kv")
        if bp
        else "<p>No grid search (defaults of the registry).</p>"
    )
    fp = run.get("fold_params") or []
    if any(fp):
        body += "<h3>Chosen in each outer fold</h3>" + _table(
            ["fold", "parameters"], [[i + 1, p] for i, p in enumerate(fp)]
        )
    if run.get("timings"):
        body += "<h3>Timings</h3>" + _table(
            ["step", "seconds"], [[k, float(v)] for k, v in run["timings"].items()]
        )
    return _section("Hyper-parameters", body, sid="params")


def _other_figures(d: Path, figures: dict[str, str], shown: set[str]) -> str:
    rest = [(f, c) for f, c in figures.items() if f not in shown and (d / f).exists()]
    if not rest:
        return ""
    return _section(
        "Other figures",
        "<div class='grid'>" + "".join(_img(d / f, c) for f, c in rest) + "</div>",
        sid="figures",
    )


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
    kind = "Evaluation" if run.get("kind") == "evaluate" else "Training run"
    title = f"{kind}: {s.get('model', '?')} ({task})"
    parts = [_summary(metrics, run), _honest(metrics, run)]
    before = set(figures)
    if task == "classify" and metrics.get("per_class"):
        parts.append(_classification(metrics, d, figures))
    elif metrics.get("targets"):
        parts.append(_regression(metrics, d, figures))
    if metrics.get("quadrant"):
        parts.append(_quadrant(metrics, d, figures))
    parts.append(_importance(d, figures))
    parts.append(_params(run))
    shown = {
        "confusion_matrix.png",
        "quadrant_confusion_matrix.png",
        "va_plane.png",
        "f1_per_class.png",
        "importance.png",
    } | {f for f in before if f.startswith("scatter_")}
    parts.append(_other_figures(d, figures, shown))
    sub = f"Created {run.get('created', '?')}. {metrics.get('evaluation', '')}."
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><p>{_e(sub)}</p></header><main>"
        + "".join(parts)
        + "<p class='muted'>Written by mer-classic; rebuild with "
        f"<code>mer-classic report {_e(d.name)}</code>.</p></main></body></html>\n"
    )


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
