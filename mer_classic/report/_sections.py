"""The sections of the run page and the figures drawn only for it.

Each ``*_section`` function returns one ``<section>`` of the page that
:func:`mer_classic.report._page.build_html` assembles. The per-class F1 bars and the
permutation-importance bars are drawn here (into the run folder) and added to
``figures``; the other figures come from :func:`mer_classic.report.render_report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mer_classic.report._evaluation import table_rows
from mer_classic.report._files import read_importance
from mer_classic.report._fonts import label_fonts
from mer_classic.report._html import (
    absent_quadrants_text,
    baseline_table,
    embed_png,
    esc,
    html_cards,
    html_section,
    html_table,
    repeats_table,
    setting_rows,
    with_sd,
)
from mer_classic.report._plots import pyplot

__all__ = [
    "TOP_FEATURES",
    "importance_rows",
    "importance_title",
    "baseline_section",
    "classification_section",
    "honest_section",
    "importance_section",
    "other_figures_section",
    "params_section",
    "quadrant_section",
    "regression_section",
    "repeats_section",
    "summary_section",
]

#: importance bars drawn in the figure (the table lists every feature)
TOP_FEATURES = 20
#: what one shuffle permuted, as the reports say it
UNIT_WORDS = {
    "feature": "one feature",
    "group": "all columns of one feature group",
    "cluster": "one cluster of correlated columns",
}


def importance_rows(imp: Any) -> tuple[list[str], list[list[Any]]]:
    """Header and the top rows of an importance table (both reports use them)."""
    cols = ["importance", "sd"] + [
        c for c in ("se", "distinguishable", "n_columns") if c in imp.columns
    ]
    names = {"se": "se (folds)", "distinguishable": "> 0?", "n_columns": "columns"}
    header = ["feature"] + [names.get(c, c) for c in cols]
    rows = [
        [i]
        + [
            ("yes" if v else "no") if c == "distinguishable" else v
            for c, v in zip(cols, r[cols], strict=True)
        ]
        for i, r in imp.head(TOP_FEATURES).iterrows()
    ]
    return header, rows


# -- extra figures drawn here ------------------------------------------------------------


def _plot_f1_bars(metrics: dict[str, Any], path: Path, where: str) -> Path:

    with label_fonts(metrics["per_class"]):
        return _draw_f1_bars(metrics, path, where)


def _draw_f1_bars(metrics: dict[str, Any], path: Path, where: str) -> Path:

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
    ax.set_ylabel(f"F1 ({where})")
    ax.set_title("Per-class F1")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def importance_title(imp: Any, targets: list[str]) -> str:
    """Title of the importance figure, naming the target(s) the score is about.

    Examples
    --------
    >>> importance_title(range(30), ["valence", "arousal"])
    'Permutation importance for valence + arousal (mean score over targets; top 20)'
    >>> importance_title(range(5), ["label"])
    'Permutation importance for label (top 5)'
    """
    top = min(TOP_FEATURES, len(imp))
    if len(targets) > 1:
        return (
            f"Permutation importance for {' + '.join(targets)} "
            f"(mean score over targets; top {top})"
        )
    if targets:
        return f"Permutation importance for {targets[0]} (top {top})"
    return f"Permutation importance (top {top})"


def _plot_importance(imp: Any, path: Path, targets: list[str]) -> Path:

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
    ax.set_title(importance_title(imp, targets), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# -- sections ----------------------------------------------------------------------------


def summary_section(metrics: dict[str, Any], run: dict[str, Any]) -> str:
    """Settings, data summary, class balance and notes on the data."""
    s = run.get("settings", {})
    data = run.get("data", {})
    body = "<div class='grid'><div><h3>Settings</h3>" + html_table(
        ["setting", "value"], setting_rows(s), "kv"
    )
    body += "</div><div><h3>Data</h3>" + html_table(
        ["item", "value"], table_rows(run), "kv"
    )
    if metrics.get("task") == "classify" and metrics.get("per_class"):
        body += "<h3>Class balance</h3>" + html_table(
            ["class", "rows"],
            [[k, v["support"]] for k, v in metrics["per_class"].items()],
        )
    notes = data.get("notes") or []
    if notes:
        body += (
            "<h3>Notes on the data</h3><ul>"
            + "".join(f"<li>{esc(n)}</li>" for n in notes)
            + "</ul>"
        )
    warned = data.get("warnings") or []
    if warned:
        body += (
            "<h3>Warnings</h3><ul class='warn'>"
            + "".join(f"<li>{esc(w)}</li>" for w in warned)
            + "</ul>"
        )
    return html_section("Run settings and data", body + "</div></div>", sid="settings")


def honest_section(metrics: dict[str, Any], run: dict[str, Any]) -> str:
    """The honest-evaluation box of a training run (highlighted when not grouped).

    An evaluation run shows :func:`mer_classic.report._evaluation.evaluation_section`
    instead: nothing about folds, grids or repetitions applies to it.
    """
    s = run.get("settings", {})
    data = run.get("data", {})
    notes = [str(n) for n in data.get("notes") or []]
    group = data.get("group") or s.get("group")
    items = []
    warn = False
    items.append(
        f"Scores are {esc(metrics.get('evaluation', 'cross-validated'))}; "
        f"splitter <code>{esc(s.get('splitter', '?'))}</code>, "
        f"{esc(s.get('cv', '?'))} folds, seed {esc(s.get('seed', '?'))}."
    )
    if group:
        items.append(
            f"<b>Grouping:</b> splits grouped by <code>{esc(group)}</code>; no group "
            "is on both sides of a fold."
        )
    else:
        warn = True
        items.append(
            "<b>Grouping:</b> <b>none</b>. Tracks of one artist/album can sit on "
            "both sides of a fold, which inflates scores; pass <code>--group</code>."
        )
    dup = [n for n in notes if "duplicate" in n.lower()]
    items.append(
        "<b>Duplicates removed:</b> "
        + (esc("; ".join(dup)) if dup else "none found in the table.")
    )
    if metrics.get("task") == "regress" or s.get("scale"):
        scale = metrics.get("scale") or s.get("scale") or "as given"
        items.append(
            f"<b>Label scale:</b> {esc(scale)} (metrics on this scale; quadrants "
            "split at its middle)."
        )
    else:
        labels = metrics.get("labels") or run.get("classes") or []
        items.append(
            f"<b>Labels:</b> {esc(s.get('target', '?'))} with {len(labels)} classes "
            f"({esc(', '.join(map(str, labels)))})."
        )
    rep = metrics.get("repeats") or {}
    n = int(rep.get("n", s.get("repeats", 1)) or 1)
    if n > 1:
        parts = [
            f"{esc(k)} {v['mean']:.3f} ± {v['sd']:.3f}"
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
    return html_section(
        "Honest evaluation", body, cls="honest warn" if warn else "honest", sid="honest"
    )


def classification_section(
    metrics: dict[str, Any],
    d: Path,
    figures: dict[str, str],
    where: str = "out-of-fold",
) -> str:
    """Headline scores, the classification report, confusion and F1 figures."""
    pc = metrics["per_class"]
    n = metrics.get("n", sum(v["support"] for v in pc.values()))
    cards = html_cards(
        [
            ("accuracy", with_sd(metrics, "accuracy", metrics["accuracy"])),
            (
                "balanced accuracy",
                with_sd(
                    metrics,
                    "balanced_accuracy",
                    metrics.get("balanced_accuracy", float("nan")),
                ),
            ),
            ("F1 macro", with_sd(metrics, "f1_macro", metrics["f1_macro"])),
            ("F1 weighted", with_sd(metrics, "f1_weighted", metrics["f1_weighted"])),
            ("MCC", with_sd(metrics, "mcc", metrics["mcc"])),
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
    f1 = np.array([v["f1"] for v in pc.values()], dtype=float)
    # averages of the rows above (with --repeats they are repetition 1's)
    rows.append(
        ["macro avg", float(prec.mean()), float(rec.mean()), float(f1.mean()), n]
    )
    rows.append(["weighted avg", float(w @ prec), float(w @ rec), float(w @ f1), n])
    rep1 = (metrics.get("repeats") or {}).get("n", 1) > 1
    body = (
        cards
        + f"<h3>Classification report{' (repetition 1)' if rep1 else ''}</h3>"
        + html_table(["class", "precision", "recall", "F1", "support"], rows)
    )
    figs = []
    if "confusion_matrix.png" in figures and (d / "confusion_matrix.png").exists():
        figs.append(
            embed_png(d / "confusion_matrix.png", figures["confusion_matrix.png"])
        )
    f1_png = d / "f1_per_class.png"
    _plot_f1_bars(metrics, f1_png, where)
    figures["f1_per_class.png"] = "Per-class F1"
    figs.append(embed_png(f1_png, f"Per-class F1 ({where})"))
    body += "<div class='grid'>" + "".join(figs) + "</div>"
    return html_section("Classification", body, sid="classification")


def regression_section(
    metrics: dict[str, Any], d: Path, figures: dict[str, str]
) -> str:
    """Per-target scores, the scatter plots and the valence–arousal plane."""
    rows = [
        [k]
        + [
            with_sd(metrics, f"targets.{k}.{m}", t.get(m, float("nan")))
            for m in ("rmse", "mae", "r2", "pearson_r")
        ]
        for k, t in metrics["targets"].items()
    ]
    body = (
        f"<p>Scale of the targets: <b>{esc(metrics.get('scale') or 'as given')}</b> "
        "(metrics on that scale).</p>"
        + html_table(["target", "RMSE", "MAE", "R²", "Pearson r"], rows)
    )
    figs = [
        embed_png(d / f, cap)
        for f, cap in figures.items()
        if (f.startswith("scatter_") or f == "va_plane.png") and (d / f).exists()
    ]
    body += "<div class='grid'>" + "".join(figs) + "</div>"
    return html_section("Regression", body, sid="regression")


def baseline_section(metrics: dict[str, Any]) -> str:
    """The model beside its dummy baselines (majority/stratified or the mean), or ''."""
    table = baseline_table(metrics)
    if table is None:
        return ""
    header, rows, caption = table
    return html_section(
        "Baseline",
        f"<p>{esc(caption)}</p>" + html_table(header, rows),
        sid="baseline",
    )


def repeats_section(metrics: dict[str, Any]) -> str:
    """Each repetition's scores beside their mean and sd, or '' for one CV run."""
    table = repeats_table(metrics)
    if table is None:
        return ""
    note = (metrics.get("repeats") or {}).get("note")
    return html_section(
        "Repetitions",
        "<p>The headline scores are the mean ± sd over these repetitions"
        + (f"; {esc(note.split('; ', 1)[-1])}" if note else "")
        + ".</p>"
        + html_table(*table),
        sid="repeats",
    )


def quadrant_section(metrics: dict[str, Any], d: Path, figures: dict[str, str]) -> str:
    """Russell-quadrant scores and their confusion matrix."""
    q = metrics["quadrant"]
    src = q.get("derived_from")
    how = (
        f"derived from predicted {src['valence']}/{src['arousal']} (scale {src['scale']})"
        if src
        else "labels mapped to quadrants"
    )
    absent = absent_quadrants_text(q)
    body = f"<p>Q1 +A+V, Q2 +A−V, Q3 −A−V, Q4 −A+V; {esc(how)}.</p>"
    if absent:
        body += f"<p>{esc(absent)}</p>"
    body += html_cards(
        [
            ("accuracy", q["accuracy"]),
            ("F1 macro", q["f1_macro"]),
            ("F1 weighted", q["f1_weighted"]),
            ("MCC", q["mcc"]),
        ]
    )
    f = "quadrant_confusion_matrix.png"
    if f in figures and (d / f).exists():
        body += "<div class='grid'>" + embed_png(d / f, figures[f]) + "</div>"
    return html_section("Russell quadrants", body, sid="quadrants")


def importance_section(
    d: Path, figures: dict[str, str], run: dict[str, Any] | None = None
) -> str:
    """Permutation importance from ``importance.csv`` (or how to compute it)."""
    imp = read_importance(d)
    if imp is None or imp.empty:
        return html_section(
            "Feature importance",
            "<p class='muted'>Not computed for this run. Held-out permutation importance "
            "is computed with <code>mer_classic.importance.add_importance_to_run(run_dir, "
            "X, y, groups)</code>, which writes <code>importance.csv</code> and redraws "
            "this page.</p>",
            sid="importance",
        )
    run = run or {}
    target = (run.get("data") or {}).get("target") or (run.get("settings") or {}).get(
        "target"
    )
    targets = [str(t) for t in target] if isinstance(target, list) else []
    if isinstance(target, str):
        targets = [target]
    png = d / "importance.png"
    _plot_importance(imp, png, targets)
    figures["importance.png"] = "Permutation importance"
    scoring = str(imp["scoring"].iloc[0]) if "scoring" in imp.columns else "the score"
    unit = str(imp["unit"].iloc[0]) if "unit" in imp.columns else "feature"
    header, rows = importance_rows(imp)
    body = (
        f"<p>Drop in <b>{esc(scoring)}</b> when {esc(UNIT_WORDS.get(unit, unit))} is "
        "shuffled in the held-out fold (mean ± sd over folds and repeats); the model "
        "was refitted on each training fold.</p>"
        + (
            f"<p>{esc(run['importance']['note'])}</p>"
            if (run.get("importance") or {}).get("note")
            else ""
        )
        + "<div class='grid'>"
        + embed_png(png, "Permutation importance on held-out folds")
        + "<div>"
        + html_table(header, rows)
        + "</div></div>"
    )
    return html_section("Feature importance", body, sid="importance")


def params_section(run: dict[str, Any]) -> str:
    """Chosen hyper-parameters, per-fold choices and timings."""
    bp = run.get("best_params") or {}
    body = (
        html_table(["parameter", "value"], [[k, v] for k, v in bp.items()], "kv")
        if bp
        else "<p>No grid search (defaults of the registry).</p>"
    )
    fp = run.get("fold_params") or []
    if any(fp):
        body += "<h3>Chosen in each outer fold</h3>" + html_table(
            ["fold", "parameters"], [[i + 1, p] for i, p in enumerate(fp)]
        )
    if run.get("timings"):
        body += "<h3>Timings</h3>" + html_table(
            ["step", "seconds"], [[k, float(v)] for k, v in run["timings"].items()]
        )
    return html_section("Hyper-parameters", body, sid="params")


def other_figures_section(d: Path, figures: dict[str, str], shown: set[str]) -> str:
    """Figures of ``figures`` not shown by another section ("" if none)."""
    rest = [(f, c) for f, c in figures.items() if f not in shown and (d / f).exists()]
    if not rest:
        return ""
    return html_section(
        "Other figures",
        "<div class='grid'>" + "".join(embed_png(d / f, c) for f, c in rest) + "</div>",
        sid="figures",
    )
