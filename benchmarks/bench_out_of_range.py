"""How often the out-of-range note flags real held-out clips, and whether it flags
synthetic signals.

The model file stores the training feature range
(:func:`mer_classic._persistence._ranges.feature_ranges`); prediction flags a clip
whose out-of-range score (mean distance of its features outside the training's
0.5–99.5 % range, in IQRs, each capped) exceeds a threshold
(:func:`~mer_classic._persistence._ranges.range_check`). This script measures:

- the **false-flag rate** on real held-out rows at several thresholds: the 300 4Q
  dev clips in artist-grouped 10-fold splits (ranges from the training folds, scores
  of the held-out fold), and the 110 rows of the bundled Soundtracks table in
  film-grouped 10-fold splits;
- the scores of a pure sine, white noise, a click track and near-silence (30 s
  each, written at run time) against the range of all 300 4Q clips (true silence is
  refused by the extractor before any prediction: reported as such).

Usage::

    python benchmarks/bench_out_of_range.py [--data ../shared/data/4q-dev]
        [--cache-dir /tmp/mer-cache] [--out reports/benchmarks/out_of_range]

Writes ``report.md`` and ``metrics.json`` (figures only, never audio or features).
Skips the 4Q part (with a message) when the data folder is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "4q-dev"
THRESHOLDS = (0.25, 0.35, 0.5)
SR = 22050


def synthetic_clips(folder: Path, seconds: float = 30.0) -> dict[str, Path]:
    """Write the synthetic test signals (30 s, 22.05 kHz mono) into ``folder``."""
    import soundfile as sf

    n = int(seconds * SR)
    t = np.arange(n) / SR
    rng = np.random.default_rng(0)
    clicks = np.zeros(n)
    for start in range(0, n, SR // 2):  # 120 bpm, 5 ms decaying clicks
        m = min(int(0.005 * SR), n - start)
        clicks[start : start + m] = 0.9 * np.exp(-np.arange(m) / (0.001 * SR))
    signals = {
        "sine_440hz": 0.5 * np.sin(2 * np.pi * 440 * t),
        "white_noise": 0.3 * rng.standard_normal(n),
        "click_track": clicks,
        "near_silence": 1e-4 * rng.standard_normal(n),
        "silence": np.zeros(n),
    }
    out = {}
    for name, x in signals.items():
        p = folder / f"{name}.wav"
        sf.write(p, x.astype(np.float32), SR)
        out[name] = p
    return out


def held_out_scores(X: pd.DataFrame, groups: pd.Series, seed: int = 0) -> np.ndarray:
    """Out-of-range score of each row when its group is held out (10 grouped folds)."""
    from sklearn.model_selection import GroupKFold

    from mer_classic._persistence._ranges import feature_ranges, range_check

    scores = np.full(len(X), np.nan)
    cv = GroupKFold(n_splits=10, shuffle=True, random_state=seed)
    for tr, te in cv.split(X, groups=groups):
        r = feature_ranges(X.iloc[tr])
        scores[te] = range_check(X.iloc[te], r)["out_of_range_score"].to_numpy()
    return scores


def summary(scores: np.ndarray) -> dict[str, Any]:
    return {
        "median": float(np.median(scores)),
        "p99": float(np.quantile(scores, 0.99)),
        "max": float(np.max(scores)),
        "flagged": {
            f"{t:g}": {
                "flagged": int((scores > t).sum()),
                "rate": float((scores > t).mean()),
            }
            for t in THRESHOLDS
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cache-dir", type=Path, default=REPO / "data" / "cache")
    ap.add_argument(
        "--out", type=Path, default=REPO / "reports" / "benchmarks" / "out_of_range"
    )
    args = ap.parse_args(argv)

    from mer_classic._persistence._ranges import (
        RANGE_CAP_IQR,
        RANGE_MAX_SCORE,
        feature_ranges,
        range_check,
    )
    from mer_classic.datasets import load_dataset
    from mer_classic.features import FeatureSettings
    from mer_classic.features._batch import extract_tracks
    from mer_classic.features._inputs import discover_tracks

    result: dict[str, Any] = {
        "default": {"max_score": RANGE_MAX_SCORE, "cap_iqr": RANGE_CAP_IQR},
        "thresholds": list(THRESHOLDS),
    }

    st = load_dataset("soundtracks")
    st_X = st.features
    film = st.groups.reindex(st_X.index)
    result["soundtracks"] = {
        "rows": len(st_X),
        "columns": st_X.shape[1],
        "split": "film-grouped 10-fold",
        **summary(held_out_scores(st_X, film)),
    }

    if not args.data.is_dir():
        print(f"skipping 4Q: {args.data} not found", file=sys.stderr)
    else:
        t0 = time.perf_counter()
        tracks, _ = discover_tracks([args.data], label_from_folder=True)
        res = extract_tracks(
            tracks, FeatureSettings(), n_jobs=1, cache_dir=args.cache_dir, quiet=True
        )
        X = res.features
        meta = pd.read_csv(args.data / "metadata.csv", dtype=str).set_index("Song")
        artist = meta["Artist"].reindex(X.index)
        groups = artist.fillna(pd.Series(X.index, index=X.index)).astype(str)
        result["4q"] = {
            "rows": len(X),
            "columns": X.shape[1],
            "split": "artist-grouped 10-fold",
            **summary(held_out_scores(X, groups)),
            "extract_seconds": round(time.perf_counter() - t0, 1),
        }
        ranges = feature_ranges(X)
        synth: dict[str, Any] = {}
        with tempfile.TemporaryDirectory() as tmp:
            synthetic_clips(Path(tmp))
            found, _ = discover_tracks([Path(tmp)])
            sres = extract_tracks(found, FeatureSettings(), n_jobs=1, quiet=True)
            for e in sres.errors.itertuples():
                synth[str(e.track_id)] = {"refused": str(e.reason)}
            SX = sres.features[list(X.columns)]
            chk = range_check(SX, ranges)
            for name, row in chk.iterrows():
                synth[str(name)] = {
                    "score": float(row["out_of_range_score"]),
                    "share": float(row["out_of_range_share"]),
                    "flagged": bool(row["out_of_range"]),
                }
        result["synthetic"] = synth
        music = args.data.parent / "librosa-example-music" / "audio"
        if music.is_dir():  # other real music, never seen: 8 recordings, 2 versions
            found, _ = discover_tracks([music])
            mres = extract_tracks(
                found, FeatureSettings(), n_jobs=1, cache_dir=args.cache_dir, quiet=True
            )
            chk = range_check(mres.features[list(X.columns)], ranges)
            result["librosa_examples"] = {
                str(i): {
                    "score": float(r["out_of_range_score"]),
                    "flagged": bool(r["out_of_range"]),
                }
                for i, r in chk.iterrows()
            }

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "report.md").write_text(render(result))
    print(render(result))
    return 0


def render(r: dict[str, Any]) -> str:
    d = r["default"]
    ts = r["thresholds"]
    lines = [
        "# Out-of-range note: false flags on real held-out clips, synthetic signals",
        "",
        "Command: `python benchmarks/bench_out_of_range.py` (4Q dev clips from "
        "`../shared/data/4q-dev`, default feature settings).",
        "",
        "Score of a clip: mean over its features of the distance outside the "
        "training's 0.5–99.5 % range, in IQRs (each feature capped at "
        f"{d['cap_iqr']:g}). Default: flagged when the score exceeds "
        f"{d['max_score']:g}.",
        "",
        "## False-flag rate on held-out real rows",
        "",
        "| data | score median / p99 / max | "
        + " | ".join(f"flagged at > {t:g}" for t in ts)
        + " |",
        "|---|---|" + "---|" * len(ts),
    ]
    for key in ("4q", "soundtracks"):
        if key not in r:
            continue
        b = r[key]
        cells = [
            f"{b['flagged'][f'{t:g}']['flagged']}/{b['rows']} "
            f"({b['flagged'][f'{t:g}']['rate']:.1%})"
            for t in ts
        ]
        lines.append(
            f"| {key} ({b['rows']} rows × {b['columns']} features, {b['split']}) | "
            f"{b['median']:.3f} / {b['p99']:.3f} / {b['max']:.3f} | "
            + " | ".join(cells)
            + " |"
        )
    if "synthetic" in r:
        lines += [
            "",
            "## Synthetic signals against the range of all 300 4Q clips",
            "",
            "| signal | score | share of features > 1 IQR out | flagged |",
            "|---|---|---|---|",
        ]
        for name, row in r["synthetic"].items():
            if "refused" in row:
                lines.append(f"| {name} | – | – | refused: {row['refused']} |")
            else:
                lines.append(
                    f"| {name} | {row['score']:.2f} | {row['share']:.2f} | "
                    f"{'yes' if row['flagged'] else 'no'} |"
                )
    if "librosa_examples" in r:
        ex = r["librosa_examples"]
        flagged = [k for k, v in ex.items() if v["flagged"]]
        lines += [
            "",
            "## Other real music against the range of all 300 4Q clips",
            "",
            f"The librosa example recordings (`../shared/data/librosa-example-music`, "
            f"{len(ex)} files: 8 recordings at 22 kHz mono and 44.1 kHz stereo): "
            f"{len(flagged)} flagged"
            + (f" ({', '.join(flagged)})" if flagged else "")
            + "; scores: "
            + ", ".join(f"{k} {v['score']:.2f}" for k, v in sorted(ex.items()))
            + ".",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
