"""The stages of one crawl run: collect entries, ask attributes, download previews.

:class:`Crawler` holds what one run of :func:`mer_classic.fetch.crawl` works
with: the Spotify client, the checkpoint state, the output folder and the request
counters. Each stage checkpoints into ``<out>/.fetch-state`` (a journal line per
page, batch or group of previews, see :mod:`mer_classic.fetch.state`), so a rerun
with ``resume=True`` picks up where it stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mer_classic._progress import progress
from mer_classic.exceptions import ApiError, AudioError, FetchError
from mer_classic.fetch.dedup import (
    attributes_from_row,
    entry_from_row,
    entry_from_track,
)
from mer_classic.fetch.session import OffOriginError, is_under
from mer_classic.fetch.sources import PlaylistSource, TracksFileSource, is_spotify_id
from mer_classic.fetch.state import STATE_NAME, FetchState, StateJournal

__all__ = [
    "Crawler",
    "Source",
    "PLAYLIST_PAGE_LIMIT",
    "TRACKS_BATCH",
    "ATTRIBUTES_BATCH",
]

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
    {"preview_truncated", "preview_invalid", "preview_too_large"}
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
#: skip reason of a track id from the API that is not 22 base-62 characters
INVALID_API_ID = "invalid_id_from_api"


def _query_offset(url: str) -> int | None:
    """The ``offset`` query parameter of a paging URL, or None."""
    values = parse_qs(urlsplit(url).query).get("offset")
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


def _shown(value: Any) -> str:
    """A bad id as it may be shown and stored: quoted, escaped, at most 60 chars."""
    return repr(str(value)[:60])


class Crawler:
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
        deadline: float | None = None,
        max_preview_bytes: int | None = None,
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
        self.deadline = deadline
        self.max_preview_bytes = max_preview_bytes
        self.journal = StateJournal(out / STATE_NAME)
        self.run_counts = {"api": 0, "token": 0, "preview": 0}
        self._seen = {"api": 0, "token": 0, "preview": 0}
        self._invalid_answers: dict[str, str] = {}  # asked id -> id answered

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

    def checkpoint(self, *, compact: bool = False) -> None:
        """Save the state: one journal line, or a new snapshot if ``compact``."""
        self._sync_counts()
        self.journal.checkpoint(self.state, compact=compact)

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
            seen: set[str] = set()
            while True:
                items = page.get("items") or []
                if prog["offset"] == 0 and not items:
                    self._problem(source, "empty_playlist", _EMPTY)
                page_offset = prog["offset"]
                for entry in items:
                    self._add_playlist_entry(source, entry)
                prog["offset"] += len(items)
                nxt = page.get("next")
                prog["done"] = (
                    not nxt
                    or not items
                    or self._stop_paging(source, page, nxt, page_offset, seen, prog)
                )
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

    def _stop_paging(
        self,
        source: PlaylistSource,
        page: dict[str, Any],
        nxt: Any,
        page_offset: int,
        seen: set[str],
        prog: dict[str, Any],
    ) -> bool:
        """Check a page's ``next`` URL; True to stop (loop or past ``total``).

        Raises
        ------
        OffOriginError
            If ``next`` is not under the API base URL (the token would go there).
        """
        base = self.client.sp.prefix
        what = f"playlist {source.playlist_id} (label {source.label!r})"
        if not isinstance(nxt, str) or not is_under(nxt, base):
            raise OffOriginError(
                f"{what}: Spotify's next-page URL {str(nxt)[:200]!r} is not under "
                f"the API base URL {base}; refusing to follow it (the access token "
                "is never sent to another origin). Nothing was lost: the pages "
                "before it are saved",
                url=str(nxt),
            )
        total = page.get("total")
        if isinstance(total, int) and not isinstance(total, bool):
            if prog["offset"] >= total:
                if nxt:
                    logger.warning(
                        "%s: the page at offset %d has a next URL although its "
                        "%d entries are all read; stopped paging",
                        what,
                        page_offset,
                        total,
                    )
                return True
        next_offset = _query_offset(nxt)
        if nxt in seen or (next_offset is not None and next_offset <= page_offset):
            logger.warning(
                "%s: Spotify's next-page URL points back to an earlier page (%s, "
                "after offset %d); stopped paging with %d entries read",
                what,
                nxt[:200],
                page_offset,
                prog["offset"],
            )
            return True
        seen.add(nxt)
        return False

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
        if not is_spotify_id(track["id"]):
            self._invalid_api_id(source.key, track["id"])
            return
        self.state.entries.append(entry_from_track(track, source.label, source.key))

    def _invalid_api_id(self, source_key: str, value: Any) -> None:
        logger.warning(
            "Spotify answered a track id that is not 22 letters/digits (%s, %s): "
            "skipped",
            _shown(value),
            source_key,
        )
        self._skip(source_key, _shown(value), INVALID_API_ID)

    def _collect_table(self, source: TracksFileSource, prog: dict[str, Any]) -> None:
        known: dict[str, dict[str, Any]] = {}
        for e in self.state.entries:
            known.setdefault(e["track_id"], e)
        rows = source.rows
        while prog["offset"] < len(rows):
            step = rows[prog["offset"] : prog["offset"] + TRACKS_BATCH]
            chunk = []
            for row in step:  # read_tracks_file checks ids; rows built in code may not
                if is_spotify_id(row.track_id):
                    chunk.append(row)
                else:
                    shown = f"{_shown(row.track_id)} (line {row.line})"
                    self._skip(source.key, shown, "invalid_id")
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
                if meta is None and row.track_id in self._invalid_answers:
                    answered = self._invalid_answers[row.track_id]
                    self._invalid_api_id(source.key, answered)
                    continue
                if meta is None:
                    self._skip(source.key, row.track_id, "track_not_found")
                    continue
                entry = dict(meta, label=row.label, source=source.key)
                self.state.entries.append(entry)
            prog["offset"] += len(step)
            if prog["offset"] >= len(rows):
                for line, value, reason in source.invalid:
                    self._skip(source.key, f"{value} (line {line})", reason)
                prog["done"] = True
            self.checkpoint()
        prog["done"] = True

    def _tracks_metadata(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        client = self.client
        found: dict[str, dict[str, Any]] = {}
        if not self._forbidden("tracks_batch"):
            try:
                answer = client.call(
                    "tracks_batch", client.sp.tracks, ids, market=self.market
                )
                tracks = answer.get("tracks") or []
                for asked, track in zip(ids, tracks, strict=False):
                    if not isinstance(track, dict) or not track.get("id"):
                        continue
                    if is_spotify_id(track["id"]):
                        found[track["id"]] = entry_from_track(track, "", "")
                    else:  # answers come in the order asked
                        self._invalid_answers[asked] = track["id"]
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
                if not is_spotify_id(track["id"]):
                    self._invalid_answers[track_id] = track["id"]
                    continue
                # a relinked track answers with another id: keep the one asked for
                found[track_id] = entry_from_track(track, "", "")
                found[track_id]["track_id"] = track_id
        return found

    # -- stage 2: resolve -------------------------------------------------------
    # (pure function of state.entries: dedup.resolve_entries, called by crawl())

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
        from mer_classic.fetch.previews import download_preview, verify_audio
        from mer_classic.fetch.session import CountingSession

        audio_dir = self.out / "audio"
        todo = []
        for row in rows:
            track_id = row["track_id"]
            if not is_spotify_id(track_id):  # checked when collected; never a path
                logger.warning("no preview for invalid track id %s", _shown(track_id))
                continue
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
            # no credentials on this session: previews come from a CDN
            self._preview_session = CountingSession(deadline=self.deadline)
        done = transient = 0
        for row, dest in progress(
            todo, total=len(todo), desc="previews", quiet=self.quiet
        ):
            result = download_preview(
                self._preview_session,
                row["preview_url"],
                dest,
                root=audio_dir,
                backoff_base=self.backoff_base,
                sleep=self.sleep,
                **(
                    {"max_bytes": self.max_preview_bytes}
                    if self.max_preview_bytes is not None
                    else {}
                ),
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
