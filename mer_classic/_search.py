"""``SubsampledGridSearch``: grid search on a stratified subsample, refit on all rows."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.utils import indexable
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_consistent_length, check_is_fitted

from mer_classic.exceptions import ParameterError

__all__ = ["SubsampledGridSearch", "GRID_ROWS"]

#: rows a subsampled grid search uses by default
GRID_ROWS = 10_000


def _search_has(attr: str) -> Any:
    def check(self: SubsampledGridSearch) -> bool:
        return hasattr(
            self.best_estimator_
            if hasattr(self, "best_estimator_")
            else self.estimator,
            attr,
        )

    return check


class SubsampledGridSearch(MetaEstimatorMixin, BaseEstimator):
    """Grid search on a (stratified) subsample, then refit the best on every row.

    On a large table the grid's cost is candidates × folds × fit(n); tuning on a
    subsample of ``max_rows`` rows keeps it bounded while the final model still sees
    every row. With ``len(X) <= max_rows`` it is an ordinary grid search.

    Parameters
    ----------
    estimator : estimator, default=None
        The pipeline to tune.
    param_grid : dict, default=None
        Grid, as for :class:`~sklearn.model_selection.GridSearchCV`.
    max_rows : int, default=10000
        Rows used by the search.
    scoring : str, default=None
        Scorer name (None: the estimator's ``score``).
    cv : int, default=3
        Folds of the search (stratified and shuffled for classifiers).
    n_jobs : int, default=1
        Parallel jobs of the search (joblib; follows :func:`mer_classic.parallel.joblib_backend`).
    random_state : int, default=0
        Seed of the subsample and of the folds.

    Attributes
    ----------
    best_params_ : dict
        The chosen parameters.
    best_score_ : float
        Their mean cross-validated score on the subsample.
    best_estimator_ : estimator
        ``estimator`` with ``best_params_``, fitted on all rows.
    n_search_rows_ : int
        Rows the search used.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = make_classification(n_samples=300, random_state=0)
    >>> s = SubsampledGridSearch(estimator=LogisticRegression(),
    ...                          param_grid={"C": [0.1, 1.0]}, max_rows=100).fit(X, y)
    >>> s.n_search_rows_, s.predict(X[:2]).shape
    (100, (2,))
    """

    def __init__(
        self,
        *,
        estimator: Any = None,
        param_grid: dict | None = None,
        max_rows: int = GRID_ROWS,
        scoring: str | None = None,
        cv: int = 3,
        n_jobs: int = 1,
        random_state: int = 0,
    ) -> None:
        self.estimator = estimator
        self.param_grid = param_grid
        self.max_rows = max_rows
        self.scoring = scoring
        self.cv = cv
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _subsample(self, y: Any) -> np.ndarray:
        n = len(y)
        rng = np.random.default_rng(self.random_state)
        if n <= self.max_rows:
            return np.arange(n)
        if not is_classifier(self.estimator):
            return np.sort(rng.choice(n, size=self.max_rows, replace=False))
        labels = np.asarray(y)
        classes, inverse = np.unique(labels, return_inverse=True)
        picked = []
        for k in range(len(classes)):
            members = np.flatnonzero(inverse == k)
            share = max(self.cv, int(round(self.max_rows * len(members) / n)))
            take = min(len(members), share)
            picked.append(rng.choice(members, size=take, replace=False))
        return np.sort(np.concatenate(picked))

    def fit(self, X: Any, y: Any, **fit_params: Any) -> SubsampledGridSearch:
        """Search on the subsample, then refit the best parameters on all rows."""
        if self.estimator is None or not self.param_grid:
            raise ParameterError("SubsampledGridSearch needs an estimator and a grid")
        if not isinstance(self.max_rows, (int, np.integer)) or self.max_rows < 2:
            raise ParameterError(f"max_rows must be an int >= 2; got {self.max_rows!r}")
        X, y = indexable(X, y)
        check_consistent_length(X, y)
        if is_classifier(self.estimator):
            check_classification_targets(y)
        idx = self._subsample(y)
        splitter = (StratifiedKFold if is_classifier(self.estimator) else KFold)(
            n_splits=self.cv, shuffle=True, random_state=self.random_state
        )
        if not hasattr(X, "iloc") and not hasattr(X, "tocsr"):
            X = np.asarray(X)  # lists; DataFrames and sparse matrices index as they are
        take = (lambda a: a.iloc[idx]) if hasattr(X, "iloc") else (lambda a: a[idx])
        y_sub = y.iloc[idx] if hasattr(y, "iloc") else np.asarray(y)[idx]
        search = GridSearchCV(
            clone(self.estimator),
            self.param_grid,
            scoring=self.scoring,
            cv=splitter,
            n_jobs=self.n_jobs,
            refit=False,
            error_score="raise",
        )
        search.fit(take(X), y_sub)
        self.best_params_ = dict(search.best_params_)
        self.best_score_ = float(search.best_score_)
        self.n_search_rows_ = len(idx)
        self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_)
        self.best_estimator_.fit(X, y, **fit_params)
        if hasattr(self.best_estimator_, "classes_"):
            self.classes_ = self.best_estimator_.classes_
        return self

    @property
    def n_features_in_(self) -> int:
        """Number of features seen in ``fit`` (from the refitted best estimator)."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.n_features_in_

    def predict(self, X: Any) -> np.ndarray:
        """Predict with the refitted best estimator."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict(X)

    @available_if(_search_has("predict_proba"))
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of the refitted best estimator."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_proba(X)

    @available_if(_search_has("decision_function"))
    def decision_function(self, X: Any) -> np.ndarray:
        """Decision function of the refitted best estimator."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.decision_function(X)

    def __sklearn_tags__(self) -> Any:  # noqa: D105
        tags = super().__sklearn_tags__()
        if self.estimator is not None:
            inner = self.estimator.__sklearn_tags__()
            tags.estimator_type = inner.estimator_type
            tags.classifier_tags = inner.classifier_tags
            tags.regressor_tags = inner.regressor_tags
            tags.input_tags.sparse = inner.input_tags.sparse
        return tags
