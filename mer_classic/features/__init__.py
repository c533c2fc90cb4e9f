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
"""

from __future__ import annotations

from mer_classic.features._batch import (
    ExtractionResult,
    extract_features,
    extract_to_csv,
)
from mer_classic.features._decode import load_audio
from mer_classic.features.audio import FeatureSettings, extract_file
from mer_classic.features.names import (
    ALL_FEATURE_NAMES,
    ALL_SEGMENT_FEATURE_NAMES,
    FEATURE_DESCRIPTIONS,
    FEATURE_GROUPS,
    FEATURE_NAMES,
    FEATURES_VERSION,
    SEGMENT_FEATURE_NAMES,
    feature_table_markdown,
)

__all__ = [
    "extract_file",
    "extract_features",
    "extract_to_csv",
    "ExtractionResult",
    "FeatureSettings",
    "load_audio",
    "FEATURE_NAMES",
    "ALL_FEATURE_NAMES",
    "ALL_SEGMENT_FEATURE_NAMES",
    "SEGMENT_FEATURE_NAMES",
    "FEATURE_GROUPS",
    "FEATURE_DESCRIPTIONS",
    "FEATURES_VERSION",
    "feature_table_markdown",
]
