"""``mer-classic report RUN --open`` without a working browser: one line, no noise.

Each case runs the real CLI in a fresh process (Python's :mod:`webbrowser` builds
its registry once per process) with a ``PATH`` that holds only the fake helpers
written here, and ``BROWSER``/``DISPLAY`` set as the case needs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

NOISE = "xdg-open: no method available for opening"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import pandas as pd

    from mer_classic._table import load_table
    from mer_classic.report import write_run
    from mer_classic.training import train

    df = pd.DataFrame(
        {"f1": [0.0, 1, 2, 3, 10, 11, 12, 13], "y": ["a"] * 4 + ["b"] * 4}
    )
    res = train(load_table(df, target="y"), model="logreg", cv=2, grid=False)
    d = tmp_path_factory.mktemp("open") / "run"
    write_run(res, d)
    return d


def _script(folder: Path, name: str, body: str) -> Path:
    p = folder / name
    p.write_text("#!/bin/sh\n" + body)
    p.chmod(0o755)
    return p


def _report(run_dir: Path, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY", "PATH")
    }
    return subprocess.run(
        [sys.executable, "-m", "mer_classic", "report", str(run_dir), "--open"],
        env={**base, "PATH": str(tmp_path / "bin"), "TERM": "xterm", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    b = tmp_path / "bin"
    b.mkdir()
    # what xdg-open prints on a machine without any browser (seven lines of it)
    _script(
        b, "xdg-open", f"for i in 1 2 3 4 5 6 7; do echo '{NOISE}' >&2; done\nexit 3\n"
    )
    return b


@pytest.mark.slow
def test_no_browser_says_so_once_and_prints_the_path(run_dir, tmp_path, bin_dir):
    r = _report(run_dir, tmp_path)
    assert r.returncode == 0, r.stderr
    assert NOISE not in r.stderr + r.stdout
    line = f"no web browser found; open the page yourself: {run_dir / 'index.html'}"
    assert r.stderr.strip().splitlines() == [line]


@pytest.mark.slow
def test_a_failing_browser_is_silenced_and_reported(run_dir, tmp_path, bin_dir):
    bad = _script(bin_dir, "nobrowser", f"echo '{NOISE}' >&2\nexit 1\n")
    r = _report(run_dir, tmp_path, BROWSER=str(bad))
    assert r.returncode == 0, r.stderr
    assert NOISE not in r.stderr
    assert "no web browser found" in r.stderr


@pytest.mark.slow
def test_a_working_browser_gets_the_page(run_dir, tmp_path, bin_dir):
    seen = tmp_path / "seen.txt"
    ok = _script(bin_dir, "okbrowser", f'echo "$1" > {seen}\n')
    r = _report(run_dir, tmp_path, BROWSER=f"{ok} %s")
    assert r.returncode == 0, r.stderr
    assert "no web browser" not in r.stderr
    assert seen.read_text().strip() == (run_dir / "index.html").resolve().as_uri()
