"""``mer-classic fetch``: build a labelled track table from Spotify."""

from __future__ import annotations

import pathlib
import sys

import click
from mer_classic.cli._options import command_line, force_option, quiet_option
from mer_classic.cli._summaries import fetch_summary

__all__ = ["COMMANDS", "fetch"]


@click.command()
@click.option(
    "--playlist",
    "playlists",
    multiple=True,
    metavar="LABEL=ID_OR_URL",
    help="A playlist whose tracks get LABEL (repeatable).",
)
@click.option(
    "--playlists",
    "playlists_file",
    type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path),
    help="A CSV/TSV/TXT file of 'label,playlist' lines.",
)
@click.option(
    "--tracks",
    "tracks_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path),
    help="A CSV of track ids/URIs/URLs with a label column (repeatable).",
)
@click.option("--id-column", help="Track-id column of --tracks (default: detected).")
@click.option("--label-column", help="Label column of --tracks (default: detected).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=pathlib.Path),
    help="Output folder  [default: <data dir>/raw]",
)
@click.option(
    "--auth",
    type=click.Choice(["client", "user"]),
    default="client",
    show_default=True,
    help="client: SPOTIPY_CLIENT_ID/SECRET; user: log in (PKCE) for own playlists.",
)
@click.option(
    "--attributes",
    type=click.Choice(["spotify", "none"]),
    default="spotify",
    show_default=True,
    help="Ask Spotify's audio-features (stops after a 403) or skip them.",
)
@click.option(
    "--previews/--no-previews",
    default=True,
    show_default=True,
    help="Download preview clips to audio/<track_id>.mp3.",
)
@click.option("--require-audio", is_flag=True, help="Keep only tracks with a preview.")
@click.option(
    "--offline",
    is_flag=True,
    help="--tracks only: build the table from the file itself, no Spotify request.",
)
@click.option("--market", metavar="CC", help="Country code passed to Spotify.")
@click.option("--resume", is_flag=True, help="Continue the crawl saved in --out.")
@force_option("Discard the crawl saved in --out.")
@click.option(
    "--max-wait",
    type=click.FloatRange(min=0),
    default=300.0,
    show_default=True,
    help="Longest Retry-After (seconds) to wait; beyond it save and exit 75.",
)
@click.option(
    "--deadline",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Total seconds one HTTP request may take (connect to last byte); a "
    "slower one is aborted and retried like a network error.",
)
@click.option(
    "--max-preview-mb",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Largest preview clip accepted, in MB (a 30 s preview is under 1 MB).",
)
@click.option(
    "--client-id", help="Spotify app client id  [default: $SPOTIPY_CLIENT_ID]"
)
@click.option(
    "--client-secret",
    help="Client secret  [default: $SPOTIPY_CLIENT_SECRET; prefer the variable: "
    "command lines end up in shell history]",
)
@click.option("--no-browser", is_flag=True, help="--auth user: do not open a browser.")
@quiet_option()
def fetch(
    playlists: tuple[str, ...],
    playlists_file: pathlib.Path | None,
    tracks_files: tuple[pathlib.Path, ...],
    id_column: str | None,
    label_column: str | None,
    out: pathlib.Path | None,
    auth: str,
    attributes: str,
    previews: bool,
    require_audio: bool,
    offline: bool,
    market: str | None,
    resume: bool,
    force: bool,
    max_wait: float,
    deadline: float,
    max_preview_mb: float,
    client_id: str | None,
    client_secret: str | None,
    no_browser: bool,
    quiet: bool,
) -> None:
    """Build tracks.csv (+ audio/, conflicts.csv, summary.json) from Spotify.

    Tracks and labels come from playlists (--playlist, --playlists) and/or track
    tables (--tracks). Credentials: SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET
    (--auth user needs SPOTIPY_CLIENT_ID and SPOTIPY_REDIRECT_URI). Exit codes: 0
    done, 1 error (message says what to do), 2 bad options, 75 rate limited:
    progress saved, rerun with --resume at the time given.

    Example: mer-classic fetch --playlist calm=<url> --playlist sad=<url>
    """
    if not (playlists or playlists_file or tracks_files):
        raise click.UsageError("give at least one --playlist, --playlists or --tracks")
    if resume and force:
        raise click.UsageError("--resume and --force exclude each other")
    if offline and (playlists or playlists_file):
        raise click.UsageError("--offline works with --tracks only")
    # lazy: the library imports scikit-learn (test_help_does_not_import_heavy_libraries)
    from mer_classic._workflows import FetchSettings, run_fetch

    settings = FetchSettings(
        playlists=tuple(playlists),
        playlists_file=playlists_file,
        tracks_files=tuple(tracks_files),
        id_column=id_column,
        label_column=label_column,
        out=out,
        auth=auth,
        client_id=client_id,
        client_secret=client_secret,
        attributes=attributes,
        previews=previews,
        require_audio=require_audio,
        offline=offline,
        market=market,
        resume=resume,
        force=force,
        max_wait=max_wait,
        deadline=deadline,
        max_preview_bytes=int(max_preview_mb * 1_000_000),
        open_browser=not no_browser,
        quiet=quiet or not sys.stderr.isatty(),
        resume_command=command_line(
            click.get_current_context(),
            add=["--resume"],
            omit=("resume", "force", "client_secret"),
        ),
    )
    click.echo(fetch_summary(run_fetch(settings)))


COMMANDS = [fetch]
