"""The model commands: ``train`` (static and ``--dynamic``), ``evaluate`` and
``predict --data`` (a feature table)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from mer_classic._io import check_writable, refuse_existing
from mer_classic.exceptions import ConfigError, ParameterError
from mer_classic.workflows._output import check_format, table_text, write_table

__all__ = [
    "run_train_dynamic",
    "resolve_training_table",
    "run_train",
    "run_evaluate",
    "run_predict_table",
    "format_metrics",
]

logger = logging.getLogger(__name__)


def resolve_training_table(
    data: str | os.PathLike[str] | None,
    *,
    target: list[str],
    task: str,
    group: str | None,
    id_col: str | None,
    exclude: list[str],
) -> Any:
    """Load ``data`` (or the bundled Soundtracks set when None) as a Table."""
    from mer_classic.table import load_table

    if data is not None:
        if not target:
            raise ParameterError(
                "--target is required with --data (the label or value column)"
            )
        return load_table(
            data, target=target, task=task, group=group, id=id_col, exclude=exclude
        )
    from mer_classic.datasets.soundtracks import (
        DEFAULTS,
        SOUNDTRACKS_RATINGS,
        load_soundtracks,
        soundtracks_path,
    )

    target = target or list(
        DEFAULTS[task]["target"] if task == "regress" else [DEFAULTS[task]["target"]]
    )
    ratings_not_targets = [c for c in SOUNDTRACKS_RATINGS if c not in target]
    table = load_table(
        load_soundtracks(),
        target=target,
        task=task,
        group=group or str(DEFAULTS["group"]),
        id=id_col or str(DEFAULTS["id"]),
        exclude=ratings_not_targets + list(exclude),
        name=f"bundled Soundtracks set ({soundtracks_path().name})",
    )
    table.meta["notes"].append(
        "listener ratings other than the target(s) are excluded from the features"
    )
    return table


def format_metrics(metrics: dict[str, Any]) -> str:
    """One or two lines with the headline metrics."""
    if metrics["task"] == "classify":
        line = (
            f"accuracy {metrics['accuracy']:.3f}  F1 macro {metrics['f1_macro']:.3f}  "
            f"F1 weighted {metrics['f1_weighted']:.3f}  MCC {metrics['mcc']:.3f}"
        )
        rep = metrics.get("repeats", {})
        if rep.get("n", 1) > 1:
            f = rep["f1_macro"]
            line += (
                f"\n  over {rep['n']} repeats: F1 macro {f['mean']:.3f} ± {f['sd']:.3f}"
            )
        return line + _undefined(metrics)
    parts = [
        f"{name}: RMSE {t['rmse']:.3f}  R² {t['r2']:.3f}  r {t['pearson_r']:.3f}"
        for name, t in metrics["targets"].items()
    ]
    scale = metrics.get("scale")
    text = "\n  ".join(parts) + (f"  (scale {scale})" if scale else "")
    if metrics.get("quadrant"):
        text += f"\n  quadrants from predicted V/A: F1 macro {metrics['quadrant']['f1_macro']:.3f}"
    return text + _undefined(metrics)


def _undefined(metrics: dict[str, Any]) -> str:
    """A line naming the metrics that are undefined on this table, or ''."""
    why = metrics.get("undefined") or {}
    return (
        "\n  undefined here (nan): " + "; ".join(f"{k}: {v}" for k, v in why.items())
        if why
        else ""
    )


def run_train(
    *,
    model: str,
    data: str | os.PathLike[str] | None,
    target: list[str],
    task: str,
    group: str | None = None,
    id_col: str | None = None,
    exclude: list[str] | None = None,
    cv: int = 5,
    repeats: int = 1,
    seed: int = 42,
    grid: bool = True,
    smote: bool = True,
    test: str | os.PathLike[str] | None = None,
    n_jobs: int = 1,
    out: str | os.PathLike[str] | None = None,
    force: bool = False,
    quiet: bool = False,
    scheduler: str | None = None,
    importance: bool = True,
    importance_max_features: int | None = None,
    large_rows: int | None = None,
    on_large: str = "switch",
    dynamic: bool = False,
    annotations: str | os.PathLike[str] | None = None,
    smooth: float = 0.0,
) -> str:
    """Train, cross-validate and write a run folder; return the summary text.

    ``scheduler`` (None, ``"local"`` or ``"tcp://HOST:PORT"``) runs the cross-validation
    and grid search on a Dask cluster (:func:`mer_classic.parallel.joblib_backend`).
    With ``dynamic``, this is :func:`run_train_dynamic` (``annotations``, ``smooth``).
    Permutation importance (``importance``) measures at most
    ``importance_max_features`` features (default
    :data:`mer_classic.importance.MAX_FEATURES`; a seeded random subset of a wider
    table, said in the run's notes); its time is listed in the run's timings.
    """
    if dynamic:
        return run_train_dynamic(
            model=model,
            data=data,
            annotations=annotations,
            target=target,
            cv=cv,
            repeats=repeats,
            seed=seed,
            grid=grid,
            smooth=smooth,
            n_jobs=n_jobs,
            out=out,
            force=force,
            quiet=quiet,
        )
    from mer_classic.models import get_spec
    from mer_classic.parallel import check_scheduler, require_dask
    from mer_classic.report import default_run_dir, write_evaluation, write_run
    from mer_classic.training import train

    get_spec(model, task)
    scheduler = check_scheduler(scheduler)
    if scheduler is not None:
        require_dask()  # before any work: the ImportError names the install command
    out_dir = Path(out) if out is not None else default_run_dir(model)
    refuse_existing(out_dir, force=force)  # before any work
    check_writable(out_dir)
    table = resolve_training_table(
        data,
        target=target,
        task=task,
        group=group,
        id_col=id_col,
        exclude=list(exclude or []),
    )
    test_table = None
    if test is not None:
        from mer_classic.table import load_table

        test_table = load_table(
            test,
            target=table.targets if task == "regress" else table.targets[0],
            task=task,
            group=None,
            id=id_col,
            features=list(table.X.columns),
            purpose="score",
        )
    result = train(
        table,
        model=model,
        task=task,
        cv=cv,
        repeats=repeats,
        seed=seed,
        grid=grid,
        smote=smote,
        n_jobs=n_jobs,
        quiet=quiet,
        scheduler=scheduler,
        large_rows=large_rows,
        on_large=on_large,
    )
    imp = None
    extra: dict[str, Any] = {}
    if importance:
        import time

        from mer_classic.importance import MAX_FEATURES, permutation_importance_cv

        t0 = time.perf_counter()
        # held-out permutation importance on the evaluation's own folds
        imp = permutation_importance_cv(
            result.estimator,
            table.X,
            table.y,
            table.groups,
            task=task,
            cv=cv,
            seed=seed,
            max_features=importance_max_features or MAX_FEATURES,
            n_jobs=n_jobs,
            quiet=quiet,
        )
        result.timings["permutation_importance_s"] = time.perf_counter() - t0
        extra["importance"] = {
            "n_features": imp.attrs.get("n_features"),
            "n_measured": imp.attrs.get("n_measured"),
            "max_features": importance_max_features or MAX_FEATURES,
            **({"note": imp.attrs["note"]} if imp.attrs.get("note") else {}),
        }
    feature_settings = _feature_settings_of(data)
    if feature_settings:
        extra["feature_settings"] = feature_settings
    write_run(
        result,
        out_dir,
        force=force,
        extra_meta=extra or None,
        importance=imp,
    )
    lines = [
        f"{model} ({task}) on {table.meta['source']}: {len(table)} rows, "
        f"{table.X.shape[1]} features, {cv}-fold {result.settings['splitter']}"
        + (f" by {table.meta['group']!r}" if table.meta.get("group") else ""),
    ]
    lines += [f"  note: {n}" for n in table.meta["notes"]]
    lines += [
        f"  note: {n}" for n in result.settings.get("scaling", {}).get("notes", [])
    ]
    if extra.get("importance", {}).get("note"):
        lines.append(f"  note: {extra['importance']['note']}")
    if scheduler is not None:
        lines.append(f"  ran on the Dask scheduler {scheduler!r}")
    lines.append("  " + format_metrics(result.metrics))
    if result.best_params:
        lines.append(f"  chosen on all rows: {result.best_params}")
    if test_table is not None:
        from mer_classic.persistence import load_model

        _, tmetrics = write_evaluation(
            load_model(out_dir), test_table, out_dir / "test"
        )
        lines.append(
            f"  held-out test ({len(test_table)} rows): " + format_metrics(tmetrics)
        )
    lines.append(f"wrote {out_dir}/ (report.md, metrics.json, model.joblib)")
    return "\n".join(lines)


def _feature_settings_of(data: str | os.PathLike[str] | None) -> dict[str, Any] | None:
    """Audio-feature settings recorded beside an extracted feature table, if any."""
    if data is None:
        return None
    from mer_classic.features._batch import settings_path_for

    sidecar = settings_path_for(data)
    if sidecar.exists():
        try:
            info = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # JSONDecodeError, UnicodeDecodeError
            logger.warning(
                "ignoring %s (%s): the model will not record extraction settings, and "
                "`predict` from audio will assume the defaults",
                sidecar,
                exc,
            )
            return None
        if isinstance(info, dict):
            return info.get("settings", info)
    return None


def run_evaluate(
    *,
    model_path: str | os.PathLike[str],
    data: str | os.PathLike[str],
    target: list[str],
    group: str | None = None,
    id_col: str | None = None,
    out: str | os.PathLike[str] | None = None,
    force: bool = False,
    quiet: bool = False,
) -> str:
    """Score a saved model on a table and write a report folder; return the summary.

    ``quiet`` hides the progress bar over the prediction (in blocks of rows).
    """
    from mer_classic.persistence import load_model
    from mer_classic.report import default_run_dir, write_evaluation
    from mer_classic.table import load_table

    if out:
        refuse_existing(out, force=force)  # before any work
    model = load_model(model_path)
    tgt: Any = target or model.targets
    if model.task == "classify":
        tgt = tgt[0]
    table = load_table(
        data,
        target=tgt,
        task=model.task,
        group=group,
        id=id_col,
        features=model.feature_names,
        purpose="score",
    )
    out_dir = (
        Path(out) if out else default_run_dir(f"eval-{model.metadata.get('model')}")
    )
    check_writable(out_dir)
    _, metrics = write_evaluation(model, table, out_dir, force=force, quiet=quiet)
    return (
        f"{model.metadata.get('model')} on {table.meta['source']} ({len(table)} rows)\n  "
        + format_metrics(metrics)
        + f"\nwrote {out_dir}/"
    )


def run_predict_table(
    *,
    model_path: str | os.PathLike[str],
    data: str | os.PathLike[str],
    id_col: str | None = None,
    out: str | os.PathLike[str] | None = None,
    fmt: str = "csv",
    force: bool = False,
) -> str:
    """Predict a feature table; write ``out`` (CSV/JSON) or return the text for stdout.

    What ``mer-classic predict --data`` runs (see also :func:`run_predict`).
    """
    from mer_classic.persistence import load_model
    from mer_classic.table import read_csv

    check_format(fmt)  # before any work
    if out is not None:
        refuse_existing(out, force=force)
        check_writable(out)
    model = load_model(model_path)
    df = read_csv(data)
    if id_col is not None:
        if id_col not in df.columns:
            raise ConfigError(f"id column {id_col!r} not found in {str(data)!r}")
        df = df.set_index(id_col)
    preds = model.predict_frame(df)
    if out is None:
        return table_text(preds, fmt)
    write_table(preds, out, fmt)
    return f"wrote {len(preds)} prediction(s) to {out}"


def run_train_dynamic(
    *,
    model: str,
    data: str | os.PathLike[str] | None,
    annotations: str | os.PathLike[str] | None,
    target: list[str],
    cv: int = 5,
    repeats: int = 1,
    seed: int = 42,
    grid: bool = True,
    smooth: float = 0.0,
    n_jobs: int = 1,
    out: str | os.PathLike[str] | None = None,
    force: bool = False,
    quiet: bool = False,
) -> str:
    """Dynamic (2 Hz) valence/arousal regression: song-held-out CV, report and model.

    ``data`` holds segment features (``mer-classic extract --segment 0.5``) and
    ``annotations`` the per-frame labels (PMEmo, DEAM, emoMusic or long format).
    """
    from mer_classic.dynamic import run_dynamic
    from mer_classic.models import get_spec
    from mer_classic.report import default_run_dir, run_folder

    get_spec(model, "regress")  # a classifier name is refused first
    if data is None or annotations is None:
        raise ParameterError(
            "--dynamic needs --data SEGMENT_FEATURES.csv (mer-classic extract --segment "
            "0.5) and --annotations FILE (per-frame valence/arousal)"
        )
    out_dir = Path(out) if out is not None else default_run_dir(f"dynamic-{model}")
    check_writable(out_dir)
    with run_folder(out_dir, force=force) as tmp:
        summary = run_dynamic(
            data,
            annotations,
            targets=tuple(target or ("valence", "arousal")),
            model=model,
            cv=cv,
            seed=seed,
            grid=grid,
            smooth=smooth,
            out_dir=tmp,
            quiet=quiet,
            repeats=repeats,
            n_jobs=n_jobs,
            save_model=True,
            feature_settings=_feature_settings_of(data),
        )
    lines = [
        f"dynamic {model} on {summary['n_frames']} frames of {summary['n_songs']} songs "
        f"({cv}-fold, songs held out; scale {summary['scale']})"
    ]
    lines += [f"  note: {n}" for n in summary["notes"]]
    for name, blk in summary["targets"].items():
        own, unit = blk["own"], blk["rescaled_0_1"]
        lines.append(
            f"  {name}: pooled RMSE {own['pooled_rmse']:.3f} r {own['pooled_r']:.3f}; "
            f"per song RMSE {own['per_song_rmse']:.3f} r {own['per_song_r']:.3f} "
            f"(0..1: pooled RMSE {unit['pooled_rmse']:.3f})"
        )
    lines.append(f"wrote {out_dir}/ (report.md, metrics.json, predictions.csv, model)")
    return "\n".join(lines)
