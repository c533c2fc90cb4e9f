"""scikit-learn compatible transformers.

:class:`AudioFeatureExtractor` turns audio file paths into the feature matrix, so a
fitted pipeline ``[AudioFeatureExtractor → scaler → classifier]`` can go from audio
files to predictions and be saved with joblib.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from mer_classic.exceptions import AudioError, DataError
from mer_classic.features._audio import FeatureSettings
from mer_classic.features._batch import Track, extract_tracks

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AudioFeatureExtractor", "ColumnSelector"]


def _as_paths(X: Any) -> list[str]:
    """Accept a path, a list/array/Series of paths, or a one-column DataFrame."""
    import pandas as pd

    if isinstance(X, (str, os.PathLike)):
        return [os.fspath(X)]
    if isinstance(X, pd.DataFrame):
        if "audio_path" in X.columns:
            X = X["audio_path"]
        elif X.shape[1] == 1:
            X = X.iloc[:, 0]
        else:
            raise DataError(
                "AudioFeatureExtractor needs one column of audio paths (or an "
                f"'audio_path' column); got columns {list(X.columns)}"
            )
    arr = np.asarray(X, dtype=object)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DataError(
            "AudioFeatureExtractor takes a 1-D list of audio paths; "
            f"got shape {arr.shape}"
        )
    bad = [x for x in arr if not isinstance(x, (str, os.PathLike))]
    if bad:
        raise DataError(
            "AudioFeatureExtractor takes audio file paths; got "
            f"{type(bad[0]).__name__} {bad[0]!r}. Pass paths, or use "
            "extract_features() to build a feature table"
        )
    return [os.fspath(x) for x in arr]


class AudioFeatureExtractor(TransformerMixin, BaseEstimator):
    """Audio file paths in, clip-level feature matrix out.

    Stateless: ``fit`` only validates the parameters and fixes the output columns.
    A file that cannot be used raises :class:`~mer_classic.exceptions.AudioError`
    in ``transform`` (a transformer must return one row per input); use
    :func:`~mer_classic.features.extract_features` to skip and list bad files.

    Parameters
    ----------
    sr : int, default=22050
        Analysis sample rate in Hz.
    offset : float or None, default=None
        Start reading this many seconds into each file.
    duration : float or None, default=None
        Read at most this many seconds of each file.
    features : str, sequence of str or None, default=None
        Feature groups to extract (keys of
        :data:`~mer_classic.features.FEATURE_GROUPS`), a comma-separated string,
        ``"all"`` or ``"default"``; None means
        :data:`~mer_classic.features.DEFAULT_FEATURE_GROUPS`. Checked in
        ``fit``.
    n_jobs : int, default=1
        Worker processes for ``transform``.
    cache_dir : str or None, default=None
        Per-file feature cache folder (None: ``$MER_CLASSIC_CACHE_DIR`` or off).

    Attributes
    ----------
    feature_names_out_ : ndarray of str
        The output column names (``feature_names(feature_groups_)``, registry
        order).
    feature_groups_ : tuple of str
        The selected groups in registry order.
    n_features_in_ : int
        Always 1 (one column of paths).

    See Also
    --------
    mer_classic.features.extract_features : the function behind ``transform``.

    Examples
    --------
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> sf.write(path, 0.3 * np.sin(2 * np.pi * 440 * np.arange(22050) / 22050), 22050)
    >>> ext = AudioFeatureExtractor().fit([path])
    >>> ext.transform([path]).shape == (1, len(ext.get_feature_names_out()))
    True
    """

    def __init__(
        self,
        *,
        sr: int = 22050,
        offset: float | None = None,
        duration: float | None = None,
        features: str | tuple[str, ...] | None = None,
        n_jobs: int = 1,
        cache_dir: str | None = None,
    ) -> None:
        self.sr = sr
        self.offset = offset
        self.duration = duration
        self.features = features
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir

    def _settings(self) -> Any:

        # FeatureSettings resolves and checks the selection (the one place)
        return FeatureSettings(
            sr=self.sr,
            offset=self.offset,
            duration=self.duration,
            features=self.features,
        )

    def fit(self, X: Any, y: Any = None) -> AudioFeatureExtractor:
        """Validate the parameters and the input; learn nothing from the audio.

        Parameters
        ----------
        X : sequence of path-like
            Audio file paths (only their shape is checked).
        y : ignored

        Returns
        -------
        self : AudioFeatureExtractor
        """
        settings = self._settings()
        _as_paths(X)
        self.n_features_in_ = 1
        self.feature_groups_ = settings.features
        self.feature_names_out_ = np.asarray(settings.feature_names, dtype=object)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Extract the features of each file.

        Parameters
        ----------
        X : sequence of path-like
            Audio file paths.

        Returns
        -------
        ndarray of shape (n_files, n_features)
        """
        check_is_fitted(self, "feature_names_out_")

        paths = _as_paths(X)
        tracks = [Track(str(i), Path(p)) for i, p in enumerate(paths)]
        settings = dataclasses.replace(self._settings(), features=self.feature_groups_)
        result = extract_tracks(
            tracks, settings, n_jobs=self.n_jobs, cache_dir=self.cache_dir
        )
        if len(result.errors):
            lines = "; ".join(
                f"{r.path}: {r.reason}" for r in result.errors.itertuples()
            )
            raise AudioError(f"{len(result.errors)} file(s) could not be used: {lines}")
        return result.features.to_numpy(dtype=np.float64)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Output feature names.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        return tags


def _is_frame(X: Any) -> bool:
    import pandas as pd

    return isinstance(X, pd.DataFrame)


class ColumnSelector(TransformerMixin, BaseEstimator):
    """Pick a model's feature columns, by name and in order, from a DataFrame.

    The first step of every pipeline that :func:`mer_classic.save_model`
    writes, so ``joblib.load("model.joblib").predict(df)`` works on a frame with extra
    columns or another column order. Unlike most transformers, ``transform`` accepts
    other columns than ``fit`` saw: that is its purpose (it does not call
    ``validate_data(reset=False)``).

    Fitted on an array (``columns=None``; sklearn's estimator checks do this), it
    keeps every column and checks later arrays with ``validate_data``; a selector
    fitted by name (every saved model) needs a DataFrame in ``transform``.

    Parameters
    ----------
    columns : list of str or None, default=None
        The columns to keep, in this order (None: every column seen in ``fit``).

    Attributes
    ----------
    feature_names_in_ : ndarray of str
        The columns kept (the input features the model uses), in order. Only set
        when fitted on a DataFrame.
    n_features_in_ : int
        Their number.

    See Also
    --------
    mer_classic.save_model : adds this step to a saved pipeline.

    Examples
    --------
    >>> import pandas as pd
    >>> sel = ColumnSelector(columns=["b", "a"]).fit(pd.DataFrame(columns=["a", "b"]))
    >>> sel.transform(pd.DataFrame({"a": [1], "c": [2], "b": [3]})).columns.tolist()
    ['b', 'a']
    """

    def __init__(self, *, columns: list[str] | None = None) -> None:
        self.columns = columns

    @staticmethod
    def _frame(X: Any) -> pd.DataFrame:
        import pandas as pd

        if not isinstance(X, pd.DataFrame):
            raise DataError(
                "ColumnSelector needs a DataFrame whose columns are the model's "
                f"feature names; got {type(X).__name__}"
            )
        return X

    def fit(self, X: Any, y: Any = None) -> ColumnSelector:
        """Check that ``X`` has the columns; remember them.

        Parameters
        ----------
        X : DataFrame
            A frame holding the columns (it may have no rows).
        y : ignored

        Returns
        -------
        self : ColumnSelector
        """
        if self.columns is None and not _is_frame(X):
            validate_data(
                self, X, reset=True, dtype="numeric", ensure_all_finite="allow-nan"
            )
            return self
        X = self._frame(X)
        cols = list(X.columns) if self.columns is None else list(self.columns)
        if len(set(cols)) != len(cols):
            raise DataError(f"columns must be unique; got {cols}")
        missing = [c for c in cols if c not in X.columns]
        if missing:
            raise DataError(f"column(s) not in the frame: {', '.join(missing[:12])}")
        self.feature_names_in_ = np.asarray(cols, dtype=object)
        self.n_features_in_ = len(cols)
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """Return the kept columns of ``X``, in order.

        Parameters
        ----------
        X : DataFrame
            Holds at least the kept columns; others are ignored.

        Returns
        -------
        DataFrame of shape (n_rows, n_features_in_)
        """
        check_is_fitted(self)
        if not hasattr(self, "feature_names_in_"):  # fitted on an array
            return validate_data(
                self, X, reset=False, dtype="numeric", ensure_all_finite="allow-nan"
            )
        X = self._frame(X)
        cols = list(self.feature_names_in_)
        missing = [c for c in cols if c not in X.columns]
        if missing:
            raise DataError(
                f"{len(missing)} feature column(s) the model was trained with are "
                f"missing: {', '.join(map(str, missing[:12]))}"
                + (" ..." if len(missing) > 12 else "")
            )
        return X.loc[:, cols]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Output feature names: the kept columns.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against the fitted columns as sklearn does.

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self)
        if not hasattr(self, "feature_names_in_"):  # fitted on an array: x0, x1 …
            return OneToOneFeatureMixin.get_feature_names_out(self, input_features)
        return self.feature_names_in_.copy()

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.input_tags.allow_nan = True  # imputation is a later pipeline step
        return tags
