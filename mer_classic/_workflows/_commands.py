"""The data commands: ``extract`` (audio → feature table), ``fetch`` (Spotify →
tracks.csv) and ``report`` (redraw a run folder)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mer_classic.config import data_dir
from mer_classic.exceptions import ParameterError
from mer_classic.features import FeatureSettings, extract_to_csv
from mer_classic.features._batch import ExtractionResult, errors_path_for
from mer_classic.fetch import crawl, read_playlists_file, read_tracks_file
from mer_classic.fetch._previews import MAX_PREVIEW_BYTES
from mer_classic.fetch._session import DEFAULT_DEADLINE
from mer_classic.fetch._sources import PlaylistSource, parse_playlist_option
from mer_classic.report import render_report
from mer_classic.report._files import HTML_FILE

__all__ = [
    "ExtractRun",
    "ExtractSettings",
    "FetchRun",
    "FetchSettings",
    "ReportRun",
    "open_page",
    "run_extract",
    "run_fetch",
    "run_report",
]


@dataclass(frozen=True)
class ExtractSettings:
    """Everything ``mer-classic extract`` needs, validated once on construction.

    The fields are the command's options (``n_jobs`` is ``--jobs``); ``out`` None
    means ``DATA_DIR/features/features.csv`` and ``cache_dir`` None
    ``DATA_DIR/cache/features`` (``DATA_DIR``: :func:`mer_classic.config.data_dir`,
    read when the run starts). ``features`` None extracts the default groups.
    ``feature_settings`` is the :class:`~mer_classic.features.FeatureSettings` built
    from ``sr``, ``offset``, ``duration``, ``segment``, ``window`` and ``features``.

    Raises
    ------
    ParameterError
        On bad extraction settings (the messages of ``FeatureSettings``) and on
        ``cache_dir`` with ``no_cache``. ``metadata_id`` or ``metadata_columns``
        without ``metadata`` are refused by
        :func:`~mer_classic.features.extract_to_csv`.
    """

    inputs: tuple[str | os.PathLike[str], ...]
    out: Path | None = None
    n_jobs: int = 1
    sr: int = 22050
    offset: float | None = None
    duration: float | None = None
    segment: float | None = None
    window: float = 1.0
    features: Any = None
    label_from_folder: bool = False
    cache_dir: str | os.PathLike[str] | None = None
    no_cache: bool = False
    scheduler: str | None = None
    quiet: bool = False
    force: bool = False
    metadata: str | os.PathLike[str] | None = None
    metadata_id: str | None = None
    metadata_columns: tuple[str, ...] = ()
    feature_settings: FeatureSettings = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "metadata_columns", tuple(self.metadata_columns))
        if self.out is not None:
            object.__setattr__(self, "out", Path(self.out))
        if self.no_cache and self.cache_dir is not None:
            raise ParameterError(
                "--cache-dir and --no-cache cannot be used together; drop one"
            )
        feature_settings = FeatureSettings(
            sr=self.sr,
            offset=self.offset,
            duration=self.duration,
            segment=self.segment,
            window=self.window,
            features=self.features,  # None: the default groups
        )
        object.__setattr__(self, "feature_settings", feature_settings)


@dataclass
class ExtractRun:
    """What :func:`run_extract` did: the material of the command's summary lines.

    ``out`` is the feature table written, ``result`` the
    :class:`~mer_classic.features.ExtractionResult` (counts, notes, failed files),
    ``errors_file`` the sibling CSV listing the failed files (written only when
    some failed).
    """

    settings: ExtractSettings
    out: Path
    result: ExtractionResult
    errors_file: Path

    @property
    def failed(self) -> list[tuple[Any, Any]]:
        """``(path, reason)`` of each file that failed, in input order."""
        return [(row.path, row.reason) for row in self.result.errors.itertuples()]


def run_extract(settings: ExtractSettings) -> ExtractRun:
    """Extract features into ``out`` (locally or on Dask); what ``mer-classic extract`` runs.

    The summary lines are formatted by the CLI (``cli/_summaries.py``) from the result.
    """
    s = settings
    out = s.out if s.out is not None else data_dir() / "features" / "features.csv"
    cache = None if s.no_cache else (s.cache_dir or data_dir() / "cache" / "features")
    result = extract_to_csv(
        s.inputs,
        out,
        label_from_folder=s.label_from_folder,
        settings=s.feature_settings,
        n_jobs=s.n_jobs,
        scheduler=s.scheduler,
        cache_dir=cache,
        quiet=s.quiet,
        force=s.force,
        metadata=s.metadata,
        metadata_id=s.metadata_id,
        metadata_columns=s.metadata_columns,
    )
    return ExtractRun(
        settings=s, out=out, result=result, errors_file=errors_path_for(out)
    )


@dataclass(frozen=True)
class FetchSettings:
    """Everything ``mer-classic fetch`` needs; the ``--playlist`` specs are parsed once
    on construction.

    ``playlists`` are ``LABEL=ID_OR_URL`` specs, ``playlists_file`` a file of
    ``label,playlist`` lines, ``tracks_files`` track tables (``id_column`` and
    ``label_column`` detected when None). The other fields are the options of
    :func:`mer_classic.fetch.crawl` (``out`` None: ``<data dir>/raw``), which checks
    them together with the sources before any request. ``client_secret`` is left out
    of the repr.

    Raises
    ------
    ParameterError
        On a ``--playlist`` spec that is not ``LABEL=PLAYLIST_ID_OR_URL``.
    """

    playlists: tuple[str, ...] = ()
    playlists_file: str | os.PathLike[str] | None = None
    tracks_files: tuple[str | os.PathLike[str], ...] = ()
    id_column: str | None = None
    label_column: str | None = None
    out: str | os.PathLike[str] | None = None
    auth: str = "client"
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    attributes: str = "spotify"
    previews: bool = True
    require_audio: bool = False
    offline: bool = False
    market: str | None = None
    resume: bool = False
    force: bool = False
    max_wait: float = 300.0
    deadline: float = DEFAULT_DEADLINE
    max_preview_bytes: int = MAX_PREVIEW_BYTES
    open_browser: bool = True
    quiet: bool = True
    resume_command: str | None = None
    playlist_sources: tuple[PlaylistSource, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "playlists", tuple(self.playlists))
        object.__setattr__(self, "tracks_files", tuple(self.tracks_files))
        object.__setattr__(
            self,
            "playlist_sources",
            tuple(parse_playlist_option(spec) for spec in self.playlists),
        )


@dataclass
class FetchRun:
    """What :func:`run_fetch` did: ``summary`` is :func:`mer_classic.fetch.crawl`'s
    summary (tracks per label, audio and attribute counts, conflicts, skipped
    sources, requests); ``out`` the folder holding tracks.csv."""

    settings: FetchSettings
    summary: dict[str, Any]

    @property
    def out(self) -> Any:
        """The output folder (as the crawl's summary names it)."""
        return self.summary["out"]


def run_fetch(settings: FetchSettings) -> FetchRun:
    """Build tracks.csv from playlists and track tables; what ``mer-classic fetch`` runs.

    The summary lines are formatted by the CLI (``cli/_summaries.py``) from the result.
    """
    s = settings
    sources: list[Any] = list(s.playlist_sources)
    if s.playlists_file is not None:
        sources += read_playlists_file(s.playlists_file)
    sources += [
        read_tracks_file(p, id_column=s.id_column, label_column=s.label_column)
        for p in s.tracks_files
    ]
    summary = crawl(
        sources,
        out=s.out,
        auth=s.auth,
        client_id=s.client_id,
        client_secret=s.client_secret,
        attributes=s.attributes,
        previews=s.previews,
        require_audio=s.require_audio,
        offline=s.offline,
        market=s.market,
        resume=s.resume,
        force=s.force,
        max_wait=s.max_wait,
        deadline=s.deadline,
        max_preview_bytes=s.max_preview_bytes,
        open_browser=s.open_browser,
        quiet=s.quiet,
        resume_command=s.resume_command,
    )
    return FetchRun(settings=s, summary=summary)


@dataclass
class ReportRun:
    """What :func:`run_report` wrote: ``markdown`` (report.md) and ``html``
    (index.html; None for a folder written before dynamic runs got a page)."""

    markdown: Path
    html: Path | None = None

    @property
    def page(self) -> Path:
        """The file to open: ``index.html``, else ``report.md``."""
        return self.html if self.html is not None else self.markdown


def run_report(run_dir: str | os.PathLike[str]) -> ReportRun:
    """Redraw a run folder's reports; what ``mer-classic report`` runs.

    The line saying what was written is formatted by the CLI (``cli/_summaries.py``).
    """
    md = render_report(run_dir)
    page = md.parent / HTML_FILE
    return ReportRun(markdown=md, html=page if page.exists() else None)


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
