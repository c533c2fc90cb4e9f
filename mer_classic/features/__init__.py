"""Handcrafted audio features for music emotion recognition.

One decode (soundfile, soxr resampling, ``0.5 * (L + R)`` mixdown) and one
STFT/mel front end per file feed every descriptor group: MFCC (+ deltas), mel-band
energies, spectral shape, zero-crossing rate, RMS and dynamics, chroma, tonnetz,
key and mode, harmonic change and dissonance, tempo and rhythm, harmonic/percussive
ratio. ``docs/features.md`` lists every column with its meaning
(:func:`feature_table_markdown`).

The front end is numpy/scipy only (no numba), so a fresh process extracts its
first file without JIT compilation; the descriptors equal librosa 0.11's.

Three entry points: :func:`extract_file` (one file), :func:`extract_features`
(files to a DataFrame) and :func:`extract_to_csv` (inputs to a CSV on disk, in
local processes or on a Dask cluster). Each feature group is one module in
:mod:`mer_classic.features.groups` (see its docstring to add one).

This module is the one public home of the feature names and groups
(:data:`FEATURE_NAMES`, :data:`FEATURE_GROUPS`, :func:`feature_table_markdown` …,
implemented in ``features._names``) and of the two scikit-learn transformers,
:class:`AudioFeatureExtractor` (paths → features) and :class:`ColumnSelector` (the
first step of every saved model; implemented in ``features._transformers``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mer_classic.features._audio import FeatureSettings, extract_file
from mer_classic.features._batch import (
    ExtractionResult,
    extract_features,
    extract_to_csv,
)
from mer_classic.features._decode import load_audio
from mer_classic.features._names import (
    ALL_FEATURE_NAMES,
    ALL_SEGMENT_FEATURE_NAMES,
    DEFAULT_FEATURE_GROUPS,
    FEATURE_DESCRIPTIONS,
    FEATURE_GROUPS,
    FEATURE_NAMES,
    FEATURES_VERSION,
    SEGMENT_FEATURE_NAMES,
    clip_columns,
    feature_names,
    feature_table_markdown,
    groups_of_names,
    resolve_feature_groups,
    segment_columns,
    segment_feature_names,
)

__all__ = [
    "extract_file",
    "extract_features",
    "extract_to_csv",
    "ExtractionResult",
    "FeatureSettings",
    "load_audio",
    "AudioFeatureExtractor",
    "ColumnSelector",
    "FEATURES_VERSION",
    "FEATURE_NAMES",
    "SEGMENT_FEATURE_NAMES",
    "ALL_FEATURE_NAMES",
    "ALL_SEGMENT_FEATURE_NAMES",
    "FEATURE_GROUPS",
    "FEATURE_DESCRIPTIONS",
    "DEFAULT_FEATURE_GROUPS",
    "feature_names",
    "segment_feature_names",
    "resolve_feature_groups",
    "clip_columns",
    "segment_columns",
    "groups_of_names",
    "feature_table_markdown",
]

if TYPE_CHECKING:  # pragma: no cover
    from mer_classic.features._transformers import AudioFeatureExtractor, ColumnSelector


def __getattr__(name: str) -> Any:
    # the transformers import scikit-learn (a third of a second): extraction and its
    # worker processes do not need it, so they are loaded on first use
    if name in ("AudioFeatureExtractor", "ColumnSelector"):
        from mer_classic.features import _transformers

        return getattr(_transformers, name)
    raise AttributeError(f"module 'mer_classic.features' has no attribute {name!r}")
