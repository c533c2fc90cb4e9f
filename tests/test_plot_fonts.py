"""Figure labels the default font cannot draw: a font that can, or one warning.

matplotlib warned once per missing glyph (twelve warnings for a confusion matrix
with Japanese labels). ``mer_classic.report._fonts.label_fonts`` picks an installed
font that has the characters, or warns once with a readable line.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic.exceptions import MissingGlyphWarning
from mer_classic.report import _fonts
from mer_classic.report._fonts import fallback_font
from mer_classic.report._plots import plot_confusion

CJK = ["悲しい", "喜び", "穏やか"]


@pytest.fixture(autouse=True)
def _fresh_warnings():
    _fonts._WARNED.clear()  # each test sees its first warning


def _plot(labels: list[str], path: Path) -> list[warnings.WarningMessage]:
    n = len(labels)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plot_confusion(np.eye(n, dtype=int) * 3 + 1, labels, path, "Confusion matrix")
    assert path.read_bytes()[:4] == b"\x89PNG"
    return caught


def test_cjk_confusion_matrix_gives_at_most_one_warning(tmp_path):
    caught = _plot(CJK, tmp_path / "cm.png")
    assert len(caught) <= 1, [str(w.message) for w in caught]
    if fallback_font(frozenset("".join(CJK))) is None:  # no CJK font installed here
        assert len(caught) == 1 and caught[0].category is MissingGlyphWarning
        message = str(caught[0].message)
        assert "\n" not in message and message.startswith(
            "no installed font has the characters "
        )
        assert "悲" in message and "Noto Sans CJK" in message
    else:
        assert caught == []


def test_a_font_that_has_the_characters_is_used(tmp_path):
    """Ⓐ is not in DejaVu Sans but in STIXGeneral (shipped with matplotlib)."""
    font = fallback_font(frozenset("Ⓐ"))
    if font is None:
        pytest.skip(
            "no installed font has U+24B6 (matplotlib's STIX fonts are missing)"
        )
    assert not font.lower().startswith("last resort")  # placeholders are not text
    assert _plot(["Ⓐ calm", "Ⓑ sad"], tmp_path / "cm.png") == []


def test_plain_labels_do_not_look_for_fonts(tmp_path):
    assert _plot(["happy", "sad", "Q1", "ängstlich"], tmp_path / "cm.png") == []


def test_cli_report_with_cjk_labels_prints_one_warning_line(
    tmp_path, features_df, recwarn
):
    df = features_df.copy()
    df["label"] = np.where(df["label"] == "happy", CJK[1], CJK[0])
    df.to_csv(tmp_path / "f.csv", index=False)
    res = CliRunner().invoke(
        main,
        ["train", "--data", str(tmp_path / "f.csv"), "--target", "label"]
        + ["--exclude", "valence", "--exclude", "arousal", "--model", "logreg"]
        + ["--cv", "2", "--no-grid", "--out", str(tmp_path / "run")],
    )
    assert res.exit_code == 0, res.output
    assert "Glyph" not in res.output
    assert not [w for w in recwarn if "Glyph" in str(w.message)]
    lines = [line for line in res.output.splitlines() if "font" in line]
    if fallback_font(frozenset("".join(CJK[:2]))) is None:
        assert len(lines) == 1 and lines[0].startswith(
            "Warning: no installed font has the characters "
        )
    else:
        assert lines == []
