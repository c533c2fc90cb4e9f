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

from mer_classic._crossval import make_splitter
from mer_classic._io import write_csv_atomic
from mer_classic._persistence._files import load_model
from mer_classic._progress import progress
from mer_classic.exceptions import DataError, ParameterError
from mer_classic.features._names import FEATURE_GROUPS
from mer_classic.report import read_run, render_report
from mer_classic.report._files import IMPORTANCE_FILE

__all__ = [
    "permutation_importance_cv",
    "add_importance_to_run",
]

logger = logging.getLogger(__name__)

#: default cap on the features whose importance is measured: a wider table gets a
#: seeded random subset of this many (each measured feature costs one scoring per
#: repeat and fold, so 10,000 columns would take many minutes)
MAX_FEATURES = 500

#: what one shuffle permutes: a single column, a feature group (the extractor's
#: groups; other columns alone), or a cluster of
#: correlated columns (|Spearman ρ| >= :data:`CLUSTER_RHO`)
IMPORTANCE_UNITS = ("feature", "group", "cluster")
#: rank correlation that puts two columns into one cluster (``by="cluster"``)
CLUSTER_RHO = 0.7
#: a unit is "distinguishable from zero" when its mean drop is at least this many
#: standard errors (over the held-out folds) above zero
DISTINGUISHABLE_SE = 2.0


def feature_units(
    columns: list[str], by: str = "group", X: pd.DataFrame | None = None
) -> dict[str, list[str]]:
    """The columns shuffled together: unit name → its columns, in column order.

    ``by="group"`` uses the extractor's feature groups
    (:data:`mer_classic.features.FEATURE_GROUPS`); any other column (a table not
    made by ``mer-classic extract``) is a unit of its own.
    ``by="cluster"`` joins columns whose |Spearman ρ| in ``X`` reaches
    :data:`CLUSTER_RHO` (average linkage); a cluster is named after its first
    column (``+ k more``). ``by="feature"``: one unit per column.

    Examples
    --------
    >>> feature_units(["mfcc_01_mean", "mfcc_01_std", "tempo", "RMS"])
    {'mfcc': ['mfcc_01_mean', 'mfcc_01_std'], 'rhythm': ['tempo'], 'RMS': ['RMS']}
    """
    if by not in IMPORTANCE_UNITS:
        raise ParameterError(
            f"importance unit must be one of {', '.join(IMPORTANCE_UNITS)}; got {by!r}"
        )
    if by == "feature":
        return {str(c): [str(c)] for c in columns}
    if by == "cluster":
        if X is None:
            raise ParameterError("by='cluster' needs the feature table X")
        return _clusters(X[columns])

    owner = {name: g for g, names in FEATURE_GROUPS.items() for name in names}
    units: dict[str, list[str]] = {}
    for c in columns:
        c = str(c)
        units.setdefault(owner.get(c, c), []).append(c)
    return units


def _clusters(X: pd.DataFrame) -> dict[str, list[str]]:
    """Clusters of columns with |Spearman ρ| >= :data:`CLUSTER_RHO` (average linkage)."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    cols = [str(c) for c in X.columns]
    if len(cols) < 2:
        return {c: [c] for c in cols}
    rho = X.rank().corr().abs().fillna(0.0).to_numpy(copy=True)
    np.fill_diagonal(rho, 1.0)
    dist = squareform(1.0 - np.clip((rho + rho.T) / 2, 0, 1), checks=False)
    labels = fcluster(linkage(dist, method="average"), 1 - CLUSTER_RHO, "distance")
    members: dict[int, list[str]] = {}
    for c, lab in zip(cols, labels, strict=True):
        members.setdefault(int(lab), []).append(c)
    return {
        (m[0] if len(m) == 1 else f"{m[0]} + {len(m) - 1} more"): m
        for m in members.values()
    }


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
    by: str = "feature",
) -> pd.DataFrame:
    """Permutation importance of each feature (or group), averaged over held-out folds.

    With ``by="group"`` (what ``mer-classic train`` uses) the columns of one feature
    group are shuffled together (:func:`feature_units`), which costs one scoring
    per group instead of one per column and measures what a correlated set adds;
    ``by="cluster"`` does the same for clusters of correlated columns. Each row
    says whether its drop is distinguishable from zero (mean at least
    :data:`DISTINGUISHABLE_SE` standard errors over the folds above 0); when none
    is, ``result.attrs["note"]`` says so.

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
    by : {'feature', 'group', 'cluster'}, default='feature'
        What one shuffle permutes (:data:`IMPORTANCE_UNITS`).

    Returns
    -------
    DataFrame
        Index ``feature`` (the unit's name); columns ``importance`` (mean score
        drop), ``sd`` (over folds and repeats), ``se`` (standard error over folds),
        ``distinguishable`` (bool), ``n_columns`` and ``members`` (the unit's
        columns), ``rank``, ``scoring`` and ``unit``; sorted by decreasing
        importance. ``attrs``: ``n_features`` (of ``X``), ``n_measured`` (columns)
        and, when a subset was measured or nothing is distinguishable, ``note``.

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
    names = [str(c) for c in X.columns]
    subset: np.ndarray | None = None
    if max_features is not None and n_features > max_features:
        subset = np.sort(
            np.random.default_rng(seed).choice(n_features, max_features, replace=False)
        )
    measured = names if subset is None else [names[j] for j in subset]
    units = feature_units(measured, by, X[measured] if by == "cluster" else None)
    pos = {c: j for j, c in enumerate(names)}
    unit_cols = [np.array([pos[c] for c in cols]) for cols in units.values()]
    drops: list[np.ndarray] = []
    folds = list(splitter.split(X, split_y, g))
    for k, (tr, te) in enumerate(
        progress(folds, total=len(folds), desc="permutation importance", quiet=quiet)
    ):
        est = clone(estimator)
        est.fit(X.iloc[tr], y_arr[tr])
        if max_rows is not None and len(te) > max_rows:
            te = np.sort(rng.choice(te, size=max_rows, replace=False))
        if subset is None and by == "feature":
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
                    unit_cols,
                    scoring=scoring,
                    n_repeats=n_repeats,
                    seed=seed + k,
                    n_jobs=n_jobs,
                )
            )
    allv = np.concatenate(drops, axis=1)
    per_fold = np.stack([d.mean(axis=1) for d in drops], axis=1)  # (units, folds)
    se = per_fold.std(axis=1, ddof=1) / np.sqrt(per_fold.shape[1])
    mean = allv.mean(axis=1)
    out = pd.DataFrame(
        {
            "importance": mean,
            "sd": allv.std(axis=1),
            "se": se,
            "distinguishable": mean >= DISTINGUISHABLE_SE * se + 1e-12,
            "n_columns": [len(c) for c in units.values()],
            "members": [" ".join(c) if len(c) > 1 else c[0] for c in units.values()],
        },
        index=pd.Index(list(units), name="feature"),
    ).sort_values("importance", ascending=False, kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    out["scoring"] = scoring
    out["unit"] = by
    out.attrs["n_features"] = n_features
    out.attrs["n_measured"] = len(measured)
    notes = []
    if subset is not None:
        notes.append(subset_note(n_features, len(subset), seed))
    if not out["distinguishable"].any():
        notes.append(nothing_note(by, len(out), len(folds)))
    if notes:
        out.attrs["note"] = " ".join(notes)
        logger.info("%s", out.attrs["note"])
    return out


def nothing_note(by: str, n_units: int, n_folds: int) -> str:
    """The sentence a run states when no importance is distinguishable from zero.

    Examples
    --------
    >>> nothing_note("group", 12, 5)  # doctest: +NORMALIZE_WHITESPACE
    'No feature group has a permutation importance distinguishable from zero (none
    of the 12 has a mean drop of 2 standard errors over the 5 held-out folds): the
    held-out score does not measurably rely on any one of them.'
    """
    what = {"feature": "feature", "group": "feature group", "cluster": "cluster"}[by]
    return (
        f"No {what} has a permutation importance distinguishable from zero (none of "
        f"the {n_units} has a mean drop of {DISTINGUISHABLE_SE:g} standard errors over "
        f"the {n_folds} held-out folds): the held-out score does not measurably rely "
        "on any one of them."
    )


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
    units: Any,
    *,
    scoring: str,
    n_repeats: int,
    seed: int,
    n_jobs: int,
) -> np.ndarray:
    """Score drops ``(len(units), n_repeats)`` when each unit's columns are shuffled.

    ``units``: column positions, or a list of arrays of positions shuffled together
    (one row permutation for all of a unit's columns). What
    :func:`sklearn.inspection.permutation_importance` does, restricted to some
    columns or extended to groups (it always shuffles every single column).
    """
    from joblib import Parallel, delayed, effective_n_jobs
    from sklearn.metrics import check_scoring

    groups = [np.atleast_1d(np.asarray(u, dtype=int)) for u in units]
    split = _columnwise_split(est, X)
    data: Any = X
    if split is not None:
        # shuffle in the transformed array: the same numbers, no per-call re-checks
        est, data, where = split
        groups = [np.array([where[j] for j in u]) for u in groups]
    scorer = check_scoring(est, scoring=scoring)
    base = scorer(est, data, y)
    seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, size=len(groups))

    def chunk(idx: np.ndarray) -> np.ndarray:
        Xp = data.copy()  # one copy per chunk; each unit is shuffled, then restored
        out = np.empty((len(idx), n_repeats))
        for row, u in enumerate(idx):
            cols, r = groups[u], np.random.default_rng(int(seeds[u]))
            if isinstance(Xp, pd.DataFrame):
                names = list(Xp.columns[cols])
                values = data[names].to_numpy()
                for i in range(n_repeats):
                    Xp[names] = values[r.permutation(len(values))]
                    out[row, i] = base - scorer(est, Xp, y)
                Xp[names] = values
            else:
                values = data[:, cols].copy()
                for i in range(n_repeats):
                    Xp[:, cols] = values[r.permutation(len(values))]
                    out[row, i] = base - scorer(est, Xp, y)
                Xp[:, cols] = values
        return out

    n_chunks = max(1, min(len(groups), effective_n_jobs(n_jobs)))
    parts = Parallel(n_jobs=n_jobs)(
        delayed(chunk)(c) for c in np.array_split(np.arange(len(groups)), n_chunks)
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
