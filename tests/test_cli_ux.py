"""Issue 20, commands: -v/-vv everywhere, quiet third-party loggers, small messages."""

from __future__ import annotations

import html
import logging

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
