"""``evaluate`` scores a saved model on any non-empty table with the model's columns.

Training-time checks (at least two classes, something to learn from, non-numeric
columns ignored) do not apply to a table a fitted model is scored on: one row or
one class is fine, metrics that are undefined there are ``nan`` and named, and a
stray text value in a feature column is "not numeric", as ``predict`` says.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic._table import load_table
from mer_classic.exceptions import DataError, ParameterError


@pytest.fixture(scope="module")
def table(make_features_df):
    return make_features_df(n=24, seed=3).drop(columns=["artist"])


@pytest.fixture(scope="module")
def models(tmp_path_factory, table):
    base = tmp_path_factory.mktemp("models")
    data = base / "train.csv"
    table.to_csv(data, index=False)
    out = {}
    for task, args in (
        (
            "classify",
            ["--target", "label", "--model", "logreg"]
            + ["--exclude", "valence", "--exclude", "arousal"],
        ),
        ("regress", ["--target", "valence", "--target", "arousal", "--model", "ridge"]),
    ):
        res = CliRunner().invoke(
            main,
            ["train", "--data", str(data), "--task", task, "--id", "track_id", *args]
            + ["--cv", "2", "--no-grid", "--out", str(base / task)],
        )
        assert res.exit_code == 0, res.output
        out[task] = base / task
    return out


def _evaluate(model, data, out):
    return CliRunner().invoke(
        main,
        ["evaluate", "--model", str(model), "--data", str(data), "--id", "track_id"]
        + ["--out", str(out)],
    )


@pytest.mark.slow
def test_one_row_table_is_scored(tmp_path, models, table):
    data = tmp_path / "one.csv"
    table.head(1).to_csv(data, index=False)
    res = _evaluate(models["classify"], data, tmp_path / "ev")
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()  # the progress bar goes to stderr
    assert lines[0] == f"logreg on {data} (1 rows)"
    assert lines[1].endswith("MCC nan")
    assert lines[2].startswith(
        "  baseline: majority F1 macro"
    )  # then the undefined note
    assert lines[3] == (
        "  undefined here (nan): mcc: the true labels hold a single class ('happy')"
    )
    m = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert m["n"] == 1 and math.isnan(m["mcc"])
    assert m["undefined"] == {"mcc": "the true labels hold a single class ('happy')"}
    assert (tmp_path / "ev" / "report.md").exists()


def test_single_class_table_is_scored(tmp_path, models, table):
    data = tmp_path / "sad.csv"
    table[table["label"] == "sad"].to_csv(data, index=False)
    res = _evaluate(models["classify"], data, tmp_path / "ev")
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert m["per_class"]["sad"]["support"] == 12 and math.isnan(m["mcc"])
    assert 0.5 < m["accuracy"] <= 1.0


def test_constant_and_empty_feature_columns_are_kept(tmp_path, models, table):
    """Training drops constant columns; scoring must not (the model needs them)."""
    df = table.head(4).copy()
    df["f3"] = 0.0
    df["f2"] = np.nan  # imputed with the training median
    data = tmp_path / "flat.csv"
    df.to_csv(data, index=False)
    res = _evaluate(models["classify"], data, tmp_path / "ev")
    assert res.exit_code == 0, res.output


def test_one_row_regression_reports_undefined_r2(tmp_path, models, table):
    data = tmp_path / "one.csv"
    table.head(1).to_csv(data, index=False)
    res = _evaluate(models["regress"], data, tmp_path / "ev")
    assert res.exit_code == 0, res.output
    assert "undefined here (nan): valence.r2: a single row; " in res.output
    m = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert math.isnan(m["targets"]["valence"]["r2"])
    pred = pd.read_csv(tmp_path / "ev" / "predictions.csv")
    assert pred["true_valence"].iloc[0] == pytest.approx(table["valence"].iloc[0])
    for target in ("valence", "arousal"):  # one row: the RMSE is its absolute error
        error = abs(pred[f"pred_{target}"].iloc[0] - table[target].iloc[0])
        assert m["targets"][target]["rmse"] == pytest.approx(error)


def test_stray_text_in_a_feature_is_not_numeric(tmp_path, models, table):
    df = table.copy().astype({"f2": object})
    df.loc[3, "f2"] = "n/a?"
    data = tmp_path / "stray.csv"
    df.to_csv(data, index=False)
    res = _evaluate(models["classify"], data, tmp_path / "ev")
    assert res.exit_code == 1
    assert res.output == (
        f"Error: feature column(s) of '{data}' are not numeric: 'f2' (e.g. 'n/a?'); "
        "fix or remove those values (an empty cell is allowed and imputed)\n"
    )
    res = CliRunner().invoke(
        main, ["predict", "--model", str(models["classify"]), "--data", str(data)]
    )
    assert res.output == "Error: feature column(s) are not numeric: f2\n"


def test_empty_table_is_still_refused(tmp_path, models, table):
    data = tmp_path / "empty.csv"
    table.head(0).to_csv(data, index=False)
    res = _evaluate(models["classify"], data, tmp_path / "ev")
    assert res.exit_code == 1
    assert res.output == f"Error: data file '{data}' has a header but no rows\n"


def test_training_keeps_its_checks(table):
    with pytest.raises(DataError, match="has a single class"):
        load_table(table[table["label"] == "sad"], target="label")
    with pytest.raises(ParameterError, match="purpose must be 'train' or 'score'"):
        load_table(table, target="label", purpose="score")  # needs the features
    t = load_table(
        table.head(1), target="label", features=["f1", "f2", "f3"], purpose="score"
    )
    assert list(t.X.columns) == ["f1", "f2", "f3"] and len(t) == 1
