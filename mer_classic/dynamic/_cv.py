"""Song-held-out cross-validation of a frame-level regressor."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mer_classic._crossval import cross_validate_model
from mer_classic.dynamic._align import smooth_curves
from mer_classic.dynamic._metrics import dynamic_metrics
from mer_classic.exceptions import DataError
from mer_classic.labels import infer_scale
from mer_classic.models import make_pipeline, param_grid

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- CV
@dataclass
class DynamicResult:
    """Out-of-fold per-frame predictions and their metrics.

    Attributes
    ----------
    predictions : DataFrame
        ``(track_id, time)`` → predicted targets (smoothed when ``smooth > 0``).
    truth : DataFrame
        The aligned annotations.
    metrics : dict
        :func:`dynamic_metrics` of the first repetition, plus ``repeats`` (mean/sd
        of the headline figures over repetitions) and ``unsmoothed`` when smoothed.
    settings : dict
        Model, folds, seed, grid, smoothing, scale, alignment.
    fold_params : list of dict
        Grid choices per outer fold (first repetition).
    """

    predictions: pd.DataFrame
    truth: pd.DataFrame
    metrics: dict[str, Any]
    settings: dict[str, Any]
    fold_params: list[dict[str, Any]] = field(default_factory=list)


def headline_metrics(m: dict[str, Any]) -> dict[str, float]:
    """Flatten the pooled and per-song RMSE/r of each target and scale into one dict."""
    out = {}
    for t, blk in m["targets"].items():
        for sc in ("own", "rescaled_0_1"):
            out[f"{t}.{sc}.pooled.rmse"] = blk[sc]["pooled"]["rmse"]
            out[f"{t}.{sc}.pooled.r"] = blk[sc]["pooled"]["r"]
            out[f"{t}.{sc}.per_song.rmse_mean"] = blk[sc]["per_song"]["rmse_mean"]
            out[f"{t}.{sc}.per_song.r_mean"] = blk[sc]["per_song"]["r_mean"]
    return out


def cross_validate_dynamic(
    X: pd.DataFrame,
    Y: pd.DataFrame,
    *,
    model: Any = "svr",
    cv: int = 5,
    seed: int = 42,
    grid: bool = True,
    smooth: float = 0.0,
    scale: str | tuple[float, float] | None = None,
    repeats: int = 1,
    n_jobs: int = 1,
    quiet: bool = True,
) -> DynamicResult:
    """Song-held-out cross-validation of a frame-level regressor.

    Parameters
    ----------
    X, Y : DataFrame
        Aligned features and targets (see :func:`align_segments`).
    model : str or estimator, default='svr'
        A regression name of :data:`mer_classic.models.MODELS`, or an unfitted
        scikit-learn regressor/pipeline (used as is, without a grid).
    cv : int, default=5
        Folds of :class:`~sklearn.model_selection.GroupKFold` over track ids.
    seed : int, default=42
        Seed of the fold assignment (``seed + k`` for repetition ``k``).
    grid : bool, default=True
        Inner grouped grid search for registry models.
    smooth : float, default=0.0
        Moving-average window (s) applied to each song's predicted curve.
    scale : str or (low, high), default=None
        Scale of the annotations; inferred when None.
    repeats : int, default=1
        Repetitions with different fold assignments.
    n_jobs : int, default=1
        Parallel jobs.
    quiet : bool, default=True
        Hide progress bars.

    Returns
    -------
    DynamicResult
    """
    if scale is None:
        scale = infer_scale(Y.to_numpy(float).ravel())
    groups = pd.Series(
        np.asarray(Y.index.get_level_values("track_id"), dtype=object), index=Y.index
    )
    n_songs = groups.nunique()
    if n_songs < cv:
        raise DataError(
            f"{n_songs} song(s) cannot be split into {cv} song-held-out folds; lower cv"
        )
    targets = list(Y.columns)
    y: pd.Series | pd.DataFrame = Y if len(targets) > 1 else Y[targets[0]]
    if isinstance(model, str):
        pipe = make_pipeline(
            model, "regress", n_targets=len(targets), random_state=seed
        )
        the_grid = (
            param_grid(model, "regress", n_targets=len(targets)) if grid else None
        )
        model_name = model
    else:
        pipe, the_grid, model_name = model, None, type(model).__name__

    flat_idx = pd.RangeIndex(len(Y))
    Xf = X.reset_index(drop=True).set_axis(flat_idx)
    yf = y.reset_index(drop=True)
    gf = groups.reset_index(drop=True)
    repeat_metrics = []
    first: tuple[pd.DataFrame, pd.DataFrame, dict[str, Any], list] | None = None
    for rep in range(repeats):
        res = cross_validate_model(
            pipe,
            Xf,
            yf,
            gf,
            task="regress",
            grid=the_grid,
            cv=cv,
            repeats=1,
            seed=seed + rep,
            n_jobs=n_jobs,
            quiet=quiet,
            metrics_fn=lambda a, b: {},
        )
        pred = pd.DataFrame(
            np.asarray(res.predictions, dtype=float).reshape(len(Y), -1),
            index=Y.index,
            columns=targets,
        )
        raw = pred
        if smooth > 0:
            pred = smooth_curves(pred, smooth)
        m = dynamic_metrics(Y, pred, scale=scale)
        if smooth > 0:
            m["unsmoothed"] = dynamic_metrics(Y, raw, scale=scale)
        repeat_metrics.append(headline_metrics(m))
        if first is None:
            first = (pred, raw, m, res.fold_params)
    assert first is not None
    pred, _raw, metrics, fold_params = first
    keys = list(repeat_metrics[0])
    metrics["repeats"] = {"n": repeats}
    for k in keys:
        vals = np.asarray([r[k] for r in repeat_metrics], dtype=float)
        metrics["repeats"][k] = {
            "mean": float(np.mean(vals)),
            "sd": float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0,
        }
    settings = {
        "model": model_name,
        "cv": cv,
        "seed": seed,
        "grid": bool(the_grid),
        "smooth_s": smooth,
        "scale": scale if isinstance(scale, str) else list(scale),
        "repeats": repeats,
        "splitter": "GroupKFold(shuffle) over track_id",
        "n_features": int(X.shape[1]),
        "n_frames": int(len(Y)),
        "n_songs": int(n_songs),
        "targets": targets,
    }
    return DynamicResult(
        predictions=pred,
        truth=Y,
        metrics=metrics,
        settings=settings,
        fold_params=fold_params,
    )
