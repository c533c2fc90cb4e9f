"""Tests for mer_classic.dynamic: reading, alignment, song-held-out CV and metrics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import KNeighborsRegressor

from mer_classic.dynamic import (
    aggregate_dynamic,
    cross_validate_dynamic,
    read_dynamic_annotations,
    run_dynamic,
)
from mer_classic.dynamic._align import align_segments, smooth_curves
from mer_classic.dynamic._io import read_segment_features
from mer_classic.dynamic._metrics import dynamic_metrics
from mer_classic.exceptions import DataError, ParameterError

FIXTURES = Path(__file__).parent / "data"


def _synthetic(n_songs: int = 8, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Segment features at window centres 14..21 s and 2 Hz annotations 15..20 s.

    Valence follows feature ``f1`` within each song; every song has its own offset in
    ``f2`` (an id-like feature, used to detect leakage).
    """
    rng = np.random.default_rng(seed)
    feats, ann = [], []
    for s in range(n_songs):
        phase = rng.uniform(0, 6)
        for k in range(15):
            t = 14.0 + 0.5 * k
            f1 = np.sin(t + phase)
            feats.append(
                {
                    "track_id": f"s{s}",
                    "time": t,
                    "f1": f1,
                    "f2": float(s),
                    "f3": rng.normal(),
                }
            )
            if 15.0 <= t <= 20.0:
                ann.append(
                    {
                        "track_id": f"s{s}",
                        "time": t,
                        "valence": 0.5 * f1,
                        "arousal": 0.3 * np.cos(t + phase),
                    }
                )
    X = pd.DataFrame(feats).set_index(["track_id", "time"])
    return X, pd.DataFrame(ann)


# --------------------------------------------------------------------------- reading
def test_read_wide_emomusic_file_takes_target_from_name():
    path = FIXTURES / "emomusic" / "annotations" / "arousal_cont_average.csv"
    ann = read_dynamic_annotations(path)
    assert list(ann.columns) == ["track_id", "time", "arousal"]
    assert ann.groupby("track_id").size().to_dict() == {k: 10 for k in "23457"}
    assert ann.iloc[0]["arousal"] == pytest.approx(-0.109387732373192)


def test_read_pmemo_file_and_folder():
    pm = FIXTURES / "pmemo" / "PMEmo2019"
    ann = read_dynamic_annotations(pm / "annotations" / "dynamic_annotations.csv")
    assert set(ann.columns) == {"track_id", "time", "valence", "arousal"}
    assert ann["time"].min() == 15.5 and ann["track_id"].nunique() == 4
    from_folder = read_dynamic_annotations(FIXTURES / "emomusic")
    assert {"valence", "arousal"} <= set(from_folder.columns)
    assert len(from_folder) == 50


def test_read_annotations_errors(tmp_path):
    wide = pd.DataFrame({"song_id": [1], "sample_15000ms": [0.1]})
    with pytest.raises(DataError, match="wide single-target file; pass target"):
        read_dynamic_annotations(wide)
    with pytest.raises(DataError, match="need track_id/musicId and time/frameTime"):
        read_dynamic_annotations(pd.DataFrame({"x": [1], "valence": [0.1]}))
    with pytest.raises(DataError, match="does not exist"):
        read_dynamic_annotations(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="no dynamic annotations found in folder"):
        read_dynamic_annotations(tmp_path)


def test_read_segment_features_from_frame_and_csv(tmp_path):
    X, _ = _synthetic(2)
    out = read_segment_features(X)
    assert out.index.names == ["track_id", "time"] and list(out.columns) == [
        "f1",
        "f2",
        "f3",
    ]
    X.reset_index().assign(note="x").to_csv(tmp_path / "f.csv", index=False)
    back = read_segment_features(tmp_path / "f.csv")
    assert list(back.columns) == ["f1", "f2", "f3"]  # non-numeric column dropped
    with pytest.raises(DataError, match=r"missing \['time'\].*segment=0.5"):
        read_segment_features(pd.DataFrame({"track_id": ["a"], "f": [1.0]}))


# --------------------------------------------------------------------------- aligning
def test_align_matches_window_centres_exactly():
    X, ann = _synthetic(3)
    Xa, Ya = align_segments(X, ann)
    assert len(Xa) == len(ann) == 33
    # valence was built from f1 at the same time stamp
    np.testing.assert_allclose(Ya["valence"].to_numpy(), 0.5 * Xa["f1"].to_numpy())


def test_align_lag_and_start_reference():
    X, ann = _synthetic(2)
    Xa, Ya = align_segments(X, ann, lag=0.5)
    expected = X.loc[[(tid, t - 0.5) for tid, t in Ya.index], "f1"].to_numpy()
    np.testing.assert_allclose(Xa["f1"].to_numpy(), expected)
    starts = X.reset_index().assign(time=lambda d: d["time"] - 0.25)
    Xs, _ = align_segments(
        starts.set_index(["track_id", "time"]), ann, time_ref="start"
    )
    np.testing.assert_allclose(Xs["f1"].to_numpy(), align_segments(X, ann)[0]["f1"])


def test_align_refuses_disjoint_ids_and_far_times():
    X, ann = _synthetic(2)
    with pytest.raises(DataError, match="no track id is both"):
        align_segments(X, ann.assign(track_id="other"))
    with pytest.raises(DataError, match="within 0.25 s"):
        align_segments(X, ann.assign(time=ann["time"] + 100))
    with pytest.raises(ParameterError, match="time_ref"):
        align_segments(X, ann, time_ref="end")


# --------------------------------------------------------------------------- smoothing
def test_smoothing_stays_within_each_song():
    idx = pd.MultiIndex.from_tuples(
        [("a", 0.0), ("a", 0.5), ("a", 1.0), ("b", 0.0), ("b", 0.5)],
        names=["track_id", "time"],
    )
    v = pd.DataFrame({"v": [0.0, 3.0, 0.0, 10.0, 10.0]}, index=idx)
    out = smooth_curves(v, 1.5)
    assert out["v"].tolist() == [1.5, 1.0, 1.5, 10.0, 10.0]
    assert smooth_curves(v, 0.0) is v
    with pytest.raises(ParameterError, match=">= 0 seconds"):
        smooth_curves(v, -1)


# --------------------------------------------------------------------------- metrics
def test_pooled_and_per_song_metrics_differ():
    idx = pd.MultiIndex.from_product(
        [["a", "b"], [0.0, 0.5, 1.0]], names=["track_id", "time"]
    )
    truth = pd.DataFrame({"valence": [0.0, 0.1, 0.2, 0.5, 0.6, 0.7]}, index=idx)
    # right shape in each song, wrong song levels: per-song r = 1, pooled r lower
    pred = pd.DataFrame({"valence": [0.3, 0.4, 0.5, 0.2, 0.3, 0.4]}, index=idx)
    m = dynamic_metrics(truth, pred, scale="-1..1")["targets"]["valence"]
    assert m["own"]["per_song"]["r_mean"] == pytest.approx(1.0)
    assert m["own"]["pooled"]["r"] < 0.5
    assert m["own"]["pooled"]["rmse"] == pytest.approx(0.3)
    assert m["rescaled_0_1"]["pooled"]["rmse"] == pytest.approx(0.15)
    assert m["own"]["pooled"]["r"] == m["rescaled_0_1"]["pooled"]["r"]
    nine = dynamic_metrics(truth * 8 + 1, pred * 8 + 1, scale="1-9")["targets"][
        "valence"
    ]
    assert nine["rescaled_0_1"]["pooled"]["rmse"] == pytest.approx(0.3)


def test_constant_song_has_no_r():
    idx = pd.MultiIndex.from_product(
        [["a", "b"], [0.0, 0.5, 1.0]], names=["track_id", "time"]
    )
    truth = pd.DataFrame({"arousal": [0.2, 0.2, 0.2, 0.1, 0.5, 0.9]}, index=idx)
    pred = truth + np.array([[0.0], [0.1], [0.0], [0.0], [0.1], [0.0]])
    ps = dynamic_metrics(truth, pred, scale="0-1")["targets"]["arousal"]["own"][
        "per_song"
    ]
    assert ps["n_songs"] == 2 and ps["n_songs_r_undefined"] == 1


def test_aggregate_dynamic_summary():
    X, ann = _synthetic(3)
    s = aggregate_dynamic(ann, scale="-1..1")
    assert list(s.index) == ["s0", "s1", "s2"] and (s["n_frames"] == 11).all()
    np.testing.assert_allclose(
        s["valence"], ann.groupby("track_id")["valence"].mean().to_numpy()
    )
    assert set(s["quadrant"]) <= {"Q1", "Q2", "Q3", "Q4"}


# --------------------------------------------------------------------------- CV
def test_cv_holds_out_whole_songs():
    X, ann = _synthetic(8)
    Xa, Ya = align_segments(X, ann)
    # 1-NN on the song-id feature f2 would copy a frame of the same song if one
    # leaked into training; held out, its nearest song is another song.
    leak_probe = KNeighborsRegressor(n_neighbors=1)
    res = cross_validate_dynamic(
        Xa[["f2"]], Ya[["valence"]], model=leak_probe, cv=4, scale="-1..1"
    )
    pooled = res.metrics["targets"]["valence"]["own"]["pooled"]
    assert pooled["rmse"] > 0.1
    frame_cv = KNeighborsRegressor(n_neighbors=1).fit(Xa[["f2", "f1"]], Ya["valence"])
    assert np.allclose(frame_cv.predict(Xa[["f2", "f1"]]), Ya["valence"])  # sanity


def test_cv_refuses_fewer_songs_than_folds():
    X, ann = _synthetic(3)
    Xa, Ya = align_segments(X, ann)
    with pytest.raises(DataError, match="3 song\\(s\\) cannot be split into 5"):
        cross_validate_dynamic(Xa, Ya, model="ridge", cv=5)


@pytest.mark.slow
def test_run_dynamic_writes_report_and_is_repeatable(tmp_path):
    X, ann = _synthetic(8)
    X.reset_index().to_csv(tmp_path / "seg.csv", index=False)
    ann.to_csv(tmp_path / "ann.csv", index=False)
    kw = dict(model="ridge", cv=4, seed=3, grid=True, smooth=1.0, quiet=True)
    s1 = run_dynamic(
        tmp_path / "seg.csv", tmp_path / "ann.csv", out_dir=tmp_path / "r1", **kw
    )
    s2 = run_dynamic(
        tmp_path / "seg.csv", tmp_path / "ann.csv", out_dir=tmp_path / "r2", **kw
    )
    assert s1["targets"] == s2["targets"]
    assert s1["scale"] == "-1-1" and s1["n_songs"] == 8 and s1["n_frames"] == 88
    v = s1["targets"]["valence"]
    assert v["own"]["pooled_r"] > 0.9  # valence is linear in f1
    assert v["rescaled_0_1"]["pooled_rmse"] == pytest.approx(
        v["own"]["pooled_rmse"] / 2
    )
    metrics = json.loads((tmp_path / "r1" / "metrics.json").read_text())
    assert metrics["settings"]["splitter"].startswith("GroupKFold")
    assert "unsmoothed" in metrics["metrics"]
    assert len(metrics["fold_params"]) == 4
    report = (tmp_path / "r1" / "report.md").read_text()
    assert "per-song RMSE" in report and "-1..1" in report
    preds = pd.read_csv(tmp_path / "r1" / "predictions.csv")
    assert {"valence_true", "valence_pred", "arousal_pred"} <= set(preds.columns)


def test_run_dynamic_targets(tmp_path):
    X, ann = _synthetic(4)
    s = run_dynamic(
        X,
        ann.drop(columns="arousal"),
        model="ridge",
        cv=2,
        grid=False,
        out_dir=tmp_path,
        quiet=True,
    )
    assert list(s["targets"]) == ["valence"]
    assert s["notes"] == ["target 'arousal' not in the annotations: skipped"]
    with pytest.raises(DataError, match=r"none of the targets \['tension'\]"):
        run_dynamic(X, ann, targets=("tension",), out_dir=tmp_path)
    with pytest.raises(DataError, match="have no valence or arousal column"):
        run_dynamic(X, ann[["track_id", "time"]].assign(tension=1.0), out_dir=tmp_path)


def test_with_extracted_segment_features(tmp_path):
    sf = pytest.importorskip("soundfile")
    from mer_classic.features import extract_features

    sr = 22050
    t = np.arange(int(3.0 * sr)) / sr
    rows = []
    paths = {}
    for k, freq in enumerate((220, 330, 440, 660)):
        p = tmp_path / f"{k}.wav"
        sf.write(
            p, 0.2 * np.sin(2 * np.pi * freq * t) * np.linspace(0.2, 1, t.size), sr
        )
        paths[str(k)] = str(p)
        for tt in (1.0, 1.5, 2.0):
            rows.append(
                {
                    "track_id": str(k),
                    "time": tt,
                    "valence": 0.1 * k + tt / 10,
                    "arousal": 0.5,
                }
            )
    feats = extract_features(pd.Series(paths), sr=sr, segment=0.5)
    Xa, Ya = align_segments(feats, pd.DataFrame(rows))
    assert len(Xa) == 12 and Xa.notna().all().all()


def test_compare_with_static_rescales_both_sides():
    from mer_classic.dynamic import compare_with_static

    curves = pd.DataFrame(
        {
            "track_id": ["a", "a", "b", "b"],
            "time": [15.0, 15.5] * 2,
            "valence": [-0.6, -0.4, 0.4, 0.6],
            "arousal": [0.5, 0.5, -0.5, -0.5],
        }
    )
    summary = aggregate_dynamic(curves)
    static = pd.DataFrame(
        {"valence": [3.0, 7.0], "arousal": [7.0, 5.0]}, index=["a", "b"]
    )
    out = compare_with_static(
        summary, static, summary_scale="-1..1", static_scale="1-9"
    )
    assert out["n"] == 2
    assert out["targets"]["valence"]["rmse_0_1"] == pytest.approx(0.0)
    # arousal: b is 0.25 on 0..1 from the curve, 0.5 from the static label
    assert out["targets"]["arousal"]["rmse_0_1"] == pytest.approx(np.sqrt(0.25**2 / 2))
    assert out["quadrant_agreement"] == 0.5
    with pytest.raises(DataError, match="no track is both"):
        compare_with_static(
            summary,
            static.set_axis(["x", "y"]),
            summary_scale="-1..1",
            static_scale="1-9",
        )


@pytest.mark.slow
def test_cli_train_dynamic_saves_a_model(tmp_path):
    from click.testing import CliRunner
    from mer_classic.cli.main import main

    from mer_classic import load_model

    X, ann = _synthetic(6)
    X.reset_index().to_csv(tmp_path / "seg.csv", index=False)
    ann.to_csv(tmp_path / "ann.csv", index=False)
    out = tmp_path / "run"
    args = [
        "train",
        "--dynamic",
        "--model",
        "ridge",
        "--data",
        str(tmp_path / "seg.csv"),
        "--annotations",
        str(tmp_path / "ann.csv"),
        "--cv",
        "3",
        "--out",
        str(out),
    ]
    res = CliRunner().invoke(main, args + ["--quiet"])
    assert res.exit_code == 0, res.output
    assert "songs held out" in res.output and "valence: pooled RMSE" in res.output
    # a page and a predicted-vs-annotated figure of every song (6 <= the sample size)
    assert "(index.html, report.md" in res.output
    page = (out / "index.html").read_text(encoding="utf-8")
    assert (
        "Predicted vs annotated curves" in page
        and 'data-file="dynamic_curves.png"' in page
    )
    assert "curves of all 6 songs" in page
    assert f"mer-classic report {out.resolve()}" in page
    assert "![curves](dynamic_curves.png)" in (out / "report.md").read_text()
    m = load_model(out)
    assert m.task == "regress" and m.targets == ["valence", "arousal"]
    assert m.predict(X.reset_index(drop=True)).shape == (len(X), 2)
    # the training segments' feature range is stored, so prediction can flag
    assert sorted(m.feature_ranges["columns"]) == sorted(m.feature_names)
    # of the aligned (annotated) frames the model was fitted on
    assert f"on {m.feature_ranges['n_rows']} frames" in res.output
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 1 and "already exists" in again.output
    bad = CliRunner().invoke(main, ["train", "--dynamic", "--model", "svm"])
    assert bad.exit_code == 1 and "unknown model 'svm' for task 'regress'" in bad.output
    missing = CliRunner().invoke(main, ["train", "--dynamic", "--model", "svr"])
    assert missing.exit_code == 1 and "--dynamic needs --data" in missing.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist; run `mer-classic extract --segment 0.5` first"),
        (b"", "features file .* is empty; it needs a header and rows"),
        (b"track_id,time,f1\n", "has a header but no rows"),
        (b"\xff\xfe\x00garbage\x00\xff", "cannot parse features file"),
    ],
)
def test_bad_segment_feature_files_are_clear_errors(tmp_path, content, message):
    path = tmp_path / "segments.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_segment_features(path)


def test_bad_annotation_files_are_clear_errors(tmp_path):
    with pytest.raises(DataError, match="annotation file .* does not exist"):
        read_dynamic_annotations(tmp_path / "nope.csv")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(DataError, match="annotation file .* is empty"):
        read_dynamic_annotations(tmp_path / "empty.csv")


@pytest.mark.slow
def test_report_rebuilds_a_dynamic_run(tmp_path):
    """`mer-classic report RUN` redraws a `train --dynamic` folder from its files."""
    import json

    from click.testing import CliRunner
    from mer_classic.cli.main import main

    X, ann = _synthetic(6)
    X.reset_index().to_csv(tmp_path / "seg.csv", index=False)
    ann.to_csv(tmp_path / "ann.csv", index=False)
    out = tmp_path / "run"
    res = CliRunner().invoke(
        main,
        [
            "train",
            "--dynamic",
            "--model",
            "ridge",
            "--no-grid",
            "--data",
            str(tmp_path / "seg.csv"),
            "--annotations",
            str(tmp_path / "ann.csv"),
            "--cv",
            "3",
            "--out",
            str(out),
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["kind"] == "dynamic" and run["settings"]["model"] == "ridge"
    original = (out / "report.md").read_text(encoding="utf-8")
    assert "song-held-out" in original
    (out / "report.md").unlink()
    rebuilt = CliRunner().invoke(main, ["report", str(out)])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert rebuilt.output == f"wrote {out / 'report.md'} and {out / 'index.html'}\n"
    assert (out / "report.md").read_text(encoding="utf-8") == original


def test_dynamic_curves_sample_many_songs_and_say_so(tmp_path, monkeypatch):
    from mer_classic.report import _dynamic

    monkeypatch.setattr(_dynamic, "MAX_DYNAMIC_SONGS", 3)
    X, ann = _synthetic(6)
    from mer_classic.dynamic import run_dynamic

    X.reset_index().to_csv(tmp_path / "seg.csv", index=False)
    ann.to_csv(tmp_path / "ann.csv", index=False)
    run_dynamic(
        tmp_path / "seg.csv",
        tmp_path / "ann.csv",
        model="ridge",
        cv=3,
        grid=False,
        out_dir=tmp_path / "r",
        quiet=True,
    )
    md = (tmp_path / "r" / "report.md").read_text()
    assert "a random sample of 3 of the 6 songs" in md
    assert (tmp_path / "r" / "index.html").exists()


# ------------------------------------------------ odd annotation files (issue 21)
def _ann_file(tmp_path, rows: str) -> Path:
    path = tmp_path / "ann.csv"
    path.write_text("track_id,time,valence,arousal\n" + rows)
    return path


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            "s1,15.0,0.1,0.2\ns1,15.5s,0.1,0.2\n",
            r"annotation file '.*ann.csv': column 'time' must hold times; found 1 "
            r"text value\(s\) such as '15.5s' \(row 3 of the file\)",
        ),
        (
            "s1,15.0,0.1,0.2\ns1,,0.1,0.2\n",
            r"annotation file '.*ann.csv': column 'time' is empty in 1 row\(s\) "
            r"\(first: row 3 of the file\)",
        ),
        (
            "s1,15.0,inf,0.2\ns1,15.5,0.1,0.2\n",
            r"annotation file '.*ann.csv': column 'valence' has 1 infinite "
            r"value\(s\) such as 'inf' \(row 2",
        ),
        (
            "s1,15.0,0.1,-inf\n",
            r"column 'arousal' has 1 infinite value",
        ),
        (
            "s1,15.0,high,0.2\n",
            r"column 'valence' must hold ratings; found 1 text value\(s\) such as 'high'",
        ),
    ],
    ids=["text-time", "missing-time", "inf-valence", "inf-arousal", "text-rating"],
)
def test_bad_annotation_values_name_file_column_and_value(tmp_path, rows, message):
    with pytest.raises(DataError, match=message):
        read_dynamic_annotations(_ann_file(tmp_path, rows))


def test_infinite_value_in_a_wide_file_is_refused(tmp_path):
    path = tmp_path / "arousal.csv"
    path.write_text("song_id,sample_15000ms,sample_15500ms\n2,0.1,Infinity\n")
    with pytest.raises(DataError, match="column 'sample_15500ms' has 1 infinite"):
        read_dynamic_annotations(path)


def test_repeated_frames_are_averaged_with_a_note(tmp_path):
    path = _ann_file(
        tmp_path,
        "s1,15.0,0.1,0.2\ns1,15.0,0.3,0.2\ns1,15.5,0.5,0.5\ns1,15.5,0.5,0.5\n"
        "s2,15.0,0.0,0.0\n",
    )
    notes: list[str] = []
    out = read_dynamic_annotations(path, notes=notes)
    assert out.to_dict("list") == {
        "track_id": ["s1", "s1", "s2"],
        "time": [15.0, 15.5, 15.0],
        "valence": [pytest.approx(0.2), 0.5, 0.0],
        "arousal": [pytest.approx(0.2), 0.5, 0.0],
    }
    assert notes == [
        f"annotation file {str(path)!r}: 2 (track, time) frame(s) appear more than "
        "once (4 rows); 1 of them with different values. Each frame's values are "
        "averaged (the mean of its rows)"
    ]


def test_annotations_beyond_the_clip_give_a_note_with_counts():
    X, ann = _synthetic(3)  # features 14..21 s
    late = ann.assign(time=ann["time"] + 30.0).iloc[:10]  # 45..50 s: no audio
    notes: list[str] = []
    Xa, Y = align_segments(X, pd.concat([ann, late]), notes=notes)
    assert len(Y) == len(ann)
    assert len(notes) == 1
    assert notes[0].startswith(
        f"10 of {len(ann) + 10} annotated frame(s) have no feature segment within "
        "0.25 s and are left out: 10 lie after the end of their song's features "
        "(1 song(s))"
    )


def test_run_dynamic_reports_the_notes(tmp_path):
    X, ann = _synthetic(4)
    late = ann.assign(time=ann["time"] + 30.0)
    twice = ann.iloc[:3].assign(valence=ann["valence"].iloc[:3] + 0.1)
    path = tmp_path / "ann.csv"
    pd.concat([ann, late, twice]).to_csv(path, index=False)
    s = run_dynamic(
        X, path, model="ridge", cv=2, grid=False, quiet=True, out_dir=tmp_path / "r"
    )
    text = " | ".join(s["notes"])
    assert "3 (track, time) frame(s) appear more than once" in text
    assert f"{len(late)} lie after the end of their song's features" in text


def test_align_does_not_warn_about_a_fragmented_frame(tmp_path):
    import warnings

    rng = np.random.default_rng(0)
    rows = [
        {"track_id": "s0", "time": 14 + 0.5 * k}
        | {f"f{i}": rng.normal() for i in range(150)}
        for k in range(20)
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "seg.csv", index=False)
    ann = pd.DataFrame({"track_id": "s0", "time": [15.0, 16.0], "valence": [0, 1]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pandas' PerformanceWarning included
        X, Y = align_segments(read_segment_features(tmp_path / "seg.csv"), ann)
        fragmented = read_segment_features(tmp_path / "seg.csv")
        align_segments(pd.concat([fragmented[[c]] for c in fragmented], axis=1), ann)
    assert X.shape == (2, 150)
