"""``train``, ``evaluate`` and ``predict``: the model commands."""

from __future__ import annotations

import pathlib

import click
from mer_classic.cli._options import (
    cv_option,
    force_option,
    grid_option,
    jobs_option,
    model_path_option,
    quiet_option,
    repeats_option,
    scheduler_option,
    seed_option,
)
from mer_classic.cli._summaries import dynamic_summary, evaluate_summary, train_summary

#: registry names per task, spelled out so that --help does not import scikit-learn
#: (a test checks them against mer_classic.models)
MODEL_NAMES = {
    "classify": ["dtree", "gboost", "knn", "logreg", "rf", "stacking", "svm"],
    "regress": ["gboost", "knn", "rf", "ridge", "stacking", "svr"],
}


@click.command()
@click.option(
    "--model",
    "model",
    type=click.Choice(
        sorted(set(MODEL_NAMES["classify"]) | set(MODEL_NAMES["regress"]))
    ),
    default="stacking",
    show_default=True,
    help=f"Registry name (classification: {' '.join(MODEL_NAMES['classify'])}; "
    f"regression: {' '.join(MODEL_NAMES['regress'])}).",
)
@click.option(
    "--data",
    type=click.Path(path_type=pathlib.Path),
    default=None,
    help="Feature table (CSV). Default: the bundled Soundtracks set.",
)
@click.option(
    "--target",
    multiple=True,
    help="Target column (repeat for several regression "
    "targets). Default for the bundled set: quadrant / Valence+Energy.",
)
@click.option(
    "--task",
    type=click.Choice(["classify", "regress"]),
    default="classify",
    show_default=True,
)
@click.option(
    "--group", default=None, help="Column with groups (artist/song) for grouped CV."
)
@click.option(
    "--id",
    "--id-column",
    "id_col",
    default=None,
    help="Column with track ids (index, de-duplication).",
)
@click.option(
    "--exclude",
    multiple=True,
    help="Numeric column that must not be a feature (repeatable), e.g. other ratings.",
)
@cv_option()
@repeats_option()
@seed_option()
@click.option(
    "--scoring",
    default=None,
    metavar="NAME",
    help="sklearn scorer the inner grid selects on. Default: the headline metric "
    "(f1_macro; neg_root_mean_squared_error for regression).",
)
@grid_option()
@click.option(
    "--smote/--no-smote",
    default=True,
    show_default=True,
    help="SMOTE inside the training folds (classification).",
)
@click.option(
    "--test",
    "test_path",
    type=click.Path(path_type=pathlib.Path),
    default=None,
    help="Held-out table scored by the final model (written to DIR/test/).",
)
@jobs_option("Parallel jobs (-1: all cores).")
@click.option(
    "--dynamic",
    is_flag=True,
    help="Dynamic (2 Hz) V/A regression: --data holds segment features (extract "
    "--segment 0.5), --annotations the per-frame labels; songs are held out.",
)
@click.option(
    "--annotations",
    type=click.Path(path_type=pathlib.Path),
    default=None,
    help="Per-frame annotations for --dynamic (PMEmo/DEAM/emoMusic layout or CSV).",
)
@click.option(
    "--smooth",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="With --dynamic: moving-average window (s) over predicted curves.",
)
@scheduler_option(
    "Run the CV and grid search on Dask: 'local' starts a LocalCluster on this "
    'machine, an address uses a running scheduler (pip install "mer-classic[dask]").'
)
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=pathlib.Path),
    default=None,
    help="Run folder. Default: reports/<model>-<timestamp>/.",
)
@force_option("Replace an existing --out folder.")
@click.option(
    "--large-rows",
    type=click.IntRange(min=2),
    default=None,
    help="Row count above which kernel SVM/SVR and stacking switch to scalable "
    "stand-ins (default 20000).",
)
@click.option(
    "--on-large",
    type=click.Choice(["switch", "refuse", "keep"]),
    default="switch",
    show_default=True,
    help="Above --large-rows: switch to the scalable stand-in, refuse with advice, or "
    "keep the exact (quadratic) model.",
)
@click.option(
    "--importance/--no-importance",
    default=True,
    show_default=True,
    help="Permutation feature importance on the held-out folds (refits once per fold).",
)
@click.option(
    "--importance-max-features",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Measure importance on at most N features: a wider table gets a seeded "
    "random subset (said in the run's notes). Default: 500.",
)
@click.option(
    "--importance-by",
    type=click.Choice(["group", "cluster", "feature"]),
    default="group",
    show_default=True,
    help="What one shuffle permutes: a feature group (cheap, default), a cluster of "
    "correlated columns (|Spearman rho| >= 0.7), or each single column (costly).",
)
@quiet_option()
def train(
    model,
    data,
    target,
    task,
    group,
    id_col,
    exclude,
    cv,
    repeats,
    seed,
    scoring,
    grid,
    smote,
    test_path,
    jobs,
    dynamic,
    annotations,
    smooth,
    scheduler,
    out,
    force,
    large_rows,
    on_large,
    importance,
    importance_max_features,
    importance_by,
    quiet,
):
    """Cross-validate a model, refit it on all rows, and write reports and the model.

    With no --data, trains on the bundled Soundtracks set (quadrant of valence × energy,
    grouped by film).

    Example: mer-classic train --model svm --data features.csv --target label --group artist
    """
    if annotations is not None and not dynamic:
        raise click.UsageError("--annotations is only used with --dynamic")
    if dynamic:
        ctx = click.get_current_context()
        _refuse_unhonoured(ctx)
        # the alias runs train-dynamic itself, with the options both commands share
        shared = {p.name for p in train_dynamic.params} & set(ctx.params)
        ctx.invoke(train_dynamic, **{name: ctx.params[name] for name in shared})
        return
    # lazy: the library imports scikit-learn (test_help_does_not_import_heavy_libraries)
    from mer_classic._workflows import TrainSettings, run_train

    settings = TrainSettings(
        model=model,
        data=data,
        target=tuple(target),
        task=task,
        group=group,
        id_col=id_col,
        exclude=tuple(exclude),
        cv=cv,
        repeats=repeats,
        seed=seed,
        scoring=scoring,
        grid=grid,
        smote=smote,
        test=test_path,
        n_jobs=jobs,
        out=out,
        force=force,
        quiet=quiet,
        scheduler=scheduler,
        importance=importance,
        importance_max_features=importance_max_features,
        importance_by=importance_by,
        large_rows=large_rows,
        on_large=on_large,
    )
    click.echo(train_summary(run_train(settings)))


@click.command()
@model_path_option()
@click.option(
    "--data",
    required=True,
    type=click.Path(path_type=pathlib.Path),
    help="Table with the model's feature columns and the true target.",
)
@click.option("--target", multiple=True, help="Target column(s); default: the model's.")
@click.option(
    "--group", default=None, help="Group column (reported, not used for fitting)."
)
@click.option("--id", "--id-column", "id_col", default=None, help="Track id column.")
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=pathlib.Path),
    default=None,
    help="Report folder. Default: reports/eval-<model>-<timestamp>/.",
)
@force_option("Replace an existing --out folder.")
@quiet_option()
def evaluate(model_path, data, target, group, id_col, out, force, quiet):
    """Score a saved model on another table (external-dataset evaluation).

    Example: mer-classic evaluate --model reports/svm-20260101-120000 --data other.csv
    """
    # lazy: the library imports scikit-learn (test_help_does_not_import_heavy_libraries)
    from mer_classic._workflows import EvaluateSettings, run_evaluate

    settings = EvaluateSettings(
        model_path=model_path,
        data=data,
        target=tuple(target),
        group=group,
        id_col=id_col,
        out=out,
        force=force,
        quiet=quiet,
    )
    click.echo(evaluate_summary(run_evaluate(settings)))


def _refuse_unhonoured(ctx: click.Context) -> None:
    """Refuse options given explicitly to ``train --dynamic`` that it cannot honour.

    The honoured ones are derived from ``train-dynamic``'s own parameters (plus
    ``--task`` and ``--dynamic`` themselves), so the two lists cannot drift apart.
    """
    honoured = {p.name for p in train_dynamic.params} | {"task", "dynamic"}
    given = [
        p
        for p in ctx.command.params
        if p.name not in honoured
        and ctx.get_parameter_source(p.name)
        in (
            click.core.ParameterSource.COMMANDLINE,
            click.core.ParameterSource.ENVIRONMENT,
        )
    ]
    if ctx.params.get("task") == "classify" and ctx.get_parameter_source("task") in (
        click.core.ParameterSource.COMMANDLINE,
        click.core.ParameterSource.ENVIRONMENT,
    ):
        given.append(next(p for p in ctx.command.params if p.name == "task"))
    if given:
        names = ", ".join(p.opts[0] for p in given)
        raise click.UsageError(
            f"--dynamic does not use {names}; drop them, or run "
            "`mer-classic train-dynamic --help` for the options it honours"
        )


@click.command("train-dynamic")
@click.option(
    "--model",
    "model",
    type=click.Choice(MODEL_NAMES["regress"]),
    default="stacking",
    show_default=True,
    help=f"Regression registry name ({' '.join(MODEL_NAMES['regress'])}).",
)
@click.option(
    "--data",
    required=True,
    type=click.Path(path_type=pathlib.Path),
    help="Segment feature table (mer-classic extract --segment 0.5).",
)
@click.option(
    "--annotations",
    required=True,
    type=click.Path(path_type=pathlib.Path),
    help="Per-frame annotations (PMEmo/DEAM/emoMusic layout or CSV).",
)
@click.option(
    "--target",
    multiple=True,
    help="Target column (repeatable). Default: valence, arousal.",
)
@cv_option("Cross-validation folds (songs held out).")
@repeats_option()
@seed_option()
@grid_option()
@click.option(
    "--smooth",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Moving-average window (s) over predicted curves.",
)
@jobs_option("Parallel jobs (-1: all cores).")
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=pathlib.Path),
    default=None,
    help="Run folder. Default: reports/dynamic-<model>-<timestamp>/.",
)
@force_option("Replace an existing --out folder.")
@quiet_option()
def train_dynamic(
    model,
    data,
    annotations,
    target,
    cv,
    repeats,
    seed,
    grid,
    smooth,
    jobs,
    out,
    force,
    quiet,
):
    """Dynamic (2 Hz) valence/arousal regression with songs held out.

    `train --dynamic` is an alias that refuses the train options this command
    does not use.

    Example: mer-classic train-dynamic --data dynamic.csv --annotations annotations.csv
    """
    # lazy: the library imports scikit-learn (test_help_does_not_import_heavy_libraries)
    from mer_classic._workflows import DynamicSettings, run_train_dynamic

    settings = DynamicSettings(
        model=model,
        data=data,
        annotations=annotations,
        target=tuple(target),
        cv=cv,
        repeats=repeats,
        seed=seed,
        grid=grid,
        smooth=smooth,
        n_jobs=jobs,
        out=out,
        force=force,
        quiet=quiet,
    )
    click.echo(dynamic_summary(run_train_dynamic(settings)))


COMMANDS = [train, train_dynamic, evaluate]
