"""Large tables on one machine: scalable stand-ins for models that go quadratic.

A kernel SVM costs between O(n²) and O(n³) to fit, and the registry's stacking model
holds one, so ``train --model svm`` on a 278k-track attribute table would run for days.
:func:`plan_for_size` looks at the model, the task and the number of rows and returns
a :class:`ScalePlan`: the pipeline and grid to use, and a note for every change:

- kernel SVM (``svm``) → Nystroem kernel approximation + a linear SVM (hinge loss,
  :class:`~sklearn.linear_model.SGDClassifier`; liblinear's LinearSVC on the same
  Nystroem features was 10× slower on 24k rows and unfinished after 5 min on 240k);
- kernel SVR (``svr``) → Nystroem + a linear SVR (epsilon-insensitive loss,
  :class:`~sklearn.linear_model.SGDRegressor`);
- ``stacking`` → stacking of (Nystroem + linear SVM) and histogram gradient boosting,
  with the same top model; every member fits in O(n);
- grid search → on a stratified subsample of ``grid_rows`` rows (the chosen
  parameters are then refitted on every row), see :class:`SubsampledGridSearch`;
- features → float32 when the rounding error is below 1e-5 standard deviations of
  the column (:func:`downcast_float32`), halving memory.

``on_large="refuse"`` raises instead of switching, with the advice; ``"keep"`` only
logs a warning. Linear-time models (``gboost``, ``logreg``, ``ridge``, ``dtree``,
``rf``, ``knn``) are kept as they are. :func:`read_csv_chunked` reads a large CSV in
chunks, casting each chunk to float32 where that is lossless, so the float64 copy of
the whole file never exists.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    StackingClassifier,
    StackingRegressor,
)
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import (
    LogisticRegression,
    Ridge,
    RidgeCV,
    SGDClassifier,
    SGDRegressor,
)
from sklearn.multioutput import MultiOutputRegressor
from sklearn.pipeline import Pipeline as SkPipeline

from mer_classic._crossval import scoring_for
from mer_classic._search import GRID_ROWS, SubsampledGridSearch
from mer_classic._table._read import checked_read, csv_errors, csv_path
from mer_classic.exceptions import DataError, ParameterError
from mer_classic.models import get_spec, make_pipeline, param_grid

__all__ = [
    "LARGE_ROWS",
    "GRID_ROWS",
    "NYSTROEM_COMPONENTS",
    "ScalePlan",
    "plan_for_size",
    "SubsampledGridSearch",
    "downcast_float32",
    "read_csv_chunked",
]

logger = logging.getLogger(__name__)

#: above this many rows the quadratic models are replaced (or refused)
LARGE_ROWS = 20_000
#: size of the Nystroem kernel approximation
NYSTROEM_COMPONENTS = 100

#: models whose fit grows faster than n log n (kernel methods, stacking over them)
QUADRATIC = {
    ("classify", "svm"),
    ("regress", "svr"),
    ("classify", "stacking"),
    ("regress", "stacking"),
}
_ON_LARGE = ("switch", "refuse", "keep")


@dataclass
class ScalePlan:
    """What :func:`mer_classic.training.train` fits on a table of a given size.

    Attributes
    ----------
    model, task : str
        The requested registry model and task.
    n_rows : int
        Rows of the training table.
    pipeline : Pipeline
        The unfitted pipeline to cross-validate and refit (the registry's own when
        nothing changes).
    grid : dict or None
        Grid for the nested search (None: no search, or a search inside ``pipeline``).
    switched : bool
        True when ``pipeline`` is a scalable stand-in for the requested model.
    grid_rows : int or None
        When set, ``pipeline`` is a :class:`SubsampledGridSearch` that tunes on this
        many rows and ``grid`` is None.
    float32 : bool
        Cast the features to float32 where lossless (see :func:`downcast_float32`).
    notes : list of str
        One line per change, for the report and the CLI summary.
    """

    model: str
    task: str
    n_rows: int
    pipeline: Any
    grid: dict[str, list[Any]] | None
    switched: bool = False
    grid_rows: int | None = None
    float32: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the plan differs from the registry's pipeline and grid."""
        return self.switched or self.grid_rows is not None or self.float32


def _nystroem_svm(rs: int, *, regress: bool) -> SkPipeline:
    kernel = Nystroem(kernel="rbf", n_components=NYSTROEM_COMPONENTS, random_state=rs)
    if regress:  # linear SVR (epsilon-insensitive loss), trained by SGD
        return SkPipeline(
            [
                ("kernel", kernel),
                (
                    "svr",
                    SGDRegressor(
                        loss="epsilon_insensitive",
                        epsilon=0.0,
                        alpha=1e-4,
                        random_state=rs,
                    ),
                ),
            ]
        )
    return SkPipeline(
        [
            ("kernel", kernel),
            ("svm", SGDClassifier(loss="hinge", alpha=1e-4, random_state=rs)),
        ]
    )


def _scalable_estimator(model: str, task: str, rs: int) -> tuple[Any, dict[str, list]]:
    """The stand-in estimator and its grid (no pipeline prefix)."""
    if task == "classify" and model == "svm":
        return _nystroem_svm(rs, regress=False), {
            "kernel__gamma": [1.0, 0.1, 0.01],
            "svm__alpha": [1e-5, 1e-4, 1e-3],
        }
    if task == "regress" and model == "svr":
        return _nystroem_svm(rs, regress=True), {
            "kernel__gamma": [0.1, 0.01, None],
            "svr__alpha": [1e-5, 1e-4, 1e-3],
        }
    if task == "classify" and model == "stacking":
        est = StackingClassifier(
            estimators=[
                ("svm", _nystroem_svm(rs, regress=False)),
                ("hgb", HistGradientBoostingClassifier(random_state=rs)),
            ],
            final_estimator=LogisticRegression(max_iter=2000),
            cv=3,
            n_jobs=1,
        )
        return est, {"svm__svm__alpha": [1e-5, 1e-4], "hgb__learning_rate": [0.05, 0.1]}
    if task == "regress" and model == "stacking":
        est = StackingRegressor(
            estimators=[
                ("svr", _nystroem_svm(rs, regress=True)),
                ("ridge", Ridge(alpha=1.0)),
                ("hgb", HistGradientBoostingRegressor(random_state=rs)),
            ],
            final_estimator=RidgeCV(alphas=(0.1, 1.0, 10.0)),
            cv=3,
            n_jobs=1,
        )
        return est, {"svr__svr__alpha": [1e-5, 1e-4], "hgb__learning_rate": [0.05, 0.1]}
    raise ParameterError(
        f"no scalable stand-in for {model!r} ({task})"
    )  # pragma: no cover


_ADVICE = {
    "svm": "use --model gboost or --model logreg, or train on a subsample",
    "svr": "use --model gboost or --model ridge, or train on a subsample",
    "stacking": "use --model gboost, or train on a subsample",
}

_REPLACEMENT = {
    "svm": f"Nystroem kernel approximation ({NYSTROEM_COMPONENTS} components) + "
    "linear SVM (hinge loss, SGD)",
    "svr": f"Nystroem kernel approximation ({NYSTROEM_COMPONENTS} components) + "
    "linear SVR (epsilon-insensitive loss, SGD)",
    "stacking": "stacking of Nystroem + linear SVM and histogram gradient boosting",
}


def plan_for_size(
    model: str,
    task: str,
    n_rows: int,
    *,
    smote: bool = True,
    n_targets: int = 1,
    random_state: int = 42,
    grid: bool = True,
    large_rows: int = LARGE_ROWS,
    grid_rows: int = GRID_ROWS,
    on_large: str = "switch",
    n_jobs: int = 1,
    scoring: str | None = None,
) -> ScalePlan:
    """Choose the pipeline and grid for ``model`` on a table of ``n_rows`` rows.

    Parameters
    ----------
    model : str
        Registry name (:data:`mer_classic.models.MODELS`).
    task : {'classify', 'regress'}
        The task.
    n_rows : int
        Rows of the training table.
    smote : bool, default=True
        SMOTE step in the pipeline (classification).
    n_targets : int, default=1
        Regression targets (more than one wraps the model per target).
    random_state : int, default=42
        Seed of every random component.
    grid : bool, default=True
        Whether hyper-parameters are searched.
    large_rows : int, default=20000
        Above this many rows, models in :data:`QUADRATIC` are switched/refused,
        features go float32 and the grid search runs on a subsample.
    grid_rows : int, default=10000
        Size of the stratified subsample for the grid search on large tables.
    on_large : {'switch', 'refuse', 'keep'}, default='switch'
        What to do with a quadratic model on a large table.
    n_jobs : int, default=1
        Parallel jobs of a subsampled grid search.
    scoring : str, default=None
        Score a subsampled grid search selects on; None uses the headline metric
        (:func:`mer_classic._crossval.scoring_for`).

    Returns
    -------
    ScalePlan

    Raises
    ------
    ParameterError
        For ``on_large='refuse'`` with a quadratic model on a large table (the
        message gives the advice), or a bad argument.

    Examples
    --------
    >>> plan_for_size("svm", "classify", 500).changed
    False
    >>> plan = plan_for_size("svm", "classify", 300_000)
    >>> plan.switched, plan.grid_rows, type(plan.pipeline).__name__
    (True, 10000, 'SubsampledGridSearch')
    """
    get_spec(model, task)
    if on_large not in _ON_LARGE:
        raise ParameterError(f"on_large must be one of {_ON_LARGE}; got {on_large!r}")
    for name, value in (
        ("n_rows", n_rows),
        ("large_rows", large_rows),
        ("grid_rows", grid_rows),
    ):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ParameterError(f"{name} must be a positive int; got {value!r}")
    pipeline = make_pipeline(
        model, task, smote=smote, n_targets=n_targets, random_state=random_state
    )
    the_grid = param_grid(model, task, n_targets=n_targets) if grid else None
    plan = ScalePlan(
        model=model, task=task, n_rows=int(n_rows), pipeline=pipeline, grid=the_grid
    )
    if n_rows <= large_rows:
        return plan
    if (task, model) in QUADRATIC:
        if on_large == "refuse":
            raise ParameterError(
                f"{model!r} fits in quadratic time or worse and the table has {n_rows} "
                f"rows (limit {large_rows}); {_ADVICE[model]}"
            )
        if on_large == "keep":
            logger.warning(
                "%s on %d rows may take hours (quadratic fit); kept as asked",
                model,
                n_rows,
            )
            plan.notes.append(
                f"{model} kept on {n_rows} rows although its fit is "
                "quadratic (on_large='keep')"
            )
        else:
            est, est_grid = _scalable_estimator(model, task, random_state)
            if task == "regress" and n_targets > 1:
                est = MultiOutputRegressor(est)
            prefix = (
                "model__estimator__"
                if task == "regress" and n_targets > 1
                else "model__"
            )
            pipeline.set_params(model=est)
            plan.pipeline = pipeline
            plan.grid = (
                {prefix + k: list(v) for k, v in est_grid.items()} if grid else None
            )
            plan.switched = True
            plan.notes.append(
                f"{n_rows} rows > {large_rows}: {model} replaced by "
                f"{_REPLACEMENT[model]} (a kernel fit grows quadratically with rows)"
            )
    plan.float32 = True
    plan.notes.append("features cast to float32 where lossless (halves memory)")
    if plan.grid and n_rows > grid_rows:
        scoring = scoring or scoring_for(task)
        plan.pipeline = SubsampledGridSearch(
            estimator=plan.pipeline,
            param_grid=plan.grid,
            max_rows=grid_rows,
            scoring=scoring,
            cv=3,
            n_jobs=n_jobs,
            random_state=random_state,
        )
        plan.grid = None
        plan.grid_rows = grid_rows
        plan.notes.append(
            f"grid search on a {'stratified ' if task == 'classify' else ''}subsample "
            f"of {grid_rows} rows, best parameters refitted on all rows "
            "(inner search is not grouped; outer CV still is)"
        )
    for note in plan.notes:
        logger.info("scaling: %s", note)
    return plan


def downcast_float32(
    df: pd.DataFrame, *, rtol: float = 1e-5
) -> tuple[pd.DataFrame, list[str]]:
    """Cast float columns to float32 where the round trip loses nothing that matters.

    A column qualifies when the largest rounding error of float64 → float32 is at most
    ``rtol`` times the column's standard deviation, i.e. below ``rtol`` once the
    column is standardised, which is what every model here sees (float32 keeps about
    7 significant digits; audio features and Spotify attributes carry 3-6). A column
    with a large offset and a small spread (timestamps) stays float64, as do integer
    columns (ids, keys), constant columns and non-numeric ones.

    Parameters
    ----------
    df : DataFrame
        The table.
    rtol : float, default=1e-5
        Largest rounding error accepted, in units of the column's standard deviation.

    Returns
    -------
    DataFrame
        A frame with the qualifying columns as float32 (others unchanged).
    list of str
        The columns that were cast.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [0.866, 0.5], "b": [1.6e9 + 0.5, 1.6e9 + 1.0],
    ...                    "n": [3, 4], "s": ["x", "y"]})
    >>> out, cast = downcast_float32(df)
    >>> cast, str(out["a"].dtype), str(out["b"].dtype)
    (['a'], 'float32', 'float64')
    """
    cast: list[str] = []
    out = {}
    for col in df.columns:
        s = df[col]
        if not pd.api.types.is_float_dtype(s) or s.dtype == np.float32:
            continue
        values = s.to_numpy(dtype=np.float64, na_value=np.nan)
        finite = values[np.isfinite(values)]
        back = finite.astype(np.float32).astype(np.float64)
        spread = float(finite.std()) if finite.size > 1 else 0.0
        with np.errstate(over="ignore", invalid="ignore"):
            err = float(np.abs(back - finite).max()) if finite.size else 0.0
        if finite.size == 0 or (np.isfinite(err) and err <= rtol * spread):
            out[col] = values.astype(np.float32)
            cast.append(str(col))
    if not cast:
        return df, cast
    result = df.copy(deep=False)
    for col, values in out.items():
        result[col] = values
    return result, cast


def read_csv_chunked(
    path: str | os.PathLike[str],
    *,
    chunksize: int = 100_000,
    float32: bool = True,
    usecols: list[str] | None = None,
    rtol: float = 1e-5,
) -> pd.DataFrame:
    """Read a large CSV in chunks, casting numeric columns to float32 where lossless.

    The float64 copy of the whole file never exists: each chunk is cast before the
    next is read, so peak memory is about the float32 table plus one chunk. A column
    that some chunk cannot cast ends as float64 (values within that chunk's ``rtol``).

    Parameters
    ----------
    path : path-like
        The CSV file.
    chunksize : int, default=100000
        Rows per chunk.
    float32 : bool, default=True
        Cast lossless columns (see :func:`downcast_float32`).
    usecols : list of str, default=None
        Read only these columns.
    rtol : float, default=1e-5
        Largest rounding error, in units of the column's standard deviation.

    Returns
    -------
    DataFrame

    Raises
    ------
    DataError
        When the file is missing, empty or not CSV.
    """
    p = csv_path(path)
    if not isinstance(chunksize, (int, np.integer)) or chunksize < 1:
        raise ParameterError(f"chunksize must be a positive int; got {chunksize!r}")
    chunks: list[pd.DataFrame] = []
    with csv_errors(p):
        for i, chunk in enumerate(pd.read_csv(p, chunksize=chunksize, usecols=usecols)):
            chunk = checked_read(chunk, p if i == 0 else None)
            if float32:
                chunk, _ = downcast_float32(chunk, rtol=rtol)
            chunks.append(chunk)
    if not chunks:
        raise DataError(f"data file {str(p)!r} has a header but no rows")
    # a column cast in one chunk but not in another comes back as float64 holding
    # values within rtol of the file's
    return pd.concat(chunks, ignore_index=True)
