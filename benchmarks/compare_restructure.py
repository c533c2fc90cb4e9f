"""Re-run extraction/train/predict commands and compare their outputs byte for byte.

Used to check that a pure restructuring keeps behaviour: run once with the old
code (``--tag before``), once with the new (``--tag after``), then ``--compare``.
Outputs live outside the repo (default ``/tmp/arch-ref``); the output folder name
is replaced by ``<OUT>`` in every file before comparing, and the files that carry
timestamps (run folders' metrics/report) are not compared, only the predictions
made with the model trained in the same run.

Usage::

    python benchmarks/compare_restructure.py --tag before
    python benchmarks/compare_restructure.py --tag after
    python benchmarks/compare_restructure.py --compare before after

Skips (exit 0, with a message) when the shared data folder is absent.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent.parent / "shared" / "data"
if not DATA.is_dir():
    DATA = REPO.parent / "shared" / "data"
BUNDLED = REPO / "mer_classic" / "data" / "brahms_hungarian_dance_5_excerpt.ogg"
EXE = Path(sys.executable).with_name("mer-classic")


def _inputs(root: Path) -> Path:
    """Symlink 2 clips per 4Q quadrant and 2 librosa examples under root/clips."""
    clips = root / "clips"
    if clips.is_dir():
        return clips
    for q in ("Q1", "Q2", "Q3", "Q4"):
        (clips / q).mkdir(parents=True)
        for p in sorted((DATA / "4q-dev" / q).glob("*.mp3"))[:2]:
            (clips / q / p.name).symlink_to(p)
    ex = clips / "Q1"
    for p in sorted((DATA / "librosa-example-music" / "audio").glob("*[!q].ogg"))[:2]:
        (ex / p.name).symlink_to(p)
    return clips


def _run(args: list[str], log) -> int:
    proc = subprocess.run(
        [str(EXE), *args], capture_output=True, text=True, cwd=REPO, check=False
    )
    log.write(f"$ mer-classic {' '.join(args)}\nexit {proc.returncode}\n")
    log.write(proc.stdout)
    return proc.returncode


def run(root: Path, tag: str) -> None:
    clips = _inputs(root)
    out = root / tag
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    nc = ["--no-cache", "-q"]
    with open(out / "log.txt", "w") as log:
        _run(["extract", str(BUNDLED), "-o", str(out / "bundled.csv"), *nc], log)
        _run(
            [
                "extract",
                str(BUNDLED),
                "--features",
                "all",
                "-o",
                str(out / "bundled_all.csv"),
                *nc,
            ],
            log,
        )
        _run(
            [
                "extract",
                str(clips),
                "--label-from-folder",
                "-o",
                str(out / "clips.csv"),
                *nc,
            ],
            log,
        )
        _run(
            [
                "extract",
                str(clips),
                "--label-from-folder",
                "--features",
                "all",
                "-o",
                str(out / "clips_all.csv"),
                *nc,
            ],
            log,
        )
        _run(
            [
                "extract",
                str(clips),
                "--segment",
                "0.5",
                "-o",
                str(out / "clips_seg.csv"),
                *nc,
            ],
            log,
        )
        _run(
            [
                "extract",
                str(clips),
                "--segment",
                "0.5",
                "--features",
                "all",
                "--duration",
                "10",
                "-o",
                str(out / "clips_seg_all.csv"),
                *nc,
            ],
            log,
        )
        _run(
            [
                "extract",
                str(clips),
                "--label-from-folder",
                "--jobs",
                "2",
                "-o",
                str(out / "clips_jobs2.csv"),
                *nc,
            ],
            log,
        )
        _run(
            [
                "extract",
                str(clips),
                "--label-from-folder",
                "--scheduler",
                "local",
                "-o",
                str(out / "clips_dask.csv"),
                *nc,
            ],
            log,
        )
        _run(
            [
                "train",
                "--model",
                "logreg",
                "--data",
                str(out / "clips.csv"),
                "--target",
                "label",
                "--cv",
                "2",
                "--no-grid",
                "--no-smote",
                "--out",
                str(out / "run"),
            ],
            log,
        )
        _run(
            [
                "predict",
                "--model",
                str(out / "run"),
                str(clips),
                "--out",
                str(out / "pred.csv"),
                "-q",
            ],
            log,
        )
        _run(
            [
                "predict",
                "--model",
                str(out / "run"),
                str(clips / "Q2"),
                "--segments",
                "--out",
                str(out / "pred_seg.csv"),
                "-q",
            ],
            log,
        )
    # the run folder holds timestamps: keep only its model-free parts out of it
    keep = out / "run_kept"
    keep.mkdir()
    for name in ("model.json",):
        p = out / "run" / name
        if p.exists():
            shutil.copy(p, keep / name)
    shutil.rmtree(out / "run", ignore_errors=True)
    print(f"wrote {out}")


def _files(d: Path) -> dict[str, Path]:
    return {
        str(p.relative_to(d)): p
        for p in sorted(d.rglob("*"))
        if p.is_file()
        and p.suffix in {".csv", ".txt", ".json"}
        and "run_kept" not in p.parts
    }


def compare(root: Path, a: str, b: str) -> int:
    fa, fb = _files(root / a), _files(root / b)
    bad = 0
    for name in sorted(set(fa) | set(fb)):
        if name not in fa or name not in fb:
            print(f"MISSING  {name}")
            bad += 1
            continue
        ta = fa[name].read_text().replace(str(root / a), "<OUT>")
        tb = fb[name].read_text().replace(str(root / b), "<OUT>")
        ok = ta == tb
        bad += not ok
        print(f"{'SAME    ' if ok else 'DIFFERENT'} {name} ({len(ta)} bytes)")
    print(f"{len(fa)} files compared, {bad} different")
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=Path("/tmp/arch-ref"))
    ap.add_argument("--tag")
    ap.add_argument("--compare", nargs=2, metavar=("A", "B"))
    args = ap.parse_args()
    if not (DATA / "4q-dev").is_dir():
        print(f"skipped: {DATA / '4q-dev'} is absent")
        return 0
    if args.compare:
        return compare(args.root, *args.compare)
    run(args.root, args.tag or "run")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
