"""A full disk (``ENOSPC``) while a command writes: one ``Error:`` line, old outputs intact.

The disk is "filled" by making the atomic writer's final ``os.replace`` (and, for
folders, ``os.rename``) raise ``OSError(errno.ENOSPC, ...)`` for targets under the
test's folder, which is where a real full disk makes the last step fail.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic._io import atomic_dir, atomic_path, write_text_atomic
from mer_classic.exceptions import ConfigError, NoSpaceError


def _full_disk(monkeypatch: pytest.MonkeyPatch, under: Path) -> None:
    """Make renames onto paths under ``under`` fail with ENOSPC."""
    real_replace, real_rename = os.replace, os.rename

    def failing(real):
        def op(src, dst, *args, **kwargs):
            if str(dst).startswith(str(under)):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(src))
            return real(src, dst, *args, **kwargs)

        return op

    monkeypatch.setattr(os, "replace", failing(real_replace))
    monkeypatch.setattr(os, "rename", failing(real_rename))


def _snapshot(path: Path) -> dict[str, bytes]:
    if path.is_file():
        return {path.name: path.read_bytes()}
    return {
        str(p.relative_to(path)): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def _no_temporaries(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if ".tmp" in p.name]


def _expect_disk_full(res, target: Path) -> None:
    assert res.exit_code == 1, res.output
    assert res.output.endswith(
        f"Error: no space left on device writing {target}; nothing was replaced\n"
    ), res.output
    assert "Traceback" not in res.output


# ------------------------------------------------------------------ the helpers
def test_atomic_path_names_the_target_and_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out" / "a.txt"
    write_text_atomic(target, "old")
    _full_disk(monkeypatch, tmp_path)
    with pytest.raises(NoSpaceError) as info:
        write_text_atomic(target, "new")
    err = info.value
    assert str(err) == f"no space left on device writing {target}; nothing was replaced"
    assert isinstance(err, OSError) and isinstance(err, ConfigError)
    assert err.errno == errno.ENOSPC and err.filename == str(target)
    assert target.read_text() == "old" and _no_temporaries(tmp_path) == []


def test_a_write_error_inside_the_block_becomes_no_space_error(tmp_path):
    target = tmp_path / "b.bin"
    with pytest.raises(NoSpaceError, match="writing .*b.bin; nothing was replaced"):
        with atomic_path(target):
            raise OSError(errno.ENOSPC, "No space left on device")
    assert not target.exists() and _no_temporaries(tmp_path) == []


def test_atomic_dir_names_the_folder_not_the_file_inside(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "old.txt").write_text("old")
    with pytest.raises(NoSpaceError) as info:
        with atomic_dir(run, force=True) as tmp:
            write_text_atomic(tmp / "x.txt", "x")
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp / "y"))
    assert info.value.filename == str(run)
    assert _snapshot(run) == {"old.txt": b"old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_other_os_errors_are_not_renamed(tmp_path):
    with pytest.raises(PermissionError):
        with atomic_path(tmp_path / "c"):
            raise PermissionError(errno.EACCES, "denied")


def test_no_space_error_survives_pickling():
    import pickle

    err = pickle.loads(pickle.dumps(NoSpaceError("/x/y.csv")))
    assert str(err) == "no space left on device writing /x/y.csv; nothing was replaced"


# ------------------------------------------------------------------ every command
@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def table(tmp_path, make_features_df):
    data = tmp_path / "features.csv"
    make_features_df(24, 3).to_csv(data, index=False)
    return data


def _train(runner, data: Path, out: Path, *extra: str):
    return runner.invoke(
        main,
        ["train", "--model", "logreg", "--data", str(data), "--target", "label"]
        + ["--id", "track_id", "--no-grid", "--cv", "3", "-q", "--out", str(out)]
        + list(extra),
    )


def test_train_new_run_on_a_full_disk(runner, tmp_path, table, monkeypatch):
    out = tmp_path / "reports" / "run"
    _full_disk(monkeypatch, tmp_path / "reports")
    _expect_disk_full(_train(runner, table, out), out)
    assert not out.exists() and _no_temporaries(tmp_path) == []


@pytest.mark.slow
def test_train_force_on_a_full_disk_keeps_the_old_run(
    runner, tmp_path, table, monkeypatch
):
    out = tmp_path / "reports" / "run"
    assert _train(runner, table, out).exit_code == 0
    before = _snapshot(out)
    _full_disk(monkeypatch, tmp_path / "reports")
    _expect_disk_full(_train(runner, table, out, "--force"), out)
    assert _snapshot(out) == before and _no_temporaries(tmp_path) == []


@pytest.mark.slow
def test_evaluate_and_report_on_a_full_disk(runner, tmp_path, table, monkeypatch):
    run = tmp_path / "run"
    assert _train(runner, table, run).exit_code == 0
    ev = tmp_path / "reports" / "ev"
    res = runner.invoke(
        main,
        ["evaluate", "--model", str(run), "--data", str(table), "--target", "label"]
        + ["--out", str(ev)],
    )
    assert res.exit_code == 0, res.output
    before_ev, before_run = _snapshot(ev), _snapshot(run)
    _full_disk(monkeypatch, tmp_path)
    res = runner.invoke(
        main,
        ["evaluate", "--model", str(run), "--data", str(table), "--target", "label"]
        + ["--out", str(ev), "--force"],
    )
    _expect_disk_full(res, ev)
    assert _snapshot(ev) == before_ev
    res = runner.invoke(main, ["report", str(run)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.output.startswith(f"Error: no space left on device writing {run}")
    assert res.output.endswith("; nothing was replaced\n")
    assert _snapshot(run) == before_run and _no_temporaries(tmp_path) == []


def test_extract_on_a_full_disk(runner, tmp_path, monkeypatch):
    audio = tmp_path / "audio"
    audio.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        sf.write(audio / f"c{i}.wav", rng.normal(scale=0.1, size=22050 * 2), 22050)
    out = tmp_path / "feat" / "features.csv"
    out.parent.mkdir()
    out.write_text("old\n")
    _full_disk(monkeypatch, tmp_path / "feat")
    res = runner.invoke(
        main, ["extract", str(audio), "--out", str(out), "--force", "-q"]
    )
    _expect_disk_full(res, out)
    assert out.read_text() == "old\n" and _no_temporaries(tmp_path) == []


def test_fetch_on_a_full_disk(runner, tmp_path, monkeypatch):
    monkeypatch.delenv("SPOTIPY_CLIENT_ID", raising=False)
    table = tmp_path / "moods.csv"
    table.write_text(
        "name,artist,id,mood\nA,Ann,0000000000000000000001,Calm\n"
        "B,Bob,0000000000000000000002,Sad\n"
    )
    out = tmp_path / "raw"
    args = ["fetch", "--tracks", str(table), "--offline", "--out", str(out)]
    assert runner.invoke(main, args).exit_code == 0
    before = _snapshot(out)
    _full_disk(monkeypatch, out)
    res = runner.invoke(main, [*args, "--force"])
    assert res.exit_code == 1 and "Traceback" not in res.output, res.output
    assert res.output.startswith(f"Error: no space left on device writing {out}")
    assert res.output.endswith("; nothing was replaced\n")
    assert _snapshot(out) == before


def test_row_sink_names_the_output_when_its_part_files_fill_the_disk(tmp_path):
    """The one place that renames a full disk for extract is the RowSink (issue 21):
    a write to the part file or its index raises NoSpaceError naming the output."""
    from mer_classic.features._sink import RowSink

    out = tmp_path / "features.csv"
    sink = RowSink(out, {"settings": {}, "header": "h\n"}, resume=False)

    class Full:
        def tell(self):
            return 0

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def flush(self):
            pass

        def close(self):
            pass

    sink._fh.close()
    sink._fh = Full()
    with pytest.raises(NoSpaceError) as info:
        sink.append("a", "a,1\n", 1)
    assert info.value.filename == str(out) and "a" not in sink.blocks
    sink.close()
