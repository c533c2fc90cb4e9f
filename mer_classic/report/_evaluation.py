"""What an evaluation run states: the model, the external table and the label mapping.

An ``evaluate`` run applies a saved model to another table without refitting, so its
report must not describe training (folds, grids, repetitions, the training settings).
:func:`evaluation_facts` gathers what was measured into ``run.json`` (written by
:func:`mer_classic.report._write.write_evaluation`); :func:`evaluation_markdown` and
:func:`evaluation_section` show it in ``report.md`` and ``index.html``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from mer_classic.exceptions import DataError
from mer_classic.labels import quadrants_of_labels
from mer_classic.report._files import DATA_SUMMARY_KEYS, fmt_number, md_cell, read_run
from mer_classic.report._html import esc, html_section, html_table

__all__ = [
    "EVALUATE_KIND",
    "evaluation_facts",
    "evaluation_markdown",
    "evaluation_section",
    "model_rows",
    "table_rows",
]

logger = logging.getLogger(__name__)

#: ``run.json`` kind of an evaluation run
EVALUATE_KIND = "evaluate"


def _trained_when(model: Any, train_run: dict[str, Any]) -> str:
    """Date the model was trained: its run's ``created``, else the file's mtime."""
    if model.metadata.get("created"):
        return str(model.metadata["created"])
    if train_run.get("created"):
        return str(train_run["created"])
    path = getattr(model, "path", None)
    f = Path(path) / "model.joblib" if path is not None else None
    if f is not None and f.exists():
        stamp = datetime.fromtimestamp(f.stat().st_mtime, timezone.utc)
        return stamp.isoformat(timespec="seconds") + " (file time)"
    return "unknown"


def evaluation_facts(model: Any, table: Any) -> dict[str, Any]:
    """The ``model`` and ``label_mapping`` blocks of an evaluation's ``run.json``.

    Parameters
    ----------
    model : MerModel
        The saved model (:func:`mer_classic.load_model`).
    table : Table
        The external table it is scored on.

    Returns
    -------
    dict
        ``{"model": {...}, "label_mapping": {...}}``.
    """

    path = getattr(model, "path", None)
    train_run: dict[str, Any] = {}
    if path is not None:
        try:
            train_run = read_run(path)[1]
        except DataError:  # a bare model.joblib/model.json without its run folder
            train_run = {}
    meta = model.metadata
    trained_data = train_run.get("data") or {}
    facts = {
        "run_folder": str(path) if path is not None else None,
        "model": meta.get("model"),
        "task": model.task,
        "target": meta.get("target"),
        "trained_on": meta.get("data_source") or trained_data.get("source"),
        "trained_rows": trained_data.get("n_rows"),
        "trained": _trained_when(model, train_run),
        "training_fingerprint": meta.get("data_fingerprint"),
    }
    if model.task == "classify":
        classes = [str(c) for c in model.classes_ or []]
        labels = sorted({str(v) for v in np.asarray(table.y)})
        mapping: dict[str, Any] = {
            "target": table.meta.get("target"),
            "model_classes": classes,
            "table_labels": labels,
            "unknown_to_model": [c for c in labels if c not in classes],
            "not_in_table": [c for c in classes if c not in labels],
        }
        names = sorted(set(classes) | set(labels))
        q = quadrants_of_labels(names)
        if q is not None:
            mapping["quadrants"] = {n: str(v) for n, v in zip(names, q, strict=True)}
    else:
        mapping = {
            "targets": {t: t for t in model.targets},
            "scale": meta.get("scale"),
        }
    return {"model": facts, "label_mapping": mapping}


def model_rows(run: dict[str, Any]) -> list[list[Any]]:
    """Rows (item, value) describing the evaluated model."""
    m = run.get("model") or {}
    s = run.get("settings") or {}
    rows = [
        ["run folder", m.get("run_folder") or s.get("model_path", "?")],
        ["model", f"{m.get('model') or s.get('model', '?')} ({m.get('task', '?')})"],
        ["target", m.get("target") or s.get("target", "?")],
    ]
    trained_on = m.get("trained_on") or "?"
    if m.get("trained_rows"):
        trained_on = f"{trained_on} ({m['trained_rows']} rows)"
    rows.append(["trained on", trained_on])
    rows.append(["trained", m.get("trained", "?")])
    return rows


def table_rows(run: dict[str, Any]) -> list[list[Any]]:
    """Rows (item, value) summarising the run's table (``run["data"]``)."""
    data = run.get("data") or {}
    rows = [[k, data.get(k)] for k in DATA_SUMMARY_KEYS if k in data]
    if data.get("fingerprint"):
        rows.append(["fingerprint", str(data["fingerprint"])[:16] + "…"])
    return rows


def _mapping_lines(run: dict[str, Any]) -> list[str]:
    """The label mapping as plain sentences (shared by markdown and HTML)."""
    lm = run.get("label_mapping") or {}
    if "targets" in lm:
        pairs = ", ".join(f"{k} → {v}" for k, v in lm["targets"].items())
        return [
            f"Targets (model → table): {pairs}; scale {lm.get('scale') or 'as given'}."
        ]
    if not lm:
        return ["Label mapping not recorded for this run."]
    lines = [
        f"Model classes: {', '.join(lm.get('model_classes', [])) or '?'}.",
        f"Labels in the table ({lm.get('target', '?')}): "
        f"{', '.join(lm.get('table_labels', [])) or '?'}.",
    ]
    if lm.get("unknown_to_model"):
        lines.append(
            "Labels the model does not know (always counted wrong): "
            + ", ".join(lm["unknown_to_model"])
            + "."
        )
    if lm.get("not_in_table"):
        lines.append(
            "Model classes with no row in the table: "
            + ", ".join(lm["not_in_table"])
            + "."
        )
    if not lm.get("unknown_to_model") and not lm.get("not_in_table"):
        lines.append("Every label of the table is a class of the model and vice versa.")
    return lines


def _quadrant_rows(run: dict[str, Any]) -> list[list[str]]:
    q = (run.get("label_mapping") or {}).get("quadrants") or {}
    if not q or all(k == v for k, v in q.items()):
        return []
    return [[k, v] for k, v in q.items()]


def evaluation_markdown(run: dict[str, Any], md_table: Any) -> list[str]:
    """``report.md`` lines: model, external table, notes and label mapping."""
    data = run.get("data") or {}
    lines = [
        "## Model",
        "",
        md_table(["item", "value"], model_rows(run)),
        "",
        "## External table",
        "",
        md_table(["item", "value"], table_rows(run)),
        "",
    ]
    notes = data.get("notes") or []
    if notes:
        lines += ["Notes on the table:", ""] + [f"- {md_cell(n)}" for n in notes] + [""]
    lines += ["## Label mapping", ""]
    lines += [f"- {md_cell(t)}" for t in _mapping_lines(run)] + [""]
    qrows = _quadrant_rows(run)
    if qrows:
        lines += [md_table(["label", "Russell quadrant"], qrows), ""]
    return lines


def evaluation_section(metrics: dict[str, Any], run: dict[str, Any]) -> str:
    """The page's first section: what was measured (model, table, label mapping)."""
    data = run.get("data") or {}
    n = metrics.get("n", data.get("n_rows", "?"))
    body = (
        f"<p>The saved model was applied to the external table as it is (no refit, "
        f"no tuning on it); the scores below are on its {esc(fmt_number(n))} rows.</p>"
        "<div class='grid'><div><h3>Model</h3>"
        + html_table(["item", "value"], model_rows(run), "kv")
        + "</div><div><h3>External table</h3>"
        + html_table(["item", "value"], table_rows(run), "kv")
        + "</div></div>"
    )
    notes = data.get("notes") or []
    if notes:
        body += (
            "<h3>Notes on the table</h3><ul>"
            + "".join(f"<li>{esc(t)}</li>" for t in notes)
            + "</ul>"
        )
    body += (
        "<h3>Label mapping</h3><ul>"
        + "".join(f"<li>{esc(t)}</li>" for t in _mapping_lines(run))
        + "</ul>"
    )
    qrows = _quadrant_rows(run)
    if qrows:
        body += html_table(["label", "Russell quadrant"], qrows)
    return html_section("What was measured", body, sid="evaluation")
