"""Predictions straight from audio files: decode, extract the model's features, predict.

:func:`predict_audio` and :func:`predict_audio_detailed` take a loaded model
(:func:`mer_classic.load_model`) or its run folder. The work lives in
``predict._audio`` (one row per track) and ``predict._curves`` (per-segment curves);
they take a loaded model only, so ``MerModel.predict_audio`` uses them without this
face, which is the only place here that loads a model from a path. The command that
writes prediction files is :func:`mer_classic.workflows.run_predict_audio`.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import pandas as pd

from mer_classic.predict import _audio
from mer_classic.predict._audio import SPOTIFY_COLUMNS, AudioPredictions, audio_settings
from mer_classic.predict._curves import CURVE_WINDOW

__all__ = [
    "CURVE_WINDOW",
    "SPOTIFY_COLUMNS",
    "AudioPredictions",
    "audio_settings",
    "predict_audio",
    "predict_audio_detailed",
]


def _load(model: Any) -> Any:
    if isinstance(model, str | os.PathLike):
        from mer_classic.persistence import load_model

        return load_model(model)
    return model


@functools.wraps(_audio.predict_audio_detailed)
def predict_audio_detailed(model: Any, paths: Any, **kwargs: Any) -> AudioPredictions:  # noqa: D103 - docstring from the wrapped function
    return _audio.predict_audio_detailed(_load(model), paths, **kwargs)


@functools.wraps(_audio.predict_audio)
def predict_audio(model: Any, paths: Any, **kwargs: Any) -> pd.DataFrame:  # noqa: D103 - docstring from the wrapped function
    return _audio.predict_audio(_load(model), paths, **kwargs)
