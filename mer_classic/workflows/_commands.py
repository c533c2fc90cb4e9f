"""The data commands: ``extract`` (audio → feature table), ``fetch`` (Spotify →
tracks.csv) and ``report`` (redraw a run folder)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mer_classic.config import data_dir
from mer_classic.exceptions import ParameterError
from mer_classic.features import FeatureSettings, extract_to_csv
from mer_classic.features._batch import ExtractionResult, errors_path_for

__all__ = [
    "ExtractRun",
    "ExtractSettings",
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
            raise ParameterError("--cache-dir and --no-cache cannot be used together")
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

    The summary lines are formatted by the CLI (``cli/extract.py``) from the result.
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
    from mer_classic.fetch._sources import (
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
        The file to open: ``index.html`` (every run kind has one), or ``report.md``
        for a folder written before dynamic runs got a page.
    """
    from mer_classic.report import render_report
    from mer_classic.report._files import HTML_FILE

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
