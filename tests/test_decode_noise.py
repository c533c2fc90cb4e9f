"""An MP3 with junk in the middle of its stream (issue 21): listed as not decodable,
with neither a traceback nor libmpg123's notes on stderr (checked in a subprocess,
because those notes are written by the C library straight to file descriptor 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from mer_classic.exceptions import AudioError
from mer_classic.features._stream import iter_audio

NOISE = ("Illegal Audio-MPEG-Header", "Giving up", "resync", "Traceback", "libmpg123")


def _mp3(path: Path, seconds: float = 60.0) -> bytes:
    sr = 22050
    t = np.arange(int(sr * seconds)) / sr
    try:
        sf.write(path, 0.3 * np.sin(2 * np.pi * 440 * t), sr, format="MP3")
    except Exception as exc:  # libsndfile < 1.1 cannot write MPEG
        pytest.skip(f"this libsndfile cannot write MP3 ({exc})")
    return path.read_bytes()


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    """A 60 s MP3 whose middle third starts with 20 kB of random bytes."""
    data = _mp3(tmp_path / "clean.mp3")
    junk = np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8).tobytes()
    cut = len(data) // 3
    (tmp_path / "clean.mp3").unlink()
    bad = tmp_path / "audio" / "junk.mp3"
    bad.parent.mkdir()
    bad.write_bytes(data[:cut] + junk + data[cut + len(junk) :])
    return bad


def test_stream_read_failure_is_an_audio_error(damaged):
    with pytest.raises(AudioError, match="cannot decode junk.mp3: not a decodable"):
        for _ in iter_audio(damaged, block_seconds=5.0):
            pass


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.slow
def test_extract_keeps_stderr_clean_and_lists_the_file(damaged, tmp_path, jobs):
    _mp3(damaged.parent / "good.mp3", seconds=3.0)
    out = tmp_path / f"features-{jobs}.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "mer_classic", "extract", str(damaged.parent)]
        + ["--out", str(out), "--no-cache", "-q", "-j", jobs],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert out.exists(), proc.stderr
    for noise in NOISE:
        assert noise not in proc.stderr, proc.stderr
    errors = pd.read_csv(out.with_name(out.name.replace(".csv", ".errors.csv")))
    assert errors["track_id"].tolist() == ["junk"], errors
    assert "not a decodable audio file" in errors["reason"][0]
    assert "LibsndfileError" not in errors["reason"][0]
    assert pd.read_csv(out, index_col=0).index.tolist() == ["good"]
