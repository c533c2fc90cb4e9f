"""Resamplers that stay inside the pipeline (applied in ``fit`` only, never in CV scoring)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from imblearn.over_sampling import SMOTE, RandomOverSampler
from sklearn.base import clone

__all__ = ["AdaptiveSMOTE"]

logger = logging.getLogger(__name__)


class AdaptiveSMOTE(SMOTE):
    """SMOTE whose ``k_neighbors`` shrinks to fit the smallest class of each fit.

    Plain SMOTE raises when a class in a training fold has ``k_neighbors`` or
    fewer members, which happens with small or imbalanced datasets under
    cross-validation. This sampler uses ``k = min(k_neighbors, n_min - 1)`` for the
    fold at hand and falls back to random over-sampling when the smallest class
    has a single member. Parameters are those of :class:`imblearn.over_sampling.SMOTE`,
    all passed through; ``k_neighbors`` may be an int or, as for SMOTE, an object with
    ``kneighbors`` (e.g. :class:`~sklearn.neighbors.NearestNeighbors`), whose
    ``n_neighbors`` (the sample itself plus its neighbours) is capped the same way.

    Attributes
    ----------
    k_neighbors_ : int
        The number of neighbours used in the last fit (0 for random over-sampling;
        -1 for a neighbours object without an ``n_neighbors`` parameter).

    See Also
    --------
    imblearn.over_sampling.SMOTE : the sampler this adapts.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(20, dtype=float).reshape(10, 2)
    >>> y = np.array([0] * 7 + [1] * 3)
    >>> Xr, yr = AdaptiveSMOTE(random_state=0).fit_resample(X, y)
    >>> np.bincount(yr).tolist()
    [7, 7]
    """

    def _fit_resample(self, X, y):  # noqa: D102 - documented in the class
        counts = np.unique(y, return_counts=True)[1]
        n_min = int(counts.min())
        if n_min < 2:
            logger.info(
                "smallest class has one member: random over-sampling instead of SMOTE"
            )
            self.k_neighbors_ = 0
            inner: Any = RandomOverSampler(
                sampling_strategy=self.sampling_strategy, random_state=self.random_state
            )
            return inner.fit_resample(X, y)
        # every SMOTE parameter is passed through; only k_neighbors may shrink
        params = {name: getattr(self, name) for name in SMOTE._get_param_names()}
        params["k_neighbors"], self.k_neighbors_ = _fit_neighbors(
            self.k_neighbors, n_min
        )
        return SMOTE(**params).fit_resample(X, y)


def _fit_neighbors(k_neighbors: Any, n_min: int) -> tuple[Any, int]:
    """``k_neighbors`` for a fold whose smallest class has ``n_min`` members.

    An int ``k`` becomes ``min(k, n_min - 1)``. An object with ``kneighbors`` (as
    :class:`imblearn.over_sampling.SMOTE` accepts) is kept; when it has an
    ``n_neighbors`` parameter (the sample itself plus its ``k`` neighbours), a clone
    with ``n_neighbors`` capped at ``n_min`` is used. Returns the value for SMOTE and
    the number of neighbours it uses.
    """
    if hasattr(k_neighbors, "kneighbors"):
        n = getattr(k_neighbors, "n_neighbors", None)
        if not isinstance(n, int | np.integer) or n <= n_min:
            return k_neighbors, (int(n) - 1 if n is not None else -1)
        logger.info(
            "SMOTE neighbours reduced from %d to %d (smallest class: %d)",
            n - 1,
            n_min - 1,
            n_min,
        )
        return clone(k_neighbors).set_params(n_neighbors=n_min), n_min - 1
    k = int(k_neighbors)
    k_eff = min(k, n_min - 1)
    if k_eff < k:
        logger.info(
            "SMOTE k_neighbors reduced from %d to %d (smallest class: %d)",
            k,
            k_eff,
            n_min,
        )
    return k_eff, k_eff
