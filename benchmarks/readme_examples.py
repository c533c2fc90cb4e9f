"""Run the README's example commands and record the numbers the README shows.

The README quotes outputs of its own commands: how long the Quick start's
``mer-classic train --model stacking`` takes and the accuracy it reaches on the
bundled data, and the 4-quadrant example (``extract`` with ``--metadata``,
artist-grouped ``train --model logreg``, ``predict`` on the bundled Brahms
excerpt). This script runs exactly those commands through the installed CLI (each
as a fresh process, in a scratch folder) and writes what they printed and scored to
``reports/benchmarks/readme/readme_examples.json``. ``tests/test_readme.py`` checks
that every figure the README shows matches that file, so after a change of the
features or the models, run this script again and copy the new figures into the
README (the test names each one that differs).

Usage (from the repository root)::

    python benchmarks/readme_examples.py [--json reports/benchmarks/readme/readme_examples.json]
        [--data-4q ../shared/data/4q-dev] [--keep DIR] [--jobs 1] [--keep-4q]

``--keep-4q`` re-runs only the Quick start and keeps the 4Q section of the existing
JSON, with the date it was recorded (``4q.recorded``).

When the 4Q folder is absent (it is research-only data, never in the repository) the
JSON records ``"4q": {"absent": true, "reason": ...}`` and the test skips the 4Q figures.
Run time: see the README's Quick start (the figure recorded as ``total_s``).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
DEFAULT_JSON = REPO / "reports" / "benchmarks" / "readme" / "readme_examples.json"
#: the bundled clip the README's predict example uses (path relative to the repo)
BRAHMS = "mer_classic/data/brahms_hungarian_dance_5_excerpt.ogg"


def _cli() -> list[str]:
    """The installed CLI, or ``python -m mer_classic`` from this interpreter."""
    exe = shutil.which("mer-classic")
    return [exe] if exe else [sys.executable, "-m", "mer_classic"]


def _shown(arg: str, work: Path) -> str:
    """An argument as the README would write it (relative paths, $WORK for scratch)."""
    if arg.startswith(str(work)):
        return "$WORK" + arg[len(str(work)) :]
    if arg.startswith("/"):
        return os.path.relpath(arg, REPO)
    return arg


def _run(args: list[str], *, cwd: Path, work: Path) -> dict[str, Any]:
    """Run one CLI command; return its output, wall and CPU seconds (fail loudly)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        _cli() + args, cwd=cwd, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    shown = "mer-classic " + " ".join(_shown(a, work) for a in args)
    print(f"$ {shown}  ({wall:.1f} s)", flush=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"command failed with exit {proc.returncode}: {args}")
    return {
        "command": shown,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "stdout": proc.stdout,
    }


def _classify_metrics(run_dir: Path) -> dict[str, Any]:
    m = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    n_classes = len(m["labels"])
    return {
        "accuracy": round(m["accuracy"], 3),
        "f1_macro": round(m["f1_macro"], 3),
        "n_rows": int(m["n"]),
        "classes": list(m["labels"]),
        "chance_accuracy": round(1 / n_classes, 3),
        # the dummy baselines the run measured on its own folds (metrics.json)
        "baseline_majority_accuracy": round(m["baseline"]["majority"]["accuracy"], 3),
        "baseline_majority_f1_macro": round(m["baseline"]["majority"]["f1_macro"], 3),
        "baseline_stratified_f1_macro": round(
            m["baseline"]["stratified"]["f1_macro"], 3
        ),
    }


def quick_start(work: Path) -> dict[str, Any]:
    """``mer-classic train --model stacking`` on the bundled data."""
    out = work / "quick-start"
    res = _run(
        ["train", "--model", "stacking", "-q", "--out", str(out)], cwd=REPO, work=work
    )
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    return {
        **{k: res[k] for k in ("command", "wall_s", "cpu_s")},
        **_classify_metrics(out),
        "group": run["data"].get("group"),
        "timings_s": {k: round(v, 1) for k, v in run.get("timings", {}).items()},
    }


def example_4q(work: Path, data: Path, jobs: int) -> dict[str, Any]:
    """The README's 4Q example: extract with metadata, grouped train, predict Brahms."""
    if not data.is_dir() or not (data / "metadata.csv").exists():
        return {
            "absent": True,
            "reason": f"{data} (with metadata.csv) not found: research-only data",
        }
    feats = work / "4q.csv"
    run_dir = work / "4q-logreg"
    ex = _run(
        [
            "extract",
            str(data),
            "--label-from-folder",
            "--metadata",
            str(data / "metadata.csv"),
            "-o",
            str(feats),
            "-q",
            "--jobs",
            str(jobs),
            "--cache-dir",
            str(work / "cache"),
        ],
        cwd=REPO,
        work=work,
    )
    tr = _run(
        [
            "train",
            "--model",
            "logreg",
            "--data",
            str(feats),
            "--target",
            "label",
            "--id",
            "track_id",
            "--group",
            "Artist",
            "--out",
            str(run_dir),
            "-q",
        ],
        cwd=REPO,
        work=work,
    )
    pr = _run(["predict", "--model", str(run_dir), BRAHMS, "-q"], cwd=REPO, work=work)
    rows = list(csv.DictReader(io.StringIO(pr["stdout"])))
    if len(rows) != 1:
        raise SystemExit(f"predict printed {len(rows)} rows, expected 1")
    row = rows[0]
    probas = {k: round(float(v), 3) for k, v in row.items() if k.startswith("proba_")}
    run = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    return {
        "absent": False,
        "commands": [ex["command"], tr["command"], pr["command"]],
        "extract_s": ex["wall_s"],
        "train_s": tr["wall_s"],
        "predict_s": pr["wall_s"],
        "cv": _classify_metrics(run_dir),
        "group": run["data"].get("group"),
        "notes": run["data"].get("notes", []),
        "predict_header": list(row),
        "predict": {
            "track_id": row["track_id"],
            "path": row["path"],
            "label": row["label"],
            **probas,
            "quadrant": row.get("quadrant"),
            # the training-range check (absent for a model saved without a range)
            **({"out_of_range": row["out_of_range"]} if "out_of_range" in row else {}),
            **{
                k: round(float(row[k]), 3)
                for k in ("out_of_range_score", "out_of_range_share")
                if k in row
            },
        },
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--json", type=Path, default=DEFAULT_JSON)
    p.add_argument("--data-4q", type=Path, default=SHARED / "4q-dev")
    p.add_argument("--keep", type=Path, help="keep the outputs in this folder")
    p.add_argument("--jobs", type=int, default=1, help="extract worker processes")
    p.add_argument(
        "--keep-4q",
        action="store_true",
        help="re-run the Quick start only and keep the 4Q section already recorded in "
        "--json (its own 'created' date is kept with it)",
    )
    args = p.parse_args(argv)
    previous = (
        json.loads(args.json.read_text(encoding="utf-8")) if args.keep_4q else None
    )
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="readme-examples-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        load_before = os.getloadavg()[0]
        qs = quick_start(work)
        if previous is not None:
            q4 = dict(previous["4q"])
            q4.setdefault("recorded", previous.get("created"))
        else:
            q4 = example_4q(work, args.data_4q, args.jobs)
    result = {
        "script": "benchmarks/readme_examples.py",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "environment": {
            "cores": os.cpu_count(),
            "load_average_at_start": round(load_before, 1),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "quick_start": qs,
        "4q": q4,
        "total_s": round(time.perf_counter() - t0, 1),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json} ({result['total_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
