"""Scores of predictions: classification, regression, Russell quadrants, repetitions.

Used by cross-validation, by :func:`score_predictions` (the ``metrics.json``
layout, for training and for ``report.write_evaluation``) and by the dynamic job;
:mod:`mer_classic.training` is the public home of these names. Each function
returns a plain dict that goes into ``metrics.json``. An undefined metric is ``nan`` and named, with the
reason, in ``undefined``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import pearsonr
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    matthews_corrcoef,
    mean_absolute_error,
    mean_squared_error,
    precision_recall_fscore_support,
    r2_score,
)

from mer_classic.exceptions import DataError
from mer_classic.labels import (
    QUADRANTS,
    find_va_columns,
    infer_scale,
    quadrants_of_labels,
    quadrants_of_va,
)

__all__ = [
    "classification_metrics",
    "regression_metrics",
    "quadrant_metrics",
    "summarize_repeats",
    "score_predictions",
]


def classification_metrics(
    y_true: Any, y_pred: Any, labels: Sequence[str] | None = None
) -> dict[str, Any]:
    """Accuracy, macro/weighted F1, MCC, balanced accuracy, per-class scores and confusion.

    A metric that is undefined on these rows is ``nan`` and named in ``undefined``
    with the reason: MCC when the true labels hold a single class.

    Examples
    --------
    >>> m = classification_metrics(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    >>> round(m["accuracy"], 2), m["per_class"]["b"]["recall"], m["confusion_matrix"]
    (0.75, 1.0, [[1, 1], [0, 2]])
    """
    yt = np.asarray(y_true).astype(str)
    yp = np.asarray(y_pred).astype(str)
    if labels is None:
        labels = sorted(set(yt) | set(yp))
    labels = list(labels)
    with warnings.catch_warnings():  # undefined metrics are reported, not warned
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        return _classification_metrics(yt, yp, labels)


def _classification_metrics(
    yt: np.ndarray, yp: np.ndarray, labels: list[str]
) -> dict[str, Any]:
    p, r, f, s = precision_recall_fscore_support(yt, yp, labels=labels, zero_division=0)
    undefined = {}
    if len(set(yt)) < 2:
        undefined["mcc"] = f"the true labels hold a single class ({str(yt[0])!r})"
    per_class = {
        lab: {
            "precision": float(p[i]),
            "recall": float(r[i]),
            "f1": float(f[i]),
            "support": int(s[i]),
        }
        for i, lab in enumerate(labels)
    }
    return {
        "accuracy": float(accuracy_score(yt, yp)),
        "balanced_accuracy": float(balanced_accuracy_score(yt, yp)),
        "f1_macro": float(
            f1_score(yt, yp, labels=labels, average="macro", zero_division=0)
        ),
        "f1_weighted": float(
            f1_score(yt, yp, labels=labels, average="weighted", zero_division=0)
        ),
        "mcc": float("nan") if "mcc" in undefined else float(matthews_corrcoef(yt, yp)),
        "n": int(len(yt)),
        "labels": labels,
        "per_class": per_class,
        "confusion_matrix": confusion_matrix(yt, yp, labels=labels).tolist(),
        **({"undefined": undefined} if undefined else {}),
    }


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 2 or np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(pearsonr(a, b)[0])


def regression_metrics(y_true: pd.Series | pd.DataFrame, y_pred: Any) -> dict[str, Any]:
    """RMSE, MAE, R² and Pearson r per target, on the target's own scale.

    R² and r are ``nan`` when undefined (fewer than two rows or a constant true
    value; a constant prediction for r) and named in ``undefined`` with the reason.

    Examples
    --------
    >>> m = regression_metrics(pd.Series([1.0, 2, 3], name="v"), [1.0, 2, 4])
    >>> round(m["targets"]["v"]["rmse"], 3), round(m["targets"]["v"]["r2"], 2)
    (0.577, 0.5)
    """
    yt = y_true.to_frame() if isinstance(y_true, pd.Series) else y_true
    yp = np.asarray(y_pred, dtype=float).reshape(len(yt), -1)
    out: dict[str, Any] = {"targets": {}, "n": int(len(yt))}
    undefined = {}
    for i, col in enumerate(yt.columns):
        t = yt[col].to_numpy(dtype=float)
        q = yp[:, i]
        flat = len(t) < 2 or np.std(t) == 0
        if flat:
            why = "a single row" if len(t) < 2 else "a constant true value"
            undefined[f"{col}.r2"] = undefined[f"{col}.pearson_r"] = why
        elif np.std(q) == 0:
            undefined[f"{col}.pearson_r"] = "a constant prediction"
        out["targets"][str(col)] = {
            "rmse": float(np.sqrt(mean_squared_error(t, q))),
            "mae": float(mean_absolute_error(t, q)),
            "r2": float("nan") if flat else float(r2_score(t, q)),
            "pearson_r": _pearson(t, q),
        }
    if undefined:
        out["undefined"] = undefined
    return out


def quadrant_metrics(true_quadrants: Any, pred_quadrants: Any) -> dict[str, Any]:
    """Classification metrics over the four Russell quadrants (fixed order Q1..Q4).

    The confusion matrix and ``per_class`` keep all four quadrants, but the macro F1
    averages only over the quadrants that occur in the truth or the predictions
    (sklearn's ``labels=``): a quadrant no label maps to (e.g. Q2 for the moods calm,
    sad, happy, energetic) would otherwise count as an F1 of 0. Those quadrants are
    listed in ``absent``.

    Examples
    --------
    >>> m = quadrant_metrics(["Q1", "Q1", "Q3", "Q4"], ["Q1", "Q1", "Q3", "Q4"])
    >>> m["f1_macro"], m["absent"], m["labels"]
    (1.0, ['Q2'], ['Q1', 'Q2', 'Q3', 'Q4'])
    """
    out = classification_metrics(true_quadrants, pred_quadrants, labels=list(QUADRANTS))
    seen = set(np.asarray(true_quadrants).astype(str)) | set(
        np.asarray(pred_quadrants).astype(str)
    )
    present = [q for q in QUADRANTS if q in seen]
    out["absent"] = [q for q in QUADRANTS if q not in seen]
    if out["absent"] and present:
        out["f1_macro"] = float(
            f1_score(
                np.asarray(true_quadrants).astype(str),
                np.asarray(pred_quadrants).astype(str),
                labels=present,
                average="macro",
                zero_division=0,
            )
        )
    return out


def summarize_repeats(
    repeat_metrics: list[dict[str, Any]], keys: Sequence[str]
) -> dict[str, Any]:
    """Mean and standard deviation of scalar metrics over repetitions.

    Keys are dotted paths, e.g. ``"f1_macro"`` or ``"targets.Valence.rmse"``.
    """
    out: dict[str, Any] = {}
    for key in keys:
        vals = []
        for m in repeat_metrics:
            node: Any = m
            for part in key.split("."):
                node = node[part]
            vals.append(float(node))
        arr = np.asarray(vals)
        out[key] = {
            "mean": float(arr.mean()),
            "sd": float(arr.std(ddof=1)) if len(arr) > 1 else 0.0,
            "values": vals,
        }
    return out


def score_predictions(
    task: str,
    y_true: pd.Series | pd.DataFrame,
    y_pred: Any,
    *,
    scale: str | None = None,
) -> dict[str, Any]:
    """Metrics in the ``metrics.json`` layout, including the quadrant view when possible.

    Classification: ``accuracy``, ``f1_macro``, ``f1_weighted``, ``mcc``, ``per_class``,
    ``confusion_matrix``; a ``quadrant`` block when the labels are moods or quadrants.
    Regression: ``targets`` → name → ``rmse``, ``mae``, ``r2``, ``pearson_r`` (on the
    target's own scale, which is recorded in ``scale``); a ``quadrant`` block derived from
    the predicted valence/arousal when both are targets.
    """
    out: dict[str, Any] = {"task": task}
    if task == "classify":
        out.update(classification_metrics(y_true, y_pred))
        qt = quadrants_of_labels(np.asarray(y_true))
        qp = quadrants_of_labels(np.asarray(y_pred))
        if qt is not None and qp is not None:
            out["quadrant"] = quadrant_metrics(qt, qp)
        return out
    out.update(regression_metrics(y_true, y_pred))
    yt = y_true.to_frame() if isinstance(y_true, pd.Series) else y_true
    pred = pd.DataFrame(
        np.asarray(y_pred, dtype=float).reshape(len(yt), -1),
        index=yt.index,
        columns=yt.columns,
    )
    if scale is None:
        try:
            scale = infer_scale(yt.to_numpy().ravel())
        except DataError:  # no known scale: metrics stay on the raw values
            scale = None
    out["scale"] = scale
    va = find_va_columns(list(yt.columns))
    if va is not None and scale is not None:
        out["quadrant"] = quadrant_metrics(
            quadrants_of_va(yt, va, scale), quadrants_of_va(pred, va, scale)
        )
        out["quadrant"]["derived_from"] = {
            "valence": va[0],
            "arousal": va[1],
            "scale": scale,
        }
    return out
