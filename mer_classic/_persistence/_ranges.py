"""The training feature range stored with a model, and the check of new rows against it.

:func:`feature_ranges` describes the training features compactly (per column: the
0.5th, 25th, 50th, 75th and 99.5th percentiles); it is stored in ``model.json`` under
``feature_ranges``. :func:`range_check` measures, for each new row, how far its
features lie outside the training's 0.5–99.5 % range, in interquartile ranges (IQR):
the **out-of-range score** is the mean over the features of that distance (0 inside
the range, each feature capped at :data:`RANGE_CAP_IQR`). A row whose score exceeds
:data:`RANGE_MAX_SCORE` is flagged ``out_of_range``: the model never saw anything like
it, so its prediction is an extrapolation (a pure sine, near-silence, white noise or
a click track fed to a model trained on music).

The threshold was chosen on held-out real rows (the 300 4Q dev clips, artist held
out, and the bundled Soundtracks table, film held out): none of them scores above
0.23, while the synthetic signals score 0.6–1.7 against the 4Q range
(``benchmarks/bench_out_of_range.py``, ``reports/benchmarks/out_of_range/``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "RANGE_CAP_IQR",
    "RANGE_MAX_SCORE",
    "RANGE_QUANTILES",
    "RANGE_SHARE_IQR",
    "count_out_of_range",
    "feature_ranges",
    "out_of_range_note",
    "range_check",
    "range_problem",
]

#: percentiles stored per feature: the robust range (first and last), quartiles, median
RANGE_QUANTILES: tuple[float, ...] = (0.005, 0.25, 0.5, 0.75, 0.995)

#: one feature's distance outside the range counts at most this many IQRs
RANGE_CAP_IQR: float = 10.0

#: a row is flagged when its mean distance outside the range exceeds this (IQRs)
RANGE_MAX_SCORE: float = 0.35

#: ``out_of_range_share`` counts the features more than this many IQRs outside
RANGE_SHARE_IQR: float = 1.0

_FORMAT = "quantiles-v1"


def feature_ranges(X: pd.DataFrame) -> dict[str, Any]:
    """Compact description of the training features (stored in ``model.json``).

    Parameters
    ----------
    X : DataFrame
        The training features (numeric columns; NaN values are ignored).

    Returns
    -------
    dict
        ``{"format", "quantiles", "n_rows", "columns": {name: [q0.5, q25, q50, q75,
        q99.5]}}``; a column with no finite value gets ``None``.

    Examples
    --------
    >>> import pandas as pd
    >>> r = feature_ranges(pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0, 4.0]}))
    >>> [round(v, 2) for v in r["columns"]["a"]]
    [0.02, 1.0, 2.0, 3.0, 3.98]
    """
    arr = X.to_numpy(dtype=float)
    arr = np.where(np.isfinite(arr), arr, np.nan)
    columns: dict[str, list[float] | None] = {}
    for j, name in enumerate(X.columns):
        col = arr[:, j]
        col = col[~np.isnan(col)]
        if not len(col):
            columns[str(name)] = None
            continue
        # 7 significant digits: model.json stays small, the check is unchanged
        columns[str(name)] = [
            float(f"{v:.7g}") for v in np.quantile(col, RANGE_QUANTILES)
        ]
    return {
        "format": _FORMAT,
        "quantiles": list(RANGE_QUANTILES),
        "n_rows": int(len(X)),
        "columns": columns,
    }


def range_problem(ranges: Any) -> str | None:
    """What makes a stored ``feature_ranges`` unusable, or None when it is usable.

    ``model.json`` is plain JSON a user can edit or damage; the check then is
    skipped (with this reason) instead of failing the prediction.

    Examples
    --------
    >>> range_problem(feature_ranges(pd.DataFrame({"a": [0.0, 1.0]}))) is None
    True
    >>> range_problem({"format": "quantiles-v1", "columns": {"a": [0, 1]}})
    "column 'a' has 2 values, not 5"
    """
    if not isinstance(ranges, dict):
        return "it is not a JSON object"
    if ranges.get("format") != _FORMAT:
        return f"its format is {ranges.get('format')!r}, not {_FORMAT!r}"
    cols = ranges.get("columns")
    if not isinstance(cols, dict):
        return "it has no 'columns' object"
    for name, q in cols.items():
        if q is None:
            continue
        if not isinstance(q, list | tuple) or len(q) != len(RANGE_QUANTILES):
            n = len(q) if isinstance(q, list | tuple) else 1
            return f"column {name!r} has {n} values, not {len(RANGE_QUANTILES)}"
        ok = all(
            isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v)
            for v in q
        )
        if not ok or any(a > b for a, b in zip(q, q[1:], strict=False)):
            return f"column {name!r} is not {len(RANGE_QUANTILES)} increasing numbers"
    return None


def _distances(
    X: pd.DataFrame, ranges: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Distance of each value outside the range in IQRs (NaN where missing)."""
    cols = ranges.get("columns") or {}
    used = [str(n) for n in X.columns if isinstance(cols.get(str(n)), list | tuple)]
    if not used:
        empty = np.empty((len(X), 0))
        return empty, empty.astype(bool)
    q = np.array([cols[n] for n in used], dtype=float).reshape(len(used), -1)
    lo, q1, q3, hi = q[:, 0], q[:, 1], q[:, 3], q[:, -1]
    iqr = q3 - q1
    # a column whose quartiles coincide (mostly one value): its robust range instead
    scale = np.where(iqr > 0, iqr, hi - lo)
    vals = X[used].to_numpy(dtype=float)
    present = np.isfinite(vals)
    with np.errstate(invalid="ignore", divide="ignore"):
        excess = np.maximum(lo - vals, vals - hi).clip(min=0)
        # a constant training column: any other value is as far out as it gets
        dist = np.where(
            scale > 0, excess / np.where(scale > 0, scale, 1.0), (excess > 0) * np.inf
        )
    return np.where(present, dist, np.nan), present


def range_check(
    X: pd.DataFrame,
    ranges: dict[str, Any],
    *,
    max_score: float = RANGE_MAX_SCORE,
) -> pd.DataFrame:
    """Flag the rows of ``X`` whose features lie far outside the training range.

    Parameters
    ----------
    X : DataFrame
        Features of new rows (the model's columns; others are ignored).
    ranges : dict
        From :func:`feature_ranges` (``model.json``'s ``feature_ranges``).
    max_score : float, default=RANGE_MAX_SCORE
        A row is flagged when its score exceeds this.

    Returns
    -------
    DataFrame
        Indexed like ``X``: ``out_of_range`` (bool), ``out_of_range_score`` (mean
        over the row's non-missing features of the distance outside
        ``[q0.5, q99.5]`` in IQRs, each capped at :data:`RANGE_CAP_IQR`) and
        ``out_of_range_share`` (share of its features more than
        :data:`RANGE_SHARE_IQR` IQR outside).

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"a": range(100), "b": range(100)}, dtype=float)
    >>> new = pd.DataFrame({"a": [50.0, 1e6], "b": [50.0, 40.0]})
    >>> range_check(new, feature_ranges(train))
       out_of_range  out_of_range_score  out_of_range_share
    0         False                 0.0                 0.0
    1          True                 5.0                 0.5
    """
    dist, present = _distances(X, ranges)
    n = present.sum(axis=1)
    capped = np.where(
        present, np.minimum(np.nan_to_num(dist, nan=0.0), RANGE_CAP_IQR), 0
    )
    far = present & (np.nan_to_num(dist, nan=0.0) > RANGE_SHARE_IQR)
    zeros = np.zeros(len(X), dtype=float)
    score = np.divide(capped.sum(axis=1), n, out=zeros.copy(), where=n > 0)
    share = np.divide(far.sum(axis=1), n, out=zeros.copy(), where=n > 0)
    return pd.DataFrame(
        {
            "out_of_range": score > max_score,
            "out_of_range_score": score,
            "out_of_range_share": share,
        },
        index=X.index,
    )


def count_out_of_range(predictions: pd.DataFrame) -> int | None:
    """Rows flagged ``out_of_range`` in ``predictions``; None without the column.

    Examples
    --------
    >>> import pandas as pd
    >>> count_out_of_range(pd.DataFrame({"out_of_range": [True, False, True]}))
    2
    >>> count_out_of_range(pd.DataFrame({"label": ["Q1"]})) is None
    True
    """
    if "out_of_range" not in predictions.columns:
        return None
    return int(predictions["out_of_range"].astype(bool).sum())


def out_of_range_note(
    n_flagged: int | None, n_rows: int, *, unit: str = "clip"
) -> str | None:
    """The one summary line about rows far outside the training range, or None.

    Parameters
    ----------
    n_flagged : int or None
        Rows flagged ``out_of_range`` (:func:`count_out_of_range`); None when the
        model records no training range (saved before it was recorded), which gives
        the line saying the check could not run.
    n_rows : int
        Rows predicted.
    unit : str, default='clip'
        What one row is, for the message ("clip", "track", "row").

    Returns
    -------
    str or None
        None when no row is flagged.

    Examples
    --------
    >>> out_of_range_note(1, 2)
    '1 of 2 clip(s) lie far outside the training feature range (out_of_range = True): predictions for these clips are extrapolations'
    >>> out_of_range_note(0, 2) is None
    True
    """
    if n_flagged is None:
        return (
            "this model was saved without a usable training feature range (by an "
            "older mer-classic, or its model.json was edited), so "
            f"{unit}s far outside the training data are not flagged "
            "(no out_of_range column); retrain it to get the check"
        )
    if not n_flagged:
        return None
    return (
        f"{n_flagged} of {n_rows} {unit}(s) lie far outside the training feature "
        f"range (out_of_range = True): predictions for these {unit}s are "
        "extrapolations"
    )
