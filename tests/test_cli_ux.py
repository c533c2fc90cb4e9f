"""Issue 20, commands: -v/-vv everywhere, quiet third-party loggers, small messages."""

from __future__ import annotations

import html
import logging
import re

import pytest
from click.testing import CliRunner
from mer_classic.cli.main import main


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("ux") / "run"
    res = CliRunner().invoke(
        main,
        ["train", "--model", "logreg", "--cv", "3", "--no-grid", "--no-importance"]
        + ["-q", "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    return out


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_is_accepted_on_every_subcommand(where):
    for name in main.commands:
        args = ["-vv", name, "--help"] if where == "before" else [name, "-vv", "--help"]
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 0, (name, res.output)


@pytest.mark.slow
def test_vv_after_the_subcommand_sets_debug_for_ours_only(run_dir):
    res = CliRunner().invoke(main, ["report", str(run_dir), "-vv"])
    assert res.exit_code == 0, res.output
    assert logging.getLogger("mer_classic").getEffectiveLevel() == logging.DEBUG
    assert logging.getLogger("matplotlib").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("matplotlib.font_manager").getEffectiveLevel() >= (
        logging.WARNING
    )
    res = CliRunner().invoke(main, ["-v", "report", str(run_dir)])
    assert logging.getLogger("mer_classic").getEffectiveLevel() == logging.INFO
    res = CliRunner().invoke(main, ["report", str(run_dir)])
    assert logging.getLogger("mer_classic").getEffectiveLevel() == logging.WARNING


def test_page_rebuild_command_names_the_real_folder(run_dir, tmp_path):
    page = (run_dir / "index.html").read_text()
    assert f"<code>mer-classic report {run_dir.resolve()}</code>" in page
    assert ".tmpdir" not in page
    moved = tmp_path / "moved run"
    run_dir.rename(moved)
    try:
        res = CliRunner().invoke(main, ["report", str(moved)])
        assert res.exit_code == 0, res.output
        page = html.unescape((moved / "index.html").read_text())
        assert f"<code>mer-classic report '{moved.resolve()}'</code>" in page
    finally:
        moved.rename(run_dir)


def test_svr_without_task_suggests_regress(tmp_path):
    res = CliRunner().invoke(
        main, ["train", "--model", "svr", "--out", str(tmp_path / "x")]
    )
    assert res.exit_code == 1
    assert "'svr' is a regression model: add --task regress" in res.output


@pytest.mark.slow
def test_free_text_target_is_questioned_briefly(tmp_path):
    import pandas as pd

    n = 300
    df = pd.DataFrame(
        {
            "title": [f"song title number {i} with words" for i in range(n - 4)]
            + ["same"] * 4,
            "f1": range(n),
            "f2": [i % 7 for i in range(n)],
        }
    )
    csv = tmp_path / "t.csv"
    df.to_csv(csv, index=False)
    res = CliRunner().invoke(
        main,
        ["train", "--data", str(csv), "--target", "title", "--model", "logreg"]
        + ["--no-importance", "--out", str(tmp_path / "r")],
    )
    assert res.exit_code == 1
    assert "297 distinct values in 300 rows" in res.output
    assert "is this a label column?" in res.output
    assert len(res.output) < 400


@pytest.mark.slow
def test_long_grid_is_announced_and_total_time_printed(tmp_path, monkeypatch, caplog):
    from mer_classic import training

    monkeypatch.setattr(training, "LONG_GRID_S", 0.0)
    with caplog.at_level(logging.WARNING, logger="mer_classic"):
        res = CliRunner().invoke(
            main,
            ["train", "--model", "logreg", "--cv", "3", "--no-importance", "-q"]
            + ["--out", str(tmp_path / "r")],
        )
    assert res.exit_code == 0, res.output
    said = [
        r.getMessage() for r in caplog.records if "grid search fits" in r.getMessage()
    ]
    assert len(said) == 1
    assert said[0].startswith("the grid search fits 64 models (5 candidates, 3 inner")
    assert re.search(
        r"^  time: \d+ s in all \(cross-validation \d+ s, final fit", res.output, re.M
    )


def test_gboost_grid_is_sized_for_small_tables():
    from sklearn.model_selection import ParameterGrid

    from mer_classic.models import make_pipeline, param_grid
    from mer_classic.training import grid_fits

    for task in ("classify", "regress"):
        grid = param_grid("gboost", task)
        assert len(ParameterGrid(grid)) == 4
        assert make_pipeline("gboost", task).named_steps["model"].max_iter == 100
    # 5 outer folds: 78 fits instead of the old grid's 150, each a third as long
    assert grid_fits(4, cv=5, repeats=1) == 78


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_prediction_tables_round_floats_to_six_digits(fmt, tmp_path):
    import pandas as pd

    from mer_classic._workflows._output import table_text, write_table

    df = pd.DataFrame(
        {"label": ["Q1"], "proba_Q1": [0.12345678912345678], "proba_Q2": [1 / 3]},
        index=pd.Index(["t1"], name="track_id"),
    )
    text = table_text(df, fmt)
    assert "0.123457" in text and "0.333333" in text
    assert "0.1234567" not in text and "0.3333333" not in text
    path = write_table(df, tmp_path / f"p.{fmt}", fmt)
    assert "0.333333" in path.read_text() and "0.3333333" not in path.read_text()


@pytest.mark.parametrize("name", ["train", "evaluate", "predict"])
def test_option_aliases_match_the_other_commands(name):
    opts = {o for p in main.commands[name].params for o in getattr(p, "opts", [])}
    assert {"-o", "--out", "--id", "--id-column"} <= opts
    # the old spellings keep working beside the aliases
    assert main.commands["extract"].params and "-o" in {
        o for p in main.commands["extract"].params for o in p.opts
    }


def test_alias_options_parse_like_the_old_ones(tmp_path, run_dir):
    res = CliRunner().invoke(
        main,
        ["evaluate", "--model", str(run_dir), "--data", str(tmp_path / "none.csv")]
        + ["--id-column", "track_id", "-o", str(tmp_path / "ev")],
    )
    assert res.exit_code == 1, res.output
    assert res.output.startswith("Error: ") and "none.csv" in res.output
