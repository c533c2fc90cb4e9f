"""``report``: rebuild report.md and index.html of a run folder."""

from __future__ import annotations

import pathlib

import click

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
    from mer_classic.workflows import open_page as open_in_browser
    from mer_classic.workflows import run_report

    text, page = run_report(run_dir)
    click.echo(text)
    if open_page and not open_in_browser(page):
        click.echo(f"no web browser found; open the page yourself: {page}", err=True)


COMMANDS = [report]
