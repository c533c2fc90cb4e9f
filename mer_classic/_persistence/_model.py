"""``MerModel``: a fitted pipeline with its ``model.json`` metadata."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_classic._persistence._checks import pipeline_classes, pipeline_feature_names
from mer_classic._persistence._ranges import range_check, range_problem
from mer_classic.exceptions import DataError
from mer_classic.features._names import groups_of_names, resolve_feature_groups
from mer_classic.labels import find_va_columns, quadrants_of_labels, va_to_quadrant

__all__ = ["MerModel"]

logger = logging.getLogger(__name__)


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
    _warned_ranges: bool = field(default=False, init=False, repr=False, compare=False)

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

    @property
    def feature_ranges(self) -> dict[str, Any] | None:
        """The training features' robust range from ``model.json``, or None.

        None for a model saved before the range was recorded: its predictions
        carry no ``out_of_range`` column (see :meth:`range_check`).
        """
        ranges = self.metadata.get("feature_ranges")
        if ranges is None:
            return None
        problem = range_problem(ranges)
        if problem is not None:
            if not self._warned_ranges:
                logger.warning(
                    "model.json's feature_ranges is not usable (%s): clips far "
                    "outside the training range are not flagged",
                    problem,
                )
                self._warned_ranges = True
            return None
        return ranges

    def range_check(self, X: pd.DataFrame) -> pd.DataFrame | None:
        """How far each row of ``X`` lies outside the training feature range.

        Returns
        -------
        DataFrame or None
            ``out_of_range``, ``out_of_range_score`` and ``out_of_range_share``
            indexed like ``X`` (:func:`mer_classic._persistence._ranges.range_check`);
            None when the model records no training range (saved before it was).
        """
        ranges = self.feature_ranges
        if ranges is None:
            return None
        return range_check(self._frame(X), ranges)

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

    def predict_frame(
        self, X: pd.DataFrame, *, check_range: bool = True
    ) -> pd.DataFrame:
        """Predictions as a DataFrame indexed like ``X``, or by its track ids.

        When ``X`` has a plain row-number index and a ``track_id`` column (or the
        id column the model was trained with), the result is indexed by those ids,
        so a feature table read with :func:`pandas.read_csv` keeps its track ids.

        Classification: ``label``, ``proba_<class>`` (when available) and ``quadrant``
        (when the labels are moods/quadrants). Regression: one column per target and,
        when valence and arousal are both predicted, ``quadrant``. Then, when the
        model records its training feature range and ``check_range`` is true,
        ``out_of_range`` (True: the row lies far outside the training data, its
        prediction is an extrapolation), ``out_of_range_score`` and
        ``out_of_range_share`` (see :meth:`range_check`).
        """

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
        ranges = self.feature_ranges if check_range else None
        if ranges is not None:
            checked = range_check(Xf, ranges)
            for col in checked.columns:
                out[col] = checked[col].to_numpy()
        return out
