"""A fake Spotify for the fetch tests: Web API, accounts service and preview CDN.

The Spotify side is a real HTTP server on 127.0.0.1 (``FakeSpotify``) that speaks
the Web API's shapes for three kinds of app, with fault injection; spotipy itself
is not mocked. Preview clips come from a second loopback server (``Cdn``), as
Spotify's come from its CDN. Both bind to 127.0.0.1 only.

The ``mp3``, ``cdn``, ``catalog`` and ``spotify_env`` fixtures in ``conftest.py``
start them; the test modules import the helpers below as
``from tests._spotify_fake import ...`` (pytest's importlib mode registers
``tests`` as a namespace package, without touching ``sys.path``).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import soundfile as sf
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic.fetch.attributes import ATTRIBUTE_COLUMNS

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "s3cr3t-never-written"


def tid(n: int) -> str:
    """A 22-character track id."""
    return f"t{n:021d}"


def pid(n: int, editorial: bool = False) -> str:
    """A 22-character playlist id (``37i9…`` for Spotify-owned editorial ones)."""
    return f"37i9{n:018d}" if editorial else f"p{n:021d}"


# --------------------------------------------------------------------------- servers
def mp3_bytes(seconds: float = 0.5, sr: int = 22050) -> bytes:
    t = np.arange(int(sr * seconds)) / sr
    buf = io.BytesIO()
    sf.write(
        buf, (0.2 * np.sin(2 * np.pi * 440 * t)).astype("float32"), sr, format="MP3"
    )
    return buf.getvalue()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # injected resets make handlers fail on purpose


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args: Any) -> None:
        pass

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def send_partial(self, data: bytes, content_type: str, declare_full: bool = True):
        """Send half of ``data`` (declaring the full length) and drop the connection."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        if declare_full:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.close_connection = True


class Cdn:
    """Preview clips at /mp3-preview/<track_id>; ``modes`` picks a failure per id.

    Mode ``"hang"`` sets :attr:`holding` and holds the answer until :attr:`release`
    is set (to interrupt a client in the middle of a download).
    """

    def __init__(self, mp3: bytes) -> None:
        self.mp3 = mp3
        # "404", "truncated", "cut", "garbage", "500", "hang"
        self.modes: dict[str, str] = {}
        self.log: list[str] = []
        self.headers: list[dict[str, str]] = []  # the request headers, in order
        self.dead = False
        self.trickle_interval = 0.2  # "trickle": seconds between bytes
        self.served = 0  # body bytes sent by "huge"/"endless" answers
        self.offer = 2 * 1024**3  # how much of them at most
        self.holding = threading.Event()
        self.release = threading.Event()
        cdn = self

        class Handler(_Handler):
            def do_GET(self) -> None:
                cdn.log.append(self.path)
                cdn.headers.append(dict(self.headers.items()))
                track_id = self.path.rsplit("/", 1)[-1]
                mode = cdn.modes.get(track_id)
                if cdn.dead:
                    self.close_connection = True
                    return
                if mode == "hang":
                    cdn.holding.set()
                    cdn.release.wait(30)
                    mode = None
                if mode == "trickle":  # whole headers, then one byte at a time
                    self.send_response(200)
                    self.send_header("Content-Type", "audio/mpeg")
                    self.send_header("Content-Length", str(len(cdn.mp3)))
                    self.end_headers()
                    for i in range(len(cdn.mp3)):
                        self.wfile.write(cdn.mp3[i : i + 1])
                        self.wfile.flush()
                        if cdn.release.wait(cdn.trickle_interval):
                            return
                elif mode in ("huge", "endless"):  # 2 GB declared / no length
                    self.send_response(200)
                    self.send_header("Content-Type", "audio/mpeg")
                    if mode == "huge":
                        self.send_header("Content-Length", str(2 * 1024**3))
                    self.end_headers()
                    block = cdn.mp3 * (65536 // len(cdn.mp3) + 1)
                    while cdn.served < cdn.offer:  # or until the client hangs up
                        self.wfile.write(block)
                        cdn.served += len(block)
                elif mode and mode.startswith("redirect:"):
                    self.send_response(302)
                    self.send_header("Location", mode.removeprefix("redirect:"))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif mode == "404":
                    self.send_json(404, {"error": "not found"})
                elif mode == "500":
                    self.send_json(500, {"error": "oops"})
                elif mode == "truncated":  # body shorter than its Content-Length
                    self.send_partial(cdn.mp3, "audio/mpeg")
                elif mode == "cut":  # no Content-Length, cut inside a frame
                    self.send_partial(cdn.mp3, "audio/mpeg", declare_full=False)
                else:
                    body = b"<html>nope</html>" if mode == "garbage" else cdn.mp3
                    self.send_response(200)
                    self.send_header("Content-Type", "audio/mpeg")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/mp3-preview/"
        threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        ).start()

    def fetched(self, track_id: str) -> int:
        return sum(1 for p in self.log if p.endswith("/" + track_id))

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class Catalog:
    """Tracks, audio features and playlists shared by fake API servers."""

    def __init__(self, cdn: Cdn) -> None:
        self.cdn = cdn
        self.tracks: dict[str, dict[str, Any]] = {}
        self.features: dict[str, dict[str, Any]] = {}
        self.playlists: dict[str, list[Any]] = {}
        self.owned: set[str] = set()

    def add_track(self, n: int, isrc: str | None = None, preview: bool = True) -> str:
        track_id = tid(n)
        self.tracks[track_id] = {
            "id": track_id,
            "type": "track",
            "name": f"Song {n}",
            "artists": [{"name": f"Artist {n % 7}"}, {"name": "Guest, Jr."}],
            "album": {
                "name": f"Album {n % 5}",
                "release_date": f"20{n % 20:02d}-01-01",
            },
            "duration_ms": 180000 + n,
            "external_ids": {"isrc": isrc or f"USX{n:09d}"},
            "preview_url": self.cdn.url + track_id if preview else None,
            "is_local": False,
        }
        self.features[track_id] = {
            "id": track_id,
            **{
                c: round(0.01 * (n % 97) + i, 3)
                for i, c in enumerate(ATTRIBUTE_COLUMNS)
            },
        }
        self.features[track_id]["duration_ms"] = 180000 + n
        return track_id

    def add_crafted(self, n: int, crafted_id: str, *, answer_for_valid: bool) -> str:
        """Track ``n`` whose answers carry ``crafted_id`` as their id.

        With ``answer_for_valid`` the track is found under the valid id ``tid(n)``
        (``/tracks?ids=`` and ``/tracks/{id}`` answer the crafted id for it);
        otherwise it is stored under the crafted id (for playlist entries).
        Returns the key it is stored under.
        """
        self.add_track(n)
        track = self.tracks.pop(tid(n))
        track["id"] = crafted_id
        key = tid(n) if answer_for_valid else crafted_id
        self.tracks[key] = track
        return key

    def add_playlist(self, playlist_id: str, entries: list[Any], owned: bool = False):
        self.playlists[playlist_id] = entries
        if owned:
            self.owned.add(playlist_id)


PROFILES = ("legacy", "restricted2024", "dev2026")


class FakeSpotify:
    """Web API + accounts service on 127.0.0.1 with one app profile.

    - ``legacy``: extended-quota app: everything works, entries under ``track``;
    - ``restricted2024``: new app after 2024-11-27: audio-features 403 (no message),
      preview_url null, 37i9 playlists 404;
    - ``dev2026``: development mode: playlists 403 unless a user token and owned,
      entries under ``item`` only, batch ``/tracks?ids=`` 403, plus the 2024 rules.

    Faults: ``inject(path_part, action, at=1)`` makes the ``at``-th request whose
    path contains ``path_part`` get ``action``:
    ``("status", code, headers)``, ``"reset"`` (half a body, then the connection
    drops), ``"expire"`` (all tokens revoked: 401), ``("redirect", url)`` (a 302 to
    ``url``), ``"trickle"`` (headers, then one body byte every
    :attr:`trickle_interval` seconds). ``die_after = N`` drops every connection
    after N API requests. ``next_url`` (a callable ``(playlist_id, offset, limit,
    next) -> str | None``) rewrites the ``next`` URL of playlist pages (off-origin
    or looping pagination).
    """

    def __init__(self, catalog: Catalog, profile: str = "legacy") -> None:
        assert profile in PROFILES
        self.catalog = catalog
        self.profile = profile
        self.log: list[tuple[str, str, int]] = []  # (method, path?query, status)
        self.tokens: dict[str, str] = {}  # token -> "client" | "user"
        self.faults: list[list[Any]] = []
        self.die_after: int | None = None
        self.next_url: Any = None
        self.token_redirect: str | None = None
        self.trickle_interval = 0.2
        self.stop = threading.Event()  # ends trickling answers
        self.headers: list[tuple[str, dict[str, str]]] = []  # (path, headers)
        self.lock = threading.Lock()
        fake = self

        class Handler(_Handler):
            def do_POST(self) -> None:
                fake._token(self)

            def do_GET(self) -> None:
                fake._get(self)

        self.server = _Server(("127.0.0.1", 0), Handler)
        port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{port}"
        self.api_url = self.base + "/v1/"
        self.token_url = self.base + "/api/token"
        threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        ).start()

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()

    def inject(self, path_part: str, action: Any, at: int = 1) -> None:
        self.faults.append([path_part, action, at, 0])

    # -- accounts ------------------------------------------------------------------
    def _token(self, h: _Handler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(h.rfile.read(length).decode()).items()}
        with self.lock:
            self.log.append(("POST", h.path, 200))
        if self.token_redirect:  # 307: the client would re-POST the credentials
            h.send_response(307)
            h.send_header("Location", self.token_redirect)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if form.get("grant_type") == "client_credentials":
            expected = base64.b64encode(
                f"{CLIENT_ID}:{CLIENT_SECRET}".encode()
            ).decode()
            if h.headers.get("Authorization") != f"Basic {expected}":
                h.send_json(400, {"error": "invalid_client"})
                return
            kind = "client"
        elif form.get("grant_type") == "refresh_token" and form.get("refresh_token"):
            kind = "user"
        else:
            h.send_json(400, {"error": "unsupported_grant_type"})
            return
        token = f"{kind}-token-{len(self.tokens) + 1}"
        self.tokens[token] = kind
        body = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        if kind == "user":
            body.update(refresh_token=form["refresh_token"], scope=USER_SCOPE)
        h.send_json(200, body)

    # -- web api ---------------------------------------------------------------------
    def api_requests(self, part: str = "/v1/") -> list[str]:
        return [p for m, p, _ in self.log if m == "GET" and part in p]

    def _get(self, h: _Handler) -> None:
        with self.lock:
            self.headers.append((h.path, dict(h.headers.items())))
            n_api = sum(1 for m, _, _ in self.log if m == "GET")
            action = None
            for fault in self.faults:
                if fault[0] in h.path:
                    fault[3] += 1
                    if fault[3] == fault[2] and action is None:
                        action = fault[1]
        if self.die_after is not None and n_api >= self.die_after:
            with self.lock:
                self.log.append(("GET", h.path, 0))
            h.close_connection = True
            return
        if action == "expire":
            self.tokens.clear()
            action = None
        status, body, headers = self._answer(h, action)
        with self.lock:
            self.log.append(("GET", h.path, status))
        if action == "reset":
            h.send_partial(json.dumps(body).encode(), "application/json")
            return
        if isinstance(action, tuple) and action[0] == "redirect":
            h.send_response(302)
            h.send_header("Location", action[1])
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if action == "trickle":
            data = json.dumps(body).encode()
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            for i in range(len(data)):
                h.wfile.write(data[i : i + 1])
                h.wfile.flush()
                if self.stop.wait(self.trickle_interval):
                    return
            return
        h.send_json(status, body, headers)

    def _answer(self, h: _Handler, action: Any) -> tuple[int, Any, dict[str, str]]:
        if isinstance(action, tuple) and action[0] == "status":
            code, headers = action[1], action[2] if len(action) > 2 else {}
            return code, {"error": {"status": code, "message": "injected"}}, headers
        auth = h.headers.get("Authorization", "")
        kind = self.tokens.get(auth.removeprefix("Bearer "))
        if kind is None:
            return (
                401,
                {"error": {"status": 401, "message": "The access token expired"}},
                {},
            )
        url = urlsplit(h.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path.removeprefix("/v1/").rstrip("/")
        dev, new_app = self.profile == "dev2026", self.profile != "legacy"
        forbidden = (403, {"error": {"status": 403}}, {})
        not_found = (
            404,
            {"error": {"status": 404, "message": "Resource not found"}},
            {},
        )
        if m := re.fullmatch(r"playlists/(\w+)/(items|tracks)", path):
            playlist_id, which = m.groups()
            if dev and (which == "tracks" or kind != "user"):
                return forbidden
            if dev and playlist_id not in self.catalog.owned:
                return forbidden
            if new_app and playlist_id.startswith("37i9"):
                return not_found
            if playlist_id not in self.catalog.playlists:
                return not_found
            limit, offset = int(query.get("limit", 20)), int(query.get("offset", 0))
            if not 1 <= limit <= 50:
                return 400, {"error": {"status": 400, "message": "Invalid limit"}}, {}
            entries = self.catalog.playlists[playlist_id]
            page = [
                self._entry(e, new_app, dev) for e in entries[offset : offset + limit]
            ]
            nxt = None
            if offset + limit < len(entries):
                nxt = (
                    f"{self.api_url}playlists/{playlist_id}/{which}"
                    f"?offset={offset + limit}&limit={limit}"
                )
            if self.next_url is not None:
                nxt = self.next_url(playlist_id, offset, limit, nxt)
            return (
                200,
                {
                    "items": page,
                    "next": nxt,
                    "total": len(entries),
                    "limit": limit,
                    "offset": offset,
                },
                {},
            )
        if path == "tracks":
            if dev:
                return forbidden
            ids = query.get("ids", "").split(",")
            if len(ids) > 50:
                return 400, {"error": {"status": 400, "message": "Too many ids"}}, {}
            return 200, {"tracks": [self._track(i, new_app) for i in ids]}, {}
        if m := re.fullmatch(r"tracks/(\w+)", path):
            track = self._track(m.group(1), new_app)
            return (200, track, {}) if track else not_found
        if path == "audio-features":
            if new_app:
                return forbidden
            ids = query.get("ids", "").split(",")
            if len(ids) > 100:
                return 400, {"error": {"status": 400, "message": "Too many ids"}}, {}
            return (
                200,
                {"audio_features": [self.catalog.features.get(i) for i in ids]},
                {},
            )
        return not_found

    def _track(self, track_id: str, new_app: bool) -> dict[str, Any] | None:
        track = self.catalog.tracks.get(track_id)
        if track is None:
            return None
        track = dict(track)
        if new_app:
            track["preview_url"] = None
        return track

    def _entry(self, entry: Any, new_app: bool, dev: bool) -> Any:
        if entry is None:
            return None
        if entry == "local":
            local = {
                "id": None,
                "type": "track",
                "name": "my.mp3",
                "is_local": True,
                "uri": "spotify:local:::my.mp3:1",
                "preview_url": None,
            }
            return {"is_local": True, "track": local, "item": local}
        if entry == "unavailable":
            return {"is_local": False, "track": None}
        track = self._track(entry, new_app)
        if dev:
            return {
                "added_at": "2026-01-01T00:00:00Z",
                "is_local": False,
                "item": track,
            }
        return {"added_at": "2020-01-01T00:00:00Z", "is_local": False, "track": track}


USER_SCOPE = "playlist-read-private playlist-read-collaborative"


class Recorder:
    """Another origin on 127.0.0.1 (its own port) that records what reaches it.

    Every GET/POST is logged with its headers and answered with an empty last
    playlist page, so a client that follows a link there gets a valid answer.
    """

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        rec = self

        class Handler(_Handler):
            def do_GET(self) -> None:
                rec.requests.append(("GET", self.path, dict(self.headers.items())))
                self.send_json(200, {"items": [], "next": None, "total": 0})

            def do_POST(self) -> None:
                rec.requests.append(("POST", self.path, dict(self.headers.items())))
                self.send_json(
                    200,
                    {"access_token": "x", "token_type": "Bearer", "expires_in": 60},
                )

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        ).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------- helpers
class Sleeps(list):
    """A ``sleep`` that records instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def expected_legacy_rows(catalog: Catalog, with_attributes: bool = True) -> list[dict]:
    """The tracks.csv a clean legacy crawl of calm+sad must give, built by hand.

    calm: tracks 1..110 then 200 (ISRC duplicate of 5: dropped), 201, 111 (3, 4, 1,
    2 are id duplicates); sad: 120..123 (7 conflicts with calm → conflicts.csv).
    """
    order = [(n, "calm", "playlist:" + pid(1)) for n in range(1, 111) if n != 7]
    order += [(201, "calm", "playlist:" + pid(1)), (111, "calm", "playlist:" + pid(1))]
    order += [(n, "sad", "playlist:" + pid(2)) for n in (120, 121, 122, 123)]
    rows = []
    for n, label, source in order:
        t = catalog.tracks[tid(n)]
        has_preview = t["preview_url"] is not None
        row = {
            "track_id": tid(n),
            "isrc": t["external_ids"]["isrc"],
            "name": f"Song {n}",
            "artists": f"Artist {n % 7}; Guest, Jr.",
            "album": f"Album {n % 5}",
            "release_date": f"20{n % 20:02d}-01-01",
            "duration_ms": str(180000 + n),
            "preview_url": t["preview_url"] or "",
            "audio_path": f"audio/{tid(n)}.mp3" if has_preview else "",
            "label": label,
            "source": source,
        }
        for column in ATTRIBUTE_COLUMNS:
            if column != "duration_ms":
                value = catalog.features[tid(n)][column] if with_attributes else ""
                row[column] = str(value)
        rows.append(row)
    return rows


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, ["fetch", *args], catch_exceptions=False)
