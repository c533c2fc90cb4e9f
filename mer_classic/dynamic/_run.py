"""``run_dynamic``: the whole dynamic job, its report and its saved model."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_classic._crossval import fit_final
from mer_classic._persistence._files import save_model
from mer_classic._persistence._ranges import feature_ranges
from mer_classic.dynamic._align import align_segments
from mer_classic.dynamic._cv import (
    cross_validate_dynamic,
    headline_metrics,
)
from mer_classic.dynamic._io import (
    SEGMENT_KEYS,
    read_dynamic_annotations,
    read_segment_features,
)
from mer_classic.exceptions import DataError
from mer_classic.models import make_pipeline, param_grid
from mer_classic.report._dynamic import write_dynamic_files

logger = logging.getLogger(__name__)


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
        "metrics": headline_metrics(metrics),
        "feature_ranges": feature_ranges(X),
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

    feats = read_segment_features(features_csv)
    read_notes: list[str] = []
    ann = read_dynamic_annotations(annotations_csv, notes=read_notes)
    wanted = [t for t in targets if t in ann.columns]
    if not wanted:
        raise DataError(
            f"annotations have none of the targets {list(targets)}; they have "
            f"{[c for c in ann.columns if c not in SEGMENT_KEYS]}"
        )
    notes = read_notes + [
        f"target {t!r} not in the annotations: skipped"
        for t in targets
        if t not in ann.columns
    ]
    ann = ann[[*SEGMENT_KEYS, *wanted]].dropna(subset=wanted)
    X, Y = align_segments(
        feats, ann, tolerance=tolerance, time_ref=time_ref, lag=lag, notes=notes
    )
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
    write_dynamic_files(
        out,
        settings=res.settings,
        sources=sources,
        notes=notes,
        fold_params=res.fold_params,
        metrics=res.metrics,
        predictions=res.truth.add_suffix("_true").join(
            res.predictions.add_suffix("_pred")
        ),
    )
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
