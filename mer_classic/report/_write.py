"""Run folders: ``metrics.json``, ``report.md``, confusion matrices, plots and the model.

A run folder is written in two steps. :func:`write_run` stores the facts
(``metrics.json``, ``run.json``, ``predictions.csv`` and the model); :func:`render_report`
then draws everything a person reads (``report.md``, CSV tables and PNG figures) from
those files alone, so ``mer-classic report DIR`` can rebuild it at any time.
The folder is built under a temporary name and renamed into place, so an existing run is
never half-overwritten. The drawing itself lives in :mod:`mer_classic.report._markdown`.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_classic._crossval import baseline_scores
from mer_classic._io import (
    atomic_dir,
    json_text,
    refuse_existing,
    write_csv_atomic,
    write_text_atomic,
)
from mer_classic._metrics import score_predictions
from mer_classic._persistence._files import save_model
from mer_classic._persistence._ranges import count_out_of_range
from mer_classic._progress import progress
from mer_classic.config import reports_dir
from mer_classic.exceptions import ConfigError
from mer_classic.report._evaluation import EVALUATE_KIND, evaluation_facts
from mer_classic.report._files import (
    IMPORTANCE_FILE,
    METRICS_FILE,
    PREDICTIONS_FILE,
    RUN_FILE,
)
from mer_classic.report._markdown import render_report

__all__ = [
    "default_run_dir",
    "run_folder",
    "write_run",
    "write_evaluation",
]

logger = logging.getLogger(__name__)


def default_run_dir(model: str, base: Path | None = None) -> Path:
    """``reports/<model>-<UTC timestamp>/``."""

    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return reports_dir(base) / f"{model}-{stamp}"


@contextlib.contextmanager
def run_folder(out: str | os.PathLike[str], *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``out`` only when the block succeeds.

    An existing ``out`` is refused unless ``force``; with ``force`` it is replaced in one
    rename after the new run is complete (the old one is kept until then).
    """
    target = Path(out)
    refuse_existing(target, force=force)
    if target.exists() and not target.is_dir():
        raise ConfigError(f"--out {str(target)!r} exists and is not a folder")
    with atomic_dir(target, force=force) as tmp:  # final rename refuses a racer
        yield tmp


def write_run(
    result: Any,
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    extra_meta: dict[str, Any] | None = None,
    importance: pd.DataFrame | None = None,
) -> Path:
    """Write a training run (a :class:`~mer_classic.training.TrainResult`) into ``out``.

    Files: ``metrics.json``, ``run.json`` (settings, data, hyper-parameters, timings),
    ``predictions.csv`` (out-of-fold), ``model.joblib`` + ``model.json``, and what
    :func:`render_report` draws from them.
    """

    with run_folder(out, force=force) as tmp:
        task = result.settings["task"]
        metrics = {
            "task": task,
            **{k: v for k, v in result.metrics.items() if k != "task"},
        }
        metrics["evaluation"] = "cross-validated out-of-fold predictions (outer folds)"
        write_text_atomic(tmp / METRICS_FILE, json_text(metrics))
        run = {
            "kind": "train",
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "folder": str(Path(out).resolve()),  # the page's rebuild command
            "settings": result.settings,
            "data": result.table_meta,
            "best_params": result.best_params,
            "fold_params": result.cv.fold_params,
            "feature_names": result.feature_names,
            "classes": result.classes,
            "timings": result.timings,
            **(extra_meta or {}),
        }
        write_text_atomic(tmp / RUN_FILE, json_text(run))
        _write_predictions(
            tmp / PREDICTIONS_FILE,
            result.cv.predictions,
            result.y_true,
            result.cv.probabilities,
            result.groups,
        )
        meta = {
            "model": result.settings["model"],
            "created": run["created"],
            "task": task,
            "target": result.settings["target"],
            "scale": result.settings.get("scale"),
            "classes": result.classes,
            "feature_names": result.feature_names,
            "best_params": result.best_params,
            "settings": result.settings,
            "data_fingerprint": result.table_meta.get("fingerprint"),
            "data_source": result.table_meta.get("source"),
            "metrics": _headline(metrics),
            "feature_ranges": result.feature_ranges,
            **(
                {"feature_settings": extra_meta["feature_settings"]}
                if extra_meta and extra_meta.get("feature_settings")
                else {}
            ),
        }
        save_model(result.estimator, tmp, meta)
        if importance is not None:
            write_csv_atomic(importance, tmp / IMPORTANCE_FILE)
        render_report(tmp)
    return Path(out)


#: rows predicted per step of the evaluation's progress bar
EVALUATE_BLOCK = 2000


def write_evaluation(
    model: Any,
    table: Any,
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    quiet: bool = True,
) -> tuple[Path, dict[str, Any]]:
    """Score a saved model on a table (external evaluation) and write its report.

    The report states the model (run folder, training data, date), the table, the
    label mapping and the metrics on the table; nothing about training. ``quiet``
    hides the progress bar over the prediction (blocks of :data:`EVALUATE_BLOCK` rows).
    """
    starts = range(0, len(table.X), EVALUATE_BLOCK)
    # one block is one step: no bar that jumps from 0/1 to 1/1
    quiet = quiet or len(starts) < 2
    pred = pd.concat(
        [
            model.predict_frame(table.X.iloc[i : i + EVALUATE_BLOCK])
            for i in progress(starts, total=len(starts), desc="evaluate", quiet=quiet)
        ]
    )
    if model.task == "classify":
        y_pred: Any = pred["label"]
        unknown = sorted(set(table.y.astype(str)) - set(model.classes_ or []))
        if unknown:
            logger.warning(
                "labels unknown to the model (always counted wrong): %s", unknown
            )
    else:
        y_pred = pred[model.targets].to_numpy()
    metrics = score_predictions(
        model.task, table.y, y_pred, scale=model.metadata.get("scale")
    )
    metrics["evaluation"] = "saved model applied to an external table (no refit)"
    # rows far outside the training range (None: the model records no range)
    metrics["out_of_range"] = count_out_of_range(pred)
    metrics["baseline"] = baseline_scores(table.y, task=model.task, cv=None)
    with run_folder(out, force=force) as tmp:
        write_text_atomic(tmp / METRICS_FILE, json_text(metrics))
        run = {
            "kind": EVALUATE_KIND,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "folder": str(Path(out).resolve()),  # the page's rebuild command
            # what the page title needs; the training settings stay in the model's run
            "settings": {
                "model": model.metadata.get("model"),
                "task": model.task,
                "target": model.metadata.get("target"),
                "model_path": str(model.path),
            },
            **evaluation_facts(model, table),
            "data": table.meta,
            "feature_names": model.feature_names,
            "classes": model.classes_,
        }
        write_text_atomic(tmp / RUN_FILE, json_text(run))
        proba = None
        if model.task == "classify":
            cols = [c for c in pred.columns if c.startswith("proba_")]
            if cols:
                proba = pred[cols].rename(columns=lambda c: c[len("proba_") :])
            y_pred_s: Any = pd.Series(np.asarray(y_pred), index=table.X.index)
        else:
            y_pred_s = pd.DataFrame(
                y_pred.reshape(len(table.X), -1),
                index=table.X.index,
                columns=model.targets,
            )
        _write_predictions(
            tmp / PREDICTIONS_FILE, y_pred_s, table.y, proba, table.groups
        )
        render_report(tmp)
    return Path(out), metrics


def _write_predictions(
    path: Path, pred: Any, y_true: Any, proba: Any, groups: Any
) -> None:
    if isinstance(y_true, pd.DataFrame):
        df = pd.concat(
            [
                y_true.add_prefix("true_"),
                pd.DataFrame(
                    np.asarray(pred, dtype=float).reshape(len(y_true), -1),
                    index=y_true.index,
                    columns=y_true.columns,
                ).add_prefix("pred_"),
            ],
            axis=1,
        )
    else:
        name = str(y_true.name)
        df = pd.DataFrame(
            {f"true_{name}": y_true, f"pred_{name}": np.asarray(pred)},
            index=y_true.index,
        )
        if proba is not None:
            df = pd.concat([df, proba.add_prefix("proba_").set_index(df.index)], axis=1)
    if groups is not None:
        df.insert(0, "group", np.asarray(groups))
    df.index.name = df.index.name or "row"
    write_csv_atomic(df, path)


def _headline(metrics: dict[str, Any]) -> dict[str, Any]:
    if metrics["task"] == "classify":
        return {k: metrics[k] for k in ("accuracy", "f1_macro", "f1_weighted", "mcc")}
    return {"targets": metrics["targets"]}
