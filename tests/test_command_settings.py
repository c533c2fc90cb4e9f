"""The frozen settings objects of predict / extract / fetch / report (issue 18, section 3).

Each is validated once, on construction, before any file is read; the result objects
carry what the CLI formats.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from mer_classic._workflows._commands import (
    ExtractSettings,
    FetchSettings,
    ReportRun,
)
from mer_classic._workflows._predict import PredictSettings
from mer_classic.exceptions import ParameterError


def test_predict_settings_are_frozen_and_normalised(tmp_path: Path) -> None:
    s = PredictSettings(model_path=tmp_path, audio=[tmp_path / "a.wav"], out="p.csv")
    assert s.audio == (tmp_path / "a.wav",)
    assert s.out == Path("p.csv")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.fmt = "json"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"smooth": -1.0}, ParameterError, "--smooth must be >= 0 seconds; got -1.0"),
        (
            {"segments": True},
            ParameterError,
            "--segments needs --out FILE (the curve is written beside it)",
        ),
        ({"smooth": 1.0}, ParameterError, "--smooth is only used with --segments"),
        (
            {"data": "x.csv"},
            ParameterError,
            "give either AUDIO files/folders or --data",
        ),
        ({"audio": ()}, ParameterError, "give AUDIO files/folders or --data FILE.csv"),
        (
            {"audio": (), "data": "x.csv", "segments": True, "out": "p.csv"},
            ParameterError,
            "--segments needs AUDIO files",
        ),
    ],
)
def test_predict_settings_refuse_bad_combinations(
    tmp_path: Path, kwargs: dict, error: type, message: str
) -> None:
    args = {"model_path": tmp_path / "no-such-run", "audio": ("a.wav",), **kwargs}
    with pytest.raises(error, match=re.escape(message)):
        PredictSettings(**args)


def test_extract_settings_validate_the_feature_settings_once() -> None:
    s = ExtractSettings(inputs=["a.wav"], segment=0.5, metadata_columns=["valence"])
    assert s.inputs == ("a.wav",)
    assert s.metadata_columns == ("valence",)
    assert s.feature_settings.segment == 0.5
    with pytest.raises(ParameterError, match="sr must be an int between"):
        ExtractSettings(inputs=("a.wav",), sr=0)
    with pytest.raises(ParameterError, match="--cache-dir and --no-cache"):
        ExtractSettings(inputs=("a.wav",), cache_dir="c", no_cache=True)


def test_fetch_settings_parse_playlists_and_hide_the_secret() -> None:
    s = FetchSettings(playlists=["calm=37i9dQZF1DX3Ogo9pFvBkY"], client_secret="s3cr3t")
    assert [(p.label, p.playlist_id) for p in s.playlist_sources] == [
        ("calm", "37i9dQZF1DX3Ogo9pFvBkY")
    ]
    assert "s3cr3t" not in repr(s)
    with pytest.raises(ParameterError, match="--playlist must look like LABEL="):
        FetchSettings(playlists=("no-label",))


def test_report_run_page_is_the_html_else_the_markdown(tmp_path: Path) -> None:
    md, html = tmp_path / "report.md", tmp_path / "index.html"
    assert ReportRun(markdown=md, html=html).page == html
    assert ReportRun(markdown=md).page == md
