"""Peak memory of ``mer-classic extract`` on a long file, against a 30 s clip.

Writes a synthetic 44.1 kHz stereo wav of ``--minutes`` minutes (default 20) and a
30 s one to a temporary folder, runs ``mer-classic extract FILE --no-cache`` on each
in a fresh subprocess, and records each run's peak resident set size (the child's
``ru_maxrss``) and wall time. The 30 s clip is the reference measured in the same
run: streaming works when the long file's peak stays close to it (target: at most
400 MB for any length).

Usage::

    python benchmarks/bench_memory.py [--minutes 20] [--out reports/benchmarks/memory]

No data needed; the temporary audio (~200 MB for 20 minutes) is deleted afterwards.
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


def measure(audio: Path, out_csv: Path) -> dict[str, float]:
    """Peak RSS (MB) and wall time (s) of one ``mer-classic extract`` subprocess."""
    cmd = [
        sys.executable,
        "-m",
        "mer_classic",
        "extract",
        str(audio),
        "-o",
        str(out_csv),
        "--no-cache",
        "--quiet",
    ]
    res = subprocess.run(
        [sys.executable, "-c", _MEASURE, *cmd],
        capture_output=True,
        text=True,
        check=True,
    )
    rc, peak_kib, seconds = res.stdout.split()
    if int(rc) != 0:
        raise RuntimeError(f"extract failed on {audio} (exit {rc})")
    return {"peak_mb": int(peak_kib) / 1024, "seconds": float(seconds)}


def main() -> int:
    """Run the benchmark; write results.json and report.md."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument(
        "--out", type=Path, default=REPO / "reports" / "benchmarks" / "memory"
    )
    args = ap.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="mer-bench-mem-") as tmp:
        d = Path(tmp)
        for name, seconds in (("clip_30s", 30.0), ("long", args.minutes * 60)):
            wav = d / f"{name}.wav"
            write_music(wav, seconds)
            r = measure(wav, d / f"{name}.csv")
            r["audio_seconds"] = seconds
            r["file_mb"] = wav.stat().st_size / 1e6
            results[name] = r
            print(f"{name}: {seconds:.0f} s audio → peak {r['peak_mb']:.0f} MB, "
                  f"{r['seconds']:.1f} s")  # fmt: skip
            wav.unlink()
    ratio = results["long"]["peak_mb"] / results["clip_30s"]["peak_mb"]
    info = {
        "results": results,
        "long_over_clip_peak": ratio,
        "target_peak_mb": 400,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_end": os.getloadavg()[0],
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(info, indent=2) + "\n")
    c, lg = results["clip_30s"], results["long"]
    report = (
        "# Peak memory of `mer-classic extract`\n\n"
        "`python benchmarks/bench_memory.py"
        + (f" --minutes {args.minutes:g}" if args.minutes != 20 else "")
        + "` (synthetic 44.1 kHz stereo 16-bit wav, `--no-cache`, one process, "
        "peak resident set size of the extract subprocess).\n\n"
        "| input | audio | wav size | peak RSS | wall time |\n|---|---|---|---|---|\n"
        f"| 30 s clip (reference) | 30 s | {c['file_mb']:.1f} MB | "
        f"{c['peak_mb']:.0f} MB | {c['seconds']:.1f} s |\n"
        f"| long file | {lg['audio_seconds'] / 60:g} min | {lg['file_mb']:.0f} MB | "
        f"{lg['peak_mb']:.0f} MB | {lg['seconds']:.1f} s |\n\n"
        f"Long-file peak / clip peak: **{ratio:.2f}** (target: long-file peak "
        "≤ 400 MB for any length).\n\n"
        f"Measured {info['when']}, Python {info['python']}, {info['cpus']} CPUs "
        f"(1-min load average {info['load_average_end']:.1f} at the end).\n"
    )
    (args.out / "report.md").write_text(report)
    print(f"wrote {args.out}/results.json and report.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
