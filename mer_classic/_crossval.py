"""Cross-validation: grouped CV with out-of-fold predictions.

The scores themselves are in :mod:`mer_classic._metrics` (re-exported here).

(This module was ``mer_classic.evaluate``; the ``evaluate`` command is
:func:`mer_classic._workflows.run_evaluate`.)

Nested by construction: when a grid is given, the hyper-parameters are chosen by
a :class:`~sklearn.model_selection.GridSearchCV` that sees only the outer training
fold (with the same grouping), and the reported scores come from the outer test
folds, never from the grid's own selection scores.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    StratifiedGroupKFold,
    StratifiedKFold,
)

from mer_classic._metrics import (
    classification_metrics,
    regression_metrics,
)
from mer_classic._progress import progress
from mer_classic.exceptions import DataError, ParameterError

__all__ = [
    "CVResult",
    "make_splitter",
    "cross_validate_model",
    "baseline_scores",
]

logger = logging.getLogger(__name__)


def scoring_for(task: str) -> str:
    """Model-selection score: the headline metric of the task.

    Macro F1 (classification) or negative RMSE (regression), so the inner grid
    selects on what the run reports.

    Examples
    --------
    >>> scoring_for("classify"), scoring_for("regress")
    ('f1_macro', 'neg_root_mean_squared_error')
    """
    return "f1_macro" if task == "classify" else "neg_root_mean_squared_error"


def resolve_scoring(scoring: str | None, task: str) -> str:
    """``scoring`` checked against sklearn's scorer names (None: :func:`scoring_for`).

    Raises
    ------
    ParameterError
        An unknown scorer name, or one for the other task.

    Examples
    --------
    >>> resolve_scoring(None, "classify")
    'f1_macro'
    >>> resolve_scoring("r2", "regress")
    'r2'
    """
    from sklearn.metrics import get_scorer_names

    if scoring is None:
        return scoring_for(task)
    names = set(get_scorer_names())
    if scoring not in names:
        close = sorted(n for n in names if scoring.lower() in n)[:6]
        raise ParameterError(
            f"unknown --scoring {scoring!r}; use an sklearn scorer name such as "
            + ", ".join(close or ["f1_macro", "balanced_accuracy", "r2"])
        )
    regression = {"r2", "explained_variance", "max_error"} | {
        n
        for n in names
        if n.startswith("neg_") and "log_loss" not in n and "brier" not in n
    }
    if task == "classify" and scoring in regression:
        raise ParameterError(
            f"--scoring {scoring!r} is a regression score; for classification use "
            "e.g. f1_macro, balanced_accuracy or accuracy"
        )
    if task == "regress" and scoring not in regression:
        raise ParameterError(
            f"--scoring {scoring!r} is a classification score; for regression use "
            "e.g. neg_root_mean_squared_error or r2"
        )
    return scoring


def make_splitter(task: str, n_splits: int, *, grouped: bool, seed: int) -> Any:
    """The CV splitter for a task: stratified for classes, grouped when groups exist.

    Examples
    --------
    >>> type(make_splitter("classify", 5, grouped=True, seed=0)).__name__
    'StratifiedGroupKFold'
    >>> type(make_splitter("regress", 5, grouped=False, seed=0)).__name__
    'KFold'
    """
    if n_splits < 2:
        raise ParameterError(f"cv must be at least 2 folds; got {n_splits}")
    if task == "classify":
        if grouped:
            return StratifiedGroupKFold(
                n_splits=n_splits, shuffle=True, random_state=seed
            )
        return StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    if grouped:
        return GroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return KFold(n_splits=n_splits, shuffle=True, random_state=seed)


def validate_folds(
    y: pd.Series | pd.DataFrame, groups: pd.Series | None, n_splits: int, task: str
) -> None:
    """Refuse splits that cannot work, naming the class or the group count."""
    if n_splits < 2:
        raise ParameterError(f"cv must be at least 2 folds; got {n_splits}")
    if len(y) < n_splits:
        raise DataError(
            f"{len(y)} rows cannot be split into {n_splits} folds; lower --cv"
        )
    if task == "classify":
        counts = pd.Series(np.asarray(y)).value_counts()
        small = counts[counts < n_splits]
        if len(counts) > max(20, len(y) // 2):  # free text, ids, numbers as labels
            shown = ", ".join(repr(str(k)) for k in counts.index[:5])
            raise DataError(
                f"{len(counts)} distinct values in {len(y)} rows (e.g. {shown}) — is "
                f"this a label column? Choose a --target with a few classes, or "
                "--task regress for a numeric value"
            )
        if len(small):
            detail = ", ".join(f"{k!r} has {v}" for k, v in list(small.items())[:8])
            if len(small) > 8:
                detail += f" and {len(small) - 8} more"
            raise DataError(
                f"class(es) with fewer members than the {n_splits} CV folds: {detail}. "
                "Add examples, drop or merge the class, or lower --cv"
            )
    if groups is not None:
        n_groups = pd.Series(groups).nunique()
        if n_groups < n_splits:
            raise DataError(
                f"only {n_groups} distinct groups for {n_splits} folds; lower --cv or drop --group"
            )
        if task == "classify":
            per_class = pd.DataFrame({"y": np.asarray(y), "g": np.asarray(groups)})
            n_group_per_class = per_class.groupby("y")["g"].nunique()
            few = n_group_per_class[n_group_per_class < n_splits]
            if len(few):
                detail = ", ".join(f"{k!r} in {v}" for k, v in few.items())
                logger.warning(
                    "class(es) spread over fewer groups than folds (%s): some test folds "
                    "will lack them",
                    detail,
                )


#: folds of the inner (model-selection) CV; the outer CV uses the user's --cv
INNER_SPLITS = 3


def _inner_splits(
    y: pd.Series | pd.DataFrame, groups: pd.Series | None, n_splits: int, task: str
) -> int:
    k = min(n_splits, INNER_SPLITS)
    if task == "classify":
        k = min(k, int(pd.Series(np.asarray(y)).value_counts().min()))
    if groups is not None:
        k = min(k, int(pd.Series(groups).nunique()))
    return max(2, k)


@dataclass
class CVResult:
    """Out-of-fold predictions and per-fold details of one cross-validation.

    Attributes
    ----------
    predictions : Series or DataFrame
        Out-of-fold prediction of every row (first repetition).
    probabilities : DataFrame or None
        Out-of-fold class probabilities (first repetition), when the model has them.
    fold_params : list of dict
        Hyper-parameters chosen by the inner grid in each outer fold.
    repeat_metrics : list of dict
        Metrics of each repetition (different fold assignments).
    """

    predictions: pd.Series | pd.DataFrame
    probabilities: pd.DataFrame | None
    fold_params: list[dict[str, Any]] = field(default_factory=list)
    repeat_metrics: list[dict[str, Any]] = field(default_factory=list)


def _fit_predict_fold(
    pipeline: Any,
    grid: dict[str, list[Any]] | None,
    X: pd.DataFrame,
    y: Any,
    groups: pd.Series | None,
    train: np.ndarray,
    test: np.ndarray,
    *,
    task: str,
    n_splits: int,
    seed: int,
    n_jobs: int,
    scoring: str | None = None,
) -> tuple[np.ndarray, np.ndarray | None, list[Any] | None, dict[str, Any]]:
    X_tr, X_te = X.iloc[train], X.iloc[test]
    y_tr = y.iloc[train]
    g_tr = groups.iloc[train] if groups is not None else None
    est, params = fit_final(
        pipeline,
        grid,
        X_tr,
        y_tr,
        g_tr,
        task=task,
        n_splits=n_splits,
        seed=seed,
        n_jobs=n_jobs,
        scoring=scoring,
    )
    pred = np.asarray(est.predict(X_te))
    proba = classes = None
    if task == "classify" and hasattr(est, "predict_proba"):
        try:
            proba = est.predict_proba(X_te)
            classes = list(est.classes_)
        except AttributeError:  # e.g. SVC without probability
            proba = None
    return pred, proba, classes, params


def fit_final(
    pipeline: Any,
    grid: dict[str, list[Any]] | None,
    X: pd.DataFrame,
    y: Any,
    groups: pd.Series | None,
    *,
    task: str,
    n_splits: int,
    seed: int,
    n_jobs: int = 1,
    scoring: str | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Fit ``pipeline`` on ``X, y``, choosing hyper-parameters by a grouped grid search.

    Returns the fitted estimator and the chosen parameters (empty without a grid).
    The grid selects on ``scoring`` (default :func:`scoring_for`, the headline metric).
    """
    if not grid:
        est = clone(pipeline).fit(X, y)
        return est, {}
    k = _inner_splits(y, groups, n_splits, task)
    inner = make_splitter(task, k, grouped=groups is not None, seed=seed)
    search = GridSearchCV(
        clone(pipeline),
        grid,
        scoring=scoring or scoring_for(task),
        cv=inner,
        n_jobs=n_jobs,
        refit=True,
        error_score="raise",
    )
    search.fit(X, y, groups=groups)
    return search.best_estimator_, dict(search.best_params_)


def cross_validate_model(
    pipeline: Any,
    X: pd.DataFrame,
    y: pd.Series | pd.DataFrame,
    groups: pd.Series | None = None,
    *,
    task: str = "classify",
    grid: dict[str, list[Any]] | None = None,
    cv: int = 5,
    repeats: int = 1,
    seed: int = 42,
    n_jobs: int = 1,
    quiet: bool = True,
    metrics_fn: Callable[[Any, Any], dict[str, Any]] | None = None,
    scoring: str | None = None,
) -> CVResult:
    """Cross-validate with out-of-fold predictions (nested grid search when ``grid``).

    Parameters
    ----------
    pipeline : estimator
        Unfitted pipeline (see :func:`mer_classic.models.make_pipeline`).
    X, y : DataFrame, Series or DataFrame
        Features and target(s).
    groups : Series, default=None
        Groups (artist/song/film); folds never split a group.
    task : {'classify', 'regress'}, default='classify'
        Chooses stratification and scoring.
    grid : dict, default=None
        Parameter grid for the inner search; None fits the pipeline as is.
    cv : int, default=5
        Number of outer (and at most inner) folds.
    repeats : int, default=1
        Repetitions with different fold assignments (seed, seed+1, ...).
    seed : int, default=42
        Seed of the fold assignment.
    n_jobs : int, default=1
        Parallel jobs (grid candidates when a grid is given, else outer folds).
    quiet : bool, default=True
        Hide the progress bar.
    metrics_fn : callable, default=None
        ``metrics_fn(y_true, y_pred) -> dict`` per repetition; defaults to
        :func:`classification_metrics` or :func:`regression_metrics`.
    scoring : str, default=None
        Score the inner grid selects on; None uses :func:`scoring_for`.

    Returns
    -------
    CVResult
    """
    validate_folds(y, groups, cv, task)
    if repeats < 1:
        raise ParameterError(f"repeats must be >= 1; got {repeats}")
    if metrics_fn is None:
        metrics_fn = (
            classification_metrics if task == "classify" else regression_metrics
        )
    result: CVResult | None = None
    strat = np.asarray(y) if task == "classify" else np.zeros(len(y))
    for rep in range(repeats):
        splitter = make_splitter(task, cv, grouped=groups is not None, seed=seed + rep)
        folds = list(splitter.split(X, strat, groups))
        desc = f"CV repeat {rep + 1}/{repeats}" if repeats > 1 else "cross-validation"
        kwargs: dict[str, Any] = dict(
            task=task, n_splits=cv, seed=seed + rep, scoring=scoring
        )
        if grid:
            outs = [
                _fit_predict_fold(
                    pipeline, grid, X, y, groups, tr, te, n_jobs=n_jobs, **kwargs
                )
                for tr, te in progress(folds, total=len(folds), desc=desc, quiet=quiet)
            ]
        else:
            outs = Parallel(n_jobs=n_jobs)(
                delayed(_fit_predict_fold)(
                    pipeline, None, X, y, groups, tr, te, n_jobs=1, **kwargs
                )
                for tr, te in progress(folds, total=len(folds), desc=desc, quiet=quiet)
            )
        if isinstance(y, pd.DataFrame):
            pred = pd.DataFrame(index=y.index, columns=y.columns, dtype=float)
        else:
            pred = pd.Series(
                index=y.index,
                dtype=object if task == "classify" else float,
                name=y.name,
            )
        proba_frames = []
        for (_tr, te), (p, proba, classes, _params) in zip(folds, outs, strict=False):
            if isinstance(pred, pd.DataFrame):
                pred.iloc[te] = p.reshape(len(te), -1)
            else:
                pred.iloc[te] = p
            if proba is not None:
                proba_frames.append(
                    pd.DataFrame(proba, index=y.index[te], columns=classes)
                )
        probabilities = (
            pd.concat(proba_frames).reindex(y.index).fillna(0.0)
            if proba_frames and len(proba_frames) == len(folds)
            else None
        )
        metrics = metrics_fn(y, pred)
        if result is None:
            result = CVResult(
                predictions=pred,
                probabilities=probabilities,
                fold_params=[o[3] for o in outs],
            )
        result.repeat_metrics.append(metrics)
    assert result is not None
    return result


#: the scalar scores a baseline reports (classification)
_BASELINE_KEYS = ("accuracy", "balanced_accuracy", "f1_macro", "f1_weighted", "mcc")


def baseline_scores(
    y: pd.Series | pd.DataFrame,
    groups: pd.Series | None = None,
    *,
    task: str = "classify",
    cv: int | None = 5,
    repeats: int = 1,
    seed: int = 42,
) -> dict[str, Any]:
    """Scores of dummy predictors, on the same folds as :func:`cross_validate_model`.

    Classification: ``majority`` (always the training fold's most frequent class)
    and ``stratified`` (random labels drawn with the training fold's class
    frequencies, seeded); regression: ``mean`` (the training fold's mean of each
    target), with per-target ``rmse``, ``mae`` and ``r2``. With ``repeats`` the
    scores are the mean over the same fold seeds (``seed``, ``seed + 1``, ...) as
    the model's CV. ``cv=None`` scores the predictors fitted on ``y`` itself (an
    external table: an optimistic baseline, as it knows the table's own classes or
    mean).

    Examples
    --------
    >>> y = pd.Series(["a"] * 6 + ["b"] * 3)
    >>> round(baseline_scores(y, cv=3)["majority"]["accuracy"], 3)
    0.667
    """
    from sklearn.dummy import DummyClassifier, DummyRegressor

    n = len(y)
    X = np.zeros((n, 1))
    strat = np.asarray(y) if task == "classify" else np.zeros(n)
    if task == "classify":
        makers = {
            "majority": lambda r: DummyClassifier(strategy="most_frequent"),
            "stratified": lambda r: DummyClassifier(
                strategy="stratified", random_state=r
            ),
        }
    else:
        makers = {"mean": lambda r: DummyRegressor(strategy="mean")}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in makers}
    for rep in range(repeats if cv is not None else 1):
        if cv is None:
            folds = [(np.arange(n), np.arange(n))]
        else:
            splitter = make_splitter(
                task, cv, grouped=groups is not None, seed=seed + rep
            )
            folds = list(splitter.split(X, strat, groups))
        for name, make in makers.items():
            if isinstance(y, pd.DataFrame):
                pred: Any = np.zeros(y.shape, dtype=float)
            else:
                pred = np.empty(n, dtype=object if task == "classify" else float)
            for tr, te in folds:
                est = make(seed + rep).fit(X[tr], y.iloc[tr])
                pred[te] = est.predict(X[te])
            with warnings.catch_warnings():  # r of a constant prediction: nan
                warnings.simplefilter("ignore")
                m = (
                    classification_metrics(y, pred)
                    if task == "classify"
                    else regression_metrics(y, pred)
                )
            if task == "classify":
                runs[name].append({k: m[k] for k in _BASELINE_KEYS if k in m})
            else:
                runs[name].append(
                    {
                        t: {k: v[k] for k in ("rmse", "mae", "r2")}
                        for t, v in m["targets"].items()
                    }
                )
    out: dict[str, Any] = {}
    for name, vals in runs.items():
        if task == "classify":
            out[name] = {k: float(np.mean([v[k] for v in vals])) for k in vals[0]}
        else:
            out[name] = {
                "targets": {
                    t: {k: float(np.mean([v[t][k] for v in vals])) for k in vals[0][t]}
                    for t in vals[0]
                }
            }
    out["folds"] = (
        "fitted and scored on the evaluated table itself (optimistic: they know its "
        "classes or mean)"
        if cv is None
        else f"on the model's outer folds ({cv} folds, {repeats} repetition(s))"
    )
    return out
