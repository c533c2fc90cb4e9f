"""Relative cost of each registry model: one fit, and a full nested-grid ``train``.

For every model of a task the script times one fit of its pipeline (impute → scale
→ SMOTE → model, default hyper-parameters) on a feature table, median of
``--repeats`` runs, and multiplies it by the number of fits a default
``mer-classic train`` makes (5 outer folds × (grid candidates × 3 inner folds + 1),
plus the final search: :func:`mer_classic.training.grid_fits`). Both are given
relative to ``logreg`` (``ridge`` for regression) measured in the same run, so the
ratios hold on a slower or busier machine; the seconds are this machine's.

Usage (from the repository root)::

    python benchmarks/bench_model_costs.py [--data FEATURES.csv --target label]
        [--task classify] [--repeats 3] [--json reports/benchmarks/train/model_costs.json]

Without ``--data`` it uses the bundled Soundtracks table (110 rows × 25 features).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_JSON = REPO / "reports" / "benchmarks" / "train" / "model_costs.json"


def main(argv: list[str] | None = None) -> int:
    from sklearn.base import clone
    from sklearn.model_selection import ParameterGrid

    from mer_classic._table import load_table
    from mer_classic._workflows import resolve_training_table
    from mer_classic.models import make_pipeline, model_names, param_grid
    from mer_classic.training import grid_fits

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path)
    p.add_argument("--target", default="label")
    p.add_argument("--id", default=None)
    p.add_argument("--task", choices=["classify", "regress"], default="classify")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = p.parse_args(argv)
    if args.data is None:
        table = resolve_training_table(
            None, target=[], task=args.task, group=None, id_col=None, exclude=[]
        )
    else:
        table = load_table(args.data, target=args.target, task=args.task, id=args.id)
    n_targets = len(table.targets) if args.task == "regress" else 1
    ref = "logreg" if args.task == "classify" else "ridge"
    load = os.getloadavg()[0]
    rows = {}
    for name in model_names(args.task):
        pipe = make_pipeline(name, args.task, n_targets=n_targets)
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            clone(pipe).fit(table.X, table.y)
            times.append(time.perf_counter() - t0)
        one = statistics.median(times)
        cands = len(ParameterGrid(param_grid(name, args.task, n_targets=n_targets)))
        fits = grid_fits(cands, cv=5, repeats=1)
        rows[name] = {
            "one_fit_s": round(one, 3),
            "grid_candidates": cands,
            "train_fits": fits,
            "train_estimate_s": round(one * fits * 0.8, 1),
        }
        print(f"{name}: {one:.3f} s per fit, {fits} fits", file=sys.stderr)
    base = rows[ref]
    for r in rows.values():
        r["fit_vs_ref"] = round(r["one_fit_s"] / base["one_fit_s"], 1)
        r["train_vs_ref"] = round(r["train_estimate_s"] / base["train_estimate_s"], 1)
    result = {
        "script": "benchmarks/bench_model_costs.py",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "data": str(args.data) if args.data else "bundled Soundtracks",
        "shape": list(table.X.shape),
        "task": args.task,
        "reference": ref,
        "load_average_at_start": round(load, 1),
        "cores": os.cpu_count(),
        "models": rows,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
