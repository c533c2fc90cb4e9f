"""Issue 20, results that mislead: the headline, the baseline and the grid's score."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic._crossval import baseline_scores, resolve_scoring, scoring_for
from mer_classic._workflows import resolve_training_table
from mer_classic.exceptions import ParameterError
from mer_classic.training import train


@pytest.fixture(scope="module")
def table():
    return resolve_training_table(
        None, target=[], task="classify", group=None, id_col=None, exclude=[]
    )


@pytest.fixture(scope="module")
def repeated(table):
    return train(table, model="logreg", cv=3, repeats=3, seed=0, grid=False)


@pytest.mark.slow
def test_repeats_headline_is_the_mean_with_sd(repeated):
    m = repeated.metrics
    each = m["repeats"]["f1_macro"]["values"]
    assert len(each) == 3 and len(set(each)) > 1
    assert m["f1_macro"] == pytest.approx(np.mean(each))
    assert m["f1_macro"] != pytest.approx(each[0])
    assert m["sd"]["f1_macro"] == pytest.approx(np.std(each, ddof=1))
    assert m["accuracy"] == pytest.approx(np.mean(m["repeats"]["accuracy"]["values"]))


@pytest.mark.slow
def test_repeats_headline_in_console_report_and_json(table, tmp_path):
    from mer_classic.cli._summaries import train_summary

    from mer_classic._workflows import TrainSettings, run_train

    out = tmp_path / "run"
    settings = TrainSettings(
        model="logreg",
        data=None,
        target=(),
        task="classify",
        cv=3,
        repeats=3,
        seed=0,
        grid=False,
        importance=False,
        out=out,
        quiet=True,
    )
    text = train_summary(run_train(settings))
    m = json.loads((out / "metrics.json").read_text())
    mean, sd = m["f1_macro"], m["sd"]["f1_macro"]
    assert f"F1 macro {mean:.3f} ± {sd:.3f}" in text
    each = ", ".join(f"{v:.3f}" for v in m["repeats"]["f1_macro"]["values"])
    assert each in text
    md = (out / "report.md").read_text()
    top = md[md.index("## Classification") :].split("\n")[4]
    assert f"{mean:.3f} ± {sd:.3f}" in top
    assert "rep 3" in md
    html = (out / "index.html").read_text()
    assert f"{mean:.3f} ± {sd:.3f}" in html


def test_baseline_uses_the_same_folds_and_is_reported(repeated, table, tmp_path):
    base = repeated.metrics["baseline"]
    counts = table.y.value_counts()
    # majority on grouped folds: close to, but not exactly, the overall share
    assert 0.2 < base["majority"]["accuracy"] < counts.max() / len(table) + 0.1
    assert base["majority"]["mcc"] == pytest.approx(0.0, abs=0.05)
    assert set(base) >= {"majority", "stratified", "folds"}
    again = baseline_scores(
        table.y, table.groups, task="classify", cv=3, repeats=3, seed=0
    )
    assert again["majority"] == base["majority"]


def test_baseline_regression_is_the_mean_predictor():
    y = pd.DataFrame({"v": np.arange(30.0), "a": np.arange(30.0) % 7})
    base = baseline_scores(y, task="regress", cv=3)
    for t in ("v", "a"):
        b = base["mean"]["targets"][t]
        assert b["r2"] <= 0.0 and b["rmse"] > 0
    # fitted on the table itself: R² of the mean is exactly 0, RMSE its sd
    own = baseline_scores(y, task="regress", cv=None)["mean"]["targets"]["v"]
    assert own["r2"] == pytest.approx(0.0)
    assert own["rmse"] == pytest.approx(y["v"].std(ddof=0))


def test_baseline_in_report_and_page(tmp_path):
    out = tmp_path / "r"
    res = CliRunner().invoke(
        main,
        ["train", "--model", "ridge", "--task", "regress", "--cv", "3", "--no-grid"]
        + ["--no-importance", "-q", "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    assert "baseline: mean predictor Valence RMSE" in res.output
    m = json.loads((out / "metrics.json").read_text())
    assert set(m["baseline"]["mean"]["targets"]) == {"Valence", "Energy"}
    for name in ("report.md", "index.html"):
        text = (out / name).read_text()
        assert "mean predictor" in text and "Baseline" in text


def test_grid_selects_on_the_headline_metric():
    assert scoring_for("classify") == "f1_macro"
    assert scoring_for("regress") == "neg_root_mean_squared_error"


@pytest.mark.slow
def test_scoring_option_is_used_and_recorded(table):
    res = train(table, model="logreg", cv=3, seed=0, scoring="balanced_accuracy")
    assert res.settings["scoring"] == "balanced_accuracy"
    res = train(table, model="logreg", cv=3, seed=0)
    assert res.settings["scoring"] == "f1_macro"


@pytest.mark.parametrize(
    ("scoring", "task", "match"),
    [
        ("f1_macor", "classify", "unknown --scoring 'f1_macor'"),
        ("r2", "classify", "is a regression score"),
        ("f1_macro", "regress", "is a classification score"),
    ],
)
def test_bad_scoring_is_refused(scoring, task, match):
    with pytest.raises(ParameterError, match=match):
        resolve_scoring(scoring, task)


def test_bad_scoring_cli_message(tmp_path):
    res = CliRunner().invoke(
        main, ["train", "--scoring", "f1_macor", "--out", str(tmp_path / "x")]
    )
    assert res.exit_code == 1
    assert res.output.startswith("Error: unknown --scoring 'f1_macor'")
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_report_md_has_the_page_tables_and_wrote_lists_the_page(tmp_path):
    out = tmp_path / "r"
    res = CliRunner().invoke(
        main,
        [
            "train",
            "--model",
            "logreg",
            "--cv",
            "3",
            "--no-grid",
            "-q",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert res.output.rstrip().endswith(
        f"wrote {out}/ (index.html, report.md, metrics.json, model.joblib)"
    )
    md = (out / "report.md").read_text()
    assert "### Class balance" in md
    assert "![per-class F1](f1_per_class.png)" in (out / "report.md").read_text()
    imp = md[md.index("## Feature importance") :]
    assert "| feature | importance | sd |" in imp
    top = pd.read_csv(out / "importance.csv", index_col=0).index[0]
    assert f"| {top} |" in imp
