"""Speed of ``mer-classic``'s feature extractor against typical tutorial librosa code.

Both run end to end (decode included) on the same 30 s clips, interleaved, one BLAS
thread each, after one warm-up call; medians are reported. Also measured: the
1 → 2 worker-process speed-up of a batch, and the cost of a fresh process's first
extraction (imports included) for both.

Usage::

    python benchmarks/bench_extract.py [--data ../shared/data/4q-dev] [--clips 12]
        [--repeats 3] [--out reports/benchmarks/extract]

Skips (exit 0, with a message) when the data folder is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "4q-dev"


def naive_reference(path: str) -> np.ndarray:
    """Typical tutorial code: load, then each librosa.feature.* call on y separately."""
    import librosa

    y, sr = librosa.load(path, sr=22050)
    feats = [
        librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20),
        librosa.feature.delta(librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20)),
        librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr)),
        librosa.feature.spectral_centroid(y=y, sr=sr),
        librosa.feature.spectral_bandwidth(y=y, sr=sr),
        librosa.feature.spectral_rolloff(y=y, sr=sr),
        librosa.feature.spectral_flatness(y=y),
        librosa.feature.spectral_contrast(y=y, sr=sr),
        librosa.feature.zero_crossing_rate(y),
        librosa.feature.rms(y=y),
        librosa.feature.chroma_stft(y=y, sr=sr),
        librosa.feature.tonnetz(y=y, sr=sr),
        librosa.onset.onset_strength(y=y, sr=sr)[None, :],
    ]
    tempo, _beats = librosa.beat.beat_track(y=y, sr=sr)
    stats = [np.r_[f.mean(axis=1), f.std(axis=1)] for f in feats]
    return np.concatenate([*stats, np.atleast_1d(tempo)])


def ours(path: str) -> np.ndarray:
    from mer_classic.features import extract_file

    return extract_file(path)[1]


def pick_clips(data: Path, n: int) -> list[tuple[str, float]]:
    import soundfile as sf

    files = sorted(data.glob("Q*/*.mp3"))
    clips = [(str(f), sf.info(str(f)).duration) for f in files]
    clips = [c for c in clips if c[1] >= 29.5]
    step = max(len(clips) // n, 1)
    return clips[::step][:n]


def time_call(fn, path: str) -> float:  # noqa: ANN001
    t0 = time.perf_counter()
    fn(path)
    return time.perf_counter() - t0


def batch_speedup(clips: list[str], repeats: int) -> dict[str, float]:
    from mer_classic.features._batch import extract_tracks
    from mer_classic.features._inputs import Track

    tracks = [Track(Path(c).stem, Path(c)) for c in clips]
    extract_tracks(tracks[:4], n_jobs=2)  # start the loky workers
    t1, t2 = [], []
    for _ in range(repeats):
        for jobs, acc in ((1, t1), (2, t2)):
            t0 = time.perf_counter()
            extract_tracks(tracks, n_jobs=jobs)
            acc.append(time.perf_counter() - t0)
    m1, m2 = statistics.median(t1), statistics.median(t2)
    return {
        "n_files": len(clips),
        "seconds_1_process": m1,
        "seconds_2_processes": m2,
        "speedup": m1 / m2,
        # the fastest run is the least disturbed by other jobs on a shared machine
        "speedup_best_runs": min(t1) / min(t2),
    }


COLD_OURS = (
    "import time; t = time.perf_counter()\n"
    "from mer_classic.features import extract_features\n"
    "t1 = time.perf_counter(); extract_features([{p!r}]); t2 = time.perf_counter()\n"
    "print(t1 - t, t2 - t1)"
)
COLD_NAIVE = (
    "import time, sys; sys.path.insert(0, {bench!r}); t = time.perf_counter()\n"
    "import librosa, bench_extract\n"
    "t1 = time.perf_counter(); bench_extract.naive_reference({p!r}); t2 = time.perf_counter()\n"
    "print(t1 - t, t2 - t1)"
)


def cold_process(code: str, path: str, repeats: int) -> dict[str, float]:
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                code.format(p=path, bench=str(Path(__file__).parent)),
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        ).stdout.split()
        runs.append((float(out[0]), float(out[1])))
    imp = statistics.median(r[0] for r in runs)
    first = statistics.median(r[1] for r in runs)
    return {"import_s": imp, "first_call_s": first, "total_s": imp + first}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--clips", type=int, default=12)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-clips", type=int, default=40)
    ap.add_argument(
        "--out", type=Path, default=REPO / "reports" / "benchmarks" / "extract"
    )
    args = ap.parse_args()
    if not args.data.is_dir():
        print(f"SKIP: data folder {args.data} is absent (4Q dev clips needed)")
        return 0
    from threadpoolctl import threadpool_limits

    clips = pick_clips(args.data, args.clips)
    print(
        f"{len(clips)} clips of ~30 s from {args.data}; {args.repeats} interleaved repeats"
    )

    cold_ours = cold_process(COLD_OURS, clips[0][0], 3)
    cold_naive = cold_process(COLD_NAIVE, clips[0][0], 2)

    naive_t: list[float] = []
    ours_t: list[float] = []
    ratios: list[float] = []
    with threadpool_limits(limits=1, user_api="blas"):
        naive_reference(clips[0][0])  # warm-up: numba JIT, filter caches
        ours(clips[0][0])
        for rep in range(args.repeats):
            for i, (path, _dur) in enumerate(clips):
                order = (
                    (naive_reference, ours)
                    if (i + rep) % 2 == 0
                    else (ours, naive_reference)
                )
                t = {fn.__name__: time_call(fn, path) for fn in order}
                naive_t.append(t["naive_reference"])
                ours_t.append(t["ours"])
                ratios.append(t["naive_reference"] / t["ours"])
    durations = [d for _ in range(args.repeats) for _p, d in clips]
    rtf_naive = statistics.median(
        d / t for d, t in zip(durations, naive_t, strict=True)
    )
    rtf_ours = statistics.median(d / t for d, t in zip(durations, ours_t, strict=True))
    speed = batch_speedup(
        [c for c, _ in pick_clips(args.data, args.batch_clips)], args.repeats
    )

    from mer_classic.features._names import FEATURE_NAMES

    result = {
        "clips": len(clips),
        "repeats": args.repeats,
        "clip_seconds_median": statistics.median(d for _p, d in clips),
        "naive_reference": {
            "median_seconds_per_clip": statistics.median(naive_t),
            "real_time_factor": rtf_naive,
        },
        "mer_classic": {
            "median_seconds_per_clip": statistics.median(ours_t),
            "real_time_factor": rtf_ours,
            "n_features": len(FEATURE_NAMES),
        },
        "ratio_median_per_clip": statistics.median(ratios),
        "ratio_of_rtf": rtf_ours / rtf_naive,
        "processes_1_to_2": speed,
        "cold_process_first_extraction": {
            "mer_classic": cold_ours,
            "naive_librosa": cold_naive,
        },
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_1min_at_end": os.getloadavg()[0],
        },
    }
    lines = [
        "# Feature extraction speed (benchmarks/bench_extract.py)",
        "",
        f"{len(clips)} 4Q-dev clips (~{result['clip_seconds_median']:.0f} s mp3), "
        f"{args.repeats} interleaved repeats, one BLAS thread, medians, decode included.",
        "",
        "| extractor | s per clip | real-time factor |",
        "|---|---|---|",
        f"| naive tutorial librosa (load + each feature on y, tonnetz via CQT, beat_track) "
        f"| {statistics.median(naive_t):.3f} | {rtf_naive:.0f}x |",
        f"| mer-classic ({len(FEATURE_NAMES)} features, one STFT/mel front end) "
        f"| {statistics.median(ours_t):.3f} | {rtf_ours:.0f}x |",
        "",
        f"Speed ratio (median over clips of naive/ours): **{result['ratio_median_per_clip']:.2f}x** "
        f"(ratio of real-time factors {result['ratio_of_rtf']:.2f}x).",
        "",
        f"Batch of {speed['n_files']} files, 1 → 2 worker processes: "
        f"{speed['seconds_1_process']:.2f} s → {speed['seconds_2_processes']:.2f} s, "
        f"speed-up **{speed['speedup']:.2f}x** (medians; fastest runs: "
        f"{speed['speedup_best_runs']:.2f}x).",
        "",
        "Fresh process, first extraction of one clip (import + first call, median):",
        f"mer-classic {cold_ours['import_s']:.2f} s + {cold_ours['first_call_s']:.2f} s = "
        f"**{cold_ours['total_s']:.2f} s**; naive librosa {cold_naive['import_s']:.2f} s + "
        f"{cold_naive['first_call_s']:.2f} s = {cold_naive['total_s']:.2f} s "
        "(numba cache already warm).",
        "",
        f"Machine: {result['machine']['cpus']} CPUs shared with other jobs (1-min load "
        f"average {os.getloadavg()[0]:.1f} at the end; a load above the CPU count "
        "depresses the process speed-up), "
        f"Python {result['machine']['python']}.",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "report.md").write_text(report)
    print(f"wrote {args.out}/results.json and report.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
