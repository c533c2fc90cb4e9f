"""``mer-classic extract``: audio files/folders/tracks CSV → feature table."""

from __future__ import annotations

import pathlib

import click
from mer_classic.cli._options import (
    jobs_option,
    quiet_option,
    scheduler_option,
    settings_from_options,
)
from mer_classic.cli._summaries import extract_problems, extract_summary

from mer_classic.exceptions import ParameterError

__all__ = ["extract", "COMMANDS", "EXIT_SOME_FAILED"]

#: exit code when the table was written but some files failed (see the errors CSV)
EXIT_SOME_FAILED = 3


def _check_features(value: str | None) -> tuple[str, ...] | None:
    """``--features`` → canonical group tuple; an unknown group is a usage error."""
    if value is None:
        return None
    # lazy: the feature names load scipy (test_help_does_not_import_heavy_libraries)
    from mer_classic.features._names import resolve_feature_groups

    try:
        return resolve_feature_groups(value)
    except ParameterError as exc:
        raise click.BadParameter(str(exc), param_hint="'--features'") from exc


@click.command()
@click.argument(
    "inputs",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, path_type=pathlib.Path),
)
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    default=None,
    help="Output CSV [default: DATA_DIR/features/features.csv].",
)
@jobs_option("Worker processes (-1: all cores).")
@click.option(
    "--sr",
    type=click.IntRange(8000, 192000),
    default=22050,
    show_default=True,
    help="Analysis sample rate (Hz).",
)
@click.option(
    "--offset",
    type=click.FloatRange(min=0),
    default=None,
    help="Start this many seconds into each file.",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Use at most this many seconds.",
)
@click.option(
    "--segment",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="One row per SEGMENT seconds, index (track_id, time); "
    "time = window centre in file seconds.",
)
@click.option(
    "--window",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Analysis window (s) of each segment row.",
)
@click.option(
    "--features",
    default=None,
    metavar="GROUPS",
    callback=lambda _ctx, _param, value: _check_features(value),
    help="Feature groups: 'default', 'all', or a comma list such as "
    "mfcc,spectral,rhythm (docs/features.md lists the groups) [default: default].",
)
@click.option(
    "--label-from-folder",
    is_flag=True,
    help="Label each file with its parent folder name (e.g. Q1..Q4).",
)
@click.option(
    "--metadata",
    type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path),
    default=None,
    help="CSV with one row per track (artist, title …) joined by track id; "
    "its text columns are written before the features.",
)
@click.option(
    "--metadata-id",
    default=None,
    metavar="COLUMN",
    help="The --metadata column holding track ids [default: detected].",
)
@click.option(
    "--metadata-columns",
    default=None,
    metavar="COLUMNS",
    help="Comma list of numeric --metadata columns to join all the same "
    "(e.g. valence,arousal as regression targets); other numeric ones are left out.",
)
@click.option(
    "--force", is_flag=True, help="Replace an existing output (never an input)."
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=pathlib.Path),
    default=None,
    help="Per-file feature cache [default: DATA_DIR/cache/features].",
)
@click.option(
    "--no-cache", is_flag=True, help="Do not read or write the feature cache."
)
@scheduler_option(
    "Run on Dask: 'local' starts a LocalCluster, an address uses a running "
    'scheduler (pip install "mer-classic[dask]"); --jobs is then ignored.'
)
@quiet_option("No progress bar.")
def extract(
    inputs: tuple[pathlib.Path, ...],
    out: pathlib.Path | None,
    jobs: int,
    sr: int,
    offset: float | None,
    duration: float | None,
    segment: float | None,
    window: float,
    features: tuple[str, ...] | None,
    label_from_folder: bool,
    metadata: pathlib.Path | None,
    metadata_id: str | None,
    metadata_columns: str | None,
    force: bool,
    cache_dir: pathlib.Path | None,
    no_cache: bool,
    scheduler: str | None,
    quiet: bool,
) -> None:
    """Extract audio features from INPUT files, folders or a tracks CSV.

    INPUT may be audio files, folders (searched recursively by extension) or a
    tracks CSV with an audio_path column (as written by `fetch`); its label and
    artists columns are carried into the output. Files that fail are listed in
    OUT's sibling `<name>.errors.csv`; the exit code is then 3. An existing OUT
    needs --force; nothing is written when no file could be extracted.

    Example: mer-classic extract data/raw/tracks.csv -o features.csv --jobs 2
    """
    if metadata_id is not None and metadata is None:
        raise click.UsageError("--metadata-id needs --metadata")
    if metadata_columns is not None and metadata is None:
        raise click.UsageError("--metadata-columns needs --metadata")
    keep = [c.strip() for c in (metadata_columns or "").split(",") if c.strip()]
    # lazy: the library imports librosa (test_help_does_not_import_heavy_libraries)
    from mer_classic._workflows import ExtractSettings, run_extract

    settings = settings_from_options(
        ExtractSettings,
        inputs=tuple(inputs),
        out=out,
        n_jobs=jobs,
        sr=sr,
        offset=offset,
        duration=duration,
        segment=segment,
        window=window,
        features=features,
        label_from_folder=label_from_folder,
        cache_dir=cache_dir,
        no_cache=no_cache,
        scheduler=scheduler,
        quiet=quiet,
        force=force,
        metadata=metadata,
        metadata_id=metadata_id,
        metadata_columns=tuple(keep),
    )
    run = run_extract(settings)
    click.echo(extract_summary(run))
    problems = extract_problems(run)
    if problems:
        click.echo("\n".join(problems), err=True)
        click.get_current_context().exit(EXIT_SOME_FAILED)


COMMANDS = [extract]
