"""Resamplers that stay inside the pipeline (applied in ``fit`` only, never in CV scoring)."""

from __future__ import annotations

import logging

import numpy as np
from imblearn.over_sampling import SMOTE, RandomOverSampler

__all__ = ["AdaptiveSMOTE"]

logger = logging.getLogger(__name__)


class AdaptiveSMOTE(SMOTE):
    """SMOTE whose ``k_neighbors`` shrinks to fit the smallest class of each fit.

    Plain SMOTE raises when a class in a training fold has ``k_neighbors`` or
    fewer members, which happens with small or imbalanced datasets under
    cross-validation. This sampler uses ``k = min(k_neighbors, n_min - 1)`` for the
    fold at hand and falls back to random over-sampling when the smallest class
    has a single member. Parameters are those of :class:`imblearn.over_sampling.SMOTE`.

    Attributes
    ----------
    k_neighbors_ : int
        The number of neighbours used in the last fit (0 for random over-sampling).

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
        k = self.k_neighbors if isinstance(self.k_neighbors, int) else 5
        if n_min >= 2:
            k_eff = min(k, n_min - 1)
            if k_eff < k:
                logger.info(
                    "SMOTE k_neighbors reduced from %d to %d (smallest class: %d)",
                    k,
                    k_eff,
                    n_min,
                )
            self.k_neighbors_ = k_eff
            inner = SMOTE(
                sampling_strategy=self.sampling_strategy,
                random_state=self.random_state,
                k_neighbors=k_eff,
            )
        else:
            logger.info(
                "smallest class has one member: random over-sampling instead of SMOTE"
            )
            self.k_neighbors_ = 0
            inner = RandomOverSampler(
                sampling_strategy=self.sampling_strategy, random_state=self.random_state
            )
        return inner.fit_resample(X, y)
