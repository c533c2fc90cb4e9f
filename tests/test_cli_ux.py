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
