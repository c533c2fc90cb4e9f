"""Tests for mer_classic.features._transformers (AudioFeatureExtractor contract)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mer_classic.exceptions import AudioError, DataError, ParameterError
from mer_classic.features import extract_features
from mer_classic.features._names import FEATURE_NAMES
from mer_classic.features._transformers import AudioFeatureExtractor

SR = 22050


@pytest.fixture
def wavs(tmp_path: Path) -> list[str]:
    paths = []
    t = np.arange(SR) / SR
    for i, freq in enumerate((220.0, 330.0, 880.0, 1760.0)):
        p = tmp_path / f"tone{i}.wav"
        sf.write(p, 0.3 * np.sin(2 * np.pi * freq * t), SR)
        paths.append(str(p))
    return paths


def test_params_clone_and_init_assigns_only() -> None:
    ext = AudioFeatureExtractor(sr=16000, duration=5.0, n_jobs=2, cache_dir="c")
    params = ext.get_params()
    assert params == {
        "sr": 16000,
        "offset": None,
        "duration": 5.0,
        "features": None,
        "n_jobs": 2,
        "cache_dir": "c",
    }
    twin = clone(ext)
    assert twin is not ext and twin.get_params() == params
    assert twin.set_params(offset=1.0) is twin and twin.offset == 1.0
    # invalid values are accepted at construction and rejected by fit
    bad = AudioFeatureExtractor(sr=10)
    with pytest.raises(ParameterError, match="sr must be an int between 8000"):
        bad.fit(["x.wav"])
    with pytest.raises(TypeError):
        AudioFeatureExtractor(16000)  # keyword-only


def test_fit_returns_self_and_not_fitted_error(wavs: list[str]) -> None:
    ext = AudioFeatureExtractor()
    with pytest.raises(NotFittedError):
        ext.transform(wavs)
    with pytest.raises(NotFittedError):
        ext.get_feature_names_out()
    assert ext.fit(wavs) is ext
    assert ext.n_features_in_ == 1
    assert list(ext.get_feature_names_out()) == list(FEATURE_NAMES)


def test_transform_equals_extract_features(wavs: list[str]) -> None:
    X = AudioFeatureExtractor().fit_transform(wavs)
    expected = extract_features(wavs).to_numpy()
    np.testing.assert_allclose(X, expected)
    assert X.shape == (4, len(FEATURE_NAMES)) and np.isfinite(X).all()
    # a one-column DataFrame / 2-D list is accepted too
    ext = AudioFeatureExtractor().fit(wavs)
    np.testing.assert_allclose(ext.transform(pd.DataFrame({"audio_path": wavs})), X)
    np.testing.assert_allclose(ext.transform([[w] for w in wavs]), X)


def test_set_output_pandas_keeps_names(wavs: list[str]) -> None:
    ext = AudioFeatureExtractor().set_output(transform="pandas")
    df = ext.fit_transform(wavs)
    assert list(df.columns) == list(FEATURE_NAMES)


def test_pickle_round_trip(wavs: list[str], tmp_path: Path) -> None:
    pipe = make_pipeline(
        AudioFeatureExtractor(cache_dir=str(tmp_path / "cache")),
        StandardScaler(),
        LogisticRegression(),
    )
    y = ["low", "low", "high", "high"]
    pipe.fit(wavs, y)
    restored = pickle.loads(pickle.dumps(pipe))
    assert list(restored.predict(wavs)) == list(pipe.predict(wavs)) == y
    np.testing.assert_allclose(restored[0].transform(wavs), pipe[0].transform(wavs))


def test_bad_files_raise_and_bad_input_shapes(wavs: list[str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"\x00" * 100)
    ext = AudioFeatureExtractor().fit(wavs)
    with pytest.raises(
        AudioError, match="1 file\\(s\\) could not be used: .*broken.mp3"
    ):
        ext.transform([wavs[0], str(broken)])
    with pytest.raises(DataError, match="takes audio file paths; got float"):
        ext.transform(np.zeros((3, 1)))
    with pytest.raises(DataError, match="one column of audio paths"):
        ext.transform(pd.DataFrame({"a": wavs, "b": wavs}))
