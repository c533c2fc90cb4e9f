"""The dynamic (2 Hz valence/arousal) run folder: its writer and its markdown report.

``mer-classic train --dynamic`` (:func:`mer_classic.dynamic.run_dynamic`) stores its
facts with :func:`write_dynamic_files` (``metrics.json``, ``run.json`` with
``kind: "dynamic"``, ``predictions.csv``); :func:`render_dynamic` draws ``report.md``
from those files alone, so ``mer-classic report DIR`` rebuilds a dynamic run too.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from mer_classic._io import json_text, write_csv_atomic, write_text_atomic
from mer_classic.report._files import (
    HTML_FILE,
    METRICS_FILE,
    PREDICTIONS_FILE,
    REPORT_FILE,
    RUN_FILE,
    fmt_number,
    md_cell,
)
from mer_classic.report._html import CSS, embed_png, esc, html_section
from mer_classic.report._page import rebuild_path
from mer_classic.report._plots import plot_dynamic_curves

__all__ = ["DYNAMIC_KIND", "MAX_DYNAMIC_SONGS", "write_dynamic_files", "render_dynamic"]

#: ``kind`` of a dynamic run in ``run.json``
DYNAMIC_KIND = "dynamic"
#: songs drawn in the predicted-vs-annotated figure (a seeded sample of more)
MAX_DYNAMIC_SONGS = 12
#: the figure's file name
CURVES_PNG = "dynamic_curves.png"


def _scale_label(scale: Any) -> str:
    names = {"1-9": "1..9", "-1-1": "-1..1", "0-1": "0..1"}
    return names.get(scale, str(scale)) if isinstance(scale, str) else str(scale)


def _report_md(
    s: dict[str, Any],
    m: dict[str, Any],
    sources: dict[str, str],
    notes: Sequence[str],
) -> str:
    lines = [
        "# Dynamic valence/arousal (2 Hz), song-held-out cross-validation",
        "",
        f"- features: `{sources.get('features')}`",
        f"- annotations: `{sources.get('annotations')}`",
        f"- n = {s['n_frames']} frames of {s['n_songs']} songs; "
        f"{s['n_features']} features",
        f"- label scale: {_scale_label(s['scale'])}"
        + ("" if _scale_label(s["scale"]) == "0..1" else " (also rescaled to 0..1)"),
        f"- split: {s['cv']}-fold {s['splitter']}, seed {s['seed']}, "
        f"{s['repeats']} repetition(s); grid search: {s['grid']}",
        f"- model: {s['model']}; smoothing window: {s['smooth_s']} s",
        "",
        "Metrics: *pooled* = over all frames at once; *per song* = within each song, "
        "then averaged over songs (songs with a constant curve have no r); "
        "*song mean* = between per-song averages of the curves.",
        "",
        "| target | scale | pooled RMSE | pooled r | per-song RMSE | per-song r | "
        "song-mean RMSE | song-mean r |",
        "|---|---|---|---|---|---|---|---|",
    ]
    own_is_01 = _scale_label(s["scale"]) == "0..1"
    for t, blk in m["targets"].items():
        for sc in ("own",) if own_is_01 else ("own", "rescaled_0_1"):
            b = blk[sc]
            lines.append(
                f"| {md_cell(t)} | {_scale_label(s['scale']) if sc == 'own' else '0..1'} | "
                f"{fmt_number(b['pooled']['rmse'])} | {fmt_number(b['pooled']['r'])} | "
                f"{fmt_number(b['per_song']['rmse_mean'])} ± "
                f"{fmt_number(b['per_song']['rmse_sd'])} | "
                f"{fmt_number(b['per_song']['r_mean'])} ± {fmt_number(b['per_song']['r_sd'])} | "
                f"{fmt_number(b['song_mean']['rmse'])} | {fmt_number(b['song_mean']['r'])} |"
            )
    if m["repeats"]["n"] > 1:
        lines += ["", "Over repetitions (mean ± sd):", ""]
        for k, v in m["repeats"].items():
            if isinstance(v, dict) and "mean" in v:
                lines.append(f"- {k}: {fmt_number(v['mean'])} ± {fmt_number(v['sd'])}")
    if notes:
        lines += ["", "Notes:", ""] + [f"- {md_cell(n)}" for n in notes]
    return "\n".join(lines) + "\n"


def write_dynamic_files(
    out_dir: str | os.PathLike[str],
    *,
    settings: dict[str, Any],
    sources: dict[str, str],
    notes: Sequence[str],
    fold_params: Any,
    metrics: dict[str, Any],
    predictions: pd.DataFrame,
) -> Path:
    """Write a dynamic run's facts into ``out_dir``, then draw its ``report.md``.

    ``metrics.json`` holds the settings, sources, notes, per-fold parameters and
    metrics; ``run.json`` marks the folder as a dynamic run (with the settings and
    sources) so :func:`mer_classic.report.render_report` can rebuild it.
    """
    out = Path(out_dir)
    payload = {
        "settings": settings,
        "sources": sources,
        "notes": list(notes),
        "fold_params": fold_params,
        "metrics": metrics,
    }
    write_text_atomic(out / METRICS_FILE, json_text(payload))
    run = {
        "kind": DYNAMIC_KIND,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "settings": settings,
        "sources": sources,
    }
    write_text_atomic(out / RUN_FILE, json_text(run))
    write_csv_atomic(predictions, out / PREDICTIONS_FILE)
    return render_dynamic(out)


def render_dynamic(
    run_dir: str | os.PathLike[str], payload: dict[str, Any] | None = None
) -> Path:
    """(Re)draw ``report.md`` of a dynamic run from its ``metrics.json``."""
    import json

    d = Path(run_dir)
    if payload is None:
        payload = json.loads((d / METRICS_FILE).read_text(encoding="utf-8"))
    text = _report_md(
        payload["settings"],
        payload["metrics"],
        payload.get("sources", {}),
        payload.get("notes", []),
    )
    figure = _draw_curves(d, payload)
    if figure is not None:
        text += f"\n## Predicted vs annotated curves\n\n{figure[1]}\n\n![curves]({CURVES_PNG})\n"
    write_text_atomic(d / REPORT_FILE, text)
    _write_page(d, payload, text, figure)
    return d / REPORT_FILE


def _draw_curves(d: Path, payload: dict[str, Any]) -> tuple[Path, str] | None:
    """The curves figure and its caption (which songs, and how many are left out)."""
    import numpy as np

    f = d / PREDICTIONS_FILE
    if not f.exists():
        return None
    preds = pd.read_csv(f)
    if "track_id" not in preds or "time" not in preds:
        return None
    songs = list(dict.fromkeys(preds["track_id"].astype(str)))
    targets = list(payload["metrics"]["targets"])
    caption = (
        f"Annotated (solid) and predicted (dashed) curves of all {len(songs)} songs."
    )
    if len(songs) > MAX_DYNAMIC_SONGS:
        seed = int(payload["settings"].get("seed", 0))
        pick = np.random.default_rng(seed).choice(
            len(songs), MAX_DYNAMIC_SONGS, replace=False
        )
        songs = [songs[i] for i in sorted(pick)]
        caption = (
            f"Annotated (solid) and predicted (dashed) curves of a random sample of "
            f"{MAX_DYNAMIC_SONGS} of the {len(preds['track_id'].unique())} songs "
            f"(seed {seed}); every song's curves are in {PREDICTIONS_FILE}."
        )
    return plot_dynamic_curves(preds, songs, targets, d / CURVES_PNG), caption


def _write_page(
    d: Path, payload: dict[str, Any], text: str, figure: tuple[Path, str] | None
) -> Path:
    """A self-contained ``index.html``: the report's facts, tables and the curves."""

    lines = text.splitlines()
    title = lines[0].lstrip("# ") if lines else "Dynamic run"
    items = [ln[2:] for ln in lines if ln.startswith("- ")]
    table = [ln for ln in lines if ln.startswith("|")]
    rows = [
        [c.strip() for c in ln.strip("|").split("|")]
        for ln in table
        if not set(ln) <= set("|-")
    ]
    body = "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"
    if rows:
        body += (
            "<table><thead><tr>"
            + "".join(f"<th>{esc(h)}</th>" for h in rows[0])
            + "</tr></thead><tbody>"
            + "".join(
                "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>"
                for r in rows[1:]
            )
            + "</tbody></table>"
        )
    parts = [html_section("Run and metrics", body, sid="metrics")]
    if figure is not None:
        parts.append(
            html_section(
                "Predicted vs annotated curves",
                f"<p>{esc(figure[1])}</p>" + embed_png(figure[0], figure[1]),
                sid="curves",
            )
        )
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{esc(title)}</h1></header><main>"
        + "".join(parts)
        + "<p class='muted'>Written by mer-classic; rebuild with "
        f"<code>mer-classic report {esc(rebuild_path(d, payload))}</code>.</p>"
        "</main></body></html>\n"
    )
    return write_text_atomic(d / HTML_FILE, page)
