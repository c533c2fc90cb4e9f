"""CLI texts of issue 21: the model-file warning and the "nothing extracted" hint."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic.features._batch import no_rows_error
from mer_classic.features._inputs import Inputs


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_model_option_says_the_file_is_a_pickle_that_runs_code(command):
    res = CliRunner().invoke(main, [command, "--help"])
    assert res.exit_code == 0
    text = " ".join(res.output.split())
    option = text[text.index("--model PATH") : text.index("[required]")]
    assert "is a pickle: loading it runs code" in option
    assert "only models you made or trust" in option
    assert "detects corruption, not malice" in option


def test_nothing_extracted_without_a_fetch_hint_is_one_sentence():
    err = no_rows_error(Inputs(tracks=[], csvs=[]), [])
    assert str(err) == (
        "no features extracted, so nothing was written: no audio file was found. "
        "To get audio: pass audio files or folders to `mer-classic extract`"
    )
    assert not re.search(r": or\b", str(err))


@pytest.mark.slow
def test_nothing_extracted_from_undecodable_files_cli(tmp_path):
    folder = tmp_path / "audio"
    folder.mkdir()
    (folder / "x.wav").write_bytes(b"RIFF not really a wav")
    res = CliRunner().invoke(
        main, ["extract", str(folder), "--out", str(tmp_path / "f.csv"), "-q"]
    )
    assert res.exit_code == 1, res.output
    assert res.output.startswith("Error: no features extracted, so nothing was written")
    assert res.output.endswith(
        ". To get audio: pass audio files or folders to `mer-classic extract`\n"
    )
