"""Handcrafted audio features for music emotion recognition.

One decode (soundfile, soxr resampling, ``0.5 * (L + R)`` mixdown) and one
STFT/mel front end per file feed every descriptor group: MFCC (+ deltas), mel-band
energies, spectral shape, zero-crossing rate, RMS and dynamics, chroma, tonnetz,
key and mode, harmonic change and dissonance, tempo and rhythm, harmonic/percussive
ratio. ``docs/features.md`` lists every column with its meaning
(:func:`feature_table_markdown`).

The front end is numpy/scipy only (no numba), so a fresh process extracts its
first file without JIT compilation; the descriptors equal librosa 0.11's.
"""

from __future__ import annotations

from mer_classic.features._batch import (
    META_COLUMNS,
    ExtractionResult,
    Track,
    discover_tracks,
    errors_path_for,
    extract_features,
    extract_to_csv,
    extract_tracks,
    plan_extraction,
    settings_path_for,
)
from mer_classic.features._decode import AUDIO_EXTENSIONS, load_audio
from mer_classic.features._inputs import Inputs, find_inputs
from mer_classic.features._metadata import join_metadata
from mer_classic.features._worker import extract_file_cached
from mer_classic.features.audio import (
    FeatureSettings,
    clip_features,
    extract_file,
    segment_features,
)
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
    "extract_features",
    "extract_to_csv",
    "extract_tracks",
    "extract_file_cached",
    "discover_tracks",
    "find_inputs",
    "plan_extraction",
    "join_metadata",
    "Inputs",
    "errors_path_for",
    "settings_path_for",
    "ExtractionResult",
    "Track",
    "META_COLUMNS",
    "FeatureSettings",
    "clip_features",
    "segment_features",
    "extract_file",
    "load_audio",
    "AUDIO_EXTENSIONS",
    "FEATURE_NAMES",
    "ALL_FEATURE_NAMES",
    "ALL_SEGMENT_FEATURE_NAMES",
    "SEGMENT_FEATURE_NAMES",
    "FEATURE_GROUPS",
    "FEATURE_DESCRIPTIONS",
    "FEATURES_VERSION",
    "feature_table_markdown",
]
