"""Peak memory of ``mer-classic extract`` and ``predict --segments`` against duration.

For each length in ``--minutes`` (default 10, 60 and 120) the script writes a
synthetic 44.1 kHz stereo 16-bit wav (decaying harmonic notes plus noise, written
with soundfile in 10 s blocks) to a temporary folder and runs, each in a fresh
subprocess, ``mer-classic extract FILE --no-cache`` and ``mer-classic predict
--segments --model M FILE``, recording the child's peak resident set size
(``ru_maxrss``) and wall time. A 30 s clip measured in the same run is the
reference. ``M`` is a small logistic-regression model trained in the same run on
16 synthetic 10 s clips (default feature groups). From the long runs it reports the
slope of peak RSS against minutes of audio (least squares, MB per minute): flat
memory means a slope near 0.

Usage::

    python benchmarks/bench_memory.py [--minutes 10 60 120] [--out reports/benchmarks/memory]

No data needed; the temporary audio (up to ~640 MB for 120 minutes) is deleted
after each length. This is a measurement script, not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SR = 44100

# Run the command as a child and print that child's peak RSS (KiB on Linux).
_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "dt = time.perf_counter() - t\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(rc, peak, dt)\n"
)


def write_music(path: Path, seconds: float, seed: int = 0) -> None:
    """A stereo wav of decaying harmonic notes plus noise, written in 10 s blocks."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    notes = 220.0 * 2 ** (rng.integers(0, 24, size=4096) / 12)
    block = 10 * SR
    n_total = int(seconds * SR)
    with sf.SoundFile(path, "w", SR, 2, subtype="PCM_16") as f:
        for start in range(0, n_total, block):
            t = (start + np.arange(min(block, n_total - start))) / SR
            k = (t // 0.5).astype(int)  # a new note every 0.5 s
            f0 = notes[k % len(notes)]
            env = np.exp(-4 * (t % 0.5))
            y = env * (np.sin(2 * np.pi * f0 * t) + 0.4 * np.sin(4 * np.pi * f0 * t))
            y = 0.3 * y + 0.02 * rng.standard_normal(len(t))
            f.write(np.stack([y, 0.8 * y], axis=1))


def _cli() -> list[str]:
    return [sys.executable, "-m", "mer_classic"]


def measure(args: list[str]) -> dict[str, float]:
    """Peak RSS (MB) and wall time (s) of one ``mer-classic`` subprocess."""
    res = subprocess.run(
        [sys.executable, "-c", _MEASURE, *_cli(), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    rc, peak_kib, seconds = res.stdout.split()
    if int(rc) != 0:
        raise RuntimeError(f"mer-classic {' '.join(args)} failed (exit {rc})")
    return {"peak_mb": int(peak_kib) / 1024, "seconds": float(seconds)}


def make_model(d: Path) -> Path:
    """A logistic-regression model on 16 synthetic 10 s clips (default features)."""
    import soundfile as sf

    from mer_classic._workflows import run_train
    from mer_classic.features import extract_features

    files, labels = [], []
    for i in range(16):
        rng = np.random.default_rng(i)
        t = np.arange(10 * 22050) / 22050
        f = 110 * 2 ** (i % 24 / 12)
        y = (
            0.3
            * np.sin(2 * np.pi * f * t)
            * (1 + 0.5 * np.sin(2 * np.pi * (i % 5 + 1) * t))
        )
        y += (0.02 + 0.05 * (i % 3)) * rng.standard_normal(len(t))
        p = d / f"train{i:02d}.wav"
        sf.write(str(p), y.astype(np.float32), 22050)
        files.append(p)
        labels.append(f"Q{i % 4 + 1}")
    X = extract_features(files, n_jobs=1)
    by_stem = {p.stem: lab for p, lab in zip(files, labels, strict=True)}
    X.insert(0, "label", [by_stem[str(i).split("/")[-1]] for i in X.index])
    X.to_csv(d / "train.csv")
    out = d / "model"
    run_train(
        model="logreg",
        data=d / "train.csv",
        target=["label"],
        task="classify",
        id_col="track_id",
        grid=False,
        cv=2,
        out=out,
        quiet=True,
        importance=False,
    )
    for p in files:
        p.unlink()
    return out


def run_length(d: Path, model: Path, seconds: float) -> dict[str, dict[str, float]]:
    """Both commands on one generated file of ``seconds`` seconds."""
    wav = d / f"long_{seconds:g}s.wav"
    write_music(wav, seconds)
    res = {
        "extract": measure(
            ["extract", str(wav), "-o", str(d / "x.csv"), "--no-cache", "--quiet", "--force"]
        ),
        "predict_segments": measure(
            ["predict", "--model", str(model), "--segments", "-o", str(d / "p.csv"),
             "--quiet", "--force", str(wav)]
        ),
    }  # fmt: skip
    for r in res.values():
        r["audio_minutes"] = seconds / 60
        r["file_mb"] = wav.stat().st_size / 1e6
    wav.unlink()
    return res


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope (MB per minute) of peak RSS against minutes."""
    x = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    return float(np.polyfit(x, y, 1)[0]) if len(x) >= 2 else float("nan")


def main() -> int:
    """Run the benchmark; write results.json and report.md."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, nargs="+", default=[10.0, 60.0, 120.0])
    ap.add_argument(
        "--out", type=Path, default=REPO / "reports" / "benchmarks" / "memory"
    )
    ap.add_argument("--label", default="", help="free text recorded in the report")
    args = ap.parse_args()
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="mer-bench-mem-") as tmp:
        d = Path(tmp)
        model = make_model(d)
        for seconds in (30.0, *(m * 60 for m in args.minutes)):
            key = "clip_30s" if seconds == 30.0 else f"{seconds / 60:g}min"
            results[key] = run_length(d, model, seconds)
            for cmd, r in results[key].items():
                print(f"{key} {cmd}: peak {r['peak_mb']:.0f} MB, {r['seconds']:.1f} s",
                      flush=True)  # fmt: skip
    long = [k for k in results if k != "clip_30s"]
    slopes = {
        cmd: slope([(results[k][cmd]["audio_minutes"], results[k][cmd]["peak_mb"])
                    for k in long])
        for cmd in ("extract", "predict_segments")
    }  # fmt: skip
    info = {
        "results": results,
        "slope_mb_per_minute": slopes,
        "target_peak_mb": 400,
        "label": args.label,
        "commit": subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
        ).stdout.strip(),  # fmt: skip
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_end": os.getloadavg()[0],
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(info, indent=2) + "\n")
    minutes = " ".join(f"{m:g}" for m in args.minutes)
    lines = [
        "# Peak memory of `mer-classic extract` and `predict --segments`",
        "",
        f"`python benchmarks/bench_memory.py --minutes {minutes}` (synthetic 44.1 kHz "
        "stereo 16-bit wav, one process, peak resident set size of each "
        "subprocess; `extract --no-cache`; `predict --segments` with a small "
        "logistic-regression model trained in the same run).",
        "",
        "| audio | wav size | extract peak RSS | extract time "
        "| predict --segments peak RSS | predict time |",
        "|---|---|---|---|---|---|",
    ]
    for r in results.values():
        e, p = r["extract"], r["predict_segments"]
        lines.append(
            f"| {e['audio_minutes']:g} min | {e['file_mb']:.0f} MB | "
            f"{e['peak_mb']:.0f} MB | {e['seconds']:.1f} s | "
            f"{p['peak_mb']:.0f} MB | {p['seconds']:.1f} s |"
        )
    lines += [
        "",
        f"Slope of peak RSS over the {', '.join(long)} runs: extract "
        f"**{slopes['extract']:.2f} MB per minute**, predict --segments "
        f"**{slopes['predict_segments']:.2f} MB per minute** (target: peak ≤ 400 MB "
        "for any length).",
        "",
        f"Measured {info['when']} at commit {info['commit']}"
        + (f" ({args.label})" if args.label else "")
        + f", Python {info['python']}, {info['cpus']} CPUs (1-min load average "
        f"{info['load_average_end']:.1f} at the end).",
        "",
    ]
    (args.out / "report.md").write_text("\n".join(lines))
    print(f"wrote {args.out}/results.json and report.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
