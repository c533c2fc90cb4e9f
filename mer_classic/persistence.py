"""Saving and loading fitted models: ``model.joblib`` plus a ``model.json`` sidecar.

.. warning::
   A joblib file is a pickle: loading one can execute arbitrary code. Never load
   a model file from a source you do not trust. :func:`load_model` checks the
   sha256 recorded in ``model.json`` before unpickling, which detects corruption and
   accidental edits, but not a malicious pair of files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_classic._io import atomic_path, json_text, write_text_atomic
from mer_classic.exceptions import DataError, ModelFileError
from mer_classic.exceptions import VersionMismatchWarning as VersionMismatchWarning

__all__ = [
    "MerModel",
    "predict_only",
    "save_model",
    "load_model",
    "VersionMismatchWarning",
    "MODEL_FILE",
    "META_FILE",
    "FORMAT",
    "pipeline_feature_names",
    "pipeline_classes",
]

logger = logging.getLogger(__name__)

MODEL_FILE = "model.joblib"
META_FILE = "model.json"
#: identifies our sidecar files
FORMAT = "mer-classic-model/1"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _versions() -> dict[str, str]:
    # installed distribution versions, read without importing the packages
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for key, dist in (
        ("mer_classic", "mer-classic"),
        ("sklearn", "scikit-learn"),
        ("imblearn", "imbalanced-learn"),
        ("joblib", "joblib"),
        ("numpy", "numpy"),
        ("pandas", "pandas"),
    ):
        try:
            out[key] = version(dist)
        except PackageNotFoundError:  # pragma: no cover - source tree without install
            out[key] = "unknown"
    return out


@dataclass
class MerModel:
    """A fitted pipeline with its metadata.

    Use :meth:`predict` / :meth:`predict_proba` with a DataFrame that holds the
    training feature columns (extra columns are ignored, missing ones are an error).

    Attributes
    ----------
    pipeline : estimator
        The fitted scikit-learn / imbalanced-learn pipeline.
    metadata : dict
        Contents of ``model.json``.
    path : Path or None
        Folder the model was loaded from.
    """

    pipeline: Any
    metadata: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def feature_names(self) -> list[str]:
        """Feature columns the model expects, in order (read from the pipeline)."""
        names = pipeline_feature_names(self.pipeline)
        if names is None:
            return list(self.metadata.get("feature_names", []))
        return names

    @property
    def feature_groups(self) -> tuple[str, ...]:
        """Audio feature groups the model was trained on.

        The groups recorded in ``feature_settings`` (``model.json``); for a model
        saved before groups were recorded, the groups that hold its columns (all
        of today's groups for the 159 default features). Empty when none of its
        columns is an audio feature.
        """
        from mer_classic.features.names import groups_of_names, resolve_feature_groups

        settings = self.metadata.get("feature_settings")
        recorded = settings.get("features") if isinstance(settings, dict) else None
        if recorded:
            return resolve_feature_groups(recorded)
        return groups_of_names(self.feature_names)

    @property
    def task(self) -> str:
        """'classify' or 'regress'."""
        return str(self.metadata.get("task", "classify"))

    @property
    def targets(self) -> list[str]:
        """Target names (one for classification)."""
        t = self.metadata.get("target")
        return list(t) if isinstance(t, list) else [str(t)]

    @property
    def classes_(self) -> list[str] | None:
        """Class labels of a classifier, in ``predict_proba`` column order (from the pipeline)."""
        classes = pipeline_classes(self.pipeline)
        if classes is None:
            return self.metadata.get("classes")
        return classes

    def _frame(self, X: pd.DataFrame) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise DataError(
                "pass a DataFrame whose columns are the model's feature names"
            )
        missing = [c for c in self.feature_names if c not in X.columns]
        if missing:
            hint = ""
            settings = self.metadata.get("feature_settings")
            if settings:
                hint = " (they are audio features: run `mer-classic extract` with the same settings)"
            raise DataError(
                f"{len(missing)} feature column(s) the model was trained with are missing"
                f"{hint}: {', '.join(missing[:12])}"
                + (" ..." if len(missing) > 12 else "")
            )
        Xf = X[self.feature_names]
        bad = [c for c in Xf.columns if not pd.api.types.is_numeric_dtype(Xf[c])]
        if bad:
            raise DataError(f"feature column(s) are not numeric: {', '.join(bad[:10])}")
        if np.isinf(Xf.to_numpy(dtype=float)).any():
            raise DataError(
                "features contain infinite values; replace them with NaN or finite values"
            )
        return Xf.astype(float)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predict labels (classification) or values (regression; 2-D for several targets)."""
        return self.pipeline.predict(self._frame(X))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Class probabilities, columns in :attr:`classes_` order (classifiers that have them)."""
        if not hasattr(self.pipeline, "predict_proba"):
            raise DataError(self._no_proba_message())
        try:
            return self.pipeline.predict_proba(self._frame(X))
        except AttributeError as exc:
            raise DataError(f"{self._no_proba_message()} ({exc})") from exc

    def _no_proba_message(self) -> str:
        from mer_classic.models import probabilistic_models

        return (
            f"model {self.metadata.get('model')!r} gives no probabilities; use "
            f"predict() for labels, or train with --model one of "
            f"{', '.join(probabilistic_models())} for probabilities"
        )

    def _with_id_index(self, X: pd.DataFrame) -> pd.DataFrame:
        """``X`` indexed by its track ids when they are a column and the index is a
        plain row number (a feature CSV read with ``pd.read_csv``)."""
        if not isinstance(X, pd.DataFrame) or not isinstance(X.index, pd.RangeIndex):
            return X
        if X.index.name is not None:
            return X
        settings = self.metadata.get("settings") or {}
        for col in (settings.get("id"), "track_id"):
            if (
                col
                and col in X.columns
                and col not in self.feature_names
                and X[col].notna().all()
                and X[col].is_unique
            ):
                return X.set_index(X[col].astype(str).rename(col), drop=False)
        return X

    def predict_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        """Predictions as a DataFrame indexed like ``X``, or by its track ids.

        When ``X`` has a plain row-number index and a ``track_id`` column (or the
        id column the model was trained with), the result is indexed by those ids,
        so a feature table read with :func:`pandas.read_csv` keeps its track ids.

        Classification: ``label``, ``proba_<class>`` (when available) and ``quadrant``
        (when the labels are moods/quadrants). Regression: one column per target and,
        when valence and arousal are both predicted, ``quadrant``.
        """
        from mer_classic.labels import (
            find_va_columns,
            quadrants_of_labels,
            va_to_quadrant,
        )

        X = self._with_id_index(X)
        Xf = self._frame(X)
        out = pd.DataFrame(index=X.index)
        pred = self.pipeline.predict(Xf)
        if self.task == "classify":
            out["label"] = np.asarray(pred).astype(str)
            try:
                proba = self.pipeline.predict_proba(Xf)
                for i, cls in enumerate(self.classes_ or []):
                    out[f"proba_{cls}"] = proba[:, i]
            except AttributeError:
                pass
            q = quadrants_of_labels(out["label"])
            if q is not None:
                out["quadrant"] = q
        else:
            arr = np.asarray(pred, dtype=float).reshape(len(Xf), -1)
            for i, name in enumerate(self.targets):
                out[name] = arr[:, i]
            va = find_va_columns(self.targets)
            scale = self.metadata.get("scale")
            if va is not None and scale:
                out["quadrant"] = va_to_quadrant(out[va[0]], out[va[1]], scale)
        return out

    def predict_audio(
        self, paths: Sequence[str | os.PathLike[str]], **kwargs: Any
    ) -> pd.DataFrame:
        """Extract the model's audio features from files and predict (see ``mer_classic.predict``)."""
        from mer_classic.predict._audio import predict_audio

        return predict_audio(self, paths, **kwargs)


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
    from mer_classic.transformers import ColumnSelector

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

    from mer_classic.transformers import ColumnSelector

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


def save_model(
    estimator: Any, directory: str | os.PathLike[str], metadata: dict[str, Any]
) -> Path:
    """Write ``model.joblib`` and ``model.json`` (with versions and sha256) into ``directory``.

    The saved pipeline is predict-only (:func:`predict_only`) and starts with a
    :class:`~mer_classic.transformers.ColumnSelector`, so
    ``joblib.load(path).predict(df)`` picks the feature columns from ``df`` by name.
    ``feature_names`` and ``classes`` in ``model.json`` are read from the fitted
    estimator; ``metadata`` that disagrees with it is refused. Both files are written
    to temporary names first and renamed, so an interrupted save never leaves a
    half-written model.

    Raises
    ------
    ModelFileError
        ``metadata`` disagrees with the fitted estimator, or the estimator records no
        feature names and ``metadata`` gives none.
    """
    import joblib

    meta = dict(metadata)
    names = pipeline_feature_names(estimator)
    if names is None:
        names = [str(n) for n in meta.get("feature_names") or []]
        if not names:
            raise ModelFileError(
                "cannot save a model without feature names: fit it on a DataFrame or "
                "give metadata['feature_names']"
            )
    to_save = _with_selector(estimator, names)
    _fitted_facts(to_save, meta, "metadata", "")
    meta["feature_names"] = names
    classes = pipeline_classes(to_save)
    if classes is not None:
        meta["classes"] = classes
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    with atomic_path(d / MODEL_FILE) as tmp:
        joblib.dump(to_save, tmp, compress=3)
        digest = _sha256(tmp)
    meta.update(
        {
            "format": FORMAT,
            "versions": _versions(),
            "sha256": digest,
            "model_file": MODEL_FILE,
        }
    )
    write_text_atomic(d / META_FILE, json_text(meta))
    return d


def _resolve(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    p = Path(path)
    if p.is_dir():
        return p / MODEL_FILE, p / META_FILE
    if p.suffix == ".json":
        return p.with_name(MODEL_FILE), p
    return p, p.with_name(META_FILE)


def load_model(
    path: str | os.PathLike[str], *, check_versions: bool = True
) -> MerModel:
    """Load a model saved by ``mer-classic train`` (a run folder or its ``model.joblib``).

    Never load model files from untrusted sources: unpickling can execute code.

    Parameters
    ----------
    path : path
        The run folder, its ``model.joblib`` or its ``model.json``.
    check_versions : bool, default=True
        Warn (:class:`VersionMismatchWarning`) when the saving versions differ.

    Returns
    -------
    MerModel

    Raises
    ------
    ModelFileError
        Missing files, a sidecar that is not ours, a hash mismatch, an object that is
        not a fitted model, or a ``model.json`` whose ``feature_names``, ``classes``,
        ``task`` or ``target`` disagree with the fitted pipeline (the pipeline is the
        truth: a tampered or mismatched sidecar is never trusted).
    """
    import joblib

    if not Path(path).exists():
        raise ModelFileError(
            f"no model at {str(path)!r}: the path does not exist; give the run folder "
            "written by `mer-classic train` (or its model.joblib)"
        )
    model_file, meta_file = _resolve(path)
    if not model_file.exists():
        raise ModelFileError(
            f"no model at {str(path)!r}: expected {model_file.name} (train one with "
            "`mer-classic train`)"
        )
    if not meta_file.exists():
        raise ModelFileError(
            f"{str(model_file)!r} has no {META_FILE} beside it; it was not saved by mer-classic"
        )
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{str(meta_file)!r} is not valid JSON: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(
            f"{str(meta_file)!r} is not a mer-classic model description (format "
            f"{meta.get('format') if isinstance(meta, dict) else None!r}, expected {FORMAT!r})"
        )
    digest = _sha256(model_file)
    if digest != meta.get("sha256"):
        raise ModelFileError(
            f"{str(model_file)!r} does not match the sha256 in {meta_file.name} (file corrupted "
            "or replaced); retrain or restore the original file"
        )
    if check_versions:
        saved = meta.get("versions", {})
        now = _versions()
        diff = {
            k: (saved.get(k), v)
            for k, v in now.items()
            if k in ("mer_classic", "sklearn", "imblearn") and saved.get(k) != v
        }
        if diff:
            detail = ", ".join(f"{k} {a} → {b}" for k, (a, b) in diff.items())
            warnings.warn(
                f"model saved with other library versions ({detail}); predictions may differ. "
                "Retrain to be safe",
                VersionMismatchWarning,
                stacklevel=2,
            )
    try:
        pipeline = joblib.load(model_file)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad model file
        raise ModelFileError(f"cannot load {str(model_file)!r}: {exc}") from exc
    if not (hasattr(pipeline, "predict") and hasattr(pipeline, "get_params")):
        raise ModelFileError(
            f"{str(model_file)!r} holds a {type(pipeline).__module__}."
            f"{type(pipeline).__name__}, not a fitted scikit-learn model; it was not "
            "written by mer-classic: retrain with `mer-classic train`"
        )
    _fitted_facts(
        pipeline,
        meta,
        META_FILE,
        " — the files do not belong together; re-save the model "
        "(`mer-classic train`) or restore the original pair",
    )
    return MerModel(pipeline=pipeline, metadata=meta, path=model_file.parent)
