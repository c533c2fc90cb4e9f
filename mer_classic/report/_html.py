"""HTML building blocks of the run page: style sheet, escaping, tables, embedded PNGs.

Used by :mod:`mer_classic.report._sections` and :func:`mer_classic.report._page.build_html`.
Every image is embedded as a ``data:image/png;base64`` URI (:func:`embed_png`), so the
page needs no network.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mer_classic.labels import QUADRANTS
from mer_classic.report._files import fmt_number

__all__ = [
    "CSS",
    "absent_quadrants_text",
    "baseline_table",
    "repeats_table",
    "with_sd",
    "labels_are_quadrants",
    "readable",
    "setting_rows",
    "embed_png",
    "esc",
    "fmt_value",
    "html_cards",
    "html_section",
    "html_table",
]

#: the page's inline style sheet
CSS = """
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


def esc(x: Any) -> str:
    """HTML-escape ``str(x)``, quotes included."""
    return html.escape(str(x), quote=True)


def fmt_value(x: Any, nd: int = 3) -> str:
    """A cell value as text: floats to ``nd`` decimals, lists comma-joined."""
    if isinstance(x, bool) or x is None:
        return str(x)
    if isinstance(x, list | tuple):
        return ", ".join(fmt_value(v, nd) for v in x)
    return fmt_number(x, nd)


def html_table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], cls: str = ""
) -> str:
    """A ``<table>``; numbers are right-aligned unless ``cls`` is ``"kv"``."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
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
                f'<td class="num">{esc(fmt_value(c))}</td>'
                if num
                else f"<td>{esc(fmt_value(c))}</td>"
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    c = f' class="{cls}"' if cls else ""
    return f"<table{c}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def embed_png(path: Path, caption: str) -> str:
    """A figure with the PNG embedded as a data URI (nothing to fetch)."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{esc(caption)}" '
        f'data-file="{esc(path.name)}"><figcaption>{esc(caption)}</figcaption></figure>'
    )


def html_cards(items: Sequence[tuple[str, Any]]) -> str:
    """A row of headline numbers (value above its name)."""
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><b>{esc(fmt_value(v))}</b><span>{esc(k)}</span></div>'
            for k, v in items
        )
        + "</div>"
    )


def html_section(title: str, body: str, cls: str = "", sid: str = "") -> str:
    """A ``<section>`` with an ``<h2>`` title, optional class and id."""
    c = f' class="{cls}"' if cls else ""
    i = f' id="{sid}"' if sid else ""
    return f"<section{c}{i}><h2>{esc(title)}</h2>{body}</section>"


def readable(x: Any) -> str:
    """A setting's value as words: ``None`` reads "not set", booleans "yes"/"no".

    Examples
    --------
    >>> readable(None), readable(False), readable([]), readable([1, "a"])
    ('not set', 'no', 'none', '1, a')
    >>> readable({"switched": False, "grid_rows": None})
    'switched: no; grid_rows: not set'
    """
    if x is None:
        return "not set"
    if isinstance(x, bool | np.bool_):
        return "yes" if x else "no"
    if isinstance(x, Mapping):
        return "; ".join(f"{k}: {readable(v)}" for k, v in x.items()) or "none"
    if isinstance(x, list | tuple):
        return ", ".join(readable(v) for v in x) or "none"
    return fmt_number(x)


def setting_rows(settings: Mapping[str, Any], prefix: str = "") -> list[list[str]]:
    """Settings as readable (name, value) rows, one row per item of a nested dict.

    Examples
    --------
    >>> setting_rows({"seed": 42, "scaling": {"switched": False, "notes": []}})
    [['scaling: notes', 'none'], ['scaling: switched', 'no'], ['seed', '42']]
    """
    rows: list[list[str]] = []
    for k in sorted(settings):
        v = settings[k]
        name = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            rows += setting_rows(v, prefix=f"{name}: ")
        else:
            rows.append([name, readable(v)])
    return rows


def labels_are_quadrants(metrics: dict[str, Any]) -> bool:
    """True when a classifier's labels already are Russell quadrants (Q1..Q4).

    Its quadrant view would repeat the confusion matrix, so the reports leave it out.
    """
    labels = metrics.get("labels") or []
    return (
        metrics.get("task") == "classify"
        and bool(labels)
        and set(map(str, labels)) <= set(QUADRANTS)
    )


def absent_quadrants_text(q: dict[str, Any]) -> str:
    """The sentence naming quadrants absent from truth and predictions ("" if none)."""
    absent = q.get("absent") or []
    if not absent:
        return ""
    present = [lab for lab in q.get("labels", QUADRANTS) if lab not in absent]
    return (
        f"F1 macro averages over the quadrants present ({', '.join(present)}); "
        f"absent from both truth and predictions: {', '.join(absent)}."
    )


def with_sd(metrics: dict[str, Any], key: str, value: Any) -> Any:
    """``value`` as ``'0.698 ± 0.030'`` when ``metrics['sd']`` has ``key``, else as is.

    Examples
    --------
    >>> with_sd({"sd": {"f1_macro": 0.03}}, "f1_macro", 0.698), with_sd({}, "mcc", 0.5)
    ('0.698 ± 0.030', 0.5)
    """
    sd = (metrics.get("sd") or {}).get(key)
    if sd is None or not isinstance(value, int | float):
        return value
    return f"{value:.3f} ± {sd:.3f}"


def baseline_table(
    metrics: dict[str, Any],
) -> tuple[list[str], list[list[Any]], str] | None:
    """Header, rows and a caption comparing the model with its dummy baselines.

    None when ``metrics`` has no ``baseline`` block (runs written before it existed).
    """
    base = metrics.get("baseline")
    if not base:
        return None
    caption = (
        "Dummy predictors, "
        + str(base.get("folds", "on the same folds"))
        + ". A model must beat these to have learnt anything."
    )
    if metrics.get("task") == "classify":
        keys = ["accuracy", "balanced_accuracy", "f1_macro", "f1_weighted", "mcc"]
        header = [
            "predictor",
            "accuracy",
            "balanced acc.",
            "F1 macro",
            "F1 weighted",
            "MCC",
        ]
        rows = [["model"] + [metrics.get(k, float("nan")) for k in keys]]
        names = {"majority": "majority class", "stratified": "stratified random"}
        for name, label in names.items():
            if isinstance(base.get(name), dict):
                rows.append([label] + [base[name].get(k, float("nan")) for k in keys])
        return header, rows, caption
    header = ["predictor", "target", "RMSE", "MAE", "R²"]
    rows = []
    mean = (base.get("mean") or {}).get("targets") or {}
    for t, m in metrics.get("targets", {}).items():
        rows.append(["model", t, m["rmse"], m.get("mae", float("nan")), m["r2"]])
        if t in mean:
            b = mean[t]
            rows.append(
                ["mean predictor", t, b["rmse"], b.get("mae", float("nan")), b["r2"]]
            )
    return header, rows, caption


def repeats_table(metrics: dict[str, Any]) -> tuple[list[str], list[list[Any]]] | None:
    """Header and rows: each metric's mean, sd and every repetition's value."""
    rep = metrics.get("repeats") or {}
    n = int(rep.get("n", 1) or 1)
    if n < 2:
        return None
    header = ["metric", "mean", "sd"] + [f"rep {i + 1}" for i in range(n)]
    rows = [
        [k, v["mean"], v["sd"], *v.get("values", [])]
        for k, v in rep.items()
        if isinstance(v, dict) and "mean" in v
    ]
    return header, rows
