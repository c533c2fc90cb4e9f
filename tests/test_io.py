"""Atomic writes (_io): modes under the umask, the final rename of run folders,
stale temporaries of killed runs, and the writability check."""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import pytest
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic import _io
from mer_classic._io import (
    atomic_dir,
    atomic_open,
    atomic_path,
    check_writable,
    remove_stale_temporaries,
    write_csv_atomic,
    write_text_atomic,
)
from mer_classic.exceptions import ConfigError
from mer_classic.report._write import run_folder


@contextlib.contextmanager
def umask(value):
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize(
    ("mask", "file_mode", "dir_mode"), [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)]
)
def test_outputs_honour_the_umask(tmp_path, features_df, mask, file_mode, dir_mode):
    with umask(mask):
        write_text_atomic(tmp_path / "a.txt", "x")
        write_csv_atomic(features_df, tmp_path / "f.csv")
        with atomic_open(tmp_path / "b.bin", "wb") as fh:
            fh.write(b"x")
        with run_folder(tmp_path / "run") as tmp:
            write_text_atomic(tmp / "metrics.json", "{}")
        write_text_atomic(tmp_path / "a.txt", "replaced")  # a rewrite too
    for name in ("a.txt", "f.csv", "b.bin", "run/metrics.json"):
        assert mode(tmp_path / name) == file_mode, name
    assert mode(tmp_path / "run") == dir_mode


def test_explicit_private_mode(tmp_path):
    with umask(0o022), atomic_path(tmp_path / "secret", mode=0o600) as tmp:
        tmp.write_text("token")
    assert mode(tmp_path / "secret") == 0o600


def test_spotify_token_cache_stays_private(tmp_path):
    from mer_classic.fetch._token_cache import FileTokenCache

    with umask(0o022):
        FileTokenCache(tmp_path / "token.json").save_token_to_cache({"a": 1})
    assert mode(tmp_path / "token.json") == 0o600


def test_final_rename_refuses_a_folder_that_appeared_meanwhile(tmp_path):
    """Two runs to the same --out: the one finishing second fails, nothing lost."""
    target = tmp_path / "run"
    with pytest.raises(ConfigError, match="appeared while this run was working"):
        with run_folder(target) as tmp:
            (tmp / "mine.txt").write_text("second")
            with run_folder(target) as other:  # a concurrent run finishes first
                (other / "theirs.txt").write_text("first")
    assert sorted(p.name for p in target.iterdir()) == ["theirs.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no temporaries


def test_final_rename_refuses_an_empty_folder_too(tmp_path):
    target = tmp_path / "run"
    with pytest.raises(ConfigError, match="appeared"), atomic_dir(target):
        target.mkdir()
    assert target.is_dir() and not list(target.iterdir())


def test_force_replaces_without_leftovers(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with run_folder(target, force=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_remove_stale_temporaries_rule(tmp_path):
    host = _io._host_tag()
    other = "000000" if host != "000000" else "111111"
    dead = _dead_pid()
    old = time.time() - 2 * _io.STALE_AGE

    def make(name, *, folder=True, age=None, marker="model.joblib"):
        p = tmp_path / name
        if folder:
            p.mkdir()
            if marker:
                (p / marker).write_text("x")
        else:
            p.write_text("x")
        if age is not None:
            os.utime(p, (age, age))
        return p

    gone = [
        make(f".r.{dead}-{host}-abcdefgh.tmpdir"),
        make(f".tone.mp3.{dead}-{host}-abcdefgh.tmp", folder=False),
        make(f".r.{dead}-{host}-abcdefgh.old", marker="run"),
        make(f".r.1-{other}-abcdefgh.tmpdir", age=old),  # other host, old
        make(".r.ab_cd123", age=old),  # legacy mkdtemp run folder, old
        make(".x.csv.ab_cd123.tmp", folder=False, age=old),  # legacy mkstemp file
    ]
    kept = [
        make(f".r.{os.getpid()}-{host}-abcdefgh.tmpdir", age=old),  # live owner
        make(f".r.1-{other}-ijklmnop.tmpdir"),  # other host, fresh
        make(".r.ab_cd123x"),  # not our pattern
        make(".cache.abcdefgh", age=old, marker=None),  # legacy-like, no run files
        make(".r.zz_cd123", marker="model.joblib"),  # legacy, fresh
        make("r.1-abcdef-abcdefgh.tmpdir", age=old),  # not hidden
        make(".backup.20240101", age=old, marker="metrics.json"),  # a user's
        make(".x.csv.abcdefgh.tmp", folder=False, age=old),  # no digit: not tempfile's
    ]
    removed = remove_stale_temporaries(tmp_path)
    assert sorted(removed) == sorted(gone)
    assert all(p.exists() for p in kept) and not any(p.exists() for p in gone)


def test_killed_run_leaves_temporaries_that_the_next_run_removes(tmp_path):
    code = textwrap.dedent(
        f"""
        import os, signal
        from mer_classic.report._write import run_folder
        with run_folder({str(tmp_path / "run")!r}) as tmp:
            (tmp / "model.joblib").write_bytes(b"x" * 1000)
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path)
    assert proc.returncode == -signal.SIGKILL
    left = [p for p in tmp_path.iterdir() if p.name.startswith(".run.")]
    assert len(left) == 1 and (left[0] / "model.joblib").exists()
    with run_folder(tmp_path / "run") as tmp:
        (tmp / "metrics.json").write_text("{}")
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_check_writable(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ConfigError, match=r"file\.txt' is a file, not a folder"):
        check_writable(tmp_path / "file.txt" / "run")
    check_writable(tmp_path / "new" / "deeper" / "run")  # creatable: fine
    assert not (tmp_path / "new").exists()


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root ignores file permissions; the file-path case covers root",
)
def test_check_writable_read_only_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    try:
        with pytest.raises(ConfigError, match="no write permission"):
            check_writable(ro / "run")
    finally:
        ro.chmod(0o700)


@pytest.fixture
def model_dir(tmp_path, features_df):
    from mer_classic._persistence._files import save_model
    from mer_classic._table import load_table
    from mer_classic.training import train

    t = load_table(features_df, target="label", group="artist", id="track_id")
    res = train(t, model="logreg", cv=2, grid=False, seed=0)
    meta = {"model": "logreg", "task": "classify", "target": "label"}
    save_model(res.estimator, tmp_path / "m", meta)
    features_df.to_csv(tmp_path / "f.csv", index=False)
    (tmp_path / "file.txt").write_text("x")
    return tmp_path / "m"


def test_commands_check_writability_before_work(model_dir, monkeypatch):
    import mer_classic.training

    def no_work(*a, **k):  # pragma: no cover - reached only on failure
        raise AssertionError("work started before the output was checked")

    monkeypatch.setattr(mer_classic.training, "train", no_work)
    base = model_dir.parent
    bad = str(base / "file.txt" / "out")
    data = str(base / "f.csv")
    runs = {
        "train": ["train", "--data", data, "--target", "label", "--out", bad],
        "predict": ["predict", "--model", str(model_dir), "--data", data, "--out", bad],
        "evaluate": [
            "evaluate", "--model", str(model_dir), "--data", data,
            "--target", "label", "--out", bad,
        ],
    }  # fmt: skip
    for name, args in runs.items():
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 1, (name, res.output)
        assert res.output.startswith("Error: cannot write"), (name, res.output)
        assert "is a file, not a folder" in res.output


def test_report_checks_writability(tmp_path, monkeypatch):
    import mer_classic.report._markdown as rr

    (tmp_path / "run").mkdir()
    monkeypatch.setattr(rr, "read_run", lambda d: ({}, {}))
    monkeypatch.setattr(os, "access", lambda p, m, **k: False)
    with pytest.raises(ConfigError, match="no write permission"):
        rr.render_report(tmp_path / "run")
