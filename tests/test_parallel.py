"""Tests for mer_classic.parallel: joblib backends, local or on a real Dask cluster."""

from __future__ import annotations

import os
import socket
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from joblib import Parallel, delayed

from mer_classic._table import load_table
from mer_classic.exceptions import ConfigError, ParameterError
from mer_classic.parallel import (
    DASK_INSTALL_HINT,
    check_scheduler,
    dask_client,
    joblib_backend,
    require_dask,
)
from mer_classic.training import train

INSTALL = r'pip install "mer-classic\[dask\]"'


def _needs_dask() -> None:
    pytest.importorskip(
        "distributed",
        reason='dask.distributed is not installed (pip install "mer-classic[dask]")',
    )


@pytest.fixture(scope="module")
def table():
    """90 rows, 3 classes, 4 features, 15 artist groups."""
    rng = np.random.default_rng(5)
    n = 90
    label = np.array(["happy", "sad", "calm"] * (n // 3))
    shift = pd.Series(label).map({"happy": 1.0, "sad": -1.0, "calm": 0.0}).to_numpy()
    df = pd.DataFrame(
        {
            "track_id": [f"t{i:03d}" for i in range(n)],
            "artist": [f"a{i % 15}" for i in range(n)],
            "f1": rng.normal(size=n) + 1.5 * shift,
            "f2": rng.normal(size=n) - shift,
            "f3": rng.normal(size=n),
            "f4": rng.normal(size=n) * shift,
            "label": label,
        }
    )
    return load_table(df, target="label", group="artist", id="track_id")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("local", "local"),
        (" Local ", "local"),
        ("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786"),
        ("tls://sched:8786", "tls://sched:8786"),
        ("127.0.0.1:8786", "tcp://127.0.0.1:8786"),
    ],
)
def test_check_scheduler_accepts(value, expected):
    assert check_scheduler(value) == expected


@pytest.mark.parametrize("value", ["", "cluster", "http://host:8786", "host:port", 5])
def test_check_scheduler_refuses_with_advice(value):
    with pytest.raises(ParameterError, match=r"'local' or a Dask scheduler address"):
        check_scheduler(value)


def test_no_scheduler_keeps_joblib_local():
    with joblib_backend(None) as backend:
        pids = Parallel(n_jobs=2)(delayed(os.getpid)() for _ in range(4))
    assert backend == "loky"
    assert os.getpid() not in pids  # loky worker processes


def test_missing_dask_raises_importerror_with_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=INSTALL):
        require_dask()
    with pytest.raises(ImportError, match=INSTALL), joblib_backend("local"):
        pass  # pragma: no cover - never entered
    assert INSTALL.replace("\\", "") in DASK_INSTALL_HINT


def test_train_cli_without_dask_says_how_to_install(monkeypatch, tmp_path):
    from mer_classic.cli.main import main

    monkeypatch.setitem(sys.modules, "distributed", None)
    res = CliRunner().invoke(
        main,
        [
            "train",
            "--model",
            "logreg",
            "--scheduler",
            "local",
            "--out",
            str(tmp_path / "r"),
        ],
    )
    assert res.exit_code == 1
    assert res.output == f"Error: {DASK_INSTALL_HINT}\n"
    assert not (tmp_path / "r").exists()


def test_train_cli_refuses_a_bad_scheduler(tmp_path):
    from mer_classic.cli.main import main

    res = CliRunner().invoke(
        main, ["train", "--scheduler", "cluster9", "--out", str(tmp_path / "r")]
    )
    assert res.exit_code == 1
    assert res.output.startswith("Error: scheduler must be 'local' or a Dask scheduler")


def test_unreachable_scheduler_is_a_config_error():
    _needs_dask()
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with (
        pytest.raises(ConfigError, match="cannot connect to the Dask scheduler"),
        dask_client(f"tcp://127.0.0.1:{port}", timeout=1),
    ):
        pass  # pragma: no cover


def test_dask_backend_runs_joblib_tasks_on_the_cluster(cluster):
    with joblib_backend(cluster.scheduler_address) as backend:
        pids = set(Parallel(n_jobs=-1)(delayed(os.getpid)() for _ in range(8)))
    assert backend == "dask"
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


@pytest.mark.parametrize(("model", "grid"), [("svm", True), ("logreg", False)])
@pytest.mark.slow
def test_train_on_dask_gives_the_local_results(cluster, table, model, grid):
    """Nested grid search (dask runs the grid) and fold-parallel CV (dask runs folds)."""
    kw = dict(model=model, task="classify", cv=3, seed=7, grid=grid, smote=True)
    local = train(table, n_jobs=1, **kw)
    remote = train(table, scheduler=cluster.scheduler_address, **kw)
    pd.testing.assert_series_equal(local.cv.predictions, remote.cv.predictions)
    assert local.cv.fold_params == remote.cv.fold_params
    assert local.best_params == remote.best_params
    assert local.metrics["f1_macro"] == remote.metrics["f1_macro"]
    np.testing.assert_array_equal(
        local.estimator.predict(table.X), remote.estimator.predict(table.X)
    )
    assert remote.settings["scheduler"] == cluster.scheduler_address
    if grid:
        assert len(local.best_params) == 3  # C, gamma, kernel were searched


@pytest.mark.slow
def test_train_cli_with_scheduler(cluster, table, tmp_path):
    from mer_classic.cli.main import main

    csv = tmp_path / "t.csv"
    pd.concat([table.X, table.y, table.groups], axis=1).to_csv(csv)
    res = CliRunner().invoke(
        main,
        [
            "train",
            "--model",
            "logreg",
            "--no-grid",
            "--data",
            str(csv),
            "--target",
            "label",
            "--group",
            "artist",
            "--cv",
            "3",
            "--scheduler",
            cluster.scheduler_address,
            "--out",
            str(tmp_path / "run"),
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    assert f"ran on the Dask scheduler {cluster.scheduler_address!r}" in res.output
    assert (tmp_path / "run" / "model.joblib").is_file()


@pytest.mark.slow
def test_local_scheduler_starts_and_closes_a_cluster():
    _needs_dask()
    from distributed import default_client

    with joblib_backend("local", n_workers=1) as backend:
        client = default_client()
        assert backend == "dask"
        assert list(client.nthreads().values()) == [1]
        assert Parallel(n_jobs=-1)(delayed(pow)(i, 2) for i in range(4)) == [0, 1, 4, 9]
    assert client.status == "closed"
