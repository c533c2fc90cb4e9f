"""The training feature range in model.json, and the out-of-range flag of predictions.

A clip whose features lie far outside what the model was trained on (a pure sine,
white noise, a click track, near-silence fed to a music model) gets
``out_of_range = True`` and one ``note:`` line; real held-out clips almost never do;
a model saved before the range was recorded still predicts and says once that it
cannot check.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic._persistence._files import load_model
from mer_classic._persistence._ranges import (
    RANGE_MAX_SCORE,
    feature_ranges,
    out_of_range_note,
    range_check,
)

SR = 22050
OOR_COLUMNS = ["out_of_range", "out_of_range_score", "out_of_range_share"]


def _strip_ranges(run: Path, dest: Path) -> Path:
    """A copy of a run's model files as an older mer-classic wrote them (no range)."""
    dest.mkdir()
    (dest / "model.joblib").write_bytes((run / "model.joblib").read_bytes())
    meta = json.loads((run / "model.json").read_text())
    del meta["feature_ranges"]
    (dest / "model.json").write_text(json.dumps(meta))
    return dest


# --- the range and the check ------------------------------------------------------


def test_range_check_scores_distance_in_iqrs() -> None:
    train = pd.DataFrame({"a": np.arange(101.0), "b": np.arange(101.0)})
    r = feature_ranges(train)
    assert r["columns"]["a"][2] == 50.0 and r["n_rows"] == 101
    iqr = 50.0  # q75 - q25
    hi = r["columns"]["a"][-1]
    new = pd.DataFrame({"a": [50.0, hi + 2 * iqr, hi + 100 * iqr], "b": [50.0] * 3})
    got = range_check(new, r)
    # 2 IQRs out on one of two features: score 1.0; the cap is 10 IQRs per feature
    np.testing.assert_allclose(got["out_of_range_score"], [0.0, 1.0, 5.0])
    np.testing.assert_allclose(got["out_of_range_share"], [0.0, 0.5, 0.5])
    assert got["out_of_range"].tolist() == [False, True, True]


def test_range_check_missing_values_constant_columns_and_unknown_columns() -> None:
    train = pd.DataFrame({"a": np.arange(50.0), "const": 0.0, "empty": np.nan})
    r = feature_ranges(train)
    assert r["columns"]["empty"] is None
    new = pd.DataFrame(
        {
            "a": [np.nan, 10.0, 10.0],
            "const": [0.0, 0.0, 1.0],
            "empty": [1.0, 1.0, 1.0],
            "unknown": [1e9, 1e9, 1e9],
        }
    )
    got = range_check(new, r)
    # NaN is not counted; a constant training column: any other value is far out;
    # columns without a range (all-NaN in training, unknown) are ignored
    np.testing.assert_allclose(got["out_of_range_score"], [0.0, 0.0, 5.0])
    assert got["out_of_range"].tolist() == [False, False, True]


def test_note_lines() -> None:
    assert out_of_range_note(0, 5) is None
    assert out_of_range_note(2, 5) == (
        "2 of 5 clip(s) lie far outside the training feature range (out_of_range = "
        "True): predictions for these clips are extrapolations"
    )
    old = out_of_range_note(None, 5, unit="row")
    assert old is not None and "without a usable training feature range" in old
    assert "retrain" in old


def test_bundled_held_out_rows_are_not_flagged() -> None:
    """Film-held-out rows of the bundled Soundtracks table: (almost) never flagged."""
    from sklearn.model_selection import GroupKFold

    from mer_classic.datasets import load_dataset

    ds = load_dataset("soundtracks")
    X = ds.features
    groups = ds.groups.reindex(X.index)
    scores = pd.Series(np.nan, index=X.index)
    for tr, te in GroupKFold(n_splits=10, shuffle=True, random_state=0).split(
        X, groups=groups
    ):
        got = range_check(X.iloc[te], feature_ranges(X.iloc[tr]))
        scores.iloc[te] = got["out_of_range_score"].to_numpy()
    assert scores.notna().all()
    assert (scores > RANGE_MAX_SCORE).mean() <= 0.02, scores.sort_values().tail()


# --- trained models, tables -------------------------------------------------------


@pytest.fixture(scope="module")
def table_run(make_features_df, train_csv, tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("oor")
    df = make_features_df(n=40, seed=3)
    args = ["--cv", "2", "--no-importance", "--exclude", "valence"]
    run, _ = train_csv(df, folder, *args, "--exclude", "arousal")
    return run, folder / "features.csv"


def _new_rows(data: Path, tmp_path: Path) -> Path:
    df = pd.read_csv(data).head(3)
    df.loc[2, ["f1", "f2", "f3"]] = [1e3, -1e3, 1e3]  # nothing like the training rows
    df.loc[2, "track_id"] = "weird"
    path = tmp_path / "new.csv"
    df.to_csv(path, index=False)
    return path


def test_training_stores_the_range_in_model_json(table_run) -> None:
    run, data = table_run
    meta = json.loads((run / "model.json").read_text())
    r = meta["feature_ranges"]
    assert sorted(r["columns"]) == ["f1", "f2", "f3"] and r["n_rows"] == 40
    X = pd.read_csv(data)[["f1", "f2", "f3"]]
    np.testing.assert_allclose(r["columns"]["f1"][2], X["f1"].median(), rtol=1e-6)
    assert load_model(run).feature_ranges == r


def test_predict_table_flags_the_far_row_with_one_note(table_run, tmp_path) -> None:
    run, data = table_run
    out = tmp_path / "p.csv"
    res = CliRunner().invoke(
        main,
        ["predict", "--model", str(run), "--data", str(_new_rows(data, tmp_path))]
        + ["--id", "track_id", "-o", str(out)],
    )
    assert res.exit_code == 0, res.output
    assert res.output == (
        f"wrote 3 prediction(s) to {out}\n"
        "  note: 1 of 3 row(s) lie far outside the training feature range "
        "(out_of_range = True): predictions for these rows are extrapolations\n"
    )
    pred = pd.read_csv(out, index_col=0)
    assert pred["out_of_range"].tolist() == [False, False, True]
    assert pred.loc["weird", "out_of_range_score"] > 1


def test_old_model_without_range_still_predicts_and_says_so_once(
    table_run, tmp_path
) -> None:
    run, data = table_run
    old = _strip_ranges(run, tmp_path / "old")
    model = load_model(old)
    assert model.feature_ranges is None and model.range_check(pd.DataFrame()) is None
    out = tmp_path / "p.csv"
    res = CliRunner().invoke(
        main,
        ["predict", "--model", str(old), "--data", str(_new_rows(data, tmp_path))]
        + ["--id", "track_id", "-o", str(out)],
    )
    assert res.exit_code == 0, res.output
    assert res.output.count("note:") == 1
    assert "saved without a usable training feature range" in res.output
    pred = pd.read_csv(out, index_col=0)
    assert len(pred) == 3 and not set(OOR_COLUMNS) & set(pred.columns)
    new = pd.read_csv(data).head(3)
    np.testing.assert_array_equal(
        model.predict_frame(new)["label"], load_model(run).predict_frame(new)["label"]
    )


def test_evaluate_counts_far_rows(table_run, tmp_path) -> None:
    run, data = table_run
    new = _new_rows(data, tmp_path)
    res = CliRunner().invoke(
        main,
        ["evaluate", "--model", str(run), "--data", str(new), "--id", "track_id"]
        + ["--out", str(tmp_path / "ev"), "-q"],
    )
    assert res.exit_code == 0, res.output
    assert "  note: 1 of 3 row(s) lie far outside the training feature range" in (
        res.output
    )
    assert (
        json.loads((tmp_path / "ev" / "metrics.json").read_text())["out_of_range"] == 1
    )
    old = _strip_ranges(run, tmp_path / "old")
    res = CliRunner().invoke(
        main,
        ["evaluate", "--model", str(old), "--data", str(new), "--id", "track_id"]
        + ["--out", str(tmp_path / "ev-old"), "-q"],
    )
    assert res.exit_code == 0, res.output
    assert res.output.count("saved without a usable training feature range") == 1


# --- audio: a model trained on tones, then on real music ---------------------------


def _tone(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    f = 200 + 50 * rng.random()
    y = 0.2 * np.sin(2 * np.pi * f * t) + 0.05 * np.sin(2 * np.pi * 3 * f * t)
    return (y + 0.01 * rng.standard_normal(len(t))).astype(np.float32)


def _synthetic(folder: Path, seconds: float = 4.0) -> dict[str, Path]:
    """A pure sine, white noise, a 120 bpm click track and near-silence."""
    folder.mkdir(parents=True, exist_ok=True)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    rng = np.random.default_rng(0)
    clicks = np.zeros(n)
    for start in range(0, n, SR // 2):
        m = min(int(0.005 * SR), n - start)
        clicks[start : start + m] = 0.9 * np.exp(-np.arange(m) / (0.001 * SR))
    signals = {
        "sine": 0.5 * np.sin(2 * np.pi * 440 * t),
        "noise": 0.3 * rng.standard_normal(n),
        "clicks": clicks,
        "near_silence": 1e-4 * rng.standard_normal(n),
    }
    out = {}
    for name, y in signals.items():
        out[name] = folder / f"{name}.wav"
        sf.write(out[name], y.astype(np.float32), SR)
    return out


@pytest.fixture(scope="module")
def tone_run(tmp_path_factory) -> tuple[Path, Path]:
    """A model trained on 16 soft two-partial tones (audio features, 2 classes)."""
    from mer_classic.features import extract_features

    d = tmp_path_factory.mktemp("tones")
    for i in range(16):
        sf.write(d / f"tone{i:02d}.wav", _tone(4.0, seed=i), SR)
    df = extract_features(sorted(d.glob("*.wav")), on_error="raise")
    df.insert(0, "label", ["a", "b"] * 8)
    table = d / "features.csv"
    df.to_csv(table)
    run = d / "run"
    res = CliRunner().invoke(
        main,
        ["train", "--model", "logreg", "--data", str(table), "--target", "label"]
        + ["--id", "track_id", "--no-grid", "--cv", "2", "--no-importance", "-q"]
        + ["--out", str(run)],
    )
    assert res.exit_code == 0, res.output
    return run, d


def test_predict_audio_flags_signals_unlike_the_training_audio(
    tone_run, tmp_path
) -> None:
    run, tones = tone_run
    synth = _synthetic(tmp_path / "synth")
    sf.write(tmp_path / "tone_new.wav", _tone(4.0, seed=99), SR)
    out = tmp_path / "p.csv"
    res = CliRunner().invoke(
        main,
        ["predict", "-q", "--model", str(run), "-o", str(out)]
        + [str(p) for p in synth.values()]
        + [str(tmp_path / "tone_new.wav")],
    )
    assert res.exit_code == 0, res.output
    pred = pd.read_csv(out, index_col=0)
    assert pred.loc["tone_new", "out_of_range"] == False  # noqa: E712 - numpy bool
    for name in synth:
        assert pred.loc[name, "out_of_range"] == True, pred  # noqa: E712
    assert res.output.count("note:") == 1
    assert "4 of 5 clip(s) lie far outside the training feature range" in res.output


def test_segments_flag_each_track_once_not_each_segment(tone_run, tmp_path) -> None:
    run, _ = tone_run
    synth = _synthetic(tmp_path / "synth")
    sf.write(tmp_path / "tone_new.wav", _tone(4.0, seed=98), SR)
    out = tmp_path / "p.csv"
    res = CliRunner().invoke(
        main,
        ["predict", "-q", "--model", str(run), "--segments", "-o", str(out)]
        + [str(synth["sine"]), str(tmp_path / "tone_new.wav")],
    )
    assert res.exit_code == 0, res.output
    tracks = pd.read_csv(out, index_col=0)
    assert tracks["out_of_range"].to_dict() == {"sine": True, "tone_new": False}
    seg = pd.read_csv(tmp_path / "p.segments.csv")
    assert len(seg) > 2 and not set(OOR_COLUMNS) & set(seg.columns)
    assert res.output.count("note:") == 1
    assert "1 of 2 clip(s) lie far outside" in res.output


def test_old_audio_model_predicts_without_the_column(tone_run, tmp_path) -> None:
    run, _ = tone_run
    old = _strip_ranges(run, tmp_path / "old")
    synth = _synthetic(tmp_path / "synth")
    out = tmp_path / "p.csv"
    res = CliRunner().invoke(
        main, ["predict", "-q", "--model", str(old), "-o", str(out), str(synth["sine"])]
    )
    assert res.exit_code == 0, res.output
    pred = pd.read_csv(out, index_col=0)
    assert list(pred.index) == ["sine"] and "label" in pred.columns
    assert not set(OOR_COLUMNS) & set(pred.columns)
    assert res.output.count("saved without a usable training feature range") == 1


def test_model_trained_on_segments_flags_per_track(tmp_path) -> None:
    """A per-segment model: the track's flag is its segments' mean score."""
    from mer_classic.features import FeatureSettings, extract_features
    from mer_classic.predict import predict_audio

    d = tmp_path / "tones"
    d.mkdir()
    for i in range(6):
        sf.write(d / f"tone{i}.wav", _tone(3.0, seed=i), SR)
    X = extract_features(sorted(d.glob("*.wav")), segment=0.5).reset_index()
    X.insert(0, "label", ["a", "b"] * (len(X) // 2) + ["a"] * (len(X) % 2))
    X["row"] = X["track_id"] + "@" + X["time"].astype(str)
    table = tmp_path / "seg.csv"
    X.drop(columns=["time"]).to_csv(table, index=False)
    settings = FeatureSettings(segment=0.5)
    Path(str(table) + ".json").write_text(json.dumps({"settings": settings.to_dict()}))
    run = tmp_path / "run"
    res = CliRunner().invoke(
        main,
        ["train", "--model", "logreg", "--data", str(table), "--target", "label"]
        + ["--id", "row", "--no-grid", "--cv", "2", "--no-importance", "-q"]
        + ["--out", str(run), "--exclude", "track_id"],
    )
    assert res.exit_code == 0, res.output
    synth = _synthetic(tmp_path / "synth", seconds=3.0)
    sf.write(tmp_path / "tone_new.wav", _tone(3.0, seed=50), SR)
    tracks = predict_audio(load_model(run), [synth["noise"], tmp_path / "tone_new.wav"])
    assert tracks["out_of_range"].to_dict() == {"noise": True, "tone_new": False}


# --- real music (4Q dev clips, research data: skipped when absent) -----------------


@pytest.mark.slow
def test_real_held_out_clips_mostly_not_flagged_synthetic_flagged(
    shared_data: Path, tmp_path: Path
) -> None:
    """40 4Q dev clips (10 per quadrant): artist-held-out clips are (almost) never
    flagged; a pure sine, white noise, a click track and near-silence always are."""
    from sklearn.model_selection import GroupKFold

    from mer_classic.features import extract_features

    data = shared_data / "4q-dev"
    if not data.is_dir():
        pytest.skip(f"4Q dev clips absent ({data}): research data, not bundled")
    meta = pd.read_csv(data / "metadata.csv", dtype=str).set_index("Song")
    files = [
        p
        for q in ("Q1", "Q2", "Q3", "Q4")
        for p in sorted((data / q).glob("*.mp3"))[:10]
    ]
    X = extract_features(files, on_error="raise")
    groups = meta["Artist"].reindex(X.index).fillna(pd.Series(X.index, index=X.index))
    flagged = 0
    for tr, te in GroupKFold(n_splits=5).split(X, groups=groups):
        got = range_check(X.iloc[te], feature_ranges(X.iloc[tr]))
        flagged += int(got["out_of_range"].sum())
    assert flagged <= 1, f"{flagged} of {len(X)} real held-out clips flagged"
    synth = _synthetic(tmp_path / "synth", seconds=10.0)
    S = extract_features(list(synth.values()), on_error="raise")[list(X.columns)]
    got = range_check(S, feature_ranges(X))
    assert got["out_of_range"].all(), got


@pytest.mark.parametrize(
    "damage",
    [
        lambda r: r["columns"].update({next(iter(r["columns"])): [0.0, 1.0]}),
        lambda r: r["columns"].update({next(iter(r["columns"])): ["x", 1, 2, 3, 4]}),
        lambda r: r.update({"format": "something-else"}),
        lambda r: r.update({"columns": "none"}),
    ],
    ids=["short", "text", "format", "columns"],
)
def test_damaged_range_in_model_json_skips_the_check_not_the_prediction(
    table_run, tmp_path, damage, caplog
) -> None:
    run, data = table_run
    dest = tmp_path / "edited"
    dest.mkdir()
    (dest / "model.joblib").write_bytes((run / "model.joblib").read_bytes())
    meta = json.loads((run / "model.json").read_text())
    damage(meta["feature_ranges"])
    (dest / "model.json").write_text(json.dumps(meta))
    model = load_model(dest)
    with caplog.at_level("WARNING"):
        assert model.feature_ranges is None
        assert model.feature_ranges is None  # warned once, not per call
    assert sum("feature_ranges is not usable" in r.message for r in caplog.records) == 1
    out = tmp_path / "p.csv"
    res = CliRunner().invoke(
        main,
        ["predict", "--model", str(dest), "--data", str(_new_rows(data, tmp_path))]
        + ["--id", "track_id", "-o", str(out)],
    )
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    assert "without a usable training feature range" in res.output
    assert not set(OOR_COLUMNS) & set(pd.read_csv(out, index_col=0).columns)
