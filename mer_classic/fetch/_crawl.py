"""Crawl orchestration: sources → entries → de-duplication → attributes → previews.

:func:`crawl` is what ``mer-classic fetch`` calls: it checks the options, opens (or
resumes) the crawl state and runs the stages of
:class:`~mer_classic.fetch._crawler.Crawler`. Each stage checkpoints into
``<out>/.fetch-state`` (see :mod:`mer_classic.fetch.state`), so a crawl killed at
any moment and rerun with ``resume=True`` writes exactly the rows a clean run
writes. Outputs (all written atomically):

- ``tracks.csv``: one row per unique recording (:data:`TRACK_COLUMNS`);
- ``conflicts.csv``: tracks found under two different labels, left out of
  ``tracks.csv`` (:data:`CONFLICT_COLUMNS`);
- ``summary.json``: counts per label, with/without audio and attributes,
  duplicates, skipped entries and why, problem sources, request counts;
- ``audio/<track_id>.mp3``: verified preview clips.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from mer_classic._io import check_writable, remove_stale_temporaries
from mer_classic.config import data_dir
from mer_classic.exceptions import (
    DataError,
    FetchError,
    FetchInterrupted,
    ParameterError,
    RateLimitError,
)
from mer_classic.fetch._crawler import PLAYLIST_PAGE_LIMIT, Crawler, Source
from mer_classic.fetch._lock import output_lock
from mer_classic.fetch._output import (
    CONFLICT_COLUMNS,
    TRACK_COLUMNS,
    why_empty,
    write_outputs,
)
from mer_classic.fetch.dedup import resolve_entries
from mer_classic.fetch.previews import LEGACY_TEMPORARY, MAX_PREVIEW_BYTES
from mer_classic.fetch.session import DEFAULT_DEADLINE
from mer_classic.fetch.sources import PlaylistSource
from mer_classic.fetch.state import JOURNAL_NAME, STATE_NAME, FetchState, load_state

__all__ = ["crawl", "TRACK_COLUMNS", "CONFLICT_COLUMNS", "PLAYLIST_PAGE_LIMIT"]

logger = logging.getLogger(__name__)


def _config(
    sources: Sequence[Source],
    attributes: str,
    previews: bool,
    market: str | None,
    offline: bool,
) -> dict[str, Any]:
    return {
        "sources": [s.fingerprint() for s in sources],
        "attributes": attributes,
        "previews": previews,
        "market": market,
        "offline": offline,
    }


def _describe_difference(old: dict[str, Any], new: dict[str, Any]) -> str:
    changed = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    return ", ".join(changed) or "configuration"


def _open_state(
    out: Path, config: dict[str, Any], *, resume: bool, force: bool
) -> FetchState:
    state_path = out / STATE_NAME
    if force:
        if state_path.exists():
            logger.info("--force: starting a new crawl in %s", out)
        return FetchState(config=config)
    if state_path.exists():
        existing = load_state(state_path)
        if existing.config != config:
            raise DataError(
                f"{out} holds another crawl (different "
                f"{_describe_difference(existing.config, config)}); choose another "
                "--out folder, or add --force to discard it and start over"
            )
        if not resume:
            what = "a finished" if existing.complete else "an unfinished"
            raise DataError(
                f"{out} holds {what} crawl of the same sources; add --resume to "
                "continue it (or rewrite its outputs), or --force to start over"
            )
        return existing
    if (out / "tracks.csv").exists():
        raise DataError(
            f"{out} already holds a tracks.csv that no resumable crawl wrote; choose "
            "another --out folder, or add --force to overwrite it"
        )
    if resume:
        logger.info("no crawl state in %s: starting a new crawl", out)
    return FetchState(config=config)


def crawl(
    sources: Sequence[Source],
    *,
    out: str | os.PathLike[str] | None = None,
    auth: str = "client",
    client_id: str | None = None,
    client_secret: str | None = None,
    redirect_uri: str | None = None,
    attributes: str = "spotify",
    previews: bool = True,
    require_audio: bool = False,
    offline: bool = False,
    market: str | None = None,
    resume: bool = False,
    force: bool = False,
    max_wait: float = 300.0,
    max_retries: int = 5,
    backoff_base: float = 1.0,
    deadline: float = DEFAULT_DEADLINE,
    max_preview_bytes: int = MAX_PREVIEW_BYTES,
    sleep: Callable[[float], None] = time.sleep,
    open_browser: bool = True,
    quiet: bool = True,
    resume_command: str | None = None,
) -> dict[str, Any]:
    """Build a labelled track table from Spotify playlists and/or track tables.

    Parameters
    ----------
    sources : sequence of PlaylistSource or TracksFileSource
        Where tracks and labels come from (see :mod:`mer_classic.fetch.sources`).
    out : path, optional
        Output folder (default ``<data dir>/raw``).
    auth : {"client", "user"}, default="client"
        Client credentials, or PKCE user login (own playlists in development mode).
    client_id, client_secret, redirect_uri : str, optional
        Override ``SPOTIPY_CLIENT_ID`` / ``SPOTIPY_CLIENT_SECRET`` /
        ``SPOTIPY_REDIRECT_URI``.
    attributes : {"spotify", "none"}, default="spotify"
        Ask ``audio-features`` (stops for the run after a 403) or not.
    previews : bool, default=True
        Download preview clips to ``audio/<track_id>.mp3``.
    require_audio : bool, default=False
        Leave tracks without a verified preview out of ``tracks.csv``.
    offline : bool, default=False
        Tracks tables only: build the table from the file's own columns, with no
        request to Spotify (no credentials needed).
    market : str, optional
        ISO country code passed to Spotify (track relinking).
    resume : bool, default=False
        Continue the crawl checkpointed in ``out`` (same sources and options).
    force : bool, default=False
        Discard any crawl state in ``out`` and start over.
    max_wait : float, default=300
        Longest ``Retry-After`` to wait through; beyond it the state is saved and
        :class:`~mer_classic.exceptions.RateLimitError` is raised.
    max_retries : int, default=5
        Retries per request on 429/5xx/network errors.
    backoff_base : float, default=1.0
        First retry delay in seconds (doubling).
    deadline : float, default=60
        Seconds one HTTP request (API, token or preview) may take in all, from
        connecting to its last byte; a slower one is aborted and retried like a
        network error.
    max_preview_bytes : int, default=10_000_000
        Largest preview body accepted (larger ones are refused early and not kept).
    sleep : callable, default=time.sleep
        How to wait (tests pass a recorder).
    open_browser : bool, default=True
        ``auth="user"``: open the login page in a browser.
    quiet : bool, default=True
        Hide progress bars.
    resume_command : str, optional
        The command that continues this crawl, quoted in the message of
        :class:`~mer_classic.exceptions.FetchInterrupted` (the CLI passes its own
        command line plus ``--resume``).

    Returns
    -------
    dict
        The summary also written to ``summary.json``.

    Raises
    ------
    ConfigError
        Missing or refused credentials.
    DataError
        ``out`` holds another crawl, or nothing usable came out of the sources.
    FetchError
        Spotify or the network failed; progress is saved, rerun with ``resume=True``.
    RateLimitError
        ``Retry-After`` above ``max_wait``; the message says when to resume.
    FetchError
        Also when another crawl holds ``out`` (``another fetch is running in OUT``)
        or a ``next`` page URL leaves the API base URL.
    FetchInterrupted
        Ctrl-C (a :class:`KeyboardInterrupt`) during the crawl: the progress is
        saved and the message says how to continue.
    """
    if not sources:
        raise ParameterError("no sources: give at least one playlist or tracks file")
    if attributes not in ("spotify", "none"):
        raise ParameterError(
            f"attributes must be 'spotify' or 'none'; got {attributes!r}"
        )
    if offline and any(isinstance(s, PlaylistSource) for s in sources):
        raise ParameterError(
            "offline crawls read only tracks tables (--tracks); playlists need Spotify"
        )
    if resume and force:
        raise ParameterError("resume and force exclude each other; choose one")
    out_dir = Path(out) if out is not None else data_dir() / "raw"
    if out_dir.exists() and not out_dir.is_dir():
        raise ParameterError(
            f"--out {str(out_dir)!r} is a file; the crawl writes a folder: choose "
            "another --out"
        )
    if not deadline > 0:
        raise ParameterError(f"deadline must be > 0 seconds; got {deadline}")
    if not max_preview_bytes > 0:
        raise ParameterError(f"max_preview_bytes must be > 0; got {max_preview_bytes}")
    check_writable(out_dir)  # before the Spotify login and any request
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        with output_lock(out_dir):
            return _locked_crawl(
                sources,
                out_dir,
                auth=auth,
                client_id=client_id,
                client_secret=client_secret,
                redirect_uri=redirect_uri,
                attributes=attributes,
                previews=previews,
                require_audio=require_audio,
                offline=offline,
                market=market,
                resume=resume,
                force=force,
                max_wait=max_wait,
                max_retries=max_retries,
                backoff_base=backoff_base,
                deadline=deadline,
                max_preview_bytes=max_preview_bytes,
                sleep=sleep,
                open_browser=open_browser,
                quiet=quiet,
                resume_command=resume_command,
            )
    finally:
        if created:  # nothing written (e.g. missing credentials): leave no folder
            with contextlib.suppress(OSError):
                out_dir.rmdir()


def _locked_crawl(
    sources: Sequence[Source],
    out_dir: Path,
    *,
    auth: str,
    client_id: str | None,
    client_secret: str | None,
    redirect_uri: str | None,
    attributes: str,
    previews: bool,
    require_audio: bool,
    offline: bool,
    market: str | None,
    resume: bool,
    force: bool,
    max_wait: float,
    max_retries: int,
    backoff_base: float,
    deadline: float,
    max_preview_bytes: int,
    sleep: Callable[[float], None],
    open_browser: bool,
    quiet: bool,
    resume_command: str | None,
) -> dict[str, Any]:
    """:func:`crawl` once its options are checked and ``out_dir`` is locked."""
    config = _config(sources, attributes, previews, market, offline)
    state = _open_state(out_dir, config, resume=resume, force=force)
    client = None
    if not offline and not state.complete:
        from mer_classic.fetch.client import make_client

        client = make_client(  # fails early on missing credentials
            auth=auth,
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            max_wait=max_wait,
            max_retries=max_retries,
            backoff_base=backoff_base,
            sleep=sleep,
            deadline=deadline,
            open_browser=open_browser,
        )
    stale = remove_stale_temporaries(out_dir / "audio", legacy=LEGACY_TEMPORARY)
    if stale:  # left by a killed run
        logger.info("removed %d temporary file(s) left by an earlier run", len(stale))
    crawler = Crawler(
        sources,
        state,
        out_dir,
        client=client,
        attributes=attributes,
        previews=previews,
        market=market,
        offline=offline,
        backoff_base=backoff_base,
        deadline=deadline,
        max_preview_bytes=max_preview_bytes,
        sleep=sleep,
        quiet=quiet,
    )
    try:
        return _run(crawler, require_audio)
    except FetchInterrupted:
        raise
    except KeyboardInterrupt as exc:  # the state was saved by _checkpoint_on_error
        how = (
            f"continue with:\n  {resume_command}"
            if resume_command
            else "continue by running the same command with --resume"
        )
        raise FetchInterrupted(
            f"interrupted; the progress is saved in {out_dir}: {how}",
            out=str(out_dir),
        ) from exc


def _run(crawler: Crawler, require_audio: bool) -> dict[str, Any]:
    """Run the stages of a crawl whose state is open (see :func:`crawl`)."""
    state, out_dir = crawler.state, crawler.out
    state.runs += 1
    if not state.complete:
        with _checkpoint_on_error(crawler):
            crawler.collect()
    rows, conflicts, dup_stats = resolve_entries(state.entries)
    if not rows and not conflicts:
        _fail_empty(state, out_dir)
    if not state.complete:
        with _checkpoint_on_error(crawler):
            crawler.fetch_attributes([r["track_id"] for r in rows])
            crawler.download_previews(rows)
    summary = write_outputs(crawler, rows, conflicts, dup_stats, require_audio)
    if not summary["tracks"]:
        raise FetchError("no track kept: " + why_empty(summary, require_audio))
    return summary


@contextlib.contextmanager
def _checkpoint_on_error(crawler: Crawler) -> Iterator[None]:
    """Save the state on any interruption; add the resume time to rate limits."""
    try:
        yield
    except RateLimitError as exc:
        crawler.checkpoint(compact=True)
        until = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(
            seconds=exc.retry_after
        )
        raise RateLimitError(
            f"{exc}. Progress is saved in {crawler.out}; rerun the same command with "
            f"--resume after {until:%Y-%m-%d %H:%M} UTC.",
            retry_after=exc.retry_after,
        ) from exc
    except BaseException:
        crawler.checkpoint(compact=True)
        raise


def _fail_empty(state: FetchState, out_dir: Path) -> None:
    (out_dir / STATE_NAME).unlink(missing_ok=True)
    (out_dir / JOURNAL_NAME).unlink(missing_ok=True)
    reasons = [p["message"] for p in state.problems]
    skipped = Counter(s["reason"] for s in state.skipped)
    if skipped:
        reasons.append(
            "entries skipped: "
            + ", ".join(f"{k} {v}" for k, v in sorted(skipped.items()))
        )
    raise DataError(
        "the sources gave no usable track; nothing was written. "
        + (" ".join(reasons) if reasons else "")
    )
