"""Predictions straight from audio files: decode, extract the model's features, predict.

:func:`predict_audio` is what ``MerModel.predict_audio`` and ``mer-classic predict
AUDIO...`` call. It extracts exactly the features the model was trained with (the
extraction settings stored in ``model.json``; the default extractor's settings when the
model's columns are the default :data:`~mer_classic.features.FEATURE_NAMES` and no
settings were stored), and returns one row per track: ``label`` and ``proba_<class>``
for classifiers, the regressed targets (valence/arousal) for regressors, and
``quadrant`` when it can be derived. With ``segments=True`` it returns a curve instead:
one row per 0.5 s step.

A file that cannot be used (unreadable, too short, silent) does not stop the batch: it
is left out of the result and listed in ``result.attrs["errors"]``.

This module works on a loaded model (it never loads one, so ``MerModel.predict_audio``
can call it); :mod:`mer_classic.predict` accepts a run folder too. The curve (segment)
prediction lives in :mod:`mer_classic.predict._curves`, and the command that writes
the files (:func:`~mer_classic._workflows.run_predict_audio`) in
:mod:`mer_classic._workflows`.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd

from mer_classic.exceptions import (
    AudioError,
    DataError,
    MerClassicError,
    ParameterError,
)
from mer_classic.features import FeatureSettings
from mer_classic.features._batch import extract_tracks
from mer_classic.features._inputs import discover_tracks
from mer_classic.features._names import (
    ALL_FEATURE_NAMES,
    FEATURES_VERSION,
    groups_of_names,
)
from mer_classic.fetch._attributes import AUDIO_ATTRIBUTES
from mer_classic.predict._curves import predict_with_segments

__all__ = [
    "SPOTIFY_COLUMNS",
    "AudioPredictions",
    "audio_settings",
    "predict_audio",
    "predict_audio_detailed",
]

logger = logging.getLogger(__name__)

#: columns of Spotify track tables (audio attributes plus track metadata): a model
#: trained on these cannot be fed from audio
SPOTIFY_COLUMNS: frozenset[str] = frozenset(AUDIO_ATTRIBUTES) | {
    "popularity",
    "length",
    "duration_ms",
}


@dataclasses.dataclass
class AudioPredictions:
    """Everything one batch produced.

    Attributes
    ----------
    tracks : DataFrame
        One row per usable track (index ``track_id``): ``path`` then the predictions.
    segments : DataFrame or None
        With segments: one row per step (index ``(track_id, time)``), the same
        prediction columns; ``time`` is the centre of the analysis window in seconds.
    errors : DataFrame
        Columns ``track_id, path, reason``: one row per file that could not be used.
    settings : dict
        The extraction settings used.
    """

    tracks: pd.DataFrame
    segments: pd.DataFrame | None
    errors: pd.DataFrame
    settings: dict[str, Any]


def _check_model(model: Any) -> Any:
    """``model`` itself if it is a loaded MerModel (load_model turns paths into one)."""
    if not hasattr(model, "predict_frame") or not hasattr(model, "metadata"):
        hint = (
            "; load it first: mer_classic.load_model(path)"
            if isinstance(model, (str, os.PathLike))
            else ""
        )
        raise ParameterError(
            "model must be a MerModel (from mer_classic.load_model); got "
            f"{type(model).__name__}{hint}"
        )
    return model


def _missing_features_error(model: Any, missing: list[str]) -> DataError:
    names = model.feature_names
    spotify = sorted(set(names) & SPOTIFY_COLUMNS)
    shown = ", ".join(missing[:12]) + (" ..." if len(missing) > 12 else "")
    if spotify and len(spotify) >= min(3, len(names)):
        what = (
            "it was trained on Spotify audio attributes "
            f"({', '.join(spotify[:8])}), which mer-classic does not compute from audio"
        )
    else:
        what = "it was trained on features that the audio extractor does not compute"
    return DataError(
        f"this model cannot predict from audio: {what}; {len(missing)} of its "
        f"{len(names)} feature(s) are missing from the extractor's output: {shown}. "
        "Either predict from a table that has these columns "
        "(`mer-classic predict --model MODEL --data TABLE.csv`), or train an audio model: "
        "`mer-classic extract AUDIO... -o features.csv` then "
        "`mer-classic train --data features.csv --target COLUMN`"
    )


def audio_settings(model: Any) -> Any:
    """Extraction settings for a model, or a :class:`DataError` naming what is missing.

    Parameters
    ----------
    model : MerModel
        A loaded model.

    Returns
    -------
    FeatureSettings
        The settings stored in ``model.json`` (``feature_settings``), or the default
        settings when none were stored and the model's features are audio features.
        Its ``features`` are the recorded groups; a model.json without them (written
        before groups were selectable) gets the groups that hold its columns.

    Raises
    ------
    DataError
        When the model's features are not (all) produced by the audio extractor, e.g.
        a model trained on Spotify attributes.
    """

    names = model.feature_names
    if not names:
        raise DataError(
            "model.json lists no feature_names; retrain the model with `mer-classic train`"
        )
    missing = [n for n in names if n not in ALL_FEATURE_NAMES]
    if missing:
        raise _missing_features_error(model, missing)
    stored = model.metadata.get("feature_settings") or {}
    if not isinstance(stored, dict):
        stored = {}
    fields = {f.name for f in dataclasses.fields(FeatureSettings)}
    kwargs = {k: v for k, v in stored.items() if k in fields}
    if not stored:
        logger.info(
            "model.json has no feature settings; using the default extractor settings "
            "(the model's columns are the default audio features)"
        )
    version = stored.get("features_version")
    if version is not None and str(version) != str(FEATURES_VERSION):
        logger.warning(
            "the model was trained on features version %s but this mer-classic computes "
            "version %s; predictions may be off, retrain on re-extracted features",
            version,
            FEATURES_VERSION,
        )
    kwargs.setdefault("features", groups_of_names(names))
    try:
        settings = FeatureSettings(**kwargs)
    except (TypeError, MerClassicError) as exc:
        raise DataError(
            f"model.json has unusable feature settings {stored!r}: {exc}"
        ) from exc
    produced = set(settings.clip_feature_names)
    uncovered = [n for n in names if n not in produced]
    if uncovered:
        raise DataError(
            "model.json is inconsistent: feature_settings.features "
            f"({', '.join(settings.features)}) does not produce "
            f"{len(uncovered)} of its feature_names: {', '.join(uncovered[:8])}"
            + (" ..." if len(uncovered) > 8 else "")
        )
    return settings


def _collect(paths: Any) -> tuple[list[Any], list[dict[str, str]]]:
    """Expand files and folders into tracks; inputs that do not exist become errors."""

    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    items = [Path(p) for p in paths]
    if not items:
        raise ParameterError("give at least one audio file or folder; got none")
    errors: list[dict[str, str]] = []
    found = []
    for p in items:
        if not (p.exists() or p.is_symlink()):
            errors.append(
                {"track_id": p.stem, "path": str(p), "reason": f"file not found: {p}"}
            )
        else:
            found.append(p)
    tracks: list[Any] = []
    if found:
        try:
            tracks, _ = discover_tracks(found)
        except DataError as exc:
            errors.append(
                {"track_id": "", "path": ", ".join(map(str, found)), "reason": str(exc)}
            )
    return tracks, errors


def predict_audio_detailed(
    model: Any,
    paths: Any,
    *,
    segments: bool = False,
    segment: float = 0.5,
    window: float | None = None,
    n_jobs: int = 1,
    cache_dir: str | os.PathLike[str] | None = None,
    quiet: bool = True,
) -> AudioPredictions:
    """Like :func:`predict_audio`, but return tracks, segments and errors together.

    Returns
    -------
    AudioPredictions

    Raises
    ------
    DataError
        The model cannot predict from audio (see :func:`audio_settings`).
    AudioError
        No file of the batch could be used (the message lists every reason).
    """

    model = _check_model(model)
    settings = audio_settings(model)
    if not (isinstance(segment, int | float) and segment > 0):
        raise ParameterError(
            f"segment must be a positive number of seconds; got {segment!r}"
        )
    if window is not None and not (isinstance(window, int | float) and window > 0):
        raise ParameterError(
            f"window must be a positive number of seconds; got {window!r}"
        )
    tracks, errors = _collect(paths)
    per_segment_model = settings.segment is not None
    track_rows: list[pd.DataFrame] = []
    curves: list[pd.DataFrame] = []
    if tracks and not segments and not per_segment_model:
        res = extract_tracks(
            tracks, settings, n_jobs=n_jobs, cache_dir=cache_dir, quiet=quiet
        )
        errors += res.errors.to_dict("records")
        if len(res.features):
            X = res.features
            preds = model.predict_frame(X)
            paths_by_id = {t.track_id: str(t.path) for t in tracks}
            preds.insert(0, "path", [paths_by_id[i] for i in X.index])
            track_rows.append(preds)
    elif tracks:
        track_rows, curves, errs = predict_with_segments(
            model, tracks, settings, segment=segment, window=window, quiet=quiet
        )
        errors += errs
    if not track_rows:
        reasons = "; ".join(f"{e['path']}: {e['reason']}" for e in errors) or "no input"
        raise AudioError(f"no audio file could be used ({reasons})")
    result = pd.concat(track_rows)
    result.index.name = "track_id"
    curve_df = None
    if segments:
        curve_df = pd.concat(curves)
    err_df = pd.DataFrame(errors, columns=["track_id", "path", "reason"])
    for e in errors:
        logger.info("%s: %s", e["path"], e["reason"])
    return AudioPredictions(
        tracks=result, segments=curve_df, errors=err_df, settings=settings.to_dict()
    )


def predict_audio(
    model: Any,
    paths: Any,
    *,
    segments: bool = False,
    segment: float = 0.5,
    window: float | None = None,
    n_jobs: int = 1,
    cache_dir: str | os.PathLike[str] | None = None,
    quiet: bool = True,
) -> pd.DataFrame:
    """Predict moods or valence/arousal from audio files with a trained model.

    Parameters
    ----------
    model : MerModel or path-like
        A model from :func:`mer_classic.load_model`, or its run folder.
    paths : path-like or iterable of path-like
        Audio files and/or folders (searched recursively by extension).
    segments : bool, default=False
        Return a curve: one row per ``segment`` seconds, indexed
        ``(track_id, time)``, instead of one row per track. Features that exist only
        at clip level (tempo, key, loudness ...) keep their whole-clip value.
    segment : float, default=0.5
        Step of the curve in seconds.
    window : float or None, default=None
        Analysis window of each curve point in seconds, centred on its time. None:
        :data:`CURVE_WINDOW` (3 s) for a clip-level model, the model's own window for a
        model trained on segments.
    n_jobs : int, default=1
        Worker processes for clip-level extraction (-1: all cores).
    cache_dir : path-like or None, default=None
        Per-file feature cache (see :func:`mer_classic.features.extract_features`).
    quiet : bool, default=True
        Hide the progress bar.

    Returns
    -------
    DataFrame
        Index ``track_id`` (file stem). Columns: ``path``, then ``label`` and
        ``proba_<class>`` (classifiers) or one column per target (regressors), and
        ``quadrant`` when it can be derived. Files that could not be used are listed in
        ``df.attrs["errors"]`` (``track_id``, ``path``, ``reason``); the extraction
        settings are in ``df.attrs["settings"]``.

    Raises
    ------
    DataError
        The model was not trained on audio features (e.g. Spotify attributes); the
        message names the missing features and how to get a usable model.
    AudioError
        None of the files could be used.

    See Also
    --------
    mer_classic._persistence.MerModel.predict_audio : the same, as a model method.
    mer_classic.features.extract_features : the feature extraction alone.

    Examples
    --------
    >>> import mer_classic  # doctest: +SKIP
    >>> model = mer_classic.load_model("reports/svm-20260101-120000")  # doctest: +SKIP
    >>> model.predict_audio(["song.ogg"])[["label", "quadrant"]]  # doctest: +SKIP
    """
    res = predict_audio_detailed(
        model,
        paths,
        segments=segments,
        segment=segment,
        window=window,
        n_jobs=n_jobs,
        cache_dir=cache_dir,
        quiet=quiet,
    )
    df = res.segments if segments else res.tracks
    assert df is not None
    df.attrs["errors"] = res.errors.to_dict("records")
    df.attrs["settings"] = res.settings
    return df
