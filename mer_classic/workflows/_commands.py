"""The data commands: ``extract`` (audio → feature table), ``fetch`` (Spotify →
tracks.csv) and ``report`` (redraw a run folder)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["open_page", "run_extract", "run_fetch", "run_report"]

#: failed files listed on stderr by ``extract`` (all are in the errors CSV)
SHOWN_ERRORS = 10


def run_extract(
    inputs: Sequence[str | os.PathLike[str]],
    *,
    out: str | os.PathLike[str] | None = None,
    n_jobs: int = 1,
    sr: int = 22050,
    offset: float | None = None,
    duration: float | None = None,
    segment: float | None = None,
    window: float = 1.0,
    label_from_folder: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    no_cache: bool = False,
    scheduler: str | None = None,
    quiet: bool = False,
    force: bool = False,
    metadata: str | os.PathLike[str] | None = None,
    metadata_id: str | None = None,
    features: Any = None,
) -> tuple[str, list[str]]:
    """Extract features into ``out`` (locally or on Dask); what ``mer-classic extract`` runs.

    Returns
    -------
    text : str
        The summary lines.
    problems : list of str
        Lines about files that failed (empty when none did), for stderr.
    """
    from mer_classic.config import data_dir
    from mer_classic.features import FeatureSettings, extract_to_csv
    from mer_classic.features._batch import errors_path_for

    out = Path(out) if out is not None else data_dir() / "features" / "features.csv"
    cache = None if no_cache else (cache_dir or data_dir() / "cache" / "features")
    settings = FeatureSettings(
        sr=sr,
        offset=offset,
        duration=duration,
        segment=segment,
        window=window,
        features=features,  # None: the default groups
    )
    lines: list[str] = []
    result: Any
    result = extract_to_csv(
        inputs,
        out,
        label_from_folder=label_from_folder,
        settings=settings,
        n_jobs=n_jobs,
        scheduler=scheduler,
        cache_dir=cache,
        quiet=quiet,
        force=force,
        metadata=metadata,
        metadata_id=metadata_id,
    )
    shape = (result.n_rows, result.n_features)
    if result.n_resumed:
        lines.append(f"Resumed: {result.n_resumed} file(s) from the interrupted run.")
    n_ok = result.n_cached + result.n_computed
    lines.append(
        f"Extracted {n_ok} file(s) ({result.n_cached} from cache, "
        f"{result.n_computed} computed) "
        f"→ {out} ({shape[0]} rows x {shape[1]} features)"
    )
    lines += [f"  note: {note}" for note in result.notes]
    if result.n_skipped:
        lines.append(
            f"Skipped {result.n_skipped} tracks-CSV row(s) without audio_path."
        )
    problems: list[str] = []
    if len(result.errors):
        problems.append(
            f"{len(result.errors)} file(s) failed; see {errors_path_for(out)}:"
        )
        problems += [
            f"  {row.path}: {row.reason}"
            for row in result.errors.head(SHOWN_ERRORS).itertuples()
        ]
    return "\n".join(lines), problems


def run_fetch(
    *,
    playlists: Sequence[str] = (),
    playlists_file: str | os.PathLike[str] | None = None,
    tracks_files: Sequence[str | os.PathLike[str]] = (),
    id_column: str | None = None,
    label_column: str | None = None,
    **crawl_options: Any,
) -> str:
    """Build tracks.csv from playlists and track tables; what ``mer-classic fetch`` runs.

    ``crawl_options`` go to :func:`mer_classic.fetch.crawl` (``out``, ``auth``,
    ``attributes``, ``previews``, ``offline``, ``resume``, ``force`` ...). Returns the
    summary lines.
    """
    from mer_classic.fetch import crawl
    from mer_classic.fetch.sources import (
        parse_playlist_option,
        read_playlists_file,
        read_tracks_file,
    )

    sources: list[Any] = [parse_playlist_option(spec) for spec in playlists]
    if playlists_file is not None:
        sources += read_playlists_file(playlists_file)
    sources += [
        read_tracks_file(p, id_column=id_column, label_column=label_column)
        for p in tracks_files
    ]
    summary = crawl(sources, **crawl_options)
    labels = ", ".join(f"{k} {v}" for k, v in summary["labels"].items())
    lines = [
        f"{summary['tracks']} tracks ({labels}) written to {summary['out']}",
        f"audio: {summary['with_audio']} with, {summary['without_audio']} without; "
        f"attributes: {summary['with_attributes']} with ({summary['attributes']})",
    ]
    if summary["conflicts"]["tracks"]:
        lines.append(
            f"conflicts: {summary['conflicts']['tracks']} tracks under two labels "
            "left out (see conflicts.csv)"
        )
    lines += [
        f"skipped {problem['source']}: {problem['reason']}"
        for problem in summary["problems"]
    ]
    lines.append(f"requests: {summary['requests_this_run']['total']} this run")
    return "\n".join(lines)


def run_report(run_dir: str | os.PathLike[str]) -> tuple[str, Path]:
    """Redraw a run folder's reports; what ``mer-classic report`` runs.

    Returns
    -------
    text : str
        What was written.
    page : Path
        The file to open: ``index.html``, or ``report.md`` when the run has no page
        (a dynamic run).
    """
    from mer_classic.report import HTML_FILE, render_report

    md = render_report(run_dir)
    page = md.parent / HTML_FILE
    if page.exists():
        return f"wrote {md} and {page}", page
    return f"wrote {md}", md


@contextlib.contextmanager
def _stderr_to_devnull() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null, so child processes inherit silence."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def open_page(path: str | os.PathLike[str]) -> bool:
    """Open ``path`` in the user's web browser; False when there is none.

    The browser comes from Python's :mod:`webbrowser` registry (``$BROWSER``, then
    the desktop's and the console's browsers it knows). Its own messages are
    silenced (a helper such as ``xdg-open`` without a browser prints several lines
    of noise), so the caller can say once, in its own words, that no browser was
    found.

    Returns
    -------
    bool
        True when a browser accepted the page.
    """
    import webbrowser

    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    with _stderr_to_devnull():
        try:
            return bool(browser.open(Path(path).resolve().as_uri()))
        except (OSError, webbrowser.Error):
            return False
