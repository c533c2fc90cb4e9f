"""The lines every command prints, formatted from the library's result objects.

The command bodies (``mer_classic._workflows``) compute and write and never print;
these functions turn their results (``TrainRun``, ``DynamicRun``, ``EvaluateRun``,
``PredictRun``, ``ExtractRun``, ``FetchRun``, ``ReportRun``) into the text the command
echoes, as sqlite-utils keeps its formatting next to click. Only
:func:`predict_text` reaches into the library (the table writer), lazily, so
``--help`` stays light.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "SHOWN_ERRORS",
    "dynamic_summary",
    "evaluate_summary",
    "extract_problems",
    "extract_summary",
    "fetch_summary",
    "format_metrics",
    "predict_problems",
    "predict_text",
    "report_summary",
    "train_summary",
]

#: failed files ``extract`` lists on stderr (all are in the errors CSV)
SHOWN_ERRORS = 10


def format_metrics(metrics: dict[str, Any]) -> str:
    """One or two lines with the headline metrics.

    With several repetitions the headline is their mean with the sd beside it
    (``0.698 ± 0.030``), followed by each repetition's macro F1 (or RMSE); a
    ``baseline`` block adds the dummy predictors' scores on the same folds.
    """
    sd = metrics.get("sd") or {}
    rep = metrics.get("repeats") or {}

    def val(key: str, x: float) -> str:
        return f"{x:.3f}" + (f" ± {sd[key]:.3f}" if key in sd else "")

    if metrics["task"] == "classify":
        line = (
            f"accuracy {val('accuracy', metrics['accuracy'])}  "
            f"F1 macro {val('f1_macro', metrics['f1_macro'])}  "
            f"F1 weighted {val('f1_weighted', metrics['f1_weighted'])}  "
            f"MCC {val('mcc', metrics['mcc'])}"
        )
        if rep.get("n", 1) > 1 and "f1_macro" in rep:
            each = ", ".join(f"{v:.3f}" for v in rep["f1_macro"]["values"])
            line += f"\n  mean ± sd over {rep['n']} repeats; F1 macro of each: {each}"
        return line + _baseline_line(metrics) + _undefined(metrics)
    parts = [
        f"{name}: RMSE {val(f'targets.{name}.rmse', t['rmse'])}  "
        f"R² {val(f'targets.{name}.r2', t['r2'])}  "
        f"r {val(f'targets.{name}.pearson_r', t['pearson_r'])}"
        for name, t in metrics["targets"].items()
    ]
    scale = metrics.get("scale")
    text = "\n  ".join(parts) + (f"  (scale {scale})" if scale else "")
    if rep.get("n", 1) > 1:
        text += f"\n  mean ± sd over {rep['n']} repeats"
    if metrics.get("quadrant"):
        text += f"\n  quadrants from predicted V/A: F1 macro {metrics['quadrant']['f1_macro']:.3f}"
    return text + _baseline_line(metrics) + _undefined(metrics)


def _baseline_line(metrics: dict[str, Any]) -> str:
    """The dummy baselines of ``metrics['baseline']`` as one line, or ''."""
    base = metrics.get("baseline") or {}
    if metrics["task"] == "classify":
        parts = [
            f"{name} F1 macro {b['f1_macro']:.3f} (accuracy {b['accuracy']:.3f})"
            for name, b in base.items()
            if isinstance(b, dict) and "f1_macro" in b
        ]
    else:
        mean = base.get("mean") or {}
        parts = [
            f"{name} RMSE {t['rmse']:.3f} R² {t['r2']:.3f}"
            for name, t in (mean.get("targets") or {}).items()
        ]
        parts = ["mean predictor " + "; ".join(parts)] if parts else []
    return ("\n  baseline: " + "; ".join(parts)) if parts else ""


def _undefined(metrics: dict[str, Any]) -> str:
    """A line naming the metrics that are undefined on this table, or ''."""
    why = metrics.get("undefined") or {}
    return (
        "\n  undefined here (nan): " + "; ".join(f"{k}: {v}" for k, v in why.items())
        if why
        else ""
    )


def train_summary(run: Any) -> str:
    """The lines ``train`` prints, formatted from a ``TrainRun``."""
    s, result, table = run.settings, run.result, run.table
    lines = [
        f"{s.model} ({s.task}) on {table.meta['source']}: {len(table)} rows, "
        f"{table.X.shape[1]} features, {s.cv}-fold {result.settings['splitter']}"
        + (f" by {table.meta['group']!r}" if table.meta.get("group") else ""),
    ]
    lines += [f"  note: {n}" for n in table.meta["notes"]]
    lines += [
        f"  note: {n}" for n in result.settings.get("scaling", {}).get("notes", [])
    ]
    lines += [f"warning: {w}" for w in result.table_meta.get("warnings", [])]
    if run.extra.get("importance", {}).get("note"):
        lines.append(f"  note: {run.extra['importance']['note']}")
    if s.scheduler is not None:
        lines.append(f"  ran on the Dask scheduler {s.scheduler!r}")
    lines.append("  " + format_metrics(result.metrics))
    if result.best_params:
        lines.append(f"  chosen on all rows: {result.best_params}")
    if run.test_metrics is not None:
        lines.append(
            f"  held-out test ({run.test_rows} rows): "
            + format_metrics(run.test_metrics)
        )
    t = result.timings
    parts = [
        f"{label} {t[key]:.0f} s"
        for key, label in (
            ("cross_validation_s", "cross-validation"),
            ("final_fit_s", "final fit"),
            ("permutation_importance_s", "importance"),
        )
        if key in t
    ]
    lines.append(f"  time: {run.elapsed_s:.0f} s in all (" + ", ".join(parts) + ")")
    lines.append(
        f"wrote {run.out_dir}/ (index.html, report.md, metrics.json, model.joblib)"
    )
    return "\n".join(lines)


def evaluate_summary(run: Any) -> str:
    """The lines ``evaluate`` prints, formatted from an ``EvaluateRun``."""
    return (
        f"{run.model_name} on {run.source} ({run.n_rows} rows)\n  "
        + format_metrics(run.metrics)
        + (f"\n  note: {run.range_note}" if run.range_note else "")
        + f"\nwrote {run.out_dir}/ (index.html, report.md, metrics.json, predictions.csv)"
    )


def dynamic_summary(run: Any) -> str:
    """The lines ``train-dynamic`` prints, formatted from a ``DynamicRun``."""
    s, summary = run.settings, run.summary
    lines = [
        f"dynamic {s.model} on {summary['n_frames']} frames of {summary['n_songs']} "
        f"songs ({s.cv}-fold, songs held out; scale {summary['scale']})"
    ]
    lines += [f"  note: {n}" for n in summary["notes"]]
    for name, blk in summary["targets"].items():
        own, unit = blk["own"], blk["rescaled_0_1"]
        lines.append(
            f"  {name}: pooled RMSE {own['pooled_rmse']:.3f} r {own['pooled_r']:.3f}; "
            f"per song RMSE {own['per_song_rmse']:.3f} r {own['per_song_r']:.3f} "
            f"(0..1: pooled RMSE {unit['pooled_rmse']:.3f})"
        )
    lines.append(
        f"wrote {run.out_dir}/ (index.html, report.md, metrics.json, predictions.csv, model)"
    )
    return "\n".join(lines)


def predict_text(run: Any) -> str:
    """What ``predict`` prints on stdout, from a ``PredictRun``: the predictions
    (without ``--out``) or the lines saying what was written."""
    from mer_classic._workflows import table_text

    s = run.settings
    if run.out is None:
        return table_text(run.predictions, s.fmt)
    lines = [f"wrote {len(run.predictions)} prediction(s) to {run.out}"]
    note = run.range_note
    if note:  # one line per batch (per track with segments, never per segment)
        lines.append(f"  note: {note}")
    if run.segments_file is not None:
        lines.append(
            f"wrote {len(run.audio.segments)} segment row(s) to {run.segments_file} "
            f"and {run.figure}"
            + (f" (smoothed over {s.smooth:g} s)" if s.smooth > 0 else "")
        )
        n, shown = run.curve_tracks, run.curve_tracks_shown
        if n > shown:
            lines.append(
                f"  note: the figure shows the first {shown} of {n} tracks "
                f"({n - shown} left out); every track's curve is in {run.segments_file}"
            )
    return "\n".join(lines)


def predict_problems(run: Any) -> list[str]:
    """The stderr lines about audio files that could not be used (empty when none)."""
    problems = [f"  {path}: {reason}" for path, reason in run.failed]
    if problems:
        problems.insert(0, f"{len(problems)} file(s) could not be used:")
    return problems


def extract_summary(run: Any) -> str:
    """The lines ``extract`` prints on stdout, formatted from an ``ExtractRun``."""
    result = run.result
    lines: list[str] = []
    if result.n_resumed:
        lines.append(f"Resumed: {result.n_resumed} file(s) from the interrupted run.")
    n_ok = result.n_cached + result.n_computed
    lines.append(
        f"Extracted {n_ok} file(s) ({result.n_cached} from cache, "
        f"{result.n_computed} computed) "
        f"→ {run.out} ({result.n_rows} rows x {result.n_features} features)"
    )
    lines += [f"  note: {note}" for note in result.notes]
    if result.n_skipped:
        lines.append(
            f"Skipped {result.n_skipped} tracks-CSV row(s) without audio_path."
        )
    return "\n".join(lines)


def extract_problems(run: Any) -> list[str]:
    """The stderr lines about failed files (the first :data:`SHOWN_ERRORS`; all are
    in the errors CSV), empty when none failed."""
    failed = run.failed
    if not failed:
        return []
    return [f"{len(failed)} file(s) failed; see {run.errors_file}:"] + [
        f"  {path}: {reason}" for path, reason in failed[:SHOWN_ERRORS]
    ]


def fetch_summary(run: Any) -> str:
    """The lines ``fetch`` prints, formatted from a ``FetchRun``."""
    summary = run.summary
    labels = ", ".join(f"{k} {v}" for k, v in summary["labels"].items())
    lines = [
        f"{summary['tracks']} tracks ({labels}) written to {summary['out']}",
        f"audio: {summary['with_audio']} with, {summary['without_audio']} without; "
        f"attributes: {summary['with_attributes']} with ({summary['attributes']})",
    ]
    if summary["conflicts"]["tracks"]:
        lines.append(
            f"conflicts: {summary['conflicts']['tracks']} tracks under two labels "
            "left out (see conflicts.csv)"
        )
    lines += [
        f"skipped {problem['source']}: {problem['reason']}"
        for problem in summary["problems"]
    ]
    lines.append(f"requests: {summary['requests_this_run']['total']} this run")
    return "\n".join(lines)


def report_summary(run: Any) -> str:
    """The line ``report`` prints, formatted from a ``ReportRun``."""
    if run.html is not None:
        return f"wrote {run.markdown} and {run.html}"
    return f"wrote {run.markdown}"
