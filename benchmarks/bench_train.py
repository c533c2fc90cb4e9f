"""Time `mer-classic train` end to end and how it grows with rows.

Runs the real CLI in a subprocess (so import and report writing are included):

1. `train --model stacking` on the bundled Soundtracks set (grid included);
2. on ../shared/data/spotify-data-moods/data_moods.csv (de-duplicated by id, artist-grouped)
   at 3+ sizes (subsamples of the unique tracks), for the models given with --models.

Usage: python benchmarks/bench_train.py [--models stacking,svm] [--jobs 2] [--out FILE.md]
Prints a markdown table; reference = the same command on the smallest size in the same run,
so the growth column is a ratio measured on this machine now.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
MOODS = ROOT.parent / "shared" / "data" / "spotify-data-moods" / "data_moods.csv"


def _train(args: list[str], out: Path) -> tuple[float, dict]:
    t0 = time.perf_counter()
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "mer_classic",
            "train",
            *args,
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
    )
    dt = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(f"train failed: {res.stdout}\n{res.stderr}")
    return dt, json.loads((out / "metrics.json").read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="stacking,svm,rf,logreg")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--sizes", default="170,340,686")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        dt, m = _train(["--model", "stacking", "--jobs", str(a.jobs)], tmpd / "bundled")
        rows.append(
            [
                "bundled Soundtracks (quadrant)",
                "stacking",
                110,
                f"{dt:.1f}",
                "",
                f"{m['f1_macro']:.3f}",
                f"{m['accuracy']:.3f}",
            ]
        )
        if MOODS.exists():
            df = pd.read_csv(MOODS).drop_duplicates("id")
            rng = np.random.default_rng(0)
            for model in a.models.split(","):
                base = None
                for n in (int(s) for s in a.sizes.split(",")):
                    sub = (
                        df.iloc[np.sort(rng.permutation(len(df))[:n])]
                        if n < len(df)
                        else df
                    )
                    f = tmpd / f"moods_{n}.csv"
                    sub.to_csv(f, index=False)
                    dt, m = _train(
                        [
                            "--model",
                            model,
                            "--data",
                            str(f),
                            "--target",
                            "mood",
                            "--group",
                            "artist",
                            "--id",
                            "id",
                            "--exclude",
                            "popularity",
                            "--jobs",
                            str(a.jobs),
                        ],
                        tmpd / f"{model}-{n}",
                    )
                    base = base or dt
                    rows.append(
                        [
                            f"data_moods ({len(sub)} unique)",
                            model,
                            len(sub),
                            f"{dt:.1f}",
                            f"{dt / base:.2f}×",
                            f"{m['f1_macro']:.3f}",
                            f"{m['accuracy']:.3f}",
                        ]
                    )
        else:
            print(f"skipping data_moods: {MOODS} not found", file=sys.stderr)
    head = [
        "data",
        "model",
        "rows",
        "seconds (grid incl.)",
        "time vs smallest",
        "F1 macro",
        "accuracy",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(map(str, r)) + " |" for r in rows]
    text = "\n".join(lines)
    print(text)
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(
            f"# Train time vs rows\n\nCommand: `python benchmarks/bench_train.py "
            f"--models {a.models} --jobs {a.jobs} --sizes {a.sizes}`\n\n{text}\n"
        )


if __name__ == "__main__":
    main()
