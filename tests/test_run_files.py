"""``mer-classic report`` on damaged run files: an exact ``Error:``, never a traceback.

``read_run`` (the bottom of :mod:`mer_classic.report`) checks ``metrics.json`` and
``run.json`` for what a report needs before anything is drawn.
"""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic.exceptions import DataError
from mer_classic.report import read_run

HINT = (
    "the file is damaged: restore it, or rerun the `mer-classic train` or `evaluate` "
    "that wrote this folder"
)


@pytest.fixture(scope="module")
def good_runs(tmp_path_factory, make_features_df):
    base = tmp_path_factory.mktemp("runs")
    data = base / "f.csv"
    make_features_df().drop(columns=["artist"]).to_csv(data, index=False)
    runs = {}
    for task, target in (("classify", ["label"]), ("regress", ["valence", "arousal"])):
        out = base / task
        args = ["train", "--data", str(data), "--task", task, "--id", "track_id"]
        args += [a for t in target for a in ("--target", t)]
        if task == "classify":
            args += ["--exclude", "valence", "--exclude", "arousal"]
        res = CliRunner().invoke(
            main,
            [*args, "--model", "ridge" if task == "regress" else "logreg"]
            + ["--cv", "2", "--no-grid", "--out", str(out)],
        )
        assert res.exit_code == 0, res.output
        runs[task] = out
    return runs


def _damaged(tmp_path, run, name, text):
    d = tmp_path / "run"
    shutil.copytree(run, d)
    (d / name).write_text(text)
    return d


def _report(d):
    return CliRunner().invoke(main, ["report", str(d)])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[]", "it holds a list, not an object of metrics"),
        (
            "{}",
            "it has no 'accuracy', 'f1_macro', 'f1_weighted', 'mcc', 'labels', "
            "'per_class', 'confusion_matrix'",
        ),
        ('"ok"', "it holds text, not an object of metrics"),
        (
            '{"task": "classify", "accuracy": 0.5}',
            "it has no 'f1_macro', 'f1_weighted', 'mcc', 'labels', 'per_class', "
            "'confusion_matrix'",
        ),
        (
            '{"task": "cluster"}',
            "its 'task' is 'cluster'; expected 'classify' or 'regress'",
        ),
    ],
)
@pytest.mark.slow
def test_report_on_damaged_metrics_is_an_error(tmp_path, good_runs, text, problem):
    d = _damaged(tmp_path, good_runs["classify"], "metrics.json", text)
    res = _report(d)
    assert res.exit_code == 1
    assert (
        res.output == f"Error: '{d}/metrics.json' cannot be used: {problem}; {HINT}\n"
    )


def _edit(run, name, change):
    data = json.loads((run / name).read_text())
    change(data)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("task", "change", "problem"),
    [
        (
            "classify",
            lambda m: m.update(per_class=[]),
            "per_class is a list, not an object",
        ),
        ("classify", lambda m: m.update(mcc=None), "mcc is null, not a number"),
        (
            "classify",
            lambda m: m["per_class"]["sad"].pop("recall"),
            "per_class.sad has no 'recall'",
        ),
        (
            "classify",
            lambda m: m["confusion_matrix"].pop(),
            "confusion_matrix is not 2 x 2 (one row and column per label)",
        ),
        (
            "classify",
            lambda m: m["per_class"].pop("sad"),
            "per_class does not hold one entry per label of ['happy', 'sad']",
        ),
        ("regress", lambda m: m.pop("targets"), "it has no 'targets'"),
        (
            "regress",
            lambda m: m["targets"]["valence"].update(rmse="0.5"),
            "targets.valence.rmse is text, not a number",
        ),
        (
            "regress",
            lambda m: m["quadrant"].update(confusion_matrix=[[1]]),
            "quadrant.confusion_matrix is not 4 x 4 (one row and column per label)",
        ),
    ],
)
def test_report_on_metrics_with_wrong_keys(tmp_path, good_runs, task, change, problem):
    run = good_runs[task]
    d = _damaged(tmp_path, run, "metrics.json", _edit(run, "metrics.json", change))
    res = _report(d)
    assert res.exit_code == 1
    assert (
        res.output == f"Error: '{d}/metrics.json' cannot be used: {problem}; {HINT}\n"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[]", "it holds a list, not an object of run facts"),
        ('{"settings": [1]}', "settings is a list, not an object"),
        ('{"timings": {"fit": "slow"}}', "timings.fit is text, not a number"),
    ],
)
def test_report_on_damaged_run_json(tmp_path, good_runs, text, problem):
    d = _damaged(tmp_path, good_runs["classify"], "run.json", text)
    res = _report(d)
    assert res.exit_code == 1
    assert res.output == f"Error: '{d}/run.json' cannot be used: {problem}; {HINT}\n"


def test_truncated_and_unreadable_metrics(tmp_path, good_runs):
    run = good_runs["classify"]
    text = (run / "metrics.json").read_text()
    d = _damaged(tmp_path, run, "metrics.json", text[: len(text) // 2])
    res = _report(d)
    assert res.exit_code == 1
    assert res.output.startswith(f"Error: '{d}/metrics.json' is not valid JSON: ")
    (d / "metrics.json").write_bytes(b"\xff\xfe{}")
    with pytest.raises(DataError, match="cannot read .*metrics.json.*utf-8"):
        read_run(d)


@pytest.mark.slow
def test_intact_runs_pass_the_check(good_runs):
    for run in good_runs.values():
        metrics, run_facts = read_run(run)
        assert metrics["task"] == run_facts["settings"]["task"]
        assert _report(run).exit_code == 0
