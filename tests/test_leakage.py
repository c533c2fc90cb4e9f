"""Issue 20: warnings where a result would mislead (target copies, ungrouped CV)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic._leakage import group_like_columns, target_copies
from mer_classic.datasets._soundtracks import soundtracks_path


def _train(args, out):
    return CliRunner().invoke(
        main, ["train", "--cv", "3", "--no-importance", "-q", "--out", str(out), *args]
    )


def test_soundtracks_through_data_names_the_copied_rating(tmp_path):
    res = _train(
        ["--model", "ridge", "--task", "regress", "--data", str(soundtracks_path())]
        + ["--target", "Valence", "--group", "film"],
        tmp_path / "r",
    )
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("warning:")]
    assert len(lines) == 1, res.output
    assert "'Fear' is a near-copy of the target 'Valence'" in lines[0]
    assert "--exclude Fear" in lines[0]
    run = json.loads((tmp_path / "r" / "run.json").read_text())
    assert any("'Fear'" in w for w in run["data"]["warnings"])
    assert "near-copy" in (tmp_path / "r" / "report.md").read_text()


def test_bundled_default_run_warns_about_nothing(tmp_path):
    res = _train(["--model", "logreg", "--no-grid"], tmp_path / "r")
    assert res.exit_code == 0, res.output
    assert "warning:" not in res.output


def test_classification_copy_and_honest_features(rng):
    y = pd.Series(np.repeat(["a", "b", "c"], 30), name="label")
    code = pd.Series(y.map({"a": 0.0, "b": 1.0, "c": 2.0}) + rng.normal(0, 0.05, 90))
    X = pd.DataFrame({"label_code": code, "tempo": rng.normal(size=90)})
    found = target_copies(X, y, task="classify")
    assert [c["column"] for c in found] == ["label_code"]
    assert found[0]["score"] > 0.95 and found[0]["rho"] is None


def test_a_moderate_real_feature_is_not_flagged(rng):
    y = pd.Series(rng.normal(size=200), name="arousal")
    X = pd.DataFrame({"rms": y + rng.normal(0, 1.0, 200)})  # r about 0.7
    assert target_copies(X, y, task="regress") == []


def test_ungrouped_run_names_the_group_like_column(tmp_path, rng):
    n = 40
    df = pd.DataFrame(
        {
            "track_id": [f"t{i}" for i in range(n)],
            "Artist": [f"a{i % 8}" for i in range(n)],
            "f1": rng.normal(size=n),
            "f2": rng.normal(size=n),
            "label": ["x", "y"] * (n // 2),
        }
    )
    csv = tmp_path / "t.csv"
    df.to_csv(csv, index=False)
    base = ["--model", "logreg", "--no-grid", "--data", str(csv), "--target", "label"]
    res = _train(base + ["--id", "track_id"], tmp_path / "a")
    assert res.exit_code == 0, res.output
    warned = [ln for ln in res.output.splitlines() if ln.startswith("warning:")]
    assert len(warned) == 1
    assert "'Artist' looks like a grouping column" in warned[0]
    assert warned[0].endswith("pass --group Artist")
    res = _train(base + ["--id", "track_id", "--group", "Artist"], tmp_path / "b")
    assert res.exit_code == 0, res.output
    assert "warning:" not in res.output


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["track_id", "artist_name", "tempo"], ["artist_name"]),
        (["Album", "Song ID", "film"], ["Album", "Song ID", "film"]),
        (["network", "artistry", "label"], []),  # whole words only
    ],
)
def test_group_like_columns(columns, expected):
    assert group_like_columns(columns) == expected
