"""Dev-fold quality of the reference groups (issue 19's default-set rule).

Artist-grouped 10-fold macro-F1 (nested grid search, SMOTE in the folds; the
functions of ``bench_4q_quality.py``) of the shipped default set, the default
set plus ``reference``, plus ``reference`` and ``reference_voice``, and the
default set with the old ``expressive`` and ``texture`` groups replaced by
``reference``; ``--seeds`` fold seeds from 0, then the same on fresh fold seeds
from ``--confirm-seed0``. A group joins or leaves the default set only for a
change of at least 0.03 (the dev folds move by about ±0.02 alone).

Usage::

    python benchmarks/bench_reference_quality.py [--seeds 3] [--models logreg,svm]

Writes reference_quality.md / reference_quality.json under --out (metrics only).
Skips (exit 0) when the data folder is absent.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402
from bench_4q_quality import (  # noqa: E402
    common_parser,
    cv_scores,
    parse_or_skip,
)


def load_features(
    data: Path, cache_dir: Path
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Every group's features of the dev clips, labels, artist groups."""
    from mer_classic.features import FeatureSettings
    from mer_classic.features._batch import extract_tracks
    from mer_classic.features._inputs import discover_tracks

    tracks, _ = discover_tracks([data], label_from_folder=True)
    res = extract_tracks(
        tracks,
        FeatureSettings(features="all"),
        n_jobs=2,
        cache_dir=cache_dir,
        quiet=True,
    )
    X = res.features
    y = res.meta.loc[X.index, "label"].astype(str)
    meta = pd.read_csv(data / "metadata.csv", dtype=str).set_index("Song")
    artist = meta["Artist"].reindex(X.index)
    groups = artist.fillna(pd.Series(X.index, index=X.index)).astype(str)
    return X, y, groups


def main() -> int:
    ap = common_parser(__doc__.splitlines()[0], seeds=3, models="logreg,svm")
    ap.add_argument("--confirm-seed0", type=int, default=100)
    args = parse_or_skip(ap)
    if args is None:
        return 0
    from mer_classic.features._names import (
        DEFAULT_FEATURE_GROUPS,
        FEATURE_GROUPS,
        feature_names,
    )

    t0 = time.perf_counter()
    X, y, groups = load_features(args.data, args.cache_dir)
    default = [c for c in feature_names(DEFAULT_FEATURE_GROUPS) if c in X]
    ref = list(FEATURE_GROUPS["reference"])
    voice = list(FEATURE_GROUPS["reference_voice"])
    old = set(FEATURE_GROUPS["expressive"]) | set(FEATURE_GROUPS["texture"])
    sets = {
        "default": default,
        "default+reference": default + ref,
        "default+reference+voice": default + ref + voice,
        "default-expressive-texture+reference": [c for c in default if c not in old]
        + ref,
    }
    out: dict[str, dict[str, dict[str, float]]] = {}
    for model in args.models.split(","):
        for seed0, tag in ((0, "dev"), (args.confirm_seed0, "confirm")):
            for name, cols in sets.items():
                r = cv_scores(X[cols], y, groups, model, args.seeds, seed0)
                key = f"{model} {tag}"
                out.setdefault(key, {})[name] = {
                    "f1_macro_mean": r["f1_macro_mean"],
                    "f1_macro_sd": r["f1_macro_sd"],
                    "n_features": len(cols),
                }
                print(
                    f"{key:14s} {name:38s} {len(cols):4d} features: macro-F1 "
                    f"{r['f1_macro_mean']:.3f} ± {r['f1_macro_sd']:.3f} "
                    f"({args.seeds} fold seeds)",
                    flush=True,
                )
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {
        "seeds": args.seeds,
        "confirm_seed0": args.confirm_seed0,
        "clips": len(X),
        "seconds": time.perf_counter() - t0,
    }
    (args.out / "reference_quality.json").write_text(
        json.dumps({"results": out, **meta}, indent=1) + "\n"
    )
    lines = [
        "# Reference groups on the 4Q dev folds (benchmarks/bench_reference_quality.py)",
        "",
        f"{len(X)} clips, artist-grouped 10-fold macro-F1, mean ± sd over "
        f"{args.seeds} fold seeds (dev: seeds 0..; confirm: seeds "
        f"{args.confirm_seed0}..).",
        "",
        "| model / folds | feature set | features | macro-F1 |",
        "|---|---|---|---|",
    ]
    for key, res in out.items():
        for name, r in res.items():
            lines.append(
                f"| {key} | {name} | {r['n_features']} | "
                f"{r['f1_macro_mean']:.3f} ± {r['f1_macro_sd']:.3f} |"
            )
    (args.out / "reference_quality.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
