"""Crawl orchestration: sources → entries → de-duplication → attributes → previews.

:func:`crawl` is what ``mer-classic fetch`` calls. Each stage checkpoints into
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

from mer_classic._progress import progress
from mer_classic.config import data_dir
from mer_classic.exceptions import DataError, FetchError, ParameterError, RateLimitError
from mer_classic.fetch._output import (
    CONFLICT_COLUMNS,
    TRACK_COLUMNS,
    why_empty,
    write_outputs,
)
from mer_classic.fetch.dedup import (
    attributes_from_row,
    entry_from_row,
    entry_from_track,
    resolve_entries,
)
from mer_classic.fetch.sources import PlaylistSource, TracksFileSource
from mer_classic.fetch.state import STATE_NAME, FetchState, load_state, save_state

__all__ = ["crawl", "TRACK_COLUMNS", "CONFLICT_COLUMNS", "PLAYLIST_PAGE_LIMIT"]

logger = logging.getLogger(__name__)

Source = PlaylistSource | TracksFileSource

#: largest page size ``/playlists/{id}/items`` accepts
PLAYLIST_PAGE_LIMIT = 50
#: largest batch of ``GET /tracks?ids=``
TRACKS_BATCH = 50
ATTRIBUTES_BATCH = 100
_PREVIEW_CHECKPOINT = 20
#: preview outcomes that are not retried by --resume
_FINAL_PREVIEW_FAILURES = frozenset(
    {"preview_truncated", "preview_invalid"}
    | {f"preview_http_{code}" for code in (400, 401, 403, 404, 410, 451)}
)
_FINAL_PREVIEW = _FINAL_PREVIEW_FAILURES | {"ok"}
_MAX_TRANSIENT_PREVIEWS = 3

_FORBIDDEN_PLAYLIST_CLIENT = (
    "Spotify answered 403 for playlist {id} (label {label!r}). Development-mode apps "
    "(since 2026) can read only playlists that the logged-in user owns or "
    "collaborates on, and none with client credentials. Use --auth user to read your "
    "own playlists (copy other playlists into one of yours first), or export the "
    "tracks to a CSV (e.g. with Exportify) and use --tracks FILE.csv."
)
_FORBIDDEN_PLAYLIST_USER = (
    "Spotify answered 403 for playlist {id} (label {label!r}): a development-mode app "
    "can read only playlists you own or collaborate on. Copy its tracks into a "
    "playlist of yours, or export them to a CSV and use --tracks FILE.csv."
)
_EDITORIAL_404 = (
    "Spotify answered 404 for playlist {id} (label {label!r}): ids starting with 37i9 "
    "are Spotify-owned editorial/algorithmic playlists, which apps created after "
    "2024-11-27 without extended quota cannot read. Copy its tracks into your own "
    "playlist (and use --auth user), or export them and use --tracks FILE.csv."
)
_NOT_FOUND_404 = (
    "Spotify answered 404 for playlist {id} (label {label!r}): check the id/URL; the "
    "playlist may be deleted or private (private playlists need --auth user)."
)
_EMPTY = "playlist {id} (label {label!r}) has no tracks."


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


class _Crawler:
    """One run of a crawl: holds the client, the state and the counters."""

    def __init__(
        self,
        sources: Sequence[Source],
        state: FetchState,
        out: Path,
        *,
        client: Any,
        attributes: str,
        previews: bool,
        market: str | None,
        offline: bool,
        backoff_base: float,
        sleep: Callable[[float], None],
        quiet: bool,
    ) -> None:
        self.sources = sources
        self.state = state
        self.out = out
        self._client = client
        self._preview_session: Any = None
        self.attributes = attributes
        self.previews = previews
        self.market = market
        self.offline = offline
        self.backoff_base = backoff_base
        self.sleep = sleep
        self.quiet = quiet
        self.run_counts = {"api": 0, "token": 0, "preview": 0}
        self._seen = {"api": 0, "token": 0, "preview": 0}

    # -- plumbing ---------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:  # pragma: no cover - guarded by crawl()
            raise FetchError("this crawl has no Spotify client (offline or finished)")
        return self._client

    def _sync_counts(self) -> None:
        now = {"api": 0, "token": 0, "preview": 0}
        if self._client is not None:
            now["api"] = self._client.api_requests
            now["token"] = self._client.token_requests
        if self._preview_session is not None:
            now["preview"] = self._preview_session.count
        for key, value in now.items():
            delta = value - self._seen[key]
            self._seen[key] = value
            self.run_counts[key] += delta
            self.state.requests[key] = self.state.requests.get(key, 0) + delta

    def checkpoint(self) -> None:
        self._sync_counts()
        save_state(self.state, self.out / STATE_NAME)

    def _forbidden(self, endpoint: str) -> bool:
        if self.state.flags.get(endpoint):
            return True
        if self._client is not None and endpoint in self._client.forbidden:
            self.state.flags[endpoint] = True
            return True
        return False

    # -- stage 1: collect -------------------------------------------------------
    def collect(self) -> None:
        for source in self.sources:
            key = (
                f"{source.key}#{source.label}"
                if isinstance(source, PlaylistSource)
                else f"{source.key}#{source.sha256[:12]}"
            )
            progress_ = self.state.sources.setdefault(key, {"offset": 0, "done": False})
            if progress_["done"]:
                continue
            if isinstance(source, PlaylistSource):
                self._collect_playlist(source, progress_)
            else:
                self._collect_table(source, progress_)

    def _problem(self, source: PlaylistSource, reason: str, template: str) -> None:
        message = template.format(id=source.playlist_id, label=source.label)
        logger.warning(message)
        self.state.problems.append(
            {
                "source": source.key,
                "label": source.label,
                "reason": reason,
                "message": message,
            }
        )

    def _collect_playlist(self, source: PlaylistSource, prog: dict[str, Any]) -> None:
        from mer_classic.fetch.client import ApiError

        client = self.client
        if client.auth == "client" and self._forbidden("playlist_items"):
            self._problem(source, "playlist_forbidden", _FORBIDDEN_PLAYLIST_CLIENT)
            prog["done"] = True
            self.checkpoint()
            return
        try:
            page = client.call(
                "playlist_items",
                client.sp.playlist_items,
                source.playlist_id,
                limit=PLAYLIST_PAGE_LIMIT,
                offset=prog["offset"],
                market=self.market,
                additional_types=("track",),
            )
            while True:
                items = page.get("items") or []
                if prog["offset"] == 0 and not items:
                    self._problem(source, "empty_playlist", _EMPTY)
                for entry in items:
                    self._add_playlist_entry(source, entry)
                prog["offset"] += len(items)
                prog["done"] = not page.get("next") or not items
                self.checkpoint()
                if prog["done"]:
                    return
                page = client.call("playlist_items", client.sp.next, page)
        except ApiError as exc:
            if exc.status == 403:
                if client.auth == "client":
                    self.state.flags["playlist_items"] = True
                    template = _FORBIDDEN_PLAYLIST_CLIENT
                else:
                    template = _FORBIDDEN_PLAYLIST_USER
                self._problem(source, "playlist_forbidden", template)
            elif exc.status == 404:
                editorial = source.playlist_id.startswith("37i9")
                self._problem(
                    source,
                    "editorial_playlist" if editorial else "playlist_not_found",
                    _EDITORIAL_404 if editorial else _NOT_FOUND_404,
                )
            else:
                raise
            prog["done"] = True
            self.checkpoint()

    def _skip(self, source_key: str, track_id: str | None, reason: str) -> None:
        self.state.skipped.append(
            {"source": source_key, "track_id": track_id or "", "reason": reason}
        )

    def _add_playlist_entry(self, source: PlaylistSource, entry: Any) -> None:
        if not isinstance(entry, dict):
            self._skip(source.key, None, "null_item")
            return
        track = entry.get("item")
        if track is None:
            track = entry.get("track")  # deprecated alias
        if not isinstance(track, dict):
            self._skip(source.key, None, "unavailable")
            return
        if entry.get("is_local") or track.get("is_local"):
            self._skip(source.key, track.get("uri"), "local_file")
            return
        if track.get("type", "track") != "track":
            self._skip(source.key, track.get("id"), f"not_a_track_{track.get('type')}")
            return
        if not track.get("id"):
            self._skip(source.key, None, "unavailable")
            return
        self.state.entries.append(entry_from_track(track, source.label, source.key))

    def _collect_table(self, source: TracksFileSource, prog: dict[str, Any]) -> None:
        known: dict[str, dict[str, Any]] = {}
        for e in self.state.entries:
            known.setdefault(e["track_id"], e)
        rows = source.rows
        while prog["offset"] < len(rows):
            chunk = rows[prog["offset"] : prog["offset"] + TRACKS_BATCH]
            need = list(
                dict.fromkeys(r.track_id for r in chunk if r.track_id not in known)
            )
            if self.offline:
                for row in chunk:
                    if row.track_id not in known:
                        known[row.track_id] = entry_from_row(row)
                        attrs = attributes_from_row(row)
                        if attrs:
                            self.state.attributes[row.track_id] = attrs
            elif need:
                known.update(self._tracks_metadata(need))
            for row in chunk:
                meta = known.get(row.track_id)
                if meta is None:
                    self._skip(source.key, row.track_id, "track_not_found")
                    continue
                entry = dict(meta, label=row.label, source=source.key)
                self.state.entries.append(entry)
            prog["offset"] += len(chunk)
            if prog["offset"] >= len(rows):
                for line, value, reason in source.invalid:
                    self._skip(source.key, f"{value} (line {line})", reason)
                prog["done"] = True
            self.checkpoint()
        prog["done"] = True

    def _tracks_metadata(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        from mer_classic.fetch.client import ApiError

        client = self.client
        found: dict[str, dict[str, Any]] = {}
        if not self._forbidden("tracks_batch"):
            try:
                answer = client.call(
                    "tracks_batch", client.sp.tracks, ids, market=self.market
                )
                for track in answer.get("tracks") or []:
                    if isinstance(track, dict) and track.get("id"):
                        found[track["id"]] = entry_from_track(track, "", "")
                return found
            except ApiError as exc:
                if exc.status != 403:
                    raise
                self.state.flags["tracks_batch"] = True
                logger.warning(
                    "Spotify answered 403 to GET /tracks?ids= (development-mode app): "
                    "asking track by track instead (%d ids)",
                    len(ids),
                )
        for track_id in ids:
            try:
                track = client.call(
                    "track", client.sp.track, track_id, market=self.market
                )
            except ApiError as exc:
                if exc.status in (400, 404):
                    continue
                raise
            if isinstance(track, dict) and track.get("id"):
                # a relinked track answers with another id: keep the one asked for
                found[track_id] = entry_from_track(track, "", "")
                found[track_id]["track_id"] = track_id
        return found

    # -- stage 2: resolve -------------------------------------------------------
    # (pure function of state.entries: see _resolve below)

    # -- stage 3: attributes -----------------------------------------------------
    def fetch_attributes(self, ids: list[str]) -> None:
        from mer_classic.fetch.attributes import make_provider

        if self.attributes == "none" or self.offline:
            return
        asked = set(self.state.attributes_asked)
        todo = [i for i in ids if i not in asked and i not in self.state.attributes]
        if not todo or self._forbidden("audio_features"):
            return
        provider = make_provider("spotify", self.client)
        for start in range(0, len(todo), ATTRIBUTES_BATCH):
            batch = todo[start : start + ATTRIBUTES_BATCH]
            got = provider.fetch(batch)
            if not provider.available:
                self.state.flags["audio_features"] = True
                self.checkpoint()
                return
            self.state.attributes.update(got)
            self.state.attributes_asked.extend(batch)
            self.checkpoint()

    # -- stage 4: previews -------------------------------------------------------
    def download_previews(self, rows: list[dict[str, Any]]) -> None:
        """Adopt verified ``audio/<track_id>.mp3`` files; download missing clips."""
        from mer_classic.exceptions import AudioError
        from mer_classic.fetch.client import CountingSession
        from mer_classic.fetch.previews import download_preview, verify_audio

        audio_dir = self.out / "audio"
        todo = []
        for row in rows:
            track_id = row["track_id"]
            dest = audio_dir / f"{track_id}.mp3"
            status = self.state.previews.get(track_id)
            if status in _FINAL_PREVIEW_FAILURES:
                continue
            if dest.exists():  # a clip from an earlier run, or the user's own file
                try:
                    verify_audio(dest)
                    self.state.previews[track_id] = "ok"
                    continue
                except (AudioError, OSError):
                    pass  # re-download anything unreadable
            if row["preview_url"]:
                todo.append((row, dest))
        if not todo or not self.previews or self.offline:
            return
        if self._preview_session is None:
            self._preview_session = CountingSession()
        done = transient = 0
        for row, dest in progress(
            todo, total=len(todo), desc="previews", quiet=self.quiet
        ):
            result = download_preview(
                self._preview_session,
                row["preview_url"],
                dest,
                backoff_base=self.backoff_base,
                sleep=self.sleep,
            )
            self.state.previews[row["track_id"]] = result.status
            transient = 0 if result.status in _FINAL_PREVIEW else transient + 1
            if transient >= _MAX_TRANSIENT_PREVIEWS:
                raise FetchError(
                    f"{transient} preview downloads in a row failed with network or "
                    f"server errors (last: {result.status}); check the connection and "
                    "rerun with --resume"
                )
            done += 1
            if done % _PREVIEW_CHECKPOINT == 0:
                self.checkpoint()
        self.checkpoint()


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
    sleep: Callable[[float], None] = time.sleep,
    open_browser: bool = True,
    quiet: bool = True,
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
    sleep : callable, default=time.sleep
        How to wait (tests pass a recorder).
    open_browser : bool, default=True
        ``auth="user"``: open the login page in a browser.
    quiet : bool, default=True
        Hide progress bars.

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
            open_browser=open_browser,
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    crawler = _Crawler(
        sources,
        state,
        out_dir,
        client=client,
        attributes=attributes,
        previews=previews,
        market=market,
        offline=offline,
        backoff_base=backoff_base,
        sleep=sleep,
        quiet=quiet,
    )
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
def _checkpoint_on_error(crawler: _Crawler) -> Iterator[None]:
    """Save the state on any interruption; add the resume time to rate limits."""
    try:
        yield
    except RateLimitError as exc:
        crawler.checkpoint()
        until = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(
            seconds=exc.retry_after
        )
        raise RateLimitError(
            f"{exc}. Progress is saved in {crawler.out}; rerun the same command with "
            f"--resume after {until:%Y-%m-%d %H:%M} UTC.",
            retry_after=exc.retry_after,
        ) from exc
    except BaseException:
        crawler.checkpoint()
        raise


def _fail_empty(state: FetchState, out_dir: Path) -> None:
    (out_dir / STATE_NAME).unlink(missing_ok=True)
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
