"""The whole flow on synthetic audio: extract → train → model.json → predict from audio."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from mer_classic.cli.main import main

SR = 16000


def _clip(kind: str, i: int) -> np.ndarray:
    rng = np.random.default_rng(i)
    t = np.arange(int(2.0 * SR)) / SR
    if kind == "calm":  # soft low sine chords
        f0 = 110.0 * (1 + 0.05 * i)
        y = sum(np.sin(2 * np.pi * f0 * m * t) / m for m in (1, 1.25, 1.5)) * 0.2
    else:  # loud bright noise bursts at 4 Hz
        env = (np.sin(2 * np.pi * 4 * t) > 0).astype(float)
        y = rng.normal(scale=0.4, size=t.size) * env
    return (y + rng.normal(scale=0.005, size=t.size)).astype(np.float32)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    for kind in ("calm", "energetic"):
        (root / kind).mkdir()
        for i in range(6):
            sf.write(root / kind / f"{kind}{i}.wav", _clip(kind, i), SR)
    sf.write(root / "new_energetic.wav", _clip("energetic", 99), SR)
    return root


@pytest.mark.slow
def test_extract_train_predict(corpus, tmp_path):
    runner = CliRunner()
    feats = tmp_path / "features.csv"
    res = runner.invoke(
        main,
        [
            "extract",
            str(corpus / "calm"),
            str(corpus / "energetic"),
            "--label-from-folder",
            "--out",
            str(feats),
            "--sr",
            "16000",
            "--no-cache",
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    sidecar = json.loads((tmp_path / "features.csv.json").read_text())
    assert sidecar["settings"]["sr"] == 16000 and sidecar["n_tracks"] == 12

    run = tmp_path / "run"
    res = runner.invoke(
        main,
        [
            "train",
            "--model",
            "logreg",
            "--data",
            str(feats),
            "--target",
            "label",
            "--cv",
            "3",
            "--no-grid",
            "--out",
            str(run),
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    meta = json.loads((run / "model.json").read_text())
    assert meta["feature_settings"]["sr"] == 16000
    assert json.loads((run / "metrics.json").read_text())["accuracy"] == 1.0

    out = tmp_path / "pred.csv"
    res = runner.invoke(
        main,
        [
            "predict",
            "--model",
            str(run),
            str(corpus / "new_energetic.wav"),
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert "new_energetic" in text and ",energetic," in text
