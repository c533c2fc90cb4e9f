"""Permutation feature importance measured on held-out folds.

For each outer fold the pipeline (with its hyper-parameters fixed, no grid search) is
fitted on the training part, and each feature column of the *held-out* part is shuffled
``n_repeats`` times; the importance is the drop of the score. Measuring on held-out
rows shows what the model relies on to generalise, not what it memorised. The folds
are grouped and stratified exactly like the evaluation (same splitter and seed).

The result is saved as ``importance.csv`` in a run folder, where
:mod:`mer_classic.report` draws it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_classic.exceptions import DataError, ParameterError
from mer_classic.report import IMPORTANCE_FILE as IMPORTANCE_FILE
from mer_classic.report import read_importance as read_importance

__all__ = [
    "IMPORTANCE_FILE",
    "MAX_FEATURES",
    "permutation_importance_cv",
    "add_importance_to_run",
    "read_importance",
]

logger = logging.getLogger(__name__)

#: default cap on the features whose importance is measured: a wider table gets a
#: seeded random subset of this many (each measured feature costs one scoring per
#: repeat and fold, so 10,000 columns would take many minutes)
MAX_FEATURES = 500


def permutation_importance_cv(
    estimator: Any,
    X: pd.DataFrame,
    y: Any,
    groups: Any = None,
    *,
    task: str = "classify",
    cv: int = 5,
    n_repeats: int = 3,
    seed: int = 42,
    scoring: str | None = None,
    max_rows: int | None = 2000,
    max_features: int | None = MAX_FEATURES,
    n_jobs: int = 1,
    quiet: bool = True,
) -> pd.DataFrame:
    """Permutation importance of each feature, averaged over held-out folds.

    On a table wider than ``max_features`` only a random subset of ``max_features``
    features (drawn with ``seed``, the same in every fold) is measured; the other
    features are left out of the result, and ``result.attrs["note"]`` says so.

    Parameters
    ----------
    estimator : estimator
        A pipeline with its hyper-parameters set (e.g. the refitted model of a run:
        it is cloned, so it is not modified).
    X : DataFrame of shape (n_samples, n_features)
        Features.
    y : array-like or DataFrame
        Labels (classification) or targets (regression).
    groups : array-like or None, default=None
        Groups for the splits (e.g. artist), as in the evaluation.
    task : {'classify', 'regress'}, default='classify'
        Chooses the splitter and the default score.
    cv : int, default=5
        Number of folds.
    n_repeats : int, default=3
        Shuffles per feature and fold.
    seed : int, default=42
        Seed of the folds and the shuffles.
    scoring : str or None, default=None
        sklearn scorer name; ``f1_macro`` (classification) or ``r2`` (regression).
    max_rows : int or None, default=2000
        Score on at most this many held-out rows per fold (keeps it cheap on big tables).
    max_features : int or None, default=MAX_FEATURES
        Measure at most this many features (a seeded random subset of a wider table);
        None measures all of them.
    n_jobs : int, default=1
        Parallel jobs for the shuffles.
    quiet : bool, default=True
        Hide the progress bar over folds.

    Returns
    -------
    DataFrame
        Index ``feature``; columns ``importance`` (mean score drop), ``sd`` (over folds
        and repeats), ``rank`` and ``scoring``; sorted by decreasing importance.
        ``attrs``: ``n_features`` (of ``X``), ``n_measured`` and, when a subset was
        measured, ``note``.

    Raises
    ------
    ParameterError
        Bad ``task``, ``cv`` or ``n_repeats``.
    DataError
        ``X`` and ``y`` do not have the same number of rows.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    >>> y = 3 * X["a"] + 0.01 * rng.normal(size=60)
    >>> imp = permutation_importance_cv(LinearRegression(), X, y, task="regress", cv=3)
    >>> imp.index[0]
    'a'
    """
    from sklearn.base import clone
    from sklearn.inspection import permutation_importance

    from mer_classic._progress import progress
    from mer_classic.crossval import make_splitter

    if task not in ("classify", "regress"):
        raise ParameterError(f"task must be 'classify' or 'regress'; got {task!r}")
    if not isinstance(cv, int | np.integer) or cv < 2:
        raise ParameterError(f"cv must be an int >= 2; got {cv!r}")
    if not isinstance(n_repeats, int | np.integer) or n_repeats < 1:
        raise ParameterError(f"n_repeats must be a positive int; got {n_repeats!r}")
    if max_features is not None and (
        not isinstance(max_features, int | np.integer) or max_features < 1
    ):
        raise ParameterError(
            f"max_features must be a positive int or None; got {max_features!r}"
        )
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(np.asarray(X))
    if len(X) != len(y):
        raise DataError(f"X has {len(X)} rows but y has {len(y)}; they must match")
    scoring = scoring or ("f1_macro" if task == "classify" else "r2")
    y_arr = y.to_numpy() if isinstance(y, pd.Series | pd.DataFrame) else np.asarray(y)
    g = None if groups is None else np.asarray(groups)
    split_y = y_arr if task == "classify" else np.zeros(len(X))
    # the evaluation's own folds (same splitter and seed as the outer CV)
    splitter = make_splitter(task, cv, grouped=g is not None, seed=seed)
    rng = np.random.default_rng(seed)
    n_features = X.shape[1]
    subset: np.ndarray | None = None
    if max_features is not None and n_features > max_features:
        subset = np.sort(
            np.random.default_rng(seed).choice(n_features, max_features, replace=False)
        )
    drops: list[np.ndarray] = []
    folds = list(splitter.split(X, split_y, g))
    for k, (tr, te) in enumerate(
        progress(folds, total=len(folds), desc="permutation importance", quiet=quiet)
    ):
        est = clone(estimator)
        est.fit(X.iloc[tr], y_arr[tr])
        if max_rows is not None and len(te) > max_rows:
            te = np.sort(rng.choice(te, size=max_rows, replace=False))
        if subset is None:
            res = permutation_importance(
                est,
                X.iloc[te],
                y_arr[te],
                scoring=scoring,
                n_repeats=n_repeats,
                random_state=seed + k,
                n_jobs=n_jobs,
            )
            drops.append(res.importances)  # (n_features, n_repeats)
        else:
            drops.append(
                _subset_drops(
                    est,
                    X.iloc[te],
                    y_arr[te],
                    subset,
                    scoring=scoring,
                    n_repeats=n_repeats,
                    seed=seed + k,
                    n_jobs=n_jobs,
                )
            )
    allv = np.concatenate(drops, axis=1)
    names = [str(c) for c in X.columns]
    if subset is not None:
        names = [names[j] for j in subset]
    out = pd.DataFrame(
        {"importance": allv.mean(axis=1), "sd": allv.std(axis=1)},
        index=pd.Index(names, name="feature"),
    ).sort_values("importance", ascending=False, kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    out["scoring"] = scoring
    out.attrs["n_features"] = n_features
    out.attrs["n_measured"] = len(out)
    if subset is not None:
        out.attrs["note"] = subset_note(n_features, len(subset), seed)
        logger.info("%s", out.attrs["note"])
    return out


def subset_note(n_features: int, n_measured: int, seed: int) -> str:
    """The sentence a run states when importance covers only a subset of features.

    Examples
    --------
    >>> subset_note(10000, 500, 42)  # doctest: +NORMALIZE_WHITESPACE
    'Permutation importance was measured on a random subset of 500 of the 10000
    features (seed 42; the others were not measured): the table is wider than
    max_features=500 (raise it with --importance-max-features, or --no-importance).'
    """
    return (
        f"Permutation importance was measured on a random subset of {n_measured} of "
        f"the {n_features} features (seed {seed}; the others were not measured): the "
        f"table is wider than max_features={n_measured} (raise it with "
        "--importance-max-features, or --no-importance)."
    )


def _subset_drops(
    est: Any,
    X: pd.DataFrame,
    y: np.ndarray,
    columns: np.ndarray,
    *,
    scoring: str,
    n_repeats: int,
    seed: int,
    n_jobs: int,
) -> np.ndarray:
    """Score drops ``(len(columns), n_repeats)`` when each of ``columns`` is shuffled.

    What :func:`sklearn.inspection.permutation_importance` does, restricted to some
    columns (it always shuffles every column).
    """
    from joblib import Parallel, delayed, effective_n_jobs
    from sklearn.metrics import check_scoring

    split = _columnwise_split(est, X)
    data: Any = X
    if split is not None:
        # shuffle in the transformed array: the same numbers, no per-call re-checks
        est, data, where = split
        columns = np.array([where[j] for j in columns])
    scorer = check_scoring(est, scoring=scoring)
    base = scorer(est, data, y)
    seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, size=len(columns))

    def chunk(cols: np.ndarray, col_seeds: np.ndarray) -> np.ndarray:
        Xp = data.copy()  # one copy per chunk; each column is shuffled, then restored
        out = np.empty((len(cols), n_repeats))
        for row, (j, s) in enumerate(zip(cols, col_seeds, strict=True)):
            r = np.random.default_rng(int(s))
            if isinstance(Xp, pd.DataFrame):
                name = Xp.columns[j]
                values = data[name].to_numpy()
                for i in range(n_repeats):
                    Xp[name] = r.permutation(values)
                    out[row, i] = base - scorer(est, Xp, y)
                Xp[name] = values
            else:
                values = data[:, j].copy()
                for i in range(n_repeats):
                    Xp[:, j] = r.permutation(values)
                    out[row, i] = base - scorer(est, Xp, y)
                Xp[:, j] = values
        return out

    n_chunks = max(1, min(len(columns), effective_n_jobs(n_jobs)))
    parts = Parallel(n_jobs=n_jobs)(
        delayed(chunk)(c, s)
        for c, s in zip(
            np.array_split(columns, n_chunks),
            np.array_split(seeds, n_chunks),
            strict=True,
        )
    )
    rows = [p for p in parts if len(p)]
    return np.vstack(rows)


def add_importance_to_run(
    run_dir: str | os.PathLike[str],
    X: pd.DataFrame,
    y: Any,
    groups: Any = None,
    *,
    n_repeats: int = 3,
    render: bool = True,
    **kwargs: Any,
) -> pd.DataFrame:
    """Compute held-out permutation importance for a run's model and store it.

    Uses the run's saved model (its hyper-parameters), ``task``, ``cv`` and ``seed``
    from ``run.json``; writes ``importance.csv`` and, with ``render``, redraws the
    report so ``index.html`` shows it.

    Parameters
    ----------
    run_dir : path-like
        A run folder written by ``mer-classic train``.
    X, y, groups
        The training table's features, targets and groups.
    n_repeats : int, default=3
        Shuffles per feature and fold.
    render : bool, default=True
        Rebuild ``report.md`` and ``index.html`` afterwards.
    **kwargs
        Passed to :func:`permutation_importance_cv`.

    Returns
    -------
    DataFrame
        The importance table.
    """
    from mer_classic._io import write_csv_atomic
    from mer_classic.persistence import load_model
    from mer_classic.report import read_run, render_report

    d = Path(run_dir)
    _, run = read_run(d)
    model = load_model(d, check_versions=False)
    s = run.get("settings", {})
    missing = [c for c in model.feature_names if c not in X.columns]
    if missing:
        raise DataError(
            f"X lacks {len(missing)} of the model's feature column(s): {', '.join(missing[:8])}"
        )
    kwargs.setdefault("task", model.task)
    kwargs.setdefault("cv", int(s.get("cv", 5)))
    kwargs.setdefault("seed", int(s.get("seed", 42)))
    imp = permutation_importance_cv(
        model.pipeline, X[model.feature_names], y, groups, n_repeats=n_repeats, **kwargs
    )
    write_csv_atomic(imp, d / IMPORTANCE_FILE)
    if render:
        render_report(d)
    return imp


#: transformers that map each column on its own, row by row (so shuffling a column's
#: rows before them equals shuffling its transformed rows after them)
_COLUMNWISE = (
    "ColumnSelector",
    "SimpleImputer",
    "StandardScaler",
    "MinMaxScaler",
    "MaxAbsScaler",
    "RobustScaler",
)


def _columnwise_split(est: Any, X: pd.DataFrame) -> tuple[Any, np.ndarray, list] | None:
    """``(final estimator, X through the other steps, column map)`` or None.

    Only for a pipeline whose other steps all act column by column
    (:data:`_COLUMNWISE`, samplers aside) and whose final estimator takes arrays. The
    map gives, for each column of ``X``, its column in the transformed array. On a
    wide table this avoids re-validating every column for every shuffle.
    """
    steps = getattr(est, "steps", None)
    if not steps or len(steps) < 2:
        return None
    head = [s for _, s in steps[:-1] if s not in (None, "passthrough")]
    tail = steps[-1][1]
    if hasattr(tail, "feature_names_in_"):  # it would want a DataFrame back
        return None
    for s in head:
        if hasattr(s, "fit_resample"):
            continue  # samplers act in fit only
        if type(s).__name__ not in _COLUMNWISE or getattr(s, "add_indicator", False):
            return None
    Xt: Any = X
    names = [str(c) for c in X.columns]
    try:
        for s in head:
            if hasattr(s, "fit_resample"):
                continue
            Xt = s.transform(Xt)
            names = [str(c) for c in s.get_feature_names_out(names)]
    except Exception:  # noqa: BLE001 - anything unusual: take the general path
        return None
    Xt = np.asarray(Xt, dtype=float)
    if Xt.shape != (len(X), len(names)):
        return None
    pos = {n: k for k, n in enumerate(names)}
    if any(str(c) not in pos for c in X.columns):
        return None  # a column the steps drop: keep the general path
    return tail, Xt, [pos[str(c)] for c in X.columns]
