"""``mer-classic extract``: audio files/folders/tracks CSV → feature table."""

from __future__ import annotations

import pathlib
from typing import TYPE_CHECKING

import click
from mer_classic.cli._options import jobs_option, quiet_option, scheduler_option

if TYPE_CHECKING:  # annotations only: the CLI imports these lazily
    from mer_classic.distributed import DistributedExtraction
    from mer_classic.features import ExtractionResult

__all__ = ["extract", "COMMANDS", "EXIT_SOME_FAILED"]

#: exit code when the table was written but some files failed (see the errors CSV)
EXIT_SOME_FAILED = 3


def _check_features(value: str | None) -> tuple[str, ...] | None:
    """``--features`` → canonical group tuple; an unknown group is a usage error."""
    if value is None:
        return None
    from mer_classic.exceptions import ParameterError
    from mer_classic.features.names import resolve_feature_groups

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
    cache_dir: pathlib.Path | None,
    no_cache: bool,
    scheduler: str | None,
    quiet: bool,
) -> None:
    """Extract audio features from INPUT files, folders or a tracks CSV.

    INPUT may be audio files, folders (searched recursively by extension) or a
    tracks CSV with an audio_path column (as written by `fetch`); its label and
    artists columns are carried into the output. Files that fail are listed in
    OUT's sibling `<name>.errors.csv`; the exit code is then 3.

    Example: mer-classic extract data/raw/tracks.csv -o features.csv --jobs 2
    """
    if no_cache and cache_dir is not None:
        raise click.UsageError("--cache-dir and --no-cache cannot be used together")
    from mer_classic.config import data_dir
    from mer_classic.features import FeatureSettings, errors_path_for, extract_to_csv

    out = out or data_dir() / "features" / "features.csv"
    cache = None if no_cache else (cache_dir or data_dir() / "cache" / "features")
    settings = FeatureSettings(
        sr=sr,
        offset=offset,
        duration=duration,
        segment=segment,
        window=window,
        features=features,  # type: ignore[arg-type]  # None: the default groups
    )
    result: ExtractionResult | DistributedExtraction
    if scheduler is not None:
        from mer_classic.distributed import extract_to_csv_distributed

        result = extract_to_csv_distributed(
            inputs,
            out,
            scheduler=scheduler,
            label_from_folder=label_from_folder,
            settings=settings,
            cache_dir=cache,
            quiet=quiet,
        )
        shape = (result.n_rows, result.n_features)
        if result.n_resumed:
            click.echo(f"Resumed: {result.n_resumed} file(s) from the interrupted run.")
    else:
        result = extract_to_csv(
            inputs,
            out,
            label_from_folder=label_from_folder,
            settings=settings,
            n_jobs=jobs,
            cache_dir=cache,
            quiet=quiet,
        )
        shape = result.features.shape
    n_ok = result.n_cached + result.n_computed
    click.echo(
        f"Extracted {n_ok} file(s) ({result.n_cached} from cache, "
        f"{result.n_computed} computed) "
        f"→ {out} ({shape[0]} rows x {shape[1]} features)"
    )
    if result.n_skipped:
        click.echo(f"Skipped {result.n_skipped} tracks-CSV row(s) without audio_path.")
    if len(result.errors):
        click.echo(
            f"{len(result.errors)} file(s) failed; see {errors_path_for(out)}:",
            err=True,
        )
        for row in result.errors.head(10).itertuples():
            click.echo(f"  {row.path}: {row.reason}", err=True)
        click.get_current_context().exit(EXIT_SOME_FAILED)


COMMANDS = [extract]
