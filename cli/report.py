"""``report``: rebuild report.md and index.html of a run folder."""

from __future__ import annotations

import pathlib

import click
from mer_classic.cli._summaries import report_summary

__all__ = ["report", "COMMANDS"]


@click.command()
@click.argument(
    "run_dir", type=click.Path(exists=True, file_okay=False, path_type=pathlib.Path)
)
@click.option(
    "--open", "open_page", is_flag=True, help="Open index.html in the browser."
)
def report(run_dir, open_page):
    """Rebuild report.md, figures and index.html of RUN_DIR from its JSON files.

    Example: mer-classic report reports/svm-20260101-120000 --open
    """
    # lazy: the library imports scikit-learn (test_help_does_not_import_heavy_libraries)
    from mer_classic import _workflows

    run = _workflows.run_report(run_dir)
    click.echo(report_summary(run))
    if open_page and not _workflows.open_page(run.page):
        click.echo(
            f"no web browser found; open the page yourself: {run.page}", err=True
        )


COMMANDS = [report]
