"""Packaging: the wheel ships only mer_classic (cli/ mapped to mer_classic.cli), the
console script works, and ``import mer_classic`` stays light."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    if res.returncode != 0:
        pytest.fail(f"wheel build failed:\n{res.stderr[-2000:]}")
    return next(out.glob("mer_classic-*.whl"))


@pytest.mark.slow
def test_wheel_top_level_is_only_mer_classic(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    tops = {
        n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")
    }
    assert tops == {"mer_classic"}
    for py in (ROOT / "cli").glob("*.py"):
        assert f"mer_classic/cli/{py.name}" in names
    # every subpackage of the source tree is listed in setup.cfg and so ships
    for init in (ROOT / "mer_classic").rglob("__init__.py"):
        rel = init.relative_to(ROOT).as_posix()
        assert rel in names, (
            f"{rel} missing from the wheel: add it to setup.cfg packages"
        )
    assert "mer_classic/data/soundtracks.csv" in names
    assert "mer_classic/data/SOUNDTRACKS_LICENSE.txt" in names
    top_level = [n for n in names if n.endswith("top_level.txt")]
    if top_level:
        with zipfile.ZipFile(wheel) as zf:
            assert zf.read(top_level[0]).decode().split() == ["mer_classic"]


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True
    )


def test_no_top_level_cli_module(tmp_path):
    assert _run("import cli", tmp_path).returncode != 0
    res = _run(
        "import mer_classic.cli, pathlib; print(pathlib.Path(mer_classic.cli.__file__)"
        ".parent)",
        tmp_path,
    )
    assert res.returncode == 0, res.stderr
    # editable installs resolve to the repo's cli/ folder; wheel installs to site-packages
    assert Path(res.stdout.strip()).name == "cli"


def test_import_is_light(tmp_path):
    code = (
        "import sys, mer_classic; heavy = [m for m in ('librosa', 'spotipy', 'matplotlib',"
        " 'dask', 'sklearn') if m in sys.modules]; print(heavy)"
    )
    res = _run(code, tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "argv", [["-m", "mer_classic", "--help"], ["-m", "mer_classic", "--version"]]
)
def test_module_entry_point(tmp_path, argv):
    res = subprocess.run(
        [sys.executable, *argv], cwd=tmp_path, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    assert "mer-classic" in res.stdout


def test_help_does_not_import_heavy_libraries(tmp_path):
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom mer_classic.cli.main import "
        "main\nr = CliRunner().invoke(main, ['--help'])\nassert r.exit_code == 0\n"
        "print([m for m in ('librosa', 'spotipy', 'matplotlib', 'sklearn') if m in "
        "sys.modules])"
    )
    res = _run(code, tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


#: most modules directly in mer_classic/ (STYLE.md section 1): a concern with several
#: files becomes a subpackage with a face
MAX_TOP_LEVEL_MODULES = 20


def test_top_level_stays_small():
    modules = sorted(p.name for p in (ROOT / "mer_classic").glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules


def test_no_import_cycles():
    """No cycle among the package's modules, lazy imports included."""
    tool = ROOT.parent / "shared" / "tools" / "import_cycles.py"
    if not tool.exists():
        pytest.skip(f"{tool} (the shared import-cycle finder) is not beside the repo")
    res = subprocess.run(
        [sys.executable, str(tool), str(ROOT)], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    cycles = [line for line in res.stdout.splitlines() if line.startswith("cycle:")]
    assert cycles == []


def test_pickled_classes_keep_their_import_paths():
    """Classes inside users' model.joblib files stay importable where they were."""
    from mer_classic._large_tables import SubsampledGridSearch  # noqa: F401
    from mer_classic._samplers import AdaptiveSMOTE  # noqa: F401
    from mer_classic.features._transformers import AudioFeatureExtractor  # noqa: F401
