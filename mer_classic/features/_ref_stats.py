"""Summary statistics of per-note values, as the 4Q reference features use them.

The reference (MATLAB) statistics: ``std`` with ``n - 1``, biased skewness and
*non-excess* biased kurtosis (a normal sample gives about 3; two values give
exactly 1). Every statistic of an empty set is 0; the standard deviation of one
value, and the skewness and kurtosis of fewer than two distinct values, are 0.
"""

from __future__ import annotations

import numpy as np

__all__ = ["STATS", "describe"]

#: statistic names in output order
STATS = ("mean", "std", "min", "max", "skew", "kurt")


def describe(x: np.ndarray) -> dict[str, float]:
    """``{stat: value}`` for every name in :data:`STATS` (0 where undefined).

    Examples
    --------
    >>> d = describe(np.array([1.0, 3.0]))
    >>> d["mean"], d["min"], d["max"], d["skew"], d["kurt"]
    (2.0, 1.0, 3.0, 0.0, 1.0)
    >>> describe(np.array([]))["std"]
    0.0
    """
    x = np.asarray(x, dtype=float)
    out = dict.fromkeys(STATS, 0.0)
    if x.size == 0:
        return out
    out["mean"] = float(x.mean())
    out["min"] = float(x.min())
    out["max"] = float(x.max())
    if x.size < 2:
        return out
    out["std"] = float(x.std(ddof=1))
    d = x - x.mean()
    m2 = float(np.mean(d**2))
    if m2 <= 1e-12 * max(1.0, float(np.mean(x**2))):
        return out
    out["skew"] = float(np.mean(d**3) / m2**1.5)
    out["kurt"] = float(np.mean(d**4) / m2**2)
    return out
