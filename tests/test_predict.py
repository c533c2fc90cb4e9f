"""Tests for mer_classic.predict: predictions straight from audio, and the predict command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from click.testing import CliRunner, Result
from mer_classic.cli.main import main

from mer_classic._persistence._files import load_model
from mer_classic.exceptions import AudioError, DataError, ParameterError
from mer_classic.predict import predict_audio, predict_audio_detailed
from mer_classic.predict._audio import audio_settings


def _loaded(model):
    """A run folder loaded with load_model (the one path-to-model function)."""
    return model if hasattr(model, "predict_frame") else load_model(model)


SR = 22050


def _tone(kind: str, seconds: float, seed: int) -> np.ndarray:
    """Two audibly different 'moods': a soft low hum or a bright noisy pulse."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    if kind == "calm":
        f = 110 + 20 * rng.random()
        y = 0.2 * np.sin(2 * np.pi * f * t) + 0.05 * np.sin(2 * np.pi * 2 * f * t)
    else:
        f = 1500 + 500 * rng.random()
        pulse = (np.sin(2 * np.pi * 4 * t) > 0).astype(float)
        y = 0.4 * pulse * np.sin(2 * np.pi * f * t) + 0.2 * rng.standard_normal(len(t))
    return (y + 0.003 * rng.standard_normal(len(t))).astype(np.float32)


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("audio")
    for i in range(6):
        for kind in ("calm", "bright"):
            sf.write(d / f"{kind}{i}.wav", _tone(kind, 2.0, seed=i), SR)
    return d


@pytest.fixture(scope="module")
def feature_table(audio_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mer_classic.features import extract_features

    df = extract_features(sorted(audio_dir.glob("*.wav")), on_error="raise")
    df.insert(
        0, "label", ["calm" if i.startswith("calm") else "bright" for i in df.index]
    )
    is_calm = df["label"] == "calm"
    df.insert(
        1, "valence", np.where(is_calm, 3.0, 7.0) + np.linspace(-0.5, 0.5, len(df))
    )
    df.insert(
        2, "arousal", np.where(is_calm, 2.5, 7.5) + np.linspace(0.5, -0.5, len(df))
    )
    out = tmp_path_factory.mktemp("features") / "features.csv"
    df.to_csv(out)
    return out


def _train(data: Path, out: Path, **kw: object) -> Path:
    from mer_classic._workflows import TrainSettings, run_train

    args = dict(
        model="logreg",
        data=data,
        target=["label"],
        task="classify",
        id_col="track_id",
        exclude=["valence", "arousal"],
        cv=2,
        grid=False,
        smote=False,
        out=out,
        quiet=True,
    )
    args.update(kw)
    run_train(TrainSettings(**args))  # type: ignore[arg-type]
    return out


@pytest.fixture(scope="module")
def clf_model(feature_table: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train(feature_table, tmp_path_factory.mktemp("m") / "clf")


@pytest.fixture(scope="module")
def reg_model(feature_table: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train(
        feature_table,
        tmp_path_factory.mktemp("m") / "reg",
        model="svr",
        task="regress",
        target=["valence", "arousal"],
        exclude=["label"],
    )


@pytest.fixture(scope="module")
def spotify_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(1)
    n = 24
    df = pd.DataFrame(
        {
            c: rng.random(n)
            for c in (
                "danceability",
                "acousticness",
                "energy",
                "instrumentalness",
                "liveness",
                "speechiness",
            )
        }
    )
    df["loudness"] = -20 + 15 * rng.random(n)
    df["mood"] = np.where(df["energy"] > 0.5, "Energetic", "Calm")
    d = tmp_path_factory.mktemp("spotify")
    df.to_csv(d / "moods.csv", index=False)
    return _train(
        d / "moods.csv",
        d / "run",
        model="logreg",
        target=["mood"],
        id_col=None,
        exclude=[],
    )


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, Path]:
    short = tmp_path / "short.wav"
    sf.write(short, _tone("bright", 0.01, 0), SR)
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(SR * 2, dtype=np.float32), SR)
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"RIFF not really a wave file" * 40)
    return {"short": short, "silent": silent, "garbage": garbage}


# -- settings ------------------------------------------------------------------------------


@pytest.mark.slow
def test_default_settings_when_model_json_has_none(clf_model: Path) -> None:
    from mer_classic.features import FeatureSettings

    model = load_model(clf_model)
    assert "feature_settings" not in model.metadata  # extract writes no sidecar
    assert audio_settings(model) == FeatureSettings()


def test_stored_settings_are_used(
    feature_table: Path, audio_dir: Path, tmp_path: Path
) -> None:
    from mer_classic.features import FeatureSettings, extract_features

    # a sidecar next to the table (what _feature_settings_of reads) with a 1 s duration
    sidecar = Path(str(feature_table) + ".json")
    settings = FeatureSettings(duration=1.0)
    sidecar.write_text(json.dumps({"settings": settings.to_dict()}))
    try:
        run = _train(feature_table, tmp_path / "run")
    finally:
        sidecar.unlink()
    model = load_model(run)
    assert audio_settings(model) == settings
    f = audio_dir / "calm0.wav"
    got = predict_audio(_loaded(model), [f])
    assert got.attrs["settings"]["duration"] == 1.0
    # the features behind the prediction were computed on the first second only
    X = extract_features([f], duration=1.0)
    expected = model.predict_frame(X)
    assert got.loc["calm0", "label"] == expected.loc["calm0", "label"]
    np.testing.assert_allclose(
        got.filter(like="proba_").to_numpy(), expected.filter(like="proba_").to_numpy()
    )


# -- predictions ---------------------------------------------------------------------------


def test_classifier_predicts_synthetic_clips(clf_model: Path, audio_dir: Path) -> None:
    df = predict_audio(load_model(clf_model), sorted(audio_dir.glob("*.wav")))
    assert len(df) == 12 and df.index.name == "track_id"
    assert list(df.columns[:2]) == ["path", "label"]
    probs = df[["proba_bright", "proba_calm"]].to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    truth = ["calm" if i.startswith("calm") else "bright" for i in df.index]
    assert (df["label"] == truth).mean() >= 0.9
    assert df.attrs["errors"] == []


def test_folder_input_and_model_path(clf_model: Path, audio_dir: Path) -> None:
    df = predict_audio(_loaded(clf_model), audio_dir)
    assert sorted(df.index) == sorted(p.stem for p in audio_dir.glob("*.wav"))


def test_regressor_gives_va_and_quadrant(reg_model: Path, audio_dir: Path) -> None:
    df = predict_audio(
        _loaded(reg_model), [audio_dir / "calm1.wav", audio_dir / "bright1.wav"]
    )
    assert {"valence", "arousal", "quadrant"} <= set(df.columns)
    assert df.loc["bright1", "arousal"] > df.loc["calm1", "arousal"]
    assert df.loc["bright1", "quadrant"] == "Q1"
    assert df.loc["calm1", "quadrant"] == "Q3"


def test_segments_curve(reg_model: Path, audio_dir: Path) -> None:
    curve = predict_audio(
        _loaded(reg_model), [audio_dir / "bright2.wav"], segments=True
    )
    assert curve.index.names == ["track_id", "time"]
    times = curve.index.get_level_values("time").to_numpy()
    np.testing.assert_allclose(times, [0.0, 0.5, 1.0, 1.5])
    assert curve[["valence", "arousal"]].notna().all().all()
    assert set(curve["quadrant"]) <= {"Q1", "Q2", "Q3", "Q4"}


def test_segment_curve_predicted_in_bounded_slices(
    clf_model: Path, audio_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long file's curve is predicted a slice of rows at a time (issue 21: memory
    flat in duration), with the same rows as one call on all of them."""
    from mer_classic.predict import _curves

    model = _loaded(clf_model)
    whole = predict_audio(model, [audio_dir / "bright2.wav"], segments=True)
    sizes: list[int] = []
    real = type(model).predict_frame

    def spy(self, X, **kwargs):
        sizes.append(len(X))
        return real(self, X, **kwargs)

    monkeypatch.setattr(_curves, "_ROWS", 3)
    monkeypatch.setattr(type(model), "predict_frame", spy)
    sliced = predict_audio(model, [audio_dir / "bright2.wav"], segments=True)
    assert len(sliced) == 4 and max(sizes) <= 3
    pd.testing.assert_frame_equal(sliced, whole)


def test_real_recordings(clf_model: Path, shared_data: Path) -> None:
    audio = shared_data / "librosa-example-music" / "audio"
    files = [
        audio / "sorohanro_-_solo-trumpet-06.ogg",
        audio / "Kevin_MacLeod_-_Vibe_Ace.ogg",
        audio / "Hungarian_Dance_number_5_-_Allegro_in_F_sharp_minor_(string_orchestra)"
        ".hq.ogg",
    ]
    df = predict_audio(_loaded(clf_model), files)
    assert len(df) == 3 and set(df["label"]) <= {"calm", "bright"}
    np.testing.assert_allclose(df.filter(like="proba_").sum(axis=1), 1.0)
    curve = predict_audio(_loaded(clf_model), files[:1], segments=True)
    assert len(curve) == pytest.approx(5 / 0.5, abs=2)  # a 5 s clip → ~10 points


# -- bad input -----------------------------------------------------------------------------


def test_bad_files_are_reported_and_the_rest_predicted(
    clf_model: Path, audio_dir: Path, bad_files: dict[str, Path], tmp_path: Path
) -> None:
    good = audio_dir / "calm3.wav"
    missing = tmp_path / "nope.wav"
    res = predict_audio_detailed(
        _loaded(clf_model), [good, *bad_files.values(), missing]
    )
    assert list(res.tracks.index) == ["calm3"]
    reasons = dict(zip(res.errors["track_id"], res.errors["reason"], strict=True))
    assert "too short" in reasons["short"]
    assert "silent" in reasons["silent"]
    assert "cannot decode" in reasons["garbage"]
    assert "not found" in reasons["nope"]
    # the same holds with segments
    res = predict_audio_detailed(
        _loaded(clf_model), [good, *bad_files.values()], segments=True
    )
    assert list(res.tracks.index) == ["calm3"] and len(res.errors) == 3


def test_all_files_bad_raises(clf_model: Path, bad_files: dict[str, Path]) -> None:
    with pytest.raises(AudioError, match=r"no audio file could be used .*silent"):
        predict_audio(_loaded(clf_model), list(bad_files.values()))


def test_spotify_model_names_missing_features(
    spotify_model: Path, audio_dir: Path
) -> None:
    with pytest.raises(DataError) as err:
        predict_audio(_loaded(spotify_model), [audio_dir / "calm0.wav"])
    msg = str(err.value)
    assert "Spotify audio attributes" in msg
    for name in ("danceability", "acousticness", "speechiness"):
        assert name in msg
    assert "mer-classic extract" in msg and "--data" in msg


def test_bad_parameters(clf_model: Path, audio_dir: Path) -> None:
    with pytest.raises(ParameterError, match="segment must be a positive"):
        predict_audio(_loaded(clf_model), [audio_dir / "calm0.wav"], segment=0)
    with pytest.raises(ParameterError, match="at least one audio file"):
        predict_audio(_loaded(clf_model), [])
    with pytest.raises(ParameterError, match="must be a MerModel"):
        predict_audio(object(), [audio_dir / "calm0.wav"])
    with pytest.raises(ParameterError, match=r"load it first: mer_classic.load_model"):
        predict_audio(clf_model, [audio_dir / "calm0.wav"])


def test_persistence_does_not_import_predict() -> None:
    """load_model is the only path-to-model function; persistence sits below
    predict in the data flow, so no persistence module imports predict."""
    import ast

    import mer_classic._persistence as persistence

    root = Path(persistence.__file__).parent
    for src in root.glob("*.py"):
        for node in ast.walk(ast.parse(src.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("mer_classic.predict"), src
            elif isinstance(node, ast.Import):
                for a in node.names:
                    assert not a.name.startswith("mer_classic.predict"), src


# -- the command ---------------------------------------------------------------------------


def run_predict(model: Path, *args: object) -> Result:
    """Invoke ``mer-classic predict -q --model MODEL ARGS...`` (args passed as str)."""
    return CliRunner().invoke(
        main, ["predict", "-q", "--model", str(model), *map(str, args)]
    )


def test_cli_audio_csv_and_json(
    clf_model: Path, audio_dir: Path, tmp_path: Path
) -> None:
    r = run_predict(clf_model, audio_dir / "calm0.wav", audio_dir / "bright0.wav")
    assert r.exit_code == 0, r.output
    df = pd.read_csv(pd.io.common.StringIO(r.output), index_col=0)
    assert df.loc["bright0", "label"] == "bright" and df.loc["calm0", "label"] == "calm"
    out = tmp_path / "p.json"
    r = run_predict(clf_model, audio_dir, "--format", "json", "--out", out)
    assert r.exit_code == 0, r.output
    assert r.output == f"wrote 12 prediction(s) to {out}\n"
    recs = json.loads(out.read_text())
    assert len(recs) == 12 and {"track_id", "path", "label", "proba_calm"} <= set(
        recs[0]
    )


def test_cli_segments(reg_model: Path, audio_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "preds.csv"
    r = run_predict(
        reg_model,
        "--segments",
        "--out",
        out,
        audio_dir / "calm4.wav",
        audio_dir / "bright4.wav",
    )
    assert r.exit_code == 0, r.output
    seg = pd.read_csv(tmp_path / "preds.segments.csv")
    assert list(seg.columns[:2]) == ["track_id", "time"] and len(seg) == 8
    png = tmp_path / "preds.segments.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # existing outputs are refused without --force, and left intact
    before = out.read_bytes()
    r = run_predict(reg_model, "--segments", "--out", out, audio_dir / "calm4.wav")
    assert r.exit_code == 1 and "already exist" in r.output and "--force" in r.output
    assert out.read_bytes() == before


def test_cli_partial_failure_exit_3(
    clf_model: Path, audio_dir: Path, bad_files: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "p.csv"
    r = run_predict(
        clf_model, "--out", out, audio_dir / "calm5.wav", bad_files["silent"]
    )
    assert r.exit_code == 3
    assert "1 file(s) could not be used:" in r.output and "silent" in r.output
    assert list(pd.read_csv(out, index_col=0).index) == ["calm5"]


def test_cli_errors(
    clf_model: Path,
    spotify_model: Path,
    audio_dir: Path,
    bad_files: dict[str, Path],
    tmp_path: Path,
) -> None:
    r = run_predict(clf_model)
    assert r.exit_code == 2 and "give AUDIO files/folders or --data" in r.output
    r = run_predict(clf_model, "--segments", audio_dir / "calm0.wav")
    assert r.exit_code == 2 and "--segments needs --out" in r.output
    r = run_predict(clf_model, "--data", "x.csv", audio_dir / "calm0.wav")
    assert r.exit_code == 2 and "not both" in r.output
    r = run_predict(clf_model, bad_files["garbage"])
    assert r.exit_code == 1
    assert r.output.startswith("Error: no audio file could be used (")
    r = run_predict(spotify_model, audio_dir / "calm0.wav")
    assert r.exit_code == 1
    assert r.output.startswith(
        "Error: this model cannot predict from audio: it was trained "
        "on Spotify audio attributes"
    )


def test_cli_table_missing_and_extra_columns(
    clf_model: Path, feature_table: Path, tmp_path: Path
) -> None:
    df = pd.read_csv(feature_table)
    extra = pd.concat(
        [df, pd.DataFrame({"something_else": 1.0}, index=df.index)], axis=1
    )
    extra.to_csv(tmp_path / "extra.csv", index=False)
    r = run_predict(clf_model, "--data", tmp_path / "extra.csv", "--id", "track_id")
    assert r.exit_code == 0, r.output
    got = pd.read_csv(pd.io.common.StringIO(r.output), index_col=0)
    assert len(got) == len(df) and "something_else" not in got.columns
    df.drop(columns=["tempo", "mfcc_01_mean"]).to_csv(
        tmp_path / "missing.csv", index=False
    )
    r = run_predict(clf_model, "--data", tmp_path / "missing.csv")
    assert r.exit_code == 1
    assert r.output.startswith(
        "Error: 2 feature column(s) the model was trained with are missing"
    )
    assert "mfcc_01_mean" in r.output and "tempo" in r.output


@pytest.mark.slow
def test_model_trained_on_segments(audio_dir: Path, tmp_path: Path) -> None:
    """A per-segment model: track = mean probabilities of its segments."""
    from mer_classic.features import FeatureSettings, extract_features

    files = sorted(audio_dir.glob("*.wav"))
    X = extract_features(files, segment=0.5)
    X = X.reset_index()
    X.insert(
        0, "label", np.where(X["track_id"].str.startswith("calm"), "calm", "bright")
    )
    X["row"] = X["track_id"] + "@" + X["time"].astype(str)
    table = tmp_path / "seg.csv"
    X.drop(columns=["time"]).to_csv(table, index=False)
    settings = FeatureSettings(segment=0.5)
    Path(str(table) + ".json").write_text(json.dumps({"settings": settings.to_dict()}))
    run = _train(table, tmp_path / "run", id_col="row", exclude=[])
    model = load_model(run)
    assert audio_settings(model).segment == 0.5
    tracks = predict_audio(
        _loaded(model), [audio_dir / "calm2.wav", audio_dir / "bright2.wav"]
    )
    assert tracks.loc["calm2", "label"] == "calm"
    assert tracks.loc["bright2", "label"] == "bright"
    curve = predict_audio(_loaded(model), [audio_dir / "calm2.wav"], segments=True)
    np.testing.assert_allclose(
        tracks.loc["calm2", "proba_calm"], curve["proba_calm"].mean()
    )


@pytest.mark.parametrize("which", ["table", "audio"])
def test_unknown_format_is_refused_before_any_work(tmp_path: Path, which: str) -> None:
    """A bad ``fmt`` is named before the model is loaded (the path here does not exist)."""
    from mer_classic._workflows import PredictSettings

    missing = tmp_path / "no-such-run"
    kwargs = {"data": tmp_path / "x.csv"} if which == "table" else {"audio": [missing]}
    with pytest.raises(ParameterError, match="fmt must be 'csv' or 'json'; got 'xlsx'"):
        PredictSettings(model_path=missing, fmt="xlsx", **kwargs)


def test_cli_segments_smooth_and_left_out_tracks(
    clf_model: Path, audio_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mer_classic.report import _plots

    monkeypatch.setattr(_plots, "MAX_CURVE_PLOTS", 1)
    files = [audio_dir / "calm4.wav", audio_dir / "bright4.wav"]
    raw_out, smooth_out = tmp_path / "raw.csv", tmp_path / "smooth.csv"
    r = run_predict(clf_model, "--segments", "--out", raw_out, *files)
    assert r.exit_code == 0, r.output
    assert "note: the figure shows the first 1 of 2 tracks (1 left out)" in r.output
    r = run_predict(
        clf_model, "--segments", "--smooth", "1.5", "--out", smooth_out, *files
    )
    assert r.exit_code == 0, r.output
    assert "(smoothed over 1.5 s)" in r.output
    raw = pd.read_csv(tmp_path / "raw.segments.csv")
    smooth = pd.read_csv(tmp_path / "smooth.segments.csv")
    cols = [c for c in raw.columns if c.startswith("proba_")]

    def wiggle(df: pd.DataFrame) -> float:
        return float(df.groupby("track_id")[cols].diff().abs().sum().sum())

    assert wiggle(smooth) <= wiggle(raw)
    best = smooth[cols].to_numpy().argmax(axis=1)
    assert smooth["label"].tolist() == [cols[i][len("proba_") :] for i in best]
    r = run_predict(clf_model, "--smooth", "1", "--out", tmp_path / "x.csv", *files)
    assert r.exit_code == 2 and "--smooth is only used with --segments" in r.output


def test_cli_predict_reports_a_bad_file_once_with_its_reason(
    clf_model: Path, audio_dir: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "garbage.wav"
    bad.write_bytes(b"not audio at all" * 10)
    out = tmp_path / "p.csv"
    args = ["predict", "--model", str(clf_model), str(audio_dir / "calm3.wav")]
    # a real process: the CLI's log handler writes to the real stderr
    res = subprocess.run(
        [sys.executable, "-m", "mer_classic", *args, str(bad), "-o", str(out), "-q"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    lines = [line for line in res.stderr.splitlines() if "garbage.wav" in line]
    assert len(lines) == 1, res.stderr
    assert "cannot decode" in lines[0]
    assert "WARNING" not in res.stderr
