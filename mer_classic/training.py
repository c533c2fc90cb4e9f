"""The main job: cross-validate a registry model on a table, then refit it on all rows.

:func:`train` is what ``mer-classic train`` calls. It returns a :class:`TrainResult`
that :func:`mer_classic.report.write_run` turns into a run folder.
"""

from __future__ import annotations

import logging
import os
import platform
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mer_classic._crossval import (
    INNER_SPLITS,
    CVResult,
    baseline_scores,
    cross_validate_model,
    fit_final,
    make_splitter,
    resolve_scoring,
)
from mer_classic._large_tables import (
    LARGE_ROWS,
    SubsampledGridSearch,
    downcast_float32,
    plan_for_size,
)
from mer_classic._leakage import describe_copy, target_copies
from mer_classic._metrics import (
    classification_metrics,
    quadrant_metrics,
    regression_metrics,
    score_predictions,
    summarize_repeats,
)
from mer_classic._persistence._ranges import feature_ranges
from mer_classic._table import Table
from mer_classic.labels import (
    infer_scale,
)
from mer_classic.models import get_spec
from mer_classic.parallel import check_n_jobs, check_scheduler, joblib_backend

__all__ = [
    "TrainResult",
    "train",
    "score_predictions",
    "CVResult",
    "make_splitter",
    "cross_validate_model",
    "baseline_scores",
    "classification_metrics",
    "regression_metrics",
    "quadrant_metrics",
    "summarize_repeats",
]

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """Everything a run produced.

    Attributes
    ----------
    estimator : Pipeline
        The pipeline refitted on all rows (with the grid's choice on all rows).
    best_params : dict
        Hyper-parameters of ``estimator``.
    cv : CVResult
        Out-of-fold predictions and per-fold choices.
    metrics : dict
        Cross-validated metrics (see :func:`score_predictions`), plus repetitions.
    settings : dict
        The run's settings (model, task, cv, seed, grid, smote, ...).
    table_meta : dict
        The table's metadata (source, notes, fingerprint) and ``warnings``: what
        would make the scores mislead (a feature that is a near-copy of the target,
        see :func:`mer_classic._leakage.target_copies`; a group-like column left
        out of the splits).
    feature_names : list of str
        Feature columns the model expects, in order.
    feature_ranges : dict or None
        The training features' robust range
        (:func:`mer_classic._persistence._ranges.feature_ranges`), stored in
        ``model.json`` so that prediction can flag rows far outside it.
    """

    estimator: Any
    best_params: dict[str, Any]
    cv: CVResult
    metrics: dict[str, Any]
    settings: dict[str, Any]
    table_meta: dict[str, Any]
    feature_names: list[str]
    classes: list[str] | None = None
    y_true: Any = None
    groups: Any = None
    timings: dict[str, float] = field(default_factory=dict)
    feature_ranges: dict[str, Any] | None = None


def train(
    table: Table,
    *,
    model: str = "stacking",
    task: str | None = None,
    cv: int = 5,
    repeats: int = 1,
    seed: int = 42,
    grid: bool = True,
    smote: bool = True,
    n_jobs: int = 1,
    scale: str | None = None,
    quiet: bool = True,
    scheduler: str | None = None,
    large_rows: int | None = None,
    on_large: str = "switch",
    scoring: str | None = None,
) -> TrainResult:
    """Cross-validate ``model`` on ``table`` (nested grid search), then refit on all rows.

    Parameters
    ----------
    table : Table
        From :func:`mer_classic.datasets.load_table`.
    model : str, default='stacking'
        Registry name (:data:`mer_classic.models.MODELS`).
    task : {'classify', 'regress'}, default=None
        Defaults to the table's task.
    cv : int, default=5
        Outer folds (grouped and stratified as the data allows).
    repeats : int, default=1
        Repetitions of the outer CV with other seeds; metrics get mean ± sd.
    seed : int, default=42
        Seed for folds, SMOTE and the models.
    grid : bool, default=True
        Choose hyper-parameters by grid search inside each training fold.
    smote : bool, default=True
        Over-sample minority classes inside the training folds (classification).
    n_jobs : int, default=1
        Parallel jobs (joblib).
    scale : str, default=None
        Scale of regression targets ('1-9', '-1..1', '0..1'); inferred when None.
    quiet : bool, default=True
        Hide progress bars.
    scheduler : str, default=None
        Where the parallel work runs: None (local processes), ``"local"`` (a Dask
        LocalCluster) or ``"tcp://HOST:PORT"`` (see
        :func:`mer_classic.parallel.joblib_backend`); results are the same. With a
        scheduler every worker thread of the cluster is used (``n_jobs`` is ignored).
    large_rows : int, default=None
        Row count above which quadratic models are replaced by scalable ones, the
        grid search is subsampled and features go float32
        (:func:`mer_classic._large_tables.plan_for_size`); None uses
        :data:`mer_classic._large_tables.LARGE_ROWS`.
    on_large : {'switch', 'refuse', 'keep'}, default='switch'
        What to do with a quadratic model on a large table.
    scoring : str, default=None
        sklearn scorer name the inner grid search selects on; None uses the
        headline metric (:func:`mer_classic._crossval.scoring_for`: ``f1_macro``,
        or ``neg_root_mean_squared_error`` for regression).

    Returns
    -------
    TrainResult
    """
    task = task or table.meta.get("task", "classify")
    get_spec(model, task)  # fail fast on an unknown name
    scoring = resolve_scoring(scoring, task)

    scheduler = check_scheduler(scheduler)
    jobs = -1 if scheduler is not None else check_n_jobs(n_jobs)
    plan = _plan(
        table,
        model=model,
        task=task,
        smote=smote,
        seed=seed,
        grid=grid,
        large_rows=large_rows,
        on_large=on_large,
        n_jobs=1 if scheduler is not None else n_jobs,
        scoring=scoring,
    )
    X = downcast_float32(table.X)[0] if plan.float32 else table.X
    estimate = _grid_estimate(plan, X, table, cv=cv, repeats=repeats, jobs=jobs)
    if task == "regress" and scale is None:
        scale = infer_scale(np.asarray(table.y, dtype=float).ravel())
    cvres, estimator, best, timings = _cross_validate_and_refit(
        plan,
        X,
        table,
        task=task,
        cv=cv,
        repeats=repeats,
        seed=seed,
        jobs=jobs,
        quiet=quiet,
        scale=scale,
        scheduler=scheduler,
        scoring=scoring,
    )
    if isinstance(estimator, SubsampledGridSearch):
        best = dict(estimator.best_params_)
        estimator = estimator.best_estimator_
    classes = [str(c) for c in estimator.classes_] if task == "classify" else None
    settings = {
        "model": model,
        "task": task,
        "cv": cv,
        "repeats": repeats,
        "seed": seed,
        "grid": grid,
        "smote": bool(smote and task == "classify"),
        "n_jobs": n_jobs,
        "target": table.meta.get("target"),
        "group": table.meta.get("group"),
        "id": table.meta.get("id"),
        "scale": scale,
        "splitter": type(
            make_splitter(task, cv, grouped=table.groups is not None, seed=seed)
        ).__name__,
        "scoring": scoring,
        "python": platform.python_version(),
        "scheduler": scheduler,
        "scaling": {
            "switched": plan.switched,
            "grid_rows": plan.grid_rows,
            "float32": plan.float32,
            "notes": list(plan.notes),
        },
    }
    table_meta = dict(table.meta)
    table_meta["warnings"] = list(table.meta.get("warnings") or []) + [
        describe_copy(c, task)
        for c in target_copies(table.X, table.y, task=task, seed=seed)
    ]
    for w in table_meta["warnings"]:
        logger.info("warning: %s", w)
    metrics = _run_metrics(cvres, task, table.targets, repeats)
    metrics["baseline"] = baseline_scores(
        table.y, table.groups, task=task, cv=cv, repeats=repeats, seed=seed
    )
    if estimate:
        settings["grid_estimate"] = estimate
    return TrainResult(
        estimator=estimator,
        best_params=best,
        cv=cvres,
        metrics=metrics,
        settings=settings,
        table_meta=table_meta,
        feature_names=list(table.X.columns),
        classes=classes,
        y_true=table.y,
        groups=table.groups,
        timings=timings,
        feature_ranges=feature_ranges(table.X),
    )


def _plan(
    table: Table,
    *,
    model: str,
    task: str,
    smote: bool,
    seed: int,
    grid: bool,
    large_rows: int | None,
    on_large: str,
    n_jobs: int,
    scoring: str,
) -> Any:
    """The pipeline and grid for the table's size (:func:`mer_classic._large_tables.plan_for_size`)."""

    return plan_for_size(
        model,
        task,
        len(table),
        smote=smote,
        n_targets=len(table.targets) if task == "regress" else 1,
        random_state=seed,
        grid=grid,
        large_rows=LARGE_ROWS if large_rows is None else large_rows,
        on_large=on_large,
        n_jobs=n_jobs,
        scoring=scoring,
    )


#: a grid whose estimated time passes this many seconds is announced (a warning
#: with the number of fits and the estimate) before it starts
LONG_GRID_S = 120.0


def grid_fits(n_candidates: int, *, cv: int, repeats: int, inner: int = 3) -> int:
    """Model fits of a nested grid search: outer folds × (candidates × inner + 1),
    plus the final search on all rows.

    Examples
    --------
    >>> grid_fits(4, cv=5, repeats=1)
    78
    """
    per_search = n_candidates * inner + 1
    return cv * repeats * per_search + per_search


def _grid_estimate(
    plan: Any, X: pd.DataFrame, table: Table, *, cv: int, repeats: int, jobs: int
) -> dict[str, Any] | None:
    """Time one fit and warn before a grid estimated to take over LONG_GRID_S.

    Returns ``{"fits", "one_fit_s", "estimate_s"}`` or None without a grid. The one
    fit is on the whole table (a fold's training part is smaller, so the estimate
    errs long); parallel jobs divide it.
    """
    from sklearn.base import clone
    from sklearn.model_selection import ParameterGrid

    if not plan.grid:
        return None
    n_cand = len(ParameterGrid(plan.grid))
    fits = grid_fits(n_cand, cv=cv, repeats=repeats, inner=INNER_SPLITS)
    if fits < 40:
        return {"fits": fits}
    t0 = time.perf_counter()
    clone(plan.pipeline).fit(X, table.y)
    one = time.perf_counter() - t0
    workers = max(1, jobs if jobs > 0 else (os.cpu_count() or 1))
    estimate = one * fits * (1 - 1 / cv) / workers
    if estimate > LONG_GRID_S:
        logger.warning(
            "the grid search fits %d models (%d candidates, %d inner folds, %d outer "
            "folds × %d repeat(s)): about %.0f min at %.1f s per fit; --no-grid, "
            "--jobs -1 or a cheaper --model make it shorter",
            fits,
            n_cand,
            INNER_SPLITS,
            cv,
            repeats,
            estimate / 60,
            one,
        )
    return {"fits": fits, "one_fit_s": round(one, 2), "estimate_s": round(estimate, 1)}


def _cross_validate_and_refit(
    plan: Any,
    X: pd.DataFrame,
    table: Table,
    *,
    task: str,
    cv: int,
    repeats: int,
    seed: int,
    jobs: int,
    quiet: bool,
    scale: str | None,
    scheduler: str | None,
    scoring: str,
) -> tuple[CVResult, Any, dict[str, Any], dict[str, float]]:
    """Outer CV (nested grid) then the refit on all rows, on the chosen backend."""

    def metrics_fn(yt: Any, yp: Any) -> dict[str, Any]:
        return score_predictions(task, yt, yp, scale=scale)

    t0 = time.perf_counter()
    with joblib_backend(scheduler):
        cvres = cross_validate_model(
            plan.pipeline,
            X,
            table.y,
            table.groups,
            task=task,
            grid=plan.grid,
            cv=cv,
            repeats=repeats,
            seed=seed,
            n_jobs=jobs,
            quiet=quiet,
            metrics_fn=metrics_fn,
            scoring=scoring,
        )
        t_cv = time.perf_counter() - t0
        t1 = time.perf_counter()
        estimator, best = fit_final(
            plan.pipeline,
            plan.grid,
            X,
            table.y,
            table.groups,
            task=task,
            n_splits=cv,
            seed=seed,
            n_jobs=jobs,
            scoring=scoring,
        )
        t_fit = time.perf_counter() - t1
    return cvres, estimator, best, {"cross_validation_s": t_cv, "final_fit_s": t_fit}


def _run_metrics(
    cvres: CVResult, task: str, targets: list[str], repeats: int
) -> dict[str, Any]:
    """The headline metrics: mean over the repetitions, with their sd beside them.

    With one repetition the metrics are those of the single CV. With ``repeats > 1``
    each scalar headline (``accuracy``, ``f1_macro``, ``f1_weighted``, ``mcc``,
    ``balanced_accuracy``; per target ``rmse``, ``mae``, ``r2``, ``pearson_r``) is the
    mean over repetitions, ``sd`` holds their standard deviations under the same
    dotted keys, and ``repeats`` lists each repetition's value. Per-class scores, the
    confusion matrix and the saved predictions stay those of repetition 1 (one set
    of out-of-fold predictions), which ``repeats["note"]`` says.
    """
    metrics = dict(cvres.repeat_metrics[0])
    if task == "classify":
        keys = [
            k
            for k in ("accuracy", "balanced_accuracy", "f1_macro", "f1_weighted", "mcc")
            if k in metrics
        ]
    else:
        keys = [
            f"targets.{t}.{m}"
            for t in targets
            for m in ("rmse", "mae", "r2", "pearson_r")
            if m in metrics["targets"][t]
        ]
    summary = summarize_repeats(cvres.repeat_metrics, keys)
    metrics["repeats"] = {"n": repeats, **summary}
    if repeats > 1:
        if task == "regress":
            metrics["targets"] = {t: dict(v) for t, v in metrics["targets"].items()}
        for key, stat in summary.items():
            node = metrics
            *path, last = key.split(".")
            for part in path:
                node = node[part]
            node[last] = stat["mean"]
        metrics["sd"] = {key: stat["sd"] for key, stat in summary.items()}
        metrics["repeats"]["note"] = (
            f"headline scores are the mean over {repeats} repetitions (sd in 'sd'); "
            "per-class scores, the confusion matrix and predictions.csv are from "
            "repetition 1"
        )
    return metrics
