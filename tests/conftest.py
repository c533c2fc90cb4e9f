"""Shared pytest fixtures and options.

Fixtures used by one test module only live in that module.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

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


@pytest.fixture
def features_df() -> pd.DataFrame:
    """A 12-row feature table: 3 numeric features, 2 classes, V/A on 1..9, artists."""
    import pandas as pd

    rng = np.random.default_rng(7)
    n = 12
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
