from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from mer_classic.cli.main import main


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    res = CliRunner().invoke(
        main,
        [
            "train",
            "--model",
            "logreg",
            "--no-grid",
            "--cv",
            "3",
            "--out",
            str(out),
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    return out, res.output


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_has_help(runner, name):
    res = runner.invoke(main, [name, "--help"])
    assert res.exit_code == 0
    assert "Example:" in res.output, f"{name} help should end with an example"


def test_version(runner):
    res = runner.invoke(main, ["--version"])
    assert res.exit_code == 0 and "mer-classic, version" in res.output


@pytest.mark.slow
def test_train_on_bundled_data(trained):
    out, output = trained
    assert "110 rows" in output and "StratifiedGroupKFold by 'film'" in output
    assert "F1 macro" in output
    m = json.loads((out / "metrics.json").read_text())
    assert m["task"] == "classify"
    meta = json.loads((out / "model.json").read_text())
    assert meta["model"] == "logreg" and len(meta["sha256"]) == 64


@pytest.mark.slow
def test_train_with_data_test_and_regression(runner, tmp_path, features_df):
    data = tmp_path / "f.csv"
    features_df.to_csv(data, index=False)
    res = runner.invoke(
        main,
        [
            "train",
            "--model",
            "knn",
            "--data",
            str(data),
            "--target",
            "label",
            "--group",
            "artist",
            "--id",
            "track_id",
            "--cv",
            "2",
            "--no-grid",
            "--test",
            str(data),
            "--out",
            str(tmp_path / "r"),
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "held-out test (12 rows)" in res.output
    assert (tmp_path / "r" / "test" / "metrics.json").exists()
    res = runner.invoke(
        main,
        [
            "train",
            "--model",
            "svr",
            "--task",
            "regress",
            "--data",
            str(data),
            "--target",
            "valence",
            "--target",
            "arousal",
            "--exclude",
            "f3",
            "--cv",
            "3",
            "--no-grid",
            "--out",
            str(tmp_path / "reg"),
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    assert (
        "valence: RMSE" in res.output and "quadrants from predicted V/A" in res.output
    )


def test_evaluate_and_predict(runner, trained, tmp_path):
    from mer_classic.datasets._soundtracks import soundtracks_path

    out, _ = trained
    res = runner.invoke(
        main,
        [
            "evaluate",
            "--model",
            str(out),
            "--data",
            str(soundtracks_path()),
            "--target",
            "quadrant",
            "--out",
            str(tmp_path / "ev"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "ev" / "confusion_matrix.png").exists()
    preds = tmp_path / "p.csv"
    res = runner.invoke(
        main,
        [
            "predict",
            "--model",
            str(out),
            "--data",
            str(soundtracks_path()),
            "--id",
            "excerpt_id",
            "--out",
            str(preds),
        ],
    )
    assert res.exit_code == 0, res.output
    lines = preds.read_text().splitlines()
    assert lines[0].startswith("excerpt_id,label,proba_Q1") and len(lines) == 111


def test_missing_data_file(runner, tmp_path):
    res = runner.invoke(
        main,
        [
            "train",
            "--model",
            "svm",
            "--data",
            "nope.csv",
            "--target",
            "x",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 1
    assert res.output == "Error: data file 'nope.csv' does not exist; check the path\n"
    assert not (tmp_path / "o").exists()


def test_existing_out_refused(runner, trained):
    out, _ = trained
    before = (out / "metrics.json").read_bytes()
    res = runner.invoke(main, ["train", "--model", "logreg", "--out", str(out)])
    assert res.exit_code == 1
    assert "already exists; choose another --out or pass --force" in res.output
    assert (out / "metrics.json").read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "nope"], "target column(s) 'nope' not found"),
        (
            ["--target", "label", "--task", "regress", "--model", "svr"],
            "must be numeric",
        ),
        (["--target", "track_id"], "has a single class"),
    ],
)
def test_bad_tables(runner, tmp_path, features_df, args, message):
    data = tmp_path / "f.csv"
    df = features_df.assign(track_id="same") if "track_id" in args else features_df
    df.to_csv(data, index=False)
    base = ["train", "--data", str(data), "--out", str(tmp_path / "o"), "--no-grid"]
    if "--model" not in args:
        base += ["--model", "svm"]
    res = runner.invoke(main, base + args)
    assert res.exit_code == 1, res.output
    assert res.output.startswith("Error: ") and message in res.output
    assert not (tmp_path / "o").exists()


def test_empty_csv_and_model_mismatch(runner, tmp_path):
    empty = tmp_path / "e.csv"
    empty.write_text("")
    res = runner.invoke(main, ["train", "--data", str(empty), "--target", "x"])
    assert res.exit_code == 1 and "is empty" in res.output
    res = runner.invoke(main, ["train", "--model", "svr"])
    assert res.exit_code == 1
    assert "unknown model 'svr' for task 'classify'" in res.output
    res = runner.invoke(main, ["train", "--model", "nope"])
    assert res.exit_code == 2


def test_corrupt_model_refused(runner, trained, tmp_path):
    import shutil

    out, _ = trained
    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    (bad / "model.joblib").write_bytes(b"not a model")
    res = runner.invoke(
        main, ["predict", "--model", str(bad), "--data", str(bad / "predictions.csv")]
    )
    assert res.exit_code == 1 and "does not match the sha256" in res.output


@pytest.mark.slow
def test_large_table_switch_and_refuse(runner, tmp_path, features_df):
    data = tmp_path / "f.csv"
    features_df.to_csv(data, index=False)
    base = [
        "train",
        "--model",
        "svm",
        "--data",
        str(data),
        "--target",
        "label",
        "--cv",
        "2",
        "--no-grid",
        "--no-importance",
        "--quiet",
        "--large-rows",
        "10",
    ]
    res = runner.invoke(main, [*base, "--out", str(tmp_path / "sw")])
    assert res.exit_code == 0, res.output
    assert "note:" in res.output and "12 rows" in res.output
    res = runner.invoke(
        main, [*base, "--on-large", "refuse", "--out", str(tmp_path / "rf")]
    )
    assert res.exit_code == 1 and res.output.startswith("Error: ")
    assert not (tmp_path / "rf").exists()


def test_evaluate_with_other_features_is_a_short_clear_error(runner, trained, tmp_path):
    out, _ = trained
    other = tmp_path / "other.csv"
    other.write_text("a,b,quadrant\n1,2,Q1\n3,4,Q2\n")
    res = runner.invoke(
        main,
        [
            "evaluate",
            "--model",
            str(out),
            "--data",
            str(other),
            "--target",
            "quadrant",
            "--out",
            str(tmp_path / "ev"),
        ],
    )
    assert res.exit_code == 1
    assert res.output.startswith("Error: 25 feature columns are not in")
    assert len(res.output) < 400  # names a few, not all 25
    res = runner.invoke(
        main, ["predict", "--model", str(tmp_path / "nope"), "--data", str(other)]
    )
    assert res.exit_code == 1 and "the path does not exist" in res.output


def test_cli_model_choices_match_the_registry():
    """--model is checked by click before any import of scikit-learn, from literal
    lists (so --help stays fast); they must list exactly the registry's names."""
    from mer_classic.cli.train import MODEL_NAMES, train

    from mer_classic.models import model_names

    assert MODEL_NAMES == {task: model_names(task) for task in ("classify", "regress")}
    option = next(p for p in train.params if p.name == "model")
    assert list(option.type.choices) == model_names()
    for name in model_names():
        assert name in option.help


@pytest.mark.parametrize("command", ["train", "extract", "predict"])
@pytest.mark.parametrize("bad", ["0", "-3", "two"])
def test_cli_jobs_must_be_positive_or_minus_one(command, bad, tmp_path):
    """Every --jobs is checked by one click type before any work (no traceback)."""
    args = {"train": [], "extract": [str(tmp_path)], "predict": ["--model", "m", "x"]}
    res = CliRunner().invoke(main, [command, *args[command], "--jobs", bad])
    assert res.exit_code == 2, res.output
    assert "Invalid value for '--jobs' / '-j'" in res.output
    assert "must be a positive int or -1" in res.output and repr(bad) in res.output


@pytest.mark.parametrize("command", ["train", "extract"])
def test_cli_scheduler_without_dask_says_how_to_install(command, monkeypatch, tmp_path):
    """A missing optional extra ends in one line naming the pip command, exit 1."""
    import mer_classic.parallel as parallel

    def missing() -> None:
        raise ImportError(parallel.DASK_INSTALL_HINT)

    monkeypatch.setattr(parallel, "require_dask", missing)
    args = {"train": ["--out", str(tmp_path / "run")], "extract": [str(tmp_path)]}
    res = CliRunner().invoke(main, [command, *args[command], "--scheduler", "local"])
    assert res.exit_code == 1, res.output
    assert 'pip install "mer-classic[dask]"' in res.output
    assert "Traceback" not in res.output and not isinstance(res.exception, ImportError)


def test_evaluate_refuses_an_existing_out_before_any_work(tmp_path):
    """An existing --out is named first, before the model or the table is read."""
    from mer_classic._workflows import EvaluateSettings, run_evaluate
    from mer_classic.exceptions import ConfigError

    out = tmp_path / "ev"
    out.mkdir()
    with pytest.raises(ConfigError, match="already exists"):
        run_evaluate(
            EvaluateSettings(
                model_path=tmp_path / "no-such-run",
                data=tmp_path / "no-such.csv",
                out=out,
            )
        )


def test_unreadable_settings_sidecar_is_ignored_with_a_warning(tmp_path, caplog):
    """A sidecar that is not UTF-8 is skipped like a broken JSON one, no traceback."""
    from mer_classic._workflows._train import _feature_settings_of

    data = tmp_path / "features.csv"
    data.write_text("a\n1\n", encoding="utf-8")
    (tmp_path / "features.csv.json").write_bytes(b"\xff\xfe{not utf-8")
    with caplog.at_level("WARNING"):
        assert _feature_settings_of(data) is None
    assert "features.csv.json" in caplog.text
