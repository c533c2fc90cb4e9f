"""Feature-group selection: registry helpers, settings, cache key, batch, transformer,
CLI, and models that record (or predate) their groups."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from mer_classic.cli.main import main
from sklearn.base import clone

from mer_classic.exceptions import ParameterError
from mer_classic.features import FeatureSettings, _dsp, extract_features
from mer_classic.features._batch import Track, extract_tracks
from mer_classic.features._names import (
    DEFAULT_FEATURE_GROUPS,
    FEATURE_GROUPS,
    FEATURE_NAMES,
    SEGMENT_FEATURE_NAMES,
    feature_names,
    groups_of_names,
    resolve_feature_groups,
    segment_feature_names,
)
from mer_classic.features._transformers import AudioFeatureExtractor


def _loaded(model):
    from mer_classic._persistence._files import load_model

    return model if hasattr(model, "predict_frame") else load_model(model)


SR = 22050
VALID = ", ".join(FEATURE_GROUPS)


def _clip(seconds: float = 3.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    y = 0.3 * np.sin(2 * np.pi * 330 * t) * (1 + np.sin(2 * np.pi * 2 * t))
    return (y + 0.02 * rng.standard_normal(len(t))).astype(np.float32)


@pytest.fixture(scope="module")
def wavs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    d = tmp_path_factory.mktemp("groups")
    paths = []
    for i in range(2):
        p = d / f"clip{i}.wav"
        sf.write(p, _clip(seed=i), SR)
        paths.append(p)
    return paths


@pytest.fixture(scope="module")
def full(wavs: list[Path]):
    return extract_features(wavs, on_error="raise")


# -- registry -------------------------------------------------------------------------


#: the groups (and 159 columns) of feature version 1, before groups were selectable
V1_GROUPS = (
    "mfcc", "mel", "spectral", "dynamics", "chroma",
    "tonnetz", "harmony", "rhythm", "key", "timbre",
)  # fmt: skip


def test_default_and_all() -> None:
    assert set(DEFAULT_FEATURE_GROUPS) <= set(FEATURE_GROUPS)
    assert resolve_feature_groups(None) == DEFAULT_FEATURE_GROUPS
    assert resolve_feature_groups("default") == DEFAULT_FEATURE_GROUPS
    assert resolve_feature_groups("all") == tuple(FEATURE_GROUPS)
    from mer_classic.features._names import ALL_FEATURE_NAMES, ALL_SEGMENT_FEATURE_NAMES

    assert feature_names("all") == ALL_FEATURE_NAMES
    assert segment_feature_names("all") == ALL_SEGMENT_FEATURE_NAMES
    assert feature_names() == feature_names("default") == FEATURE_NAMES
    assert segment_feature_names() == SEGMENT_FEATURE_NAMES
    assert len(feature_names(V1_GROUPS)) == 159


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("rhythm,mfcc", ("mfcc", "rhythm")),
        (" Spectral , mfcc,mfcc ", ("mfcc", "spectral")),
        (["key", "chroma"], ("chroma", "key")),
        (("timbre", "all"), tuple(FEATURE_GROUPS)),
    ],
)
def test_resolve_is_canonical(spec: object, expected: tuple[str, ...]) -> None:
    assert resolve_feature_groups(spec) == expected


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (
            "mfcc,melodyy",
            f"unknown feature group\\(s\\) 'melodyy'; valid groups: {VALID}",
        ),
        ([3], "unknown feature group\\(s\\) 3"),
        ("", "no feature group selected"),
        (" , ", "no feature group selected"),
    ],
)
def test_resolve_errors_list_the_valid_groups(spec: object, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        resolve_feature_groups(spec)


def test_feature_names_follow_registry_order() -> None:
    names = feature_names(("rhythm", "mfcc", "dynamics"))
    assert list(names) == [n for n in FEATURE_NAMES if n in set(names)]
    assert names[0] == "mfcc_01_mean" and names[-1] == "dynamic_range_db"
    assert "onset_strength_mean" in names and "tempo" in names
    assert groups_of_names(names) == ("mfcc", "dynamics", "rhythm")


# -- settings and extraction ----------------------------------------------------------


def test_settings_canonicalise_and_validate() -> None:
    s = FeatureSettings(features="rhythm, mfcc")  # type: ignore[arg-type]
    assert s.features == ("mfcc", "rhythm")
    assert s == FeatureSettings(features=("mfcc", "rhythm"))
    assert s.to_dict()["features"] == ["mfcc", "rhythm"]
    assert FeatureSettings().features == DEFAULT_FEATURE_GROUPS
    with pytest.raises(ParameterError, match="unknown feature group"):
        FeatureSettings(features=("mfcc", "bogus")).validate()


def test_selected_columns_equal_the_full_extraction(wavs: list[Path], full) -> None:
    for spec in ("rhythm,mfcc", "spectral", "key", "timbre,dynamics", "tonnetz"):
        df = extract_features(wavs, features=spec, on_error="raise")
        assert list(df.columns) == list(feature_names(spec))
        np.testing.assert_allclose(
            df.to_numpy(), full[df.columns].to_numpy(), rtol=1e-6, atol=1e-9
        )


def test_unselected_front_end_work_is_skipped(
    wavs: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kw: object) -> None:
        raise AssertionError("computed for an unselected group")

    monkeypatch.setattr(_dsp, "mel_filterbank", boom)
    monkeypatch.setattr(_dsp, "chroma_filterbank", boom)
    monkeypatch.setattr(_dsp, "contrast_peaks", boom)
    monkeypatch.setattr(_dsp, "tempogram_mean", boom)
    df = extract_features(wavs, features="dynamics", on_error="raise")
    assert list(df.columns) == list(feature_names("dynamics"))
    # and a group that needs them really does call them
    res = extract_tracks([Track("x", wavs[0])], FeatureSettings(features="spectral"))
    assert len(res.errors) == 1 and "AssertionError" in res.errors.loc[0, "reason"]


def test_segment_rows_honour_the_selection(wavs: list[Path]) -> None:
    df = extract_features(wavs, segment=0.5, features="chroma,rhythm,key")
    assert list(df.columns) == list(segment_feature_names("chroma,rhythm,key"))
    assert list(df.columns) == [
        n for n in SEGMENT_FEATURE_NAMES if n.startswith(("chroma_", "onset_"))
    ]
    whole = extract_features(wavs, segment=0.5)
    np.testing.assert_allclose(df.to_numpy(), whole[df.columns].to_numpy(), rtol=1e-6)


def test_cache_never_serves_another_group_set(wavs: list[Path], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    tracks = [Track(p.stem, p) for p in wavs]
    a = extract_tracks(tracks, FeatureSettings(features=("mfcc",)), cache_dir=cache)
    assert (a.n_cached, a.n_computed) == (0, 2)
    b = extract_tracks(tracks, FeatureSettings(features=("key",)), cache_dir=cache)
    assert (b.n_cached, b.n_computed) == (0, 2)
    assert list(b.features.columns) == list(feature_names("key"))
    c = extract_tracks(tracks, FeatureSettings(features="mfcc,key"), cache_dir=cache)
    assert c.n_cached == 0
    again = extract_tracks(tracks, FeatureSettings(features="mfcc"), cache_dir=cache)
    assert again.n_cached == 2
    assert list(again.features.columns) == list(feature_names("mfcc"))


def test_extract_to_csv_records_the_groups(wavs: list[Path], tmp_path: Path) -> None:
    from mer_classic.features import extract_to_csv

    out = tmp_path / "f.csv"
    extract_to_csv(wavs, out, features=["key", "rhythm"])
    info = json.loads(Path(str(out) + ".json").read_text())
    assert info["settings"]["features"] == ["rhythm", "key"]


# -- transformer ----------------------------------------------------------------------


def test_transformer_features_param(wavs: list[Path], full) -> None:
    ext = AudioFeatureExtractor(features="key,mfcc")
    assert ext.get_params()["features"] == "key,mfcc"  # assigned as given
    assert clone(ext).features == "key,mfcc"
    X = ext.fit_transform([str(p) for p in wavs])
    assert ext.feature_groups_ == ("mfcc", "key")
    assert list(ext.get_feature_names_out()) == list(feature_names("mfcc,key"))
    np.testing.assert_allclose(
        X, full[list(feature_names("mfcc,key"))].to_numpy(), rtol=1e-6, atol=1e-9
    )
    assert AudioFeatureExtractor().fit([str(wavs[0])]).feature_groups_ == (
        DEFAULT_FEATURE_GROUPS
    )


def test_transformer_validates_groups_in_fit_not_init(wavs: list[Path]) -> None:
    ext = AudioFeatureExtractor(features="nope")  # no error yet
    with pytest.raises(ParameterError, match=f"valid groups: {VALID}"):
        ext.fit([str(wavs[0])])


# -- CLI ------------------------------------------------------------------------------


def test_cli_bad_features_exact_error(wavs: list[Path], tmp_path: Path) -> None:
    res = CliRunner().invoke(
        main,
        [
            "extract",
            str(wavs[0]),
            "-o",
            str(tmp_path / "f.csv"),
            "--features",
            "mfcc,melodic2",
        ],
    )
    assert res.exit_code == 2
    assert res.output.endswith(
        "Error: Invalid value for '--features': unknown feature group(s) 'melodic2'; "
        f"valid groups: {VALID} (or 'all', 'default')\n"
    )
    assert not (tmp_path / "f.csv").exists()


def test_cli_features_selects_columns(wavs: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    res = CliRunner().invoke(
        main,
        [
            "extract",
            *map(str, wavs),
            "-o",
            str(out),
            "--features",
            "spectral,rhythm",
            "--no-cache",
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    n = len(feature_names("spectral,rhythm"))
    assert f"(2 rows x {n} features)" in res.output
    import pandas as pd

    df = pd.read_csv(out, index_col=0)
    assert list(df.columns) == list(feature_names("spectral,rhythm"))
    res = CliRunner().invoke(
        main,
        [
            "extract",
            str(wavs[0]),
            "-o",
            str(out),
            "--features",
            "all",
            "--no-cache",
            "--quiet",
            "--force",
        ],
    )
    from mer_classic.features._names import ALL_FEATURE_NAMES

    assert res.exit_code == 0
    assert f"x {len(ALL_FEATURE_NAMES)} features" in res.output


# -- models ---------------------------------------------------------------------------


def _train(data: Path, out: Path) -> Path:
    from mer_classic._workflows import TrainSettings, run_train

    run_train(TrainSettings(
        model="logreg", data=data, target=("label",), task="classify",
        id_col="track_id", cv=2, grid=False, smote=False, out=out, quiet=True,
    ))  # fmt: skip
    return out


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("lab")
    rng = np.random.default_rng(3)
    for i in range(4):
        for lab, f in (("low", 150.0), ("high", 2500.0)):
            t = np.arange(2 * SR) / SR
            y = 0.3 * np.sin(2 * np.pi * f * (1 + 0.01 * i) * t)
            y += 0.01 * rng.standard_normal(len(t))
            (d / lab).mkdir(exist_ok=True)
            sf.write(d / lab / f"{lab}{i}.wav", y.astype(np.float32), SR)
    return d


def test_model_records_groups_and_predict_extracts_exactly_them(
    labelled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mer_classic._persistence._files import load_model
    from mer_classic.features import extract_to_csv
    from mer_classic.predict import predict_audio
    from mer_classic.predict._audio import audio_settings

    table = tmp_path / "f.csv"
    extract_to_csv([labelled], table, label_from_folder=True, features="spectral")
    run = _train(table, tmp_path / "run")
    meta = json.loads((run / "model.json").read_text())
    assert meta["feature_settings"]["features"] == ["spectral"]
    model = load_model(run)
    assert model.feature_groups == ("spectral",)
    assert audio_settings(model).features == ("spectral",)

    def boom(*args: object, **kw: object) -> None:
        raise AssertionError("a group the model does not use was computed")

    monkeypatch.setattr(_dsp, "mel_filterbank", boom)
    monkeypatch.setattr(_dsp, "chroma_filterbank", boom)
    got = predict_audio(_loaded(model), sorted(labelled.rglob("*.wav")))
    assert got.attrs["errors"] == []
    assert got.attrs["settings"]["features"] == ["spectral"]
    assert (
        got["label"] == [p.parent.name for p in sorted(labelled.rglob("*.wav"))]
    ).all()


def test_model_json_without_groups_keeps_working(
    labelled: Path, tmp_path: Path
) -> None:
    from mer_classic._persistence._files import load_model
    from mer_classic.features import extract_to_csv
    from mer_classic.predict import predict_audio
    from mer_classic.predict._audio import audio_settings

    table = tmp_path / "f.csv"
    # the columns and a sidecar as written before groups existed: no "features" key
    extract_to_csv([labelled], table, label_from_folder=True, features=V1_GROUPS)
    sidecar = Path(str(table) + ".json")
    info = json.loads(sidecar.read_text())
    del info["settings"]["features"]
    sidecar.write_text(json.dumps(info))
    run = _train(table, tmp_path / "run")
    model = load_model(run)
    assert "features" not in model.metadata["feature_settings"]
    assert set(model.feature_names) <= set(FEATURE_NAMES)  # training may drop some
    assert model.feature_groups == tuple(V1_GROUPS)
    assert audio_settings(model).features == tuple(V1_GROUPS)
    got = predict_audio(_loaded(model), sorted(labelled.rglob("*.wav"))[:2])
    assert got.attrs["errors"] == [] and len(got) == 2


def test_model_json_groups_that_miss_its_columns_are_an_error(
    labelled: Path, tmp_path: Path
) -> None:
    from mer_classic._persistence._files import load_model
    from mer_classic.exceptions import DataError
    from mer_classic.features import extract_to_csv
    from mer_classic.predict._audio import audio_settings

    table = tmp_path / "f.csv"
    extract_to_csv([labelled], table, label_from_folder=True, features="rhythm,key")
    run = _train(table, tmp_path / "run")
    model = load_model(run)
    model.metadata["feature_settings"]["features"] = ["key"]
    with pytest.raises(DataError, match="feature_settings.features \\(key\\) does not"):
        audio_settings(model)


def test_selection_is_checked_when_settings_are_made() -> None:
    """A FeatureSettings never holds an unknown group (no later validate() call)."""
    with pytest.raises(ParameterError, match="unknown feature group"):
        FeatureSettings(features=("mfcc", "bogus"))
    with pytest.raises(ParameterError, match="sr must be an int"):
        FeatureSettings(sr=100)


def test_selection_is_resolved_once_per_run(
    wavs: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """extract_features resolves the selection at the boundary, not per file."""
    import mer_classic.features._audio as audio

    calls = []
    real = audio.resolve_feature_groups
    monkeypatch.setattr(
        audio, "resolve_feature_groups", lambda g: calls.append(g) or real(g)
    )
    df = extract_features(wavs, features="mfcc,rhythm", cache_dir=None)
    assert list(df.columns) == list(feature_names("mfcc,rhythm"))
    assert calls == ["mfcc,rhythm"]


def test_features_face_has_three_extraction_entry_points() -> None:
    """One file, a DataFrame, a CSV on disk; the batch internals are private."""
    import mer_classic.features as face

    entry = sorted(n for n in face.__all__ if n.startswith("extract"))
    assert entry == ["extract_features", "extract_file", "extract_to_csv"]
    for private in ("extract_tracks", "extract_file_cached", "discover_tracks"):
        assert not hasattr(face, private) or private not in face.__all__
