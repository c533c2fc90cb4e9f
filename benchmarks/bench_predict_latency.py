"""Latency of ``mer-classic predict`` on one 30 s clip (cold process) and batch throughput.

What is measured (all in the same run, on the same machine):

* **cold**: wall time from ``Popen`` of ``mer-classic predict -q --model M clip`` to the
  process exit after printing the prediction (median of ``--repeats`` fresh processes;
  the first one is reported separately: it also pays for a cold OS file cache);
  The CPU time (user + sys) of those processes is reported too: on a machine shared
  with other jobs the wall time includes waiting for a core, the CPU time does not;
* **reference**: the same for ``mer-classic --help`` and ``python -c pass`` (the floor any
  command pays), so the ratio cold/--help is comparable across machines;
* **breakdown**: one fresh process with timestamps after each step (imports of numpy +
  pandas, sklearn, imblearn, mer_classic.features; load_model; extraction; prediction);
* **importtime**: ``python -X importtime`` of the same imports + model load, aggregated by
  top-level package (cumulative µs of the first import of each package);
* **warm**: ``predict_audio`` on the clip again in an already warm process (median);
* **batch**: ``predict_audio`` over ``--batch`` clips with ``n_jobs=1`` and ``n_jobs=2``
  (files/s and audio seconds per wall second).

Target (issue 7): cold single-clip prediction < 2 s once installed.

Usage::

    python benchmarks/bench_predict_latency.py [--model RUN_DIR] [--repeats 5] [--batch 40]
        [--json reports/benchmarks/predict_latency.json]

Without ``--model`` a small 4-quadrant logistic-regression model is trained on 40 clips
of ``../shared/data/4q-dev`` (or on synthetic clips when that folder is absent).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
EXAMPLE = SHARED / "librosa-example-music" / "audio" / "Kevin_MacLeod_-_Vibe_Ace.ogg"

_PROBE = r"""
import sys, time
t0 = float(sys.argv[3]); marks = []
def mark(name): marks.append((name, time.time()))
mark("interpreter start")
import numpy, pandas; mark("import numpy+pandas")
import sklearn.base; mark("import sklearn")
import imblearn; mark("import imblearn")
from mer_classic._persistence import load_model; mark("import mer_classic._persistence")
import mer_classic.features, mer_classic.predict; mark("import mer_classic.features")
m = load_model(sys.argv[1]); mark("load_model (unpickle)")
from mer_classic.predict import predict_audio
df = predict_audio(m, [sys.argv[2]]); mark("extract + predict")
print(df.iloc[0]["label" if "label" in df else df.columns[1]])
prev = t0
for name, t in marks:
    print(f"MARK {name} {t - prev:.4f}"); prev = t
"""

_IMPORTS = (
    "import numpy, pandas, sklearn.base, imblearn, joblib; "
    "import mer_classic._persistence, mer_classic.features, mer_classic.predict, "
    "mer_classic._crossval, mer_classic.cli.main"
)


_CPU: list[float] = []


def _timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    """Wall seconds of one fresh process; its CPU seconds (user+sys) go to ``_CPU``."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(
        cmd,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    _CPU.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
    return wall


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("mer-classic")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "mer_classic"]


def _write_clip(src: Path, dst: Path, seconds: float, offset: float = 0.0) -> Path:
    import soundfile as sf

    y, sr = sf.read(str(src), dtype="float32", always_2d=True)
    y = y[int(offset * sr) : int((offset + seconds) * sr)]
    if len(y) < seconds * sr:  # loop short sources up to the length asked for
        y = np.concatenate([y] * int(np.ceil(seconds * sr / max(len(y), 1))))[
            : int(seconds * sr)
        ]
    sf.write(str(dst), y, sr, format="OGG", subtype="VORBIS")
    return dst


def _synthetic(dst: Path, seconds: float, seed: int) -> Path:
    import soundfile as sf

    rng = np.random.default_rng(seed)
    sr = 22050
    t = np.arange(int(seconds * sr)) / sr
    f = 110 * 2 ** (seed % 24 / 12)
    y = (
        0.3
        * np.sin(2 * np.pi * f * t)
        * (1 + 0.5 * np.sin(2 * np.pi * (seed % 5 + 1) * t))
    )
    y += (0.02 + 0.05 * (seed % 3)) * rng.standard_normal(len(t))
    sf.write(str(dst), y.astype(np.float32), sr)
    return dst


def _training_clips(tmp: Path, n_per_class: int = 10) -> tuple[list[Path], list[str]]:
    q4 = SHARED / "4q-dev"
    if q4.is_dir():
        files, labels = [], []
        for q in ("Q1", "Q2", "Q3", "Q4"):
            for f in sorted((q4 / q).glob("*.mp3"))[:n_per_class]:
                files.append(f)
                labels.append(q)
        return files, labels
    files = [_synthetic(tmp / f"s{i}.wav", 10.0, i) for i in range(4 * n_per_class)]
    return files, [f"Q{i % 4 + 1}" for i in range(len(files))]


def _make_model(tmp: Path) -> Path:
    from mer_classic._workflows import run_train
    from mer_classic.features import extract_features

    files, labels = _training_clips(tmp)
    X = extract_features(files, n_jobs=2)
    by_stem = {Path(f).stem: lab for f, lab in zip(files, labels, strict=True)}
    X.insert(0, "label", [by_stem[str(i).split("/")[-1]] for i in X.index])
    X.to_csv(tmp / "train.csv")
    out = tmp / "model"
    run_train(
        model="logreg",
        data=tmp / "train.csv",
        target=["label"],
        task="classify",
        id_col="track_id",
        grid=False,
        out=out,
        quiet=True,
    )
    return out


def _importtime(model: Path) -> list[tuple[str, float]]:
    code = _IMPORTS + f"; mer_classic.load_model({str(model)!r})"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),
    )
    totals: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if not m:
            continue
        depth = len(m.group(3))
        if depth == 1:  # a top-level import: its cumulative time
            pkg = m.group(4).split(".")[0]
            totals[pkg] = totals.get(pkg, 0.0) + int(m.group(2)) / 1e6
    return sorted(totals.items(), key=lambda kv: -kv[1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch", type=int, default=40)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    from mer_classic.predict import predict_audio

    tmp = Path(tempfile.mkdtemp(prefix="mer-bench-"))
    try:
        model = args.model or _make_model(tmp)
        clip = (
            _write_clip(EXAMPLE, tmp / "clip30.ogg", 30.0)
            if EXAMPLE.exists()
            else _synthetic(tmp / "clip30.wav", 30.0, 7)
        )
        res: dict[str, object] = {
            "clip": f"{clip.name} (30 s)",
            "model": str(model),
            "load_avg_start": os.getloadavg(),
        }
        cmd = [*_cli(), "predict", "-q", "--model", str(model), str(clip)]
        _CPU.clear()
        cold = [_timed(cmd) for _ in range(args.repeats)]
        res["cold_cpu_median_s"] = statistics.median(_CPU)
        helps = [_timed([*_cli(), "--help"]) for _ in range(args.repeats)]
        passes = [_timed([sys.executable, "-c", "pass"]) for _ in range(args.repeats)]
        res["cold_first_s"] = cold[0]
        res["cold_median_s"] = statistics.median(cold)
        res["cold_min_s"] = min(cold)
        res["help_median_s"] = statistics.median(helps)
        res["python_pass_median_s"] = statistics.median(passes)
        res["cold_over_help"] = res["cold_median_s"] / res["help_median_s"]
        probe = subprocess.run(
            [sys.executable, "-c", _PROBE, str(model), str(clip), repr(time.time())],
            capture_output=True,
            text=True,
            check=True,
            cwd=tempfile.gettempdir(),
        )
        res["breakdown_s"] = {
            m.group(1): float(m.group(2))
            for m in re.finditer(r"MARK (.+) ([\d.]+)", probe.stdout)
        }
        res["importtime_top_s"] = dict(_importtime(model)[:10])
        # warm: a process that already predicted once
        predict_audio(model, [clip])
        warm = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            predict_audio(model, [clip])
            warm.append(time.perf_counter() - t)
        res["warm_median_s"] = statistics.median(warm)
        # batch throughput on distinct 30 s clips
        batch_dir = tmp / "batch"
        batch_dir.mkdir()
        q4 = (
            sorted((SHARED / "4q-dev").glob("Q*/*.mp3"))[-args.batch :]
            if (SHARED / "4q-dev").is_dir()
            else []
        )
        if len(q4) >= args.batch:
            files = q4
        else:
            files = [
                _synthetic(batch_dir / f"b{i}.wav", 30.0, 100 + i)
                for i in range(args.batch)
            ]
        import soundfile as sf

        audio_s = sum(sf.info(str(f)).duration for f in files)
        for jobs in (1, 2):
            t = time.perf_counter()
            df = predict_audio(model, files, n_jobs=jobs)
            dt = time.perf_counter() - t
            res[f"batch_jobs{jobs}"] = {
                "files": len(df),
                "seconds": dt,
                "files_per_s": len(df) / dt,
                "audio_s_per_s": audio_s / dt,
            }
        res["load_avg_end"] = os.getloadavg()
        res["target_cold_lt_2s"] = res["cold_median_s"] < 2.0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    text = json.dumps(res, indent=2, default=float)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
