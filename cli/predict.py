"""``predict``: predictions from a feature table or straight from audio files."""

from __future__ import annotations

import pathlib

import click
from mer_classic.cli._options import (
    force_option,
    jobs_option,
    model_path_option,
    quiet_option,
    settings_from_options,
)
from mer_classic.cli._summaries import predict_problems, predict_text

__all__ = ["predict", "COMMANDS", "EXIT_SOME_FAILED"]

#: exit code when predictions were written but some audio files failed
EXIT_SOME_FAILED = 3


@click.command()
@click.argument("audio", nargs=-1, type=click.Path(path_type=pathlib.Path))
@model_path_option()
@click.option(
    "--data",
    type=click.Path(path_type=pathlib.Path),
    default=None,
    help="Feature table (CSV) to predict instead of AUDIO.",
)
@click.option(
    "--id", "--id-column", "id_col", default=None, help="Track id column of --data."
)
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    default=None,
    help="Output file (default: print to stdout).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
)
@click.option(
    "--segments",
    is_flag=True,
    help="Also write a per-0.5 s curve beside --out (<out>.segments.csv + .png).",
)
@click.option(
    "--smooth",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="With --segments: moving-average window (s) over each track's curve "
    "(as train --dynamic --smooth); labels follow the smoothed probabilities.",
)
@jobs_option("Worker processes for audio extraction (-1: all cores).")
@force_option("Replace existing output files.")
@quiet_option("No progress bar.")
def predict(
    audio, model_path, data, id_col, out, fmt, segments, smooth, jobs, force, quiet
):
    """Predict moods or valence/arousal for AUDIO files/folders or a feature table.

    From audio, the features the model was trained with are extracted (settings from
    model.json); output has one row per track: label and class probabilities, or
    valence/arousal and quadrant. Files that cannot be used are listed on stderr and the
    exit code is 3; the other files are still predicted.

    Example: mer-classic predict --model reports/svm-20260101-120000 song.ogg music/
    """
    # lazy: the library imports scikit-learn (test_help_does_not_import_heavy_libraries)
    from mer_classic._workflows import PredictSettings, run_predict

    settings = settings_from_options(
        PredictSettings,
        model_path=model_path,
        audio=tuple(audio),
        data=data,
        id_col=id_col,
        out=out,
        fmt=fmt,
        segments=segments,
        smooth=smooth,
        force=force,
        n_jobs=jobs,
        quiet=quiet,
    )
    run = run_predict(settings)
    click.echo(
        predict_text(run), nl=out is not None or (data is None and fmt == "json")
    )
    problems = predict_problems(run)
    if problems:
        click.echo("\n".join(problems), err=True)
        click.get_current_context().exit(EXIT_SOME_FAILED)


COMMANDS = [predict]
