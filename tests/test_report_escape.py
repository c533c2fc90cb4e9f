"""report.md escapes text from the data in every table cell (issue 21)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic.report._files import md_cell

HOSTILE = ["<script>alert(1)</script>", "a|b", "`tick`", "two\nlines"]


def _table_rows(text: str) -> list[list[str]]:
    """Cells of every markdown table row (split on unescaped pipes)."""
    import re

    rows = []
    for line in text.splitlines():
        if line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
            rows.append(cells)
    return rows


def test_md_cell_escapes_what_breaks_tables_or_injects_html():
    assert md_cell("a|b") == "a\\|b"
    assert md_cell("<script>") == "&lt;script&gt;"
    assert md_cell("`x`") == "\\`x\\`"
    assert md_cell("two\nlines\r") == "two lines "
    assert md_cell("x & y") == "x &amp; y"
    assert md_cell(0.5) == "0.500" and md_cell(3) == "3"


@pytest.mark.slow
def test_hostile_labels_stay_in_their_cells(tmp_path):
    rng = np.random.default_rng(0)
    n = 48
    labels = np.array(HOSTILE * (n // len(HOSTILE)))
    shift = {lab: i for i, lab in enumerate(HOSTILE)}
    df = pd.DataFrame(
        {
            "track_id": [f"t{i}" for i in range(n)],
            "f1": [shift[lab] + rng.normal(scale=0.3) for lab in labels],
            "f2": rng.normal(size=n),
            "label": labels,
        }
    )
    data = tmp_path / "f.csv"
    df.to_csv(data, index=False)
    run = tmp_path / "run"
    res = CliRunner().invoke(
        main,
        ["train", "--model", "logreg", "--no-grid", "--cv", "3", "--data", str(data)]
        + ["--target", "label", "--id", "track_id", "-q", "--out", str(run)],
    )
    assert res.exit_code == 0, res.output
    ev = tmp_path / "ev"
    res = CliRunner().invoke(
        main,
        ["evaluate", "--model", str(run), "--data", str(data), "--target", "label"]
        + ["--out", str(ev)],
    )
    assert res.exit_code == 0, res.output
    for report in (run / "report.md", ev / "report.md"):
        text = report.read_text()
        assert (
            "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        )
        assert "a\\|b" in text and "\\`tick\\`" in text
        assert "two lines" in text and "two\nlines" not in text
        # each table keeps one column count from header to last row
        blocks, current = [], []
        for line in text.splitlines() + [""]:
            if line.startswith("|"):
                current.append(line)
            elif current:
                blocks.append(current)
                current = []
        assert blocks
        for block in blocks:
            widths = {len(r) for r in _table_rows("\n".join(block))}
            assert len(widths) == 1, (report.name, block)
