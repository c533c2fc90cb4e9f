"""The model commands: ``train``, ``train-dynamic`` and ``evaluate``.

Each takes a frozen settings object (validated once, on construction) and returns a
result object; the lines the command prints are formatted by ``cli/_summaries.py``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mer_classic._crossval import resolve_scoring
from mer_classic._io import check_writable, refuse_existing
from mer_classic._leakage import group_like_columns
from mer_classic._persistence._files import load_model
from mer_classic._persistence._ranges import out_of_range_note
from mer_classic._table import load_table, read_csv
from mer_classic.datasets._soundtracks import (
    DEFAULTS,
    SOUNDTRACKS_RATINGS,
    load_soundtracks,
    soundtracks_path,
)
from mer_classic.dynamic import run_dynamic
from mer_classic.exceptions import ParameterError
from mer_classic.features._batch import settings_path_for
from mer_classic.importance import MAX_FEATURES, permutation_importance_cv
from mer_classic.models import get_spec
from mer_classic.parallel import check_scheduler, require_dask
from mer_classic.report import render_report, write_run
from mer_classic.report._write import default_run_dir, run_folder, write_evaluation
from mer_classic.training import train

__all__ = [
    "run_train_dynamic",
    "resolve_training_table",
    "run_train",
    "TrainRun",
    "TrainSettings",
    "run_evaluate",
    "EvaluateRun",
    "EvaluateSettings",
    "DynamicRun",
    "DynamicSettings",
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
    if data is not None:
        if not target:
            raise ParameterError(
                "--target is required with --data (the label or value column)"
            )
        return load_table(
            data, target=target, task=task, group=group, id=id_col, exclude=exclude
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


@dataclass(frozen=True)
class TrainSettings:
    """Everything ``mer-classic train`` needs, validated once on construction.

    The fields are the command's options (``n_jobs`` is ``--jobs``, ``test`` is
    ``--test``). ``scheduler`` (None, ``"local"`` or ``"tcp://HOST:PORT"``) runs the
    cross-validation and grid search on a Dask cluster
    (:func:`mer_classic.parallel.joblib_backend`). Permutation importance
    (``importance``) measures at most ``importance_max_features`` features (default
    :data:`mer_classic.importance.MAX_FEATURES`; a seeded random subset of a wider
    table, said in the run's notes); ``importance_by`` chooses what one shuffle
    permutes (``"group"``, ``"cluster"`` or ``"feature"``).

    Raises
    ------
    ParameterError
        On an unknown model for the task, an unknown scorer, a bad scheduler
        address (the existing messages).
    """

    model: str
    data: str | os.PathLike[str] | None
    target: tuple[str, ...]
    task: str
    group: str | None = None
    id_col: str | None = None
    exclude: tuple[str, ...] = ()
    cv: int = 5
    repeats: int = 1
    seed: int = 42
    scoring: str | None = None
    grid: bool = True
    smote: bool = True
    test: str | os.PathLike[str] | None = None
    n_jobs: int = 1
    out: str | os.PathLike[str] | None = None
    force: bool = False
    quiet: bool = False
    scheduler: str | None = None
    importance: bool = True
    importance_max_features: int | None = None
    importance_by: str = "group"
    large_rows: int | None = None
    on_large: str = "switch"

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", tuple(self.target))
        object.__setattr__(self, "exclude", tuple(self.exclude or ()))
        get_spec(self.model, self.task)
        object.__setattr__(self, "scoring", resolve_scoring(self.scoring, self.task))
        object.__setattr__(self, "scheduler", check_scheduler(self.scheduler))
        if self.scheduler is not None:
            require_dask()  # the ImportError names the install command


@dataclass
class TrainRun:
    """What :func:`run_train` did: the material of the command's summary lines.

    ``elapsed_s`` is the whole run's wall time; ``test_metrics`` is None without
    ``--test``.
    """

    settings: TrainSettings
    result: Any
    table: Any
    out_dir: Path
    extra: dict[str, Any] = field(default_factory=dict)
    test_rows: int | None = None
    test_metrics: dict[str, Any] | None = None
    elapsed_s: float = 0.0


def run_train(settings: TrainSettings) -> TrainRun:
    """Train, cross-validate and write a run folder; return what was done.

    The summary lines are formatted by the CLI (``cli/_summaries.py``) from the result.
    """
    s = settings
    t_start = time.perf_counter()
    out_dir = Path(s.out) if s.out is not None else default_run_dir(s.model)
    refuse_existing(out_dir, force=s.force)  # before any work
    check_writable(out_dir)
    table = resolve_training_table(
        s.data,
        target=list(s.target),
        task=s.task,
        group=s.group,
        id_col=s.id_col,
        exclude=list(s.exclude),
    )
    table.meta["warnings"] = _grouping_warnings(s.data, table)
    test_table = None
    if s.test is not None:
        test_table = load_table(
            s.test,
            target=table.targets if s.task == "regress" else table.targets[0],
            task=s.task,
            group=None,
            id=s.id_col,
            features=list(table.X.columns),
            purpose="score",
        )
    result = train(
        table,
        model=s.model,
        task=s.task,
        cv=s.cv,
        repeats=s.repeats,
        seed=s.seed,
        grid=s.grid,
        smote=s.smote,
        n_jobs=s.n_jobs,
        quiet=s.quiet,
        scheduler=s.scheduler,
        large_rows=s.large_rows,
        on_large=s.on_large,
        scoring=s.scoring,
    )
    imp = None
    extra: dict[str, Any] = {}
    if s.importance:
        t0 = time.perf_counter()
        # held-out permutation importance on the evaluation's own folds
        imp = permutation_importance_cv(
            result.estimator,
            table.X,
            table.y,
            table.groups,
            task=s.task,
            cv=s.cv,
            seed=s.seed,
            max_features=s.importance_max_features or MAX_FEATURES,
            n_jobs=s.n_jobs,
            quiet=s.quiet,
            by=s.importance_by,
        )
        result.timings["permutation_importance_s"] = time.perf_counter() - t0
        extra["importance"] = {
            "n_features": imp.attrs.get("n_features"),
            "n_measured": imp.attrs.get("n_measured"),
            "max_features": s.importance_max_features or MAX_FEATURES,
            "by": s.importance_by,
            "n_distinguishable": int(imp["distinguishable"].sum()),
            **({"note": imp.attrs["note"]} if imp.attrs.get("note") else {}),
        }
    feature_settings = _feature_settings_of(s.data)
    if feature_settings:
        extra["feature_settings"] = feature_settings
    write_run(
        result,
        out_dir,
        force=s.force,
        extra_meta=extra or None,
        importance=imp,
    )
    run = TrainRun(settings=s, result=result, table=table, out_dir=out_dir, extra=extra)
    if test_table is not None:
        _, run.test_metrics = write_evaluation(
            load_model(out_dir), test_table, out_dir / "test"
        )
        run.test_rows = len(test_table)
    run.elapsed_s = time.perf_counter() - t_start
    return run


def _grouping_warnings(data: str | os.PathLike[str] | None, table: Any) -> list[str]:
    """A warning naming the group-like columns of an ungrouped table, or none."""
    if data is None or table.meta.get("group"):
        return []
    header = list(read_csv(data, nrows=1).columns)  # the header only
    found = group_like_columns(header, skip=[table.meta.get("id"), *table.targets])
    if not found:
        return []
    shown = ", ".join(repr(c) for c in found)
    return [
        f"the folds are not grouped although {shown} looks like a grouping column: "
        "tracks of one artist/album can sit on both sides of a fold, which inflates "
        f"the scores; pass --group {found[0]}"
    ]


def _feature_settings_of(data: str | os.PathLike[str] | None) -> dict[str, Any] | None:
    """Audio-feature settings recorded beside an extracted feature table, if any."""
    if data is None:
        return None
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


@dataclass(frozen=True)
class EvaluateSettings:
    """Everything ``mer-classic evaluate`` needs: a saved model and a table to score.

    ``target`` defaults to the model's target(s); ``id_col`` to the id ``predict``
    would use (the model's training id column, else ``track_id``, when the table has
    it). ``quiet`` hides the progress bar over the prediction (in blocks of rows).
    """

    model_path: str | os.PathLike[str]
    data: str | os.PathLike[str]
    target: tuple[str, ...] = ()
    group: str | None = None
    id_col: str | None = None
    out: str | os.PathLike[str] | None = None
    force: bool = False
    quiet: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", tuple(self.target or ()))


@dataclass
class EvaluateRun:
    """What :func:`run_evaluate` did: the model's name, the table, metrics, folder."""

    settings: EvaluateSettings
    model_name: str | None
    source: str
    n_rows: int
    metrics: dict[str, Any]
    out_dir: Path

    @property
    def range_note(self) -> str | None:
        """The one line about rows far outside the training range, or None."""
        return out_of_range_note(
            self.metrics.get("out_of_range"), self.n_rows, unit="row"
        )


def run_evaluate(settings: EvaluateSettings) -> EvaluateRun:
    """Score a saved model on a table and write a report folder.

    The summary lines are formatted by the CLI (``cli/_summaries.py``) from the result.
    """
    s = settings
    if s.out:
        refuse_existing(s.out, force=s.force)  # before any work
    model = load_model(s.model_path)
    tgt: Any = list(s.target) or model.targets
    if model.task == "classify":
        tgt = tgt[0]
    id_col = s.id_col if s.id_col is not None else _default_id(s.data, model)
    table = load_table(
        s.data,
        target=tgt,
        task=model.task,
        group=s.group,
        id=id_col,
        features=model.feature_names,
        purpose="score",
    )
    out_dir = (
        Path(s.out) if s.out else default_run_dir(f"eval-{model.metadata.get('model')}")
    )
    check_writable(out_dir)
    _, metrics = write_evaluation(model, table, out_dir, force=s.force, quiet=s.quiet)
    return EvaluateRun(
        settings=s,
        model_name=model.metadata.get("model"),
        source=table.meta["source"],
        n_rows=len(table),
        metrics=metrics,
        out_dir=out_dir,
    )


def _default_id(data: str | os.PathLike[str], model: Any) -> str | None:
    """The id column ``predict`` would use: the model's training id, else ``track_id``.

    Only a column of the table that is not one of the model's features.
    """
    header = set(read_csv(data, nrows=1).columns)  # the header only
    settings = model.metadata.get("settings") or {}
    for col in (settings.get("id"), "track_id"):
        if col and col in header and col not in model.feature_names:
            return str(col)
    return None


@dataclass(frozen=True)
class DynamicSettings:
    """Everything ``mer-classic train-dynamic`` needs, validated once on construction.

    ``data`` holds segment features (``mer-classic extract --segment 0.5``) and
    ``annotations`` the per-frame labels (PMEmo, DEAM, emoMusic or long format);
    ``target`` defaults to valence and arousal.

    Raises
    ------
    ParameterError
        On a classifier name, or a missing ``data`` / ``annotations``.
    """

    model: str
    data: str | os.PathLike[str] | None
    annotations: str | os.PathLike[str] | None
    target: tuple[str, ...] = ()
    cv: int = 5
    repeats: int = 1
    seed: int = 42
    grid: bool = True
    smooth: float = 0.0
    n_jobs: int = 1
    out: str | os.PathLike[str] | None = None
    force: bool = False
    quiet: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", tuple(self.target or ("valence", "arousal")))
        get_spec(self.model, "regress")  # a classifier name is refused first
        if self.data is None or self.annotations is None:
            raise ParameterError(
                "--dynamic needs --data SEGMENT_FEATURES.csv (mer-classic extract "
                "--segment 0.5) and --annotations FILE (per-frame valence/arousal)"
            )


@dataclass
class DynamicRun:
    """What :func:`run_train_dynamic` did: ``summary`` is :func:`run_dynamic`'s dict."""

    settings: DynamicSettings
    summary: dict[str, Any]
    out_dir: Path


def run_train_dynamic(settings: DynamicSettings) -> DynamicRun:
    """Dynamic (2 Hz) valence/arousal regression: song-held-out CV, report and model.

    The summary lines are formatted by the CLI (``cli/_summaries.py``) from the result.
    """
    s = settings
    out_dir = (
        Path(s.out) if s.out is not None else default_run_dir(f"dynamic-{s.model}")
    )
    check_writable(out_dir)
    with run_folder(out_dir, force=s.force) as tmp:
        summary = run_dynamic(
            s.data,
            s.annotations,
            targets=s.target,
            model=s.model,
            cv=s.cv,
            seed=s.seed,
            grid=s.grid,
            smooth=s.smooth,
            out_dir=tmp,
            quiet=s.quiet,
            repeats=s.repeats,
            n_jobs=s.n_jobs,
            save_model=True,
            feature_settings=_feature_settings_of(s.data),
        )
    render_report(out_dir)  # in its final place: the page names the real folder
    return DynamicRun(settings=s, summary=summary, out_dir=out_dir)
