"""Predictions straight from audio files: decode, extract the model's features, predict.

:func:`predict_audio` (one row per track, or per-segment curves) and
:func:`predict_audio_detailed` (tracks, segments and errors together) take a
loaded model: :func:`mer_classic.load_model` is the only function that turns a
path into a model. The work lives in ``predict._audio`` (one row per track) and
``predict._curves`` (per-segment curves). The command that writes prediction
files is `mer-classic predict` (its body is private, in ``mer_classic._workflows``).
"""

from __future__ import annotations

from mer_classic.predict._audio import (
    AudioPredictions,
    predict_audio,
    predict_audio_detailed,
)

__all__ = [
    "AudioPredictions",
    "predict_audio",
    "predict_audio_detailed",
]
