"""``run_dynamic``: the whole dynamic job, its report and its saved model."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_classic.dynamic._align import align_segments
from mer_classic.dynamic._cv import (
    DynamicResult,
    cross_validate_dynamic,
    headline_metrics,
)
from mer_classic.dynamic._io import (
    SEGMENT_KEYS,
    read_dynamic_annotations,
    read_segment_features,
)
from mer_classic.exceptions import DataError

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------- run + report
def _scale_label(scale: Any) -> str:
    names = {"1-9": "1..9", "-1-1": "-1..1", "0-1": "0..1"}
    return names.get(scale, str(scale)) if isinstance(scale, str) else str(scale)


def _fmt(x: Any) -> str:
    return (
        "nan"
        if x is None or (isinstance(x, float) and not np.isfinite(x))
        else f"{x:.3f}"
    )


def _report_md(
    res: DynamicResult, sources: dict[str, str], notes: Sequence[str]
) -> str:
    s, m = res.settings, res.metrics
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
                f"| {t} | {_scale_label(s['scale']) if sc == 'own' else '0..1'} | "
                f"{_fmt(b['pooled']['rmse'])} | {_fmt(b['pooled']['r'])} | "
                f"{_fmt(b['per_song']['rmse_mean'])} ± "
                f"{_fmt(b['per_song']['rmse_sd'])} | "
                f"{_fmt(b['per_song']['r_mean'])} ± {_fmt(b['per_song']['r_sd'])} | "
                f"{_fmt(b['song_mean']['rmse'])} | {_fmt(b['song_mean']['r'])} |"
            )
    if m["repeats"]["n"] > 1:
        lines += ["", "Over repetitions (mean ± sd):", ""]
        for k, v in m["repeats"].items():
            if isinstance(v, dict) and "mean" in v:
                lines.append(f"- {k}: {_fmt(v['mean'])} ± {_fmt(v['sd'])}")
    if notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _save_final_model(
    X: pd.DataFrame,
    Y: pd.DataFrame,
    *,
    model: str,
    cv: int,
    seed: int,
    grid: bool,
    n_jobs: int,
    out: Path,
    scale: Any,
    metrics: dict[str, Any],
    feature_settings: dict[str, Any] | None,
) -> None:
    """Refit ``model`` on all frames (grid grouped by song) and save it in ``out``."""
    from mer_classic.evaluate import fit_final
    from mer_classic.models import make_pipeline, param_grid
    from mer_classic.persistence import save_model

    targets = list(Y.columns)
    y: pd.Series | pd.DataFrame = Y if len(targets) > 1 else Y[targets[0]]
    groups = pd.Series(np.asarray(Y.index.get_level_values("track_id"), dtype=object))
    pipe = make_pipeline(model, "regress", n_targets=len(targets), random_state=seed)
    the_grid = param_grid(model, "regress", n_targets=len(targets)) if grid else None
    est, best = fit_final(
        pipe,
        the_grid,
        X.reset_index(drop=True),
        y.reset_index(drop=True),
        groups,
        task="regress",
        n_splits=cv,
        seed=seed,
        n_jobs=n_jobs,
    )
    settings = dict(feature_settings or {})
    meta = {
        "model": model,
        "task": "regress",
        "target": targets,
        "scale": scale if isinstance(scale, str) else list(scale),
        "classes": None,
        "feature_names": list(X.columns),
        "best_params": best,
        "settings": {
            "model": model,
            "task": "regress",
            "dynamic": True,
            "cv": cv,
            "seed": seed,
            "grid": grid,
        },
        "metrics": _jsonable(headline_metrics(metrics)),
        **({"feature_settings": settings} if settings else {}),
    }
    save_model(est, out, meta)


def run_dynamic(
    features_csv: str | os.PathLike[str] | pd.DataFrame,
    annotations_csv: str | os.PathLike[str] | pd.DataFrame,
    *,
    targets: Sequence[str] = ("valence", "arousal"),
    model: Any = "svr",
    cv: int = 5,
    seed: int = 42,
    grid: bool = True,
    smooth: float = 0.0,
    scale: str | None = None,
    out_dir: str | os.PathLike[str],
    quiet: bool = False,
    repeats: int = 1,
    tolerance: float = 0.25,
    time_ref: str = "center",
    lag: float = 0.0,
    n_jobs: int = 1,
    save_model: bool = False,
    feature_settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train and evaluate dynamic valence/arousal regression; write a report.

    Parameters
    ----------
    features_csv : path or DataFrame
        Segment features (``track_id, time`` + features; ``segment=0.5``).
    annotations_csv : path or DataFrame
        Per-frame annotations (any format of :func:`read_dynamic_annotations`).
    targets : sequence of str, default=('valence', 'arousal')
        Targets to model; those absent from the annotations are skipped (an error
        when none is present).
    model : str or estimator, default='svr'
        Regression model name or estimator.
    cv : int, default=5
        Song-held-out folds.
    seed : int, default=42
        Seed of the folds and the model.
    grid : bool, default=True
        Inner grid search (registry models).
    smooth : float, default=0.0
        Moving-average window (s) over each predicted curve.
    scale : str, default=None
        Annotation scale; inferred from the values when None.
    out_dir : path
        Where ``metrics.json``, ``report.md`` and ``predictions.csv`` are written
        (atomically).
    quiet : bool, default=False
        Hide progress bars.
    repeats : int, default=1
        Repetitions with other fold assignments.
    tolerance, time_ref, lag : see :func:`align_segments`.
    n_jobs : int, default=1
        Parallel jobs.
    save_model : bool, default=False
        Also refit the model on every frame (song-grouped grid) and save
        ``model.joblib`` + ``model.json`` in ``out_dir``, so ``mer-classic predict
        --segments`` draws valence/arousal curves from audio.
    feature_settings : dict, default=None
        Extraction settings to record in ``model.json`` (from the features' sidecar).

    Returns
    -------
    dict
        ``targets`` → name → ``{"own": {...}, "rescaled_0_1": {...}}`` with
        ``pooled_rmse``, ``pooled_r``, ``per_song_rmse``, ``per_song_r``; plus
        ``scale``, ``n_frames``, ``n_songs`` and ``out_dir``.
    """
    from mer_classic._io import write_csv_atomic, write_text_atomic

    feats = read_segment_features(features_csv)
    ann = read_dynamic_annotations(annotations_csv)
    wanted = [t for t in targets if t in ann.columns]
    if not wanted:
        raise DataError(
            f"annotations have none of the targets {list(targets)}; they have "
            f"{[c for c in ann.columns if c not in SEGMENT_KEYS]}"
        )
    notes = [
        f"target {t!r} not in the annotations: skipped"
        for t in targets
        if t not in ann.columns
    ]
    ann = ann[[*SEGMENT_KEYS, *wanted]].dropna(subset=wanted)
    X, Y = align_segments(feats, ann, tolerance=tolerance, time_ref=time_ref, lag=lag)
    n_ann_songs = ann["track_id"].nunique()
    n_used = Y.index.get_level_values("track_id").nunique()
    if n_used < n_ann_songs:
        notes.append(
            f"{n_ann_songs - n_used} annotated song(s) have no features: left out"
        )
    res = cross_validate_dynamic(
        X,
        Y,
        model=model,
        cv=cv,
        seed=seed,
        grid=grid,
        smooth=smooth,
        scale=scale,
        repeats=repeats,
        n_jobs=n_jobs,
        quiet=quiet,
    )
    res.settings.update({"tolerance_s": tolerance, "time_ref": time_ref, "lag_s": lag})
    out = Path(out_dir)
    sources = {
        "features": "<DataFrame>"
        if isinstance(features_csv, pd.DataFrame)
        else str(features_csv),
        "annotations": "<DataFrame>"
        if isinstance(annotations_csv, pd.DataFrame)
        else str(annotations_csv),
    }
    payload = {
        "settings": res.settings,
        "sources": sources,
        "notes": notes,
        "fold_params": res.fold_params,
        "metrics": res.metrics,
    }
    write_text_atomic(
        out / "metrics.json", json.dumps(_jsonable(payload), indent=2) + "\n"
    )
    write_text_atomic(out / "report.md", _report_md(res, sources, notes))
    table = res.truth.add_suffix("_true").join(res.predictions.add_suffix("_pred"))
    write_csv_atomic(table, out / "predictions.csv")
    if save_model and isinstance(model, str):
        _save_final_model(
            X,
            Y,
            model=model,
            cv=cv,
            seed=seed,
            grid=grid,
            n_jobs=n_jobs,
            out=out,
            scale=res.settings["scale"],
            metrics=res.metrics,
            feature_settings=feature_settings,
        )
    summary: dict[str, Any] = {
        "scale": res.settings["scale"],
        "n_frames": res.settings["n_frames"],
        "n_songs": res.settings["n_songs"],
        "out_dir": str(out),
        "notes": notes,
        "targets": {},
    }
    for t, blk in res.metrics["targets"].items():
        summary["targets"][t] = {
            sc: {
                "pooled_rmse": blk[sc]["pooled"]["rmse"],
                "pooled_r": blk[sc]["pooled"]["r"],
                "per_song_rmse": blk[sc]["per_song"]["rmse_mean"],
                "per_song_r": blk[sc]["per_song"]["r_mean"],
            }
            for sc in ("own", "rescaled_0_1")
        }
    logger.info("dynamic run written to %s", out)
    return summary
