from __future__ import annotations

import json

import pandas as pd
import pytest

from mer_classic._table import load_table
from mer_classic.exceptions import ConfigError, DataError
from mer_classic.report import read_run, render_report, write_run
from mer_classic.report._write import run_folder
from mer_classic.training import train


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from mer_classic._workflows import resolve_training_table

    t = resolve_training_table(
        None, target=[], task="classify", group=None, id_col=None, exclude=[]
    )
    res = train(t, model="logreg", cv=3, grid=False, seed=0)
    d = tmp_path_factory.mktemp("r") / "run"
    write_run(res, d)
    return d


def test_run_folder_contents(run_dir):
    names = {p.name for p in run_dir.iterdir()}
    assert {
        "metrics.json",
        "run.json",
        "report.md",
        "predictions.csv",
        "model.joblib",
        "model.json",
        "classification_report.csv",
        "confusion_matrix.csv",
        "confusion_matrix.png",
    } <= names
    # the bundled labels already are quadrants: no second, identical quadrant view
    assert (
        not {"quadrant_confusion_matrix.csv", "quadrant_confusion_matrix.png"} & names
    )
    assert "## Russell quadrants" not in (run_dir / "report.md").read_text()
    m = json.loads((run_dir / "metrics.json").read_text())
    assert m["task"] == "classify"
    assert set(m) >= {"accuracy", "f1_macro", "f1_weighted", "mcc", "per_class"}
    cm = pd.read_csv(run_dir / "confusion_matrix.csv", index_col=0)
    assert int(cm.values.sum()) == 110
    rep = pd.read_csv(run_dir / "classification_report.csv")
    assert rep["class"].tolist() == [
        "Q1",
        "Q2",
        "Q3",
        "Q4",
        "macro avg",
        "weighted avg",
    ]
    assert rep.loc[4, "f1"] == pytest.approx(m["f1_macro"])
    assert (run_dir / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"


def test_rebuild_is_idempotent(run_dir):
    before = (run_dir / "report.md").read_text()
    (run_dir / "report.md").unlink()
    render_report(run_dir)
    assert (run_dir / "report.md").read_text() == before


def test_existing_out_refused_and_kept(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    (d / "keep.txt").write_text("precious")
    with pytest.raises(ConfigError, match="already exists"), run_folder(d):
        pass
    assert (d / "keep.txt").read_text() == "precious"


def test_failed_run_leaves_old_folder_intact(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    (d / "keep.txt").write_text("precious")
    with pytest.raises(RuntimeError), run_folder(d, force=True) as tmp:
        (tmp / "half.txt").write_text("x")
        raise RuntimeError("boom")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert (d / "keep.txt").read_text() == "precious"


def test_force_replaces(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    (d / "old.txt").write_text("old")
    with run_folder(d, force=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert [p.name for p in d.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_read_run_errors(tmp_path):
    with pytest.raises(DataError, match="metrics.json is missing"):
        read_run(tmp_path)


def test_regression_report(tmp_path, features_df):
    t = load_table(features_df, target=["valence", "arousal"], task="regress")
    res = train(t, model="ridge", task="regress", cv=3, grid=False)
    write_run(res, tmp_path / "reg")
    m = json.loads((tmp_path / "reg" / "metrics.json").read_text())
    assert set(m["targets"]["valence"]) >= {"rmse", "r2", "pearson_r"}
    assert m["quadrant"]["labels"] == ["Q1", "Q2", "Q3", "Q4"]
    for f in (
        "scatter_valence.png",
        "scatter_arousal.png",
        "va_plane.png",
        "quadrant_confusion_matrix.png",
        "regression_metrics.csv",
    ):
        assert (tmp_path / "reg" / f).exists(), f


def test_report_md_states_no_grid_search(run_dir):
    """A run trained with grid=False must not claim an inner grid search."""
    text = (run_dir / "report.md").read_text(encoding="utf-8")
    assert "No grid search" in text
    assert "inner grid search" not in text
