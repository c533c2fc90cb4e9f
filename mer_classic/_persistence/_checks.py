"""What the fitted pipeline says, and the checks of ``model.json`` against it.

The pipeline is the truth: :func:`pipeline_feature_names` and
:func:`pipeline_classes` read it, and ``_fitted_facts`` refuses a ``model.json`` (or
``metadata``) whose ``feature_names``, ``classes``, ``task`` or ``target`` disagree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mer_classic.exceptions import ModelFileError
from mer_classic.features._transformers import ColumnSelector

__all__ = [
    "predict_only",
    "pipeline_feature_names",
    "pipeline_classes",
    "MODEL_FILE",
    "META_FILE",
    "FORMAT",
]

MODEL_FILE = "model.joblib"
META_FILE = "model.json"
#: identifies our sidecar files
FORMAT = "mer-classic-model/1"


def predict_only(estimator: Any) -> Any:
    """Drop resampling steps from a fitted imbalanced-learn pipeline.

    Samplers act in ``fit`` only, so a fitted ``imblearn`` pipeline predicts exactly as the
    plain :class:`sklearn.pipeline.Pipeline` of its other (fitted) steps. Saving that one
    means loading a model does not import imbalanced-learn (faster cold start).
    """
    from sklearn.pipeline import Pipeline

    steps = getattr(estimator, "steps", None)
    if not steps or not any(hasattr(step, "fit_resample") for _, step in steps):
        return estimator
    return Pipeline([(n, s) for n, s in steps if not hasattr(s, "fit_resample")])


def pipeline_feature_names(estimator: Any) -> list[str] | None:
    """Feature columns a fitted estimator takes, in order (None when it records none)."""
    steps = getattr(estimator, "steps", None)
    if steps and isinstance(steps[0][1], ColumnSelector):
        names = getattr(steps[0][1], "feature_names_in_", None)
    else:
        try:
            names = getattr(estimator, "feature_names_in_", None)
        except Exception:  # noqa: BLE001 - a broken object records nothing usable
            names = None
    return None if names is None else [str(n) for n in names]


def pipeline_classes(estimator: Any) -> list[str] | None:
    """Class labels of a fitted classifier, as strings (None for a regressor)."""
    try:
        classes = getattr(estimator, "classes_", None)
    except Exception:  # noqa: BLE001
        classes = None
    return None if classes is None else [str(c) for c in np.asarray(classes)]


def _n_outputs(estimator: Any) -> int | None:
    """Number of regression targets of a fitted pipeline (None when unknown)."""
    from sklearn.multioutput import MultiOutputRegressor

    final = estimator.steps[-1][1] if getattr(estimator, "steps", None) else estimator
    if isinstance(final, MultiOutputRegressor):
        return len(getattr(final, "estimators_", []))
    n = getattr(final, "n_outputs_", None)
    return int(n) if isinstance(n, int | np.integer) else None


def _with_selector(estimator: Any, feature_names: list[str]) -> Any:
    """The predict-only pipeline with a :class:`ColumnSelector` first step."""
    from sklearn.pipeline import Pipeline

    est = predict_only(estimator)
    steps = getattr(est, "steps", None)
    if steps and isinstance(steps[0][1], ColumnSelector):
        return est
    selector = ColumnSelector(columns=list(feature_names))
    selector.fit(pd.DataFrame(columns=list(feature_names)))
    inner = list(steps) if steps else [("model", est)]
    return Pipeline([("columns", selector), *inner])


def _check_against(
    fitted: Any, meta: dict[str, Any], key: str, where: str, hint: str
) -> None:
    if key in meta and meta[key] is not None and meta[key] != fitted:
        raise ModelFileError(
            f"{where} disagrees with {MODEL_FILE} on {key!r}: {_describe(meta[key])} "
            f"vs {_describe(fitted)}{hint}"
        )


def _describe(value: Any) -> str:
    if isinstance(value, list) and len(value) > 8:
        return f"[{', '.join(map(repr, value[:8]))}, ... ({len(value)} items)]"
    return repr(value)


def _fitted_facts(estimator: Any, meta: dict[str, Any], where: str, hint: str) -> None:
    """Raise ModelFileError when ``meta`` disagrees with the fitted ``estimator``."""
    names = pipeline_feature_names(estimator)
    if names is None:
        raise ModelFileError(
            f"{MODEL_FILE} records no feature names (the model was not fitted on a "
            f"DataFrame){hint}"
        )
    meta_names = meta.get("feature_names")
    if isinstance(meta_names, list) and meta_names != names:
        if sorted(map(str, meta_names)) == sorted(names):
            detail = "the same columns in another order"
        else:
            detail = f"{_describe(meta_names)} vs {_describe(names)}"
        raise ModelFileError(
            f"{where} disagrees with {MODEL_FILE} on 'feature_names': {detail}{hint}"
        )
    classes = pipeline_classes(estimator)
    task = meta.get("task", "classify")
    if (classes is not None) != (task == "classify"):
        fitted_task = "classify" if classes is not None else "regress"
        _check_against(fitted_task, meta, "task", where, hint)
    if classes is not None:
        meta_classes = meta.get("classes")
        if meta_classes is not None:
            meta_classes = [str(c) for c in meta_classes]
        _check_against(classes, {"classes": meta_classes}, "classes", where, hint)
    else:
        n = _n_outputs(estimator)
        target = meta.get("target")
        n_meta = len(target) if isinstance(target, list) else 1
        if n is not None and target is not None and n != n_meta:
            raise ModelFileError(
                f"{where} disagrees with {MODEL_FILE} on 'target': {n_meta} target(s) "
                f"{target!r} vs a model with {n} output(s){hint}"
            )
