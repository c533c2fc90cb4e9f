"""Cost and content of permutation importance on 4Q, against the cross-validation time.

Extracts the default features of the 300 4Q dev clips (through the per-file cache),
writes them as a table (in a temporary folder, never in the repository), and runs
``mer-classic train`` as a user would (:func:`mer_classic._workflows.run_train`:
5-fold artist-grouped CV, grid search, SMOTE, importance on by default, one job) for
each model. From each run folder it reads the timings (cross-validation, final fit,
permutation importance) and ``importance.csv``: per unit (feature group by default)
the mean held-out drop of macro F1, its standard error over the folds and whether
it is distinguishable from zero. With ``--by`` the importance units are compared
for one model (``group``, ``cluster``, ``feature``).

Usage::

    python benchmarks/bench_importance.py [--data ../shared/data/4q-dev]
        [--models stacking,svm,logreg] [--by-model svm] [--by group,cluster,feature]
        [--cache-dir data/cache] [--out reports/benchmarks/importance]

Writes ``report.md`` and ``metrics.json`` (figures only). Skips (exit 0, with a
message) when the data folder is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "4q-dev"


def write_table(data: Path, cache_dir: Path, out: Path) -> Path:
    """The 4Q dev features (default settings) with quadrant and artist columns."""
    from mer_classic.features import FeatureSettings
    from mer_classic.features._batch import extract_tracks
    from mer_classic.features._inputs import discover_tracks

    tracks, _ = discover_tracks([data], label_from_folder=True)
    res = extract_tracks(
        tracks, FeatureSettings(), n_jobs=1, cache_dir=cache_dir, quiet=True
    )
    X = res.features
    meta = pd.read_csv(data / "metadata.csv", dtype=str).set_index("Song")
    df = X.copy()
    df.insert(0, "quadrant", res.meta.loc[X.index, "label"].astype(str))
    # a clip without an artist is its own group
    artist = meta["Artist"].reindex(X.index)
    df.insert(1, "artist", artist.fillna(pd.Series(X.index, index=X.index)))
    df.index.name = "track_id"
    path = out / "4q-dev-features.csv"
    df.to_csv(path)
    return path


def one_run(table: Path, model: str, by: str, out: Path) -> dict[str, Any]:
    from mer_classic._workflows import TrainSettings, run_train

    t0 = time.perf_counter()
    run_train(
        TrainSettings(
            model=model,
            data=table,
            target=["quadrant"],
            task="classify",
            group="artist",
            id_col="track_id",
            out=out,
            quiet=True,
            importance_by=by,
        )
    )
    wall = time.perf_counter() - t0
    run = json.loads((out / "run.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    imp = pd.read_csv(out / "importance.csv")
    t = run["timings"]
    top = imp.sort_values("importance", ascending=False)
    return {
        "model": model,
        "by": by,
        "wall_s": wall,
        "cv_s": t["cross_validation_s"],
        "final_fit_s": t["final_fit_s"],
        "importance_s": t["permutation_importance_s"],
        "importance_over_cv": t["permutation_importance_s"] / t["cross_validation_s"],
        "f1_macro": metrics["f1_macro"],
        "n_units": len(imp),
        "n_distinguishable": int(imp["distinguishable"].sum()),
        "n_le_zero": int((imp["importance"] <= 0).sum()),
        "note": run.get("importance", {}).get("note"),
        "units": [
            {
                "unit": str(r.feature),
                "n_columns": int(r.n_columns),
                "importance": float(r.importance),
                "se": float(r.se),
                "distinguishable": bool(r.distinguishable),
            }
            for r in top.itertuples()
        ],
    }


def render(res: dict[str, Any]) -> str:
    lines = [
        "# Permutation importance on 4Q: cost against the CV, and what it says",
        "",
        f"Command: `{res['command']}`",
        "",
        f"Data: {res['rows']} 4Q dev clips × {res['columns']} default features, "
        "5-fold artist-grouped CV (StratifiedGroupKFold), grid search and SMOTE on, "
        "importance on by default (feature groups, 3 shuffles per group and fold, "
        "measured on the held-out folds), n_jobs 1. "
        f"Machine load (1-min average) at the start: {res['load_start']}, at the end: "
        f"{res['load_end']}.",
        "",
        "## Cost (seconds, the run's own timings)",
        "",
        "| model | importance by | CV | final fit | importance | importance / CV | "
        "wall | F1 macro | units distinguishable from 0 | units ≤ 0 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in res["runs"]:
        lines.append(
            f"| {r['model']} | {r['by']} | {r['cv_s']:.1f} | {r['final_fit_s']:.1f} | "
            f"{r['importance_s']:.1f} | {r['importance_over_cv']:.2f} | "
            f"{r['wall_s']:.1f} | {r['f1_macro']:.3f} | "
            f"{r['n_distinguishable']} of {r['n_units']} | {r['n_le_zero']} |"
        )
    for r in res["runs"]:
        if r["by"] != "group":
            continue
        lines += [
            "",
            f"## {r['model']}: held-out drop of macro F1 per feature group",
            "",
            "| group | columns | mean drop | se (folds) | distinguishable |",
            "|---|---|---|---|---|",
        ]
        for u in r["units"]:
            lines.append(
                f"| {u['unit']} | {u['n_columns']} | {u['importance']:+.4f} | "
                f"{u['se']:.4f} | {'yes' if u['distinguishable'] else 'no'} |"
            )
        if r["note"]:
            lines += ["", f"Note printed by the run: {r['note']}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    import os

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--models", default="stacking,svm,logreg")
    ap.add_argument("--by-model", default="svm")
    ap.add_argument("--by", default="cluster,feature")
    ap.add_argument("--cache-dir", type=Path, default=REPO / "data" / "cache")
    ap.add_argument(
        "--out", type=Path, default=REPO / "reports" / "benchmarks" / "importance"
    )
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"skipping: {args.data} not found (4Q dev clips)", file=sys.stderr)
        return 0
    res: dict[str, Any] = {
        "command": "python benchmarks/bench_importance.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "load_start": round(os.getloadavg()[0], 2),
        "runs": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        table = write_table(args.data, args.cache_dir, Path(tmp))
        shape = pd.read_csv(table, nrows=0).shape
        res["rows"] = len(pd.read_csv(table, usecols=["track_id"]))
        res["columns"] = shape[1] - 3  # track_id, quadrant, artist
        runs = [(m, "group") for m in args.models.split(",") if m]
        runs += [(args.by_model, b) for b in args.by.split(",") if b]
        for model, by in runs:
            r = one_run(table, model, by, Path(tmp) / f"{model}-{by}")
            print(
                f"{model} by {by}: CV {r['cv_s']:.1f} s, importance "
                f"{r['importance_s']:.1f} s ({r['importance_over_cv']:.2f}× CV), "
                f"{r['n_distinguishable']}/{r['n_units']} distinguishable",
                flush=True,
            )
            res["runs"].append(r)
    res["load_end"] = round(os.getloadavg()[0], 2)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "metrics.json").write_text(json.dumps(res, indent=2) + "\n")
    (args.out / "report.md").write_text(render(res))
    print(render(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
