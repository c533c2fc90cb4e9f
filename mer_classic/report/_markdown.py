"""Rendering a run folder: ``report.md``, CSV tables and PNG figures, then the page.

:func:`render_report` (re-exported by :mod:`mer_classic.report`) reads only the facts
that :func:`mer_classic.report.write_run` and
:func:`~mer_classic.report._write.write_evaluation` stored (``metrics.json``, ``run.json``,
``predictions.csv``), so ``mer-classic report DIR`` can redraw a run at any time. It
ends with :func:`mer_classic.report.write_html`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_classic._io import check_writable, write_csv_atomic, write_text_atomic
from mer_classic.labels import QUADRANTS, scale_bounds, va_to_quadrant
from mer_classic.report._dynamic import DYNAMIC_KIND, render_dynamic
from mer_classic.report._evaluation import EVALUATE_KIND, evaluation_markdown
from mer_classic.report._files import (
    DATA_SUMMARY_KEYS,
    PREDICTIONS_FILE,
    REPORT_FILE,
    md_cell,
    read_importance,
    read_run,
)
from mer_classic.report._html import (
    absent_quadrants_text,
    baseline_table,
    labels_are_quadrants,
    repeats_table,
    setting_rows,
    with_sd,
)
from mer_classic.report._page import write_html
from mer_classic.report._plots import plot_confusion, plot_scatter, plot_va_plane
from mer_classic.report._sections import UNIT_WORDS, importance_rows

__all__ = ["render_report"]


def _md_table(header: list[str], rows: list[list[Any]]) -> str:
    """A markdown table; every cell (header too) escaped by :func:`md_cell`."""
    lines = [
        "| " + " | ".join(md_cell(h) for h in header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += ["| " + " | ".join(md_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _classification_section(
    m: dict[str, Any], d: Path, figures: dict[str, str], where: str
) -> list[str]:

    labels = m["labels"]
    rows = [
        [lab, pc["precision"], pc["recall"], pc["f1"], pc["support"]]
        for lab, pc in m["per_class"].items()
    ]
    n = m.get("n", sum(pc["support"] for pc in m["per_class"].values()))
    prec = [pc["precision"] for pc in m["per_class"].values()]
    rec = [pc["recall"] for pc in m["per_class"].values()]
    sup = np.array([pc["support"] for pc in m["per_class"].values()], dtype=float)
    w = sup / sup.sum() if sup.sum() else sup
    f1 = [pc["f1"] for pc in m["per_class"].values()]
    # averages of the rows above (with --repeats they are repetition 1's)
    rows.append(
        ["macro avg", float(np.mean(prec)), float(np.mean(rec)), float(np.mean(f1)), n]
    )
    rows.append(
        [
            "weighted avg",
            float(np.dot(w, prec)),
            float(np.dot(w, rec)),
            float(np.dot(w, f1)),
            n,
        ]
    )
    report = pd.DataFrame(
        rows, columns=["class", "precision", "recall", "f1", "support"]
    )
    write_csv_atomic(report, d / "classification_report.csv", index=False)
    cm = pd.DataFrame(
        m["confusion_matrix"], index=pd.Index(labels, name="true"), columns=labels
    )
    write_csv_atomic(cm, d / "confusion_matrix.csv")
    figures["confusion_matrix.png"] = "Confusion matrix"
    plot_confusion(
        m["confusion_matrix"],
        labels,
        d / "confusion_matrix.png",
        f"Confusion matrix ({where})",
    )
    out = [
        "## Classification",
        "",
        _md_table(
            ["accuracy", "balanced acc.", "F1 macro", "F1 weighted", "MCC", "n"],
            [
                [
                    with_sd(m, "accuracy", m["accuracy"]),
                    with_sd(
                        m, "balanced_accuracy", m.get("balanced_accuracy", float("nan"))
                    ),
                    with_sd(m, "f1_macro", m["f1_macro"]),
                    with_sd(m, "f1_weighted", m["f1_weighted"]),
                    with_sd(m, "mcc", m["mcc"]),
                    n,
                ]
            ],
        ),
        "",
        "### Classification report"
        + (" (repetition 1)" if (m.get("repeats") or {}).get("n", 1) > 1 else ""),
        "",
        _md_table(list(report.columns), report.values.tolist()),
        "",
        "### Confusion matrix (rows: true, columns: predicted)",
        "",
        _md_table(
            ["true \\ pred"] + labels,
            [
                [lab] + row
                for lab, row in zip(labels, m["confusion_matrix"], strict=False)
            ],
        ),
        "",
        "![confusion matrix](confusion_matrix.png)",
        "",
        "![per-class F1](f1_per_class.png)",
        "",
    ]
    return out


def _quadrant_section(
    q: dict[str, Any], d: Path, figures: dict[str, str], where: str
) -> list[str]:

    labels = q.get("labels", list(QUADRANTS))
    cm = pd.DataFrame(
        q["confusion_matrix"], index=pd.Index(labels, name="true"), columns=labels
    )
    write_csv_atomic(cm, d / "quadrant_confusion_matrix.csv")
    plot_confusion(
        q["confusion_matrix"],
        labels,
        d / "quadrant_confusion_matrix.png",
        f"Russell quadrants ({where})",
    )
    figures["quadrant_confusion_matrix.png"] = "Quadrant confusion matrix"
    src = q.get("derived_from")
    how = (
        f"derived from predicted {src['valence']}/{src['arousal']} (scale {src['scale']}, "
        "neutral point at the middle)"
        if src
        else "labels mapped to quadrants"
    )
    absent = absent_quadrants_text(q)
    return [
        "## Russell quadrants",
        "",
        f"Q1 +A+V, Q2 +A−V, Q3 −A−V, Q4 −A+V; {how}.",
        "",
        *([absent, ""] if absent else []),
        _md_table(
            ["accuracy", "F1 macro", "F1 weighted", "MCC"],
            [[q["accuracy"], q["f1_macro"], q["f1_weighted"], q["mcc"]]],
        ),
        "",
        _md_table(
            ["true \\ pred"] + labels,
            [
                [lab] + row
                for lab, row in zip(labels, q["confusion_matrix"], strict=False)
            ],
        ),
        "",
        "![quadrant confusion matrix](quadrant_confusion_matrix.png)",
        "",
    ]


def _regression_section(
    m: dict[str, Any], d: Path, figures: dict[str, str], where: str
) -> list[str]:

    rows = [
        [name, t["rmse"], t["mae"], t["r2"], t["pearson_r"]]
        for name, t in m["targets"].items()
    ]
    shown = [
        [name]
        + [
            with_sd(m, f"targets.{name}.{k}", t[k])
            for k in ("rmse", "mae", "r2", "pearson_r")
        ]
        for name, t in m["targets"].items()
    ]
    write_csv_atomic(
        pd.DataFrame(rows, columns=["target", "rmse", "mae", "r2", "pearson_r"]),
        d / "regression_metrics.csv",
        index=False,
    )
    out = [
        "## Regression",
        "",
        f"Scale of the targets: {m.get('scale') or 'as given'} (metrics on that scale).",
        "",
        _md_table(["target", "RMSE", "MAE", "R²", "Pearson r"], shown),
        "",
    ]
    pred_file = d / PREDICTIONS_FILE
    if pred_file.exists():
        preds = pd.read_csv(pred_file)
        for name in m["targets"]:
            if f"true_{name}" in preds and f"pred_{name}" in preds:
                fname = f"scatter_{name}.png"
                plot_scatter(
                    preds[f"true_{name}"].to_numpy(),
                    preds[f"pred_{name}"].to_numpy(),
                    name,
                    d / fname,
                    where=where,
                )
                figures[fname] = f"Predicted vs true {name}"
                out += [f"![{name}]({fname})", ""]
        src = (m.get("quadrant") or {}).get("derived_from")
        if src and m.get("scale"):
            lo, hi = scale_bounds(m["scale"])
            v, a = src["valence"], src["arousal"]
            truth = (
                va_to_quadrant(preds[f"true_{v}"], preds[f"true_{a}"], m["scale"])
                if f"true_{v}" in preds and f"true_{a}" in preds
                else None
            )
            plot_va_plane(
                preds[f"pred_{v}"].to_numpy(),
                preds[f"pred_{a}"].to_numpy(),
                (lo + hi) / 2,
                d / "va_plane.png",
                f"Predicted valence–arousal ({where})",
                labels=truth,
                legend_title="true quadrant",
            )
            figures["va_plane.png"] = (
                "Valence–arousal plane: predicted position, colour = true quadrant"
            )
            out += ["![valence-arousal plane](va_plane.png)", ""]
    return out


def _repeats_section(m: dict[str, Any]) -> list[str]:
    table = repeats_table(m)
    if table is None:
        return []
    rep = m["repeats"]
    return [
        f"## Repetitions ({rep['n']} × CV with different fold seeds)",
        "",
        "The headline scores above are the mean ± sd over these repetitions.",
        "",
        _md_table(*table),
        "",
    ] + ([str(rep["note"]), ""] if rep.get("note") else [])


def _baseline_section(m: dict[str, Any]) -> list[str]:
    table = baseline_table(m)
    if table is None:
        return []
    header, rows, caption = table
    return ["## Baseline", "", caption, "", _md_table(header, rows), ""]


def _training_lines(run: dict[str, Any]) -> list[str]:
    """Settings, data, notes and the honest-evaluation list of a training run."""
    s = run.get("settings", {})
    data = run.get("data", {})
    lines = [
        "## Settings",
        "",
        _md_table(["setting", "value"], setting_rows(s)),
        "",
        "## Data",
        "",
        _md_table(
            ["item", "value"],
            [
                [k, data.get(k)]
                for k in (*DATA_SUMMARY_KEYS, "fingerprint")
                if k in data
            ],
        ),
        "",
    ]
    notes = data.get("notes") or []
    if notes:
        lines += ["Notes on the data:", ""] + [f"- {md_cell(n)}" for n in notes] + [""]
    warned = data.get("warnings") or []
    if warned:
        lines += ["**Warnings:**", ""] + [f"- {md_cell(w)}" for w in warned] + [""]
    grouped = bool(data.get("group"))
    dups = "; ".join(n for n in notes if "duplicate" in n) or "no duplicates found"
    return lines + [
        "## Honest evaluation",
        "",
        f"- Splits grouped by `{data.get('group')}`: no group is on both sides of a fold."
        if grouped
        else "- Splits are **not** grouped (no --group given): tracks of one "
        "artist can sit on both sides, which inflates scores.",
        "- Imputation, scaling and SMOTE are fitted inside each training fold only.",
        "- Hyper-parameters are chosen by an inner grid search on the training fold; "
        "reported scores come from the outer test folds."
        if s.get("grid")
        else "- No grid search: the registry's default hyper-parameters.",
        f"- Duplicate handling: {dups}.",
        "",
    ]


def _importance_lines(d: Path, run: dict[str, Any]) -> list[str]:
    """The importance table (top rows) and its note, as the page shows them."""

    note = (run.get("importance") or {}).get("note")
    imp = read_importance(d)
    if imp is None or imp.empty:
        return ["## Feature importance", "", note, ""] if note else []
    unit = str(imp["unit"].iloc[0]) if "unit" in imp.columns else "feature"
    scoring = str(imp["scoring"].iloc[0]) if "scoring" in imp.columns else "the score"
    lines = [
        "## Feature importance",
        "",
        f"Drop in {scoring} when {UNIT_WORDS.get(unit, unit)} is shuffled in the "
        "held-out fold (mean ± sd over folds and repeats; `> 0?`: at least 2 "
        "standard errors above zero).",
        "",
    ]
    if note:
        lines += [note, ""]
    return lines + [_md_table(*importance_rows(imp)), ""]


def _class_balance_lines(m: dict[str, Any]) -> list[str]:
    pc = m.get("per_class") or {}
    total = sum(v["support"] for v in pc.values()) or 1
    return [
        "### Class balance",
        "",
        _md_table(
            ["class", "rows", "share"],
            [[k, v["support"], v["support"] / total] for k, v in pc.items()],
        ),
        "",
    ]


def _training_tail(d: Path, run: dict[str, Any]) -> list[str]:
    """Hyper-parameters, per-fold choices, importance note and timings of a training run."""
    bp = run.get("best_params") or {}
    lines = [
        "## Hyper-parameters",
        "",
        _md_table(["parameter", "value"], [[k, v] for k, v in bp.items()])
        if bp
        else "No grid search (defaults of the registry).",
        "",
    ]
    fp = run.get("fold_params") or []
    if any(fp):
        lines += (
            ["Chosen in each outer fold:", ""]
            + [f"- fold {i + 1}: {p}" for i, p in enumerate(fp)]
            + [""]
        )
    lines += _importance_lines(d, run)
    if run.get("timings"):
        lines += [
            "## Timings",
            "",
            _md_table(["step", "seconds"], [[k, v] for k, v in run["timings"].items()]),
            "",
        ]
    return lines


def render_report(run_dir: str | os.PathLike[str]) -> Path:
    """(Re)draw ``report.md``, tables and figures of a run folder from its JSON files.

    A dynamic run (``run.json`` kind ``"dynamic"``) gets its own ``report.md``
    (:func:`mer_classic.report._dynamic.render_dynamic`) and no page.
    """
    d = Path(run_dir)
    metrics, run = read_run(d)
    check_writable(d / REPORT_FILE)
    if run.get("kind") == DYNAMIC_KIND:
        return render_dynamic(d, metrics)
    figures: dict[str, str] = {}
    s = run.get("settings", {})
    task = metrics.get("task", s.get("task"))
    evaluation = run.get("kind") == EVALUATE_KIND
    where = "external table" if evaluation else "out-of-fold"
    title = "Evaluation" if evaluation else "Training run"
    lines = [
        f"# {title}: {s.get('model', '?')} ({task})",
        "",
        f"Created {run.get('created', '?')}. {metrics.get('evaluation', '')}.",
        "",
    ]
    if evaluation:
        lines += evaluation_markdown(run, _md_table)
    else:
        lines += _training_lines(run)
    if task == "classify":
        lines += _classification_section(metrics, d, figures, where)
        lines += _class_balance_lines(metrics)
    else:
        lines += _regression_section(metrics, d, figures, where)
    lines += _baseline_section(metrics)
    if metrics.get("quadrant") and not labels_are_quadrants(metrics):
        lines += _quadrant_section(metrics["quadrant"], d, figures, where)
    if not evaluation:
        lines += _repeats_section(metrics)
        lines += _training_tail(d, run)
    write_text_atomic(d / REPORT_FILE, "\n".join(lines))

    write_html(d, metrics, run, figures)
    return d / REPORT_FILE
