"""Extraction on a real Dask LocalCluster: the same path as a local run
(``extract_to_csv(..., scheduler=...)``), with the same resumable row sink."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mer_classic.exceptions import ParameterError
from mer_classic.features import extract_to_csv
from mer_classic.features._batch import ExtractionResult
from mer_classic.features._sink import RowSink as _PartFile
from mer_classic.features._sink import part_paths

distributed = pytest.importorskip(
    "distributed",
    reason='dask.distributed is not installed (pip install "mer-classic[dask]")',
)

N_GOOD = 12


def test_one_extraction_path():
    """No second engine: the Dask run is extract_to_csv(scheduler=...); the shim
    mer_classic.distributed and mer_classic.features.distributed are gone."""
    import importlib.util

    assert importlib.util.find_spec("mer_classic.distributed") is None
    assert importlib.util.find_spec("mer_classic.features.distributed") is None


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 short clips in Q1/ and Q2/ (tones + noise) and one corrupt file."""
    import soundfile as sf

    root = tmp_path_factory.mktemp("audio")
    rng = np.random.default_rng(3)
    sr = 22050
    t = np.arange(int(2.5 * sr)) / sr
    for i in range(N_GOOD):
        folder = root / ("Q1" if i % 2 else "Q2")
        folder.mkdir(exist_ok=True)
        y = 0.3 * np.sin(2 * np.pi * (220 + 40 * i) * t) + 0.02 * rng.normal(
            size=t.size
        )
        sf.write(folder / f"clip{i:02d}.wav", y.astype(np.float32), sr)
    (root / "Q2" / "broken.wav").write_bytes(b"RIFF not really audio")
    return root


@pytest.fixture(scope="module")
def local_csv(audio_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference: the same folder extracted locally (1 process, no cache)."""
    from mer_classic.features import extract_to_csv

    out = tmp_path_factory.mktemp("local") / "features.csv"
    extract_to_csv([audio_dir], out, label_from_folder=True, n_jobs=1, cache_dir=None)
    return out


def _ids(path: Path) -> list[str]:
    return pd.read_csv(path)["track_id"].astype(str).tolist()


def test_matches_local_run_byte_for_byte(cluster, audio_dir, local_csv, tmp_path):
    out = tmp_path / "features.csv"
    res = extract_to_csv(
        [audio_dir], out, scheduler=cluster.scheduler_address, label_from_folder=True
    )
    assert isinstance(res, ExtractionResult)  # one result type for every run
    assert out.read_bytes() == local_csv.read_bytes()
    assert res.n_rows == N_GOOD and res.n_computed == N_GOOD and res.n_cached == 0
    # the error list: same file, same reason, same layout as the local run
    local_err = local_csv.with_name("features.errors.csv")
    assert (tmp_path / "features.errors.csv").read_bytes() == local_err.read_bytes()
    assert res.errors["track_id"].tolist() == ["broken"]
    local_json = local_csv.with_name("features.csv.json")  # the settings sidecar
    assert (tmp_path / "features.csv.json").read_bytes() == local_json.read_bytes()
    # the part files are gone once the final table is written
    assert not any(p.exists() for p in part_paths(out))


def test_cache_is_shared_with_local_runs(cluster, audio_dir, tmp_path):
    from mer_classic.features import extract_to_csv

    cache = tmp_path / "cache"
    extract_to_csv([audio_dir / "Q1"], tmp_path / "local.csv", cache_dir=cache)
    res = extract_to_csv(
        [audio_dir / "Q1"],
        tmp_path / "dist.csv",
        scheduler=cluster.scheduler_address,
        cache_dir=cache,
    )
    assert res.n_cached == N_GOOD // 2 and res.n_computed == 0
    assert (tmp_path / "dist.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()


def test_segment_mode_matches_local(cluster, audio_dir, tmp_path):
    from mer_classic.features import FeatureSettings, extract_to_csv

    files = sorted((audio_dir / "Q1").glob("*.wav"))[:2]
    s = FeatureSettings(segment=0.5, window=1.0)
    extract_to_csv(files, tmp_path / "local.csv", settings=s)
    res = extract_to_csv(
        files, tmp_path / "dist.csv", scheduler=cluster.scheduler_address, settings=s
    )
    assert res.n_rows > 2  # one row per 0.5 s step
    assert (tmp_path / "dist.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()


class _Stop(Exception):
    pass


def test_interrupted_run_resumes_without_recomputing(
    cluster, audio_dir, local_csv, tmp_path
):
    out = tmp_path / "features.csv"
    seen: list[str] = []

    def stop_after_three(track_id: str) -> None:
        seen.append(track_id)
        if len(seen) == 3:
            raise _Stop

    with pytest.raises(_Stop):
        extract_to_csv(
            [audio_dir],
            out,
            scheduler=cluster.scheduler_address,
            label_from_folder=True,
            on_result=stop_after_three,
        )
    assert not out.exists()
    part, idx, _ = part_paths(out)
    assert part.exists() and len(idx.read_text().splitlines()) <= 3
    done = len(idx.read_text().splitlines())
    res = extract_to_csv(
        [audio_dir], out, scheduler=cluster.scheduler_address, label_from_folder=True
    )
    assert res.n_resumed == done >= 2  # one of the three may be the corrupt file
    assert res.n_computed == N_GOOD - done
    assert out.read_bytes() == local_csv.read_bytes()


def test_changed_settings_do_not_resume(cluster, audio_dir, tmp_path):
    from mer_classic.features import FeatureSettings

    out = tmp_path / "f.csv"
    files = sorted((audio_dir / "Q1").glob("*.wav"))[:2]
    part = _PartFile(out, {"settings": "old", "header": "h\n"}, resume=False)
    part.append("clip01", "clip01,1\n", 1)
    part.close()
    res = extract_to_csv(
        files,
        out,
        scheduler=cluster.scheduler_address,
        settings=FeatureSettings(sr=16000),
    )
    assert res.n_resumed == 0 and res.n_computed == 2


def test_output_checked_first_and_no_rows_is_an_error(cluster, audio_dir, tmp_path):
    from mer_classic.exceptions import ConfigError, DataError

    out = tmp_path / "f.csv"
    out.write_text("precious\n")
    with pytest.raises(ConfigError, match="already exists"):
        extract_to_csv([audio_dir], out, scheduler=cluster.scheduler_address)
    assert out.read_text() == "precious\n" and not part_paths(out)[0].exists()
    broken = audio_dir / "Q2" / "broken.wav"
    with pytest.raises(DataError, match="no features extracted, so nothing was"):
        extract_to_csv(
            [broken], tmp_path / "g.csv", scheduler=cluster.scheduler_address
        )
    assert list(tmp_path.iterdir()) == [out]


def test_part_file_dedupes_and_drops_torn_blocks(tmp_path):
    out = tmp_path / "features.csv"
    state = {"settings": {"sr": 1}, "header": "track_id,f\n"}
    part = _PartFile(out, state, resume=True)
    part.append("a", "a,1.0\n", 1)
    part.append("b", "b,2.0\n", 1)
    part.append("a", "a,1.0\n", 1)  # a retried task delivering the same track again
    part.close()
    # a crash after writing a block but before indexing it leaves torn bytes
    with open(part_paths(out)[0], "ab") as fh:
        fh.write(b"c,3.")
    again = _PartFile(out, state, resume=True)
    assert sorted(again.blocks) == ["a", "b"]
    again.append("c", "c,3.0\n", 1)
    again.close()
    n = again.assemble(out, "track_id,f\n", ["c", "b", "a", "missing"])
    assert n == 3
    assert out.read_text() == "track_id,f\nc,3.0\nb,2.0\na,1.0\n"


def test_bad_arguments(tmp_path, audio_dir):
    with pytest.raises(ParameterError, match="scheduler must be"):
        extract_to_csv([audio_dir], tmp_path / "o.csv", scheduler="bogus")
    assert not (tmp_path / "o.csv").exists()


def test_missing_dask_names_the_install_command(monkeypatch, tmp_path, audio_dir):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r'pip install "mer-classic\[dask\]"'):
        extract_to_csv([audio_dir], tmp_path / "o.csv", scheduler="local")


def test_worker_killed_mid_extraction_loses_and_duplicates_nothing(
    cluster, audio_dir, local_csv, tmp_path
):
    """SIGKILL a busy worker after the first result: every row arrives exactly once."""
    scheduler = cluster.scheduler  # in this process: read who is busy, and their pids
    killed: list[int] = []

    def kill_busy_worker(track_id: str) -> None:
        if killed:
            return
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            busy = [ws for ws in list(scheduler.workers.values()) if ws.processing]
            if busy:
                ws = max(busy, key=lambda w: len(w.processing))
                os.kill(ws.pid, signal.SIGKILL)
                killed.append(ws.pid)
                return
            time.sleep(0.01)

    out = tmp_path / "features.csv"
    res = extract_to_csv(
        [audio_dir],
        out,
        scheduler=cluster.scheduler_address,
        label_from_folder=True,
        on_result=kill_busy_worker,
    )
    assert killed, "no worker was busy to kill"
    assert killed[0] not in [ws.pid for ws in scheduler.workers.values()]
    ids = _ids(out)
    assert len(ids) == len(set(ids)) == N_GOOD
    assert res.errors["track_id"].tolist() == ["broken"]
    assert out.read_bytes() == local_csv.read_bytes()


def test_cli_extract_on_a_running_cluster(cluster, audio_dir, local_csv, tmp_path):
    """`mer-classic extract --scheduler tcp://...` writes what the local run writes."""
    from click.testing import CliRunner
    from mer_classic.cli.main import main

    out = tmp_path / "dask.csv"
    res = CliRunner().invoke(
        main,
        [
            "extract",
            str(audio_dir),
            "--label-from-folder",
            "--out",
            str(out),
            "--no-cache",
            "--quiet",
            "--scheduler",
            cluster.scheduler_address,
        ],
    )
    assert res.exit_code == 3, res.output  # the corrupt file is reported, the rest done
    assert out.read_bytes() == local_csv.read_bytes()
    assert "broken" in (tmp_path / "dask.errors.csv").read_text()
