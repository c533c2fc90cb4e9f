"""Shared pytest fixtures and options.

Fixtures used by one test module only live in that module. The real Dask
``cluster`` is shared by test_parallel and test_distributed. The fetch tests'
fake Spotify (servers on 127.0.0.1) lives in ``_spotify_fake.py``; its fixtures
are here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from tests._spotify_fake import (
    CLIENT_ID,
    CLIENT_SECRET,
    Catalog,
    Cdn,
    FakeSpotify,
    mp3_bytes,
    pid,
    tid,
)

if TYPE_CHECKING:
    import pandas as pd

#: ../shared/data beside the repository (real data; absent on some machines)
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-network",
        action="store_true",
        default=False,
        help="run tests marked network",
    )


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    if config.getoption("--run-network"):
        return
    skip = pytest.mark.skip(reason="needs the internet; run with --run-network")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded random generator."""
    return np.random.default_rng(0)


@pytest.fixture
def shared_data() -> Path:
    """Path to ../shared/data, or skip the test with a reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (see README: Data)")
    return SHARED_DATA


@pytest.fixture
def tmp_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data folder set as MER_CLASSIC_DATA_DIR."""
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv("MER_CLASSIC_DATA_DIR", str(d))
    return d


def _features_table(n: int = 12, seed: int = 7) -> pd.DataFrame:
    """``n`` rows: 3 numeric features, 2 classes, V/A on 1..9, two tracks an artist."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    label = np.array(["happy", "sad"] * (n // 2))
    shift = np.where(label == "happy", 1.5, -1.5)
    return pd.DataFrame(
        {
            "track_id": [f"t{i:02d}" for i in range(n)],
            "artist": [f"a{i // 2}" for i in range(n)],
            "f1": rng.normal(size=n) + shift,
            "f2": rng.normal(size=n) - shift,
            "f3": rng.normal(size=n),
            "label": label,
            "valence": np.clip(5 + shift * 2 + rng.normal(scale=0.5, size=n), 1, 9),
            "arousal": np.clip(5 + rng.normal(scale=2, size=n), 1, 9),
        }
    )


@pytest.fixture
def features_df() -> pd.DataFrame:
    """A 12-row feature table: 3 numeric features, 2 classes, V/A on 1..9, artists."""
    return _features_table()


@pytest.fixture(scope="session")
def make_features_df():
    """The builder of ``features_df`` (``n``, ``seed``), for module-scoped fixtures."""
    return _features_table


def _train_csv(df: pd.DataFrame, folder: Path, *extra: str) -> tuple[Path, str]:
    from click.testing import CliRunner
    from mer_classic.cli.main import main

    data = folder / "features.csv"
    df.to_csv(data, index=False)
    out = folder / "run"
    args = ["train", "--model", "logreg", "--data", str(data), "--target", "label"]
    args += ["--id", "track_id", "--no-grid", "-q", "--out", str(out), *extra]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    return out, res.output


@pytest.fixture(scope="session")
def train_csv():
    """``train_csv(df, folder, *extra)``: ``mer-classic train`` (logreg, no grid) on ``df``.

    Writes ``folder/features.csv``, trains into ``folder/run`` with ``--target label
    --id track_id`` plus ``extra``, checks the exit code; returns the run folder and
    the output.
    """
    return _train_csv


@pytest.fixture(scope="module")
def cluster():
    """One real Dask LocalCluster (2 single-threaded worker processes) per module.

    Skips the test when dask.distributed is not installed.
    """
    pytest.importorskip(
        "distributed",
        reason='dask.distributed is not installed (pip install "mer-classic[dask]")',
    )
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        # the scheduler always serves HTTP (health checks); a free port, no dashboard
        dashboard_address=":0",
        scheduler_kwargs={"dashboard": False},
    ) as c:
        yield c


# ------------------------------------------------------------- fake Spotify (fetch)
@pytest.fixture(scope="module")
def mp3() -> bytes:
    return mp3_bytes()


@pytest.fixture
def cdn(mp3: bytes):
    server = Cdn(mp3)
    yield server
    server.close()


@pytest.fixture
def catalog(cdn: Cdn) -> Catalog:
    """calm: 120 entries over 3 pages (null/local/unavailable items, id and ISRC
    duplicates); sad: 6 entries with one label conflict; an empty playlist."""
    cat = Catalog(cdn)
    for n in range(1, 131):
        cat.add_track(n)
    cat.add_track(200, isrc="USX000000005")  # same recording as track 5, other id
    cat.add_track(201, preview=False)
    calm = [tid(n) for n in range(1, 111)]  # 110 tracks
    calm[10:10] = [None, "local", "unavailable"]  # 113
    calm += [tid(3), tid(4), tid(200), tid(201), tid(1), tid(2), tid(111)]  # 120
    cat.add_playlist(pid(1), calm, owned=True)
    sad = [tid(n) for n in (120, 121, 122, 123, 7, 120)]  # 7 conflicts with calm
    cat.add_playlist(pid(2), sad)
    cat.add_playlist(pid(3), [])
    return cat


@pytest.fixture
def spotify_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Start FakeSpotify servers on demand and point the env seams at them."""
    servers: list[FakeSpotify] = []
    monkeypatch.setenv("SPOTIPY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SPOTIPY_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("MER_CLASSIC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)

    def start(catalog: Catalog, profile: str = "legacy") -> FakeSpotify:
        fake = FakeSpotify(catalog, profile)
        monkeypatch.setenv("MER_CLASSIC_SPOTIFY_API_URL", fake.api_url)
        monkeypatch.setenv("MER_CLASSIC_SPOTIFY_TOKEN_URL", fake.token_url)
        servers.append(fake)
        return fake

    yield start
    for fake in servers:
        fake.close()
