"""Tests for mer_classic.fetch and ``mer-classic fetch``.

The Spotify side is a real HTTP server on 127.0.0.1 (``FakeSpotify``, below) that
speaks the Web API's shapes for three kinds of app, with fault injection; spotipy
itself is not mocked. Preview clips come from a second loopback server (``Cdn``),
as Spotify's come from its CDN.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib
import inspect
import io
import json
import pkgutil
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic.exceptions import (
    ConfigError,
    DataError,
    FetchError,
    ParameterError,
    RateLimitError,
)
from mer_classic.fetch import CONFLICT_COLUMNS, TRACK_COLUMNS, crawl
from mer_classic.fetch.attributes import ATTRIBUTE_COLUMNS
from mer_classic.fetch.previews import mp3_frame_count, verify_audio
from mer_classic.fetch.sources import (
    PlaylistSource,
    parse_playlist_option,
    parse_spotify_id,
    read_playlists_file,
    read_tracks_file,
)
from mer_classic.fetch.state import STATE_NAME

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "s3cr3t-never-written"


def tid(n: int) -> str:
    """A 22-character track id."""
    return f"t{n:021d}"


def pid(n: int, editorial: bool = False) -> str:
    """A 22-character playlist id (``37i9…`` for Spotify-owned editorial ones)."""
    return f"37i9{n:018d}" if editorial else f"p{n:021d}"


# --------------------------------------------------------------------------- servers
def _mp3_bytes(seconds: float = 0.5, sr: int = 22050) -> bytes:
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
    """Preview clips at /mp3-preview/<track_id>; ``modes`` picks a failure per id."""

    def __init__(self, mp3: bytes) -> None:
        self.mp3 = mp3
        self.modes: dict[str, str] = {}  # "404", "truncated", "cut", "garbage", "500"
        self.log: list[str] = []
        self.dead = False
        cdn = self

        class Handler(_Handler):
            def do_GET(self) -> None:
                cdn.log.append(self.path)
                track_id = self.path.rsplit("/", 1)[-1]
                mode = cdn.modes.get(track_id)
                if cdn.dead:
                    self.close_connection = True
                    return
                if mode == "404":
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
    drops), ``"expire"`` (all tokens revoked: 401). ``die_after = N`` drops every
    connection after N API requests.
    """

    def __init__(self, catalog: Catalog, profile: str = "legacy") -> None:
        assert profile in PROFILES
        self.catalog = catalog
        self.profile = profile
        self.log: list[tuple[str, str, int]] = []  # (method, path?query, status)
        self.tokens: dict[str, str] = {}  # token -> "client" | "user"
        self.faults: list[list[Any]] = []
        self.die_after: int | None = None
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
            body.update(refresh_token=form["refresh_token"], scope=_USER_SCOPE)
        h.send_json(200, body)

    # -- web api ---------------------------------------------------------------------
    def api_requests(self, part: str = "/v1/") -> list[str]:
        return [p for m, p, _ in self.log if m == "GET" and part in p]

    def _get(self, h: _Handler) -> None:
        with self.lock:
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


_USER_SCOPE = "playlist-read-private playlist-read-collaborative"


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def mp3() -> bytes:
    return _mp3_bytes()


@pytest.fixture
def cdn(mp3: bytes):
    server = Cdn(mp3)
    yield server
    server.close()


@pytest.fixture
def catalog(cdn: Cdn) -> Catalog:
    """calm: 120 entries over 3 pages (null/local/unavailable items, id and ISRC
    duplicates); sad: 6 entries with one label conflict; an empty playlist."""
    cat = Catalog(cdn)
    for n in range(1, 131):
        cat.add_track(n)
    cat.add_track(200, isrc="USX000000005")  # same recording as track 5, other id
    cat.add_track(201, preview=False)
    calm = [tid(n) for n in range(1, 111)]  # 110 tracks
    calm[10:10] = [None, "local", "unavailable"]  # 113
    calm += [tid(3), tid(4), tid(200), tid(201), tid(1), tid(2), tid(111)]  # 120
    cat.add_playlist(pid(1), calm, owned=True)
    sad = [tid(n) for n in (120, 121, 122, 123, 7, 120)]  # 7 conflicts with calm
    cat.add_playlist(pid(2), sad)
    cat.add_playlist(pid(3), [])
    return cat


@pytest.fixture
def spotify_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Start FakeSpotify servers on demand and point the env seams at them."""
    servers: list[FakeSpotify] = []
    monkeypatch.setenv("SPOTIPY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SPOTIPY_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("MER_CLASSIC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)

    def start(catalog: Catalog, profile: str = "legacy") -> FakeSpotify:
        fake = FakeSpotify(catalog, profile)
        monkeypatch.setenv("MER_CLASSIC_SPOTIFY_API_URL", fake.api_url)
        monkeypatch.setenv("MER_CLASSIC_SPOTIFY_TOKEN_URL", fake.token_url)
        servers.append(fake)
        return fake

    yield start
    for fake in servers:
        fake.close()


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


# --------------------------------------------------------------------------- sources
@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("37i9dQZF1DX3Ogo9pFvBkY", "playlist", "37i9dQZF1DX3Ogo9pFvBkY"),
        (
            "spotify:playlist:37i9dQZF1DX3Ogo9pFvBkY",
            "playlist",
            "37i9dQZF1DX3Ogo9pFvBkY",
        ),
        (
            "https://open.spotify.com/playlist/37i9dQZF1DX3Ogo9pFvBkY?si=abc",
            "playlist",
            "37i9dQZF1DX3Ogo9pFvBkY",
        ),
        (
            "open.spotify.com/intl-de/track/4uLU6hMCjMI75M1A2tKUQC",
            "track",
            "4uLU6hMCjMI75M1A2tKUQC",
        ),
        (" spotify:track:4uLU6hMCjMI75M1A2tKUQC ", "track", "4uLU6hMCjMI75M1A2tKUQC"),
    ],
)
def test_parse_spotify_id_accepts_ids_uris_urls(value, kind, expected):
    assert parse_spotify_id(value, kind) == expected


@pytest.mark.parametrize(
    ("value", "kind", "match"),
    [
        ("abc", "playlist", "not a Spotify playlist id"),
        ("https://example.com/playlist/37i9dQZF1DX3Ogo9pFvBkY", "playlist", "not a"),
        ("spotify:track:4uLU6hMCjMI75M1A2tKUQC", "playlist", "got a track link"),
        ("4uLU6hMCjMI75M1A2tKUQC!", "track", "not a Spotify track id"),
    ],
)
def test_parse_spotify_id_rejects_bad_values(value, kind, match):
    with pytest.raises(DataError, match=match):
        parse_spotify_id(value, kind)


def test_parse_playlist_option_requires_label():
    assert parse_playlist_option(f"sad = {pid(2)}") == PlaylistSource("sad", pid(2))
    with pytest.raises(ParameterError, match="LABEL=PLAYLIST_ID_OR_URL; got"):
        parse_playlist_option(pid(2))


def test_read_playlists_file_formats(tmp_path: Path):
    path = tmp_path / "moods.csv"
    path.write_text(
        "label,playlist\n# comment\n\ncalm,spotify:playlist:"
        + pid(1)
        + "\nsad\t"
        + pid(2)
        + "\nhappy=https://open.spotify.com/playlist/"
        + pid(3)
        + "?si=x\n"
    )
    assert read_playlists_file(path) == [
        PlaylistSource("calm", pid(1)),
        PlaylistSource("sad", pid(2)),
        PlaylistSource("happy", pid(3)),
    ]
    bad = tmp_path / "moods.txt"
    bad.write_text(f"calm,{pid(1)}\nsad,nope\n")
    with pytest.raises(DataError, match=r"moods.txt, line 2: not a Spotify playlist"):
        read_playlists_file(bad)
    unknown = tmp_path / "moods.json"
    unknown.write_text("{}")
    with pytest.raises(DataError, match="unknown playlists file format '.json'"):
        read_playlists_file(unknown)


def test_read_tracks_file_detects_columns_and_invalid_rows(tmp_path: Path):
    path = tmp_path / "moods.csv"
    path.write_text(
        "name;id;Mood\nA;"
        + tid(1)
        + ";Calm\nB;spotify:track:"
        + tid(2)
        + ";Sad\nC;garbage;Sad\nD;"
        + tid(4)
        + ";\n"
    )
    source = read_tracks_file(path)
    assert [(r.track_id, r.label, r.line) for r in source.rows] == [
        (tid(1), "Calm", 2),
        (tid(2), "Sad", 3),
    ]
    assert source.rows[0].extra == {"name": "A"}
    assert source.invalid == [(4, "garbage", "invalid_id"), (5, tid(4), "no_label")]
    nolabel = tmp_path / "x.csv"
    nolabel.write_text("id,genre\n" + tid(1) + ",rock\n")
    with pytest.raises(
        DataError, match=r"no label column; columns are \['id', 'genre'\]"
    ):
        read_tracks_file(nolabel)


# --------------------------------------------------------------------------- previews
def test_mp3_check_rejects_truncated_and_garbage(tmp_path: Path, mp3: bytes):
    frames = mp3_frame_count(mp3)
    assert frames > 5
    assert mp3_frame_count(mp3 + b"TAG" + bytes(125)) == frames
    assert mp3_frame_count(mp3[:-7]) == 0
    ok, cut = tmp_path / "ok.mp3", tmp_path / "cut.mp3"
    ok.write_bytes(mp3)
    cut.write_bytes(mp3[: len(mp3) // 2 + 3])
    verify_audio(ok)
    with pytest.raises(Exception, match="not a complete MP3"):
        verify_audio(cut)
    wav = tmp_path / "x.mp3"  # WAV bytes under .mp3 are checked by content
    sf.write(wav, np.zeros(100, dtype="float32"), 8000, format="WAV")
    verify_audio(wav)


# --------------------------------------------------------------------------- legacy app
def test_legacy_app_full_crawl_via_cli(spotify_env, catalog: Catalog, cdn: Cdn):
    fake = spotify_env(catalog, "legacy")
    out = Path("out")
    result = cli(
        "--playlist",
        f"calm={pid(1)}",
        "--playlist",
        f"sad=https://open.spotify.com/playlist/{pid(2)}?si=q",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    rows = read_rows(out / "tracks.csv")
    assert list(rows[0]) == list(TRACK_COLUMNS)
    assert rows == expected_legacy_rows(catalog)
    conflicts = read_rows(out / "conflicts.csv")
    assert list(conflicts[0]) == list(CONFLICT_COLUMNS)
    assert conflicts == [
        {
            "track_id": tid(7),
            "isrc": "USX000000007",
            "name": "Song 7",
            "artists": "Artist 0; Guest, Jr.",
            "label": "calm;sad",
            "conflicting_labels": "calm;sad",
            "source": f"playlist:{pid(1)};playlist:{pid(2)}",
        }
    ]
    # audio files: exactly the rows with audio, all decodable, no temp files left
    files = sorted(p.name for p in (out / "audio").iterdir())
    assert files == sorted(Path(r["audio_path"]).name for r in rows if r["audio_path"])
    for name in files[:3]:
        verify_audio(out / "audio" / name)
    # requests: 3 pages of calm (following absolute next URLs) + 1 of sad,
    # 2 audio-features batches (115 kept ids, 100 per batch), 1 token request
    pages = fake.api_requests("/playlists/")
    assert pages[0].startswith(f"/v1/playlists/{pid(1)}/items?limit=50&offset=0")
    assert pages[1:3] == [
        f"/v1/playlists/{pid(1)}/items?offset={o}&limit=50" for o in (50, 100)
    ]
    assert len(pages) == 4
    assert len(fake.api_requests("/audio-features")) == 2
    assert len(fake.api_requests("/tracks")) == 0
    assert [m for m, _, _ in fake.log].count("POST") == 1
    n_audio = len(files)
    assert len(cdn.log) == n_audio == 114
    summary = json.loads((out / "summary.json").read_text())
    assert summary["requests"] == {"api": 6, "token": 1, "preview": 114, "total": 121}
    assert summary["tracks"] == 115
    assert summary["labels"] == {"calm": 111, "sad": 4}
    assert summary["with_audio"] == 114 and summary["without_audio"] == 1
    assert summary["audio_missing"] == {"no_preview_url": 1}
    assert summary["with_attributes"] == 115
    assert summary["duplicates"] == {"by_id": 6, "by_isrc": 1}
    assert summary["conflicts"] == {"groups": 1, "tracks": 1}
    assert summary["skipped"] == {"local_file": 1, "null_item": 1, "unavailable": 1}
    assert "115 tracks (calm 111, sad 4)" in result.output
    # secrets never reach the outputs; the token cache lives under the data dir
    for path in out.rglob("*"):
        if path.is_file():
            assert CLIENT_SECRET.encode() not in path.read_bytes()
    assert not Path(".cache").exists()
    caches = list((Path("data") / ".spotify-token-cache").iterdir())
    assert len(caches) == 1 and caches[0].stat().st_mode & 0o077 == 0
    assert CLIENT_SECRET not in caches[0].read_text()


def test_rerun_of_finished_crawl_is_refused_then_resume_rewrites_without_requests(
    spotify_env, catalog: Catalog, cdn: Cdn
):
    fake = spotify_env(catalog, "legacy")
    args = ["--playlist", f"sad={pid(2)}", "--out", "out"]
    assert cli(*args).exit_code == 0
    before = Path("out/tracks.csv").read_bytes()
    n_log, n_cdn = len(fake.log), len(cdn.log)
    again = CliRunner().invoke(main, ["fetch", *args])
    assert again.exit_code == 1
    assert again.output.endswith(
        "Error: out holds a finished crawl of the same sources; add --resume to "
        "continue it (or rewrite its outputs), or --force to start over\n"
    )
    assert cli(*args, "--resume").exit_code == 0
    assert Path("out/tracks.csv").read_bytes() == before
    assert (len(fake.log), len(cdn.log)) == (n_log, n_cdn)  # no request at all
    forced = cli(*args, "--force")
    assert forced.exit_code == 0
    assert len(fake.log) == n_log + 2  # page + audio-features (token cached on disk)
    assert len(cdn.log) == n_cdn  # clips already on disk verify and are reused
    assert Path("out/tracks.csv").read_bytes() == before


# --------------------------------------------------------------------------- 2024 app
def test_restricted_2024_app(spotify_env, catalog: Catalog, cdn: Cdn):
    catalog.add_playlist(pid(9, editorial=True), [tid(1), tid(2)])
    fake = spotify_env(catalog, "restricted2024")
    result = CliRunner().invoke(
        main,
        [
            "fetch",
            "--playlist",
            f"calm={pid(1)}",
            "--playlist",
            f"sad={pid(2)}",
            "--playlist",
            f"happy={pid(9, editorial=True)}",
            "--out",
            "out",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = read_rows(Path("out/tracks.csv"))
    expected = expected_legacy_rows(catalog, with_attributes=False)
    for row in expected:
        row["preview_url"] = row["audio_path"] = ""
    assert rows == expected
    assert not (Path("out") / "audio").exists() and cdn.log == []
    # audio-features: asked once, 403, never again (115 ids would need 2 batches)
    assert len(fake.api_requests("/audio-features")) == 1
    summary = json.loads(Path("out/summary.json").read_text())
    assert summary["attributes"] == "unavailable (Spotify answered 403)"
    assert "mer-classic extract" in summary["attributes_hint"]
    assert summary["with_attributes"] == 0 and summary["without_audio"] == 115
    assert summary["audio_missing"] == {"no_preview_url": 115}
    [problem] = summary["problems"]
    assert problem["reason"] == "editorial_playlist" and problem["label"] == "happy"
    assert "37i9" in problem["message"] and "--tracks" in problem["message"]
    assert (
        f"skipped playlist:{pid(9, editorial=True)}: editorial_playlist"
        in result.output
    )
    assert summary["forbidden_endpoints"] == ["audio_features"]


# --------------------------------------------------------------------------- 2026 app
def test_dev_mode_client_credentials_playlists_fail_clearly(spotify_env, catalog):
    fake = spotify_env(catalog, "dev2026")
    result = CliRunner().invoke(
        main,
        [
            "fetch",
            "--playlist",
            f"calm={pid(1)}",
            "--playlist",
            f"sad={pid(2)}",
            "--out",
            "out",
        ],
    )
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: the sources gave no usable track; nothing was written. Spotify "
        f"answered 403 for playlist {pid(1)} (label 'calm'). Development-mode apps"
    )
    assert "--auth user" in result.output and "--tracks FILE.csv" in result.output
    # the second playlist is not asked: the endpoint answered 403 once
    assert len(fake.api_requests("/playlists/")) == 1
    assert not Path("out/tracks.csv").exists() and not Path("out", STATE_NAME).exists()


def _tracks_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("track_uri,mood\n" + "".join(f"{a},{b}\n" for a, b in rows))
    return path


def test_dev_mode_tracks_file_falls_back_to_single_track_requests(
    spotify_env, catalog: Catalog, cdn: Cdn
):
    fake = spotify_env(catalog, "dev2026")
    table = _tracks_csv(
        Path("moods.csv"),
        [
            (f"spotify:track:{tid(1)}", "calm"),
            (tid(2), "calm"),
            (f"https://open.spotify.com/track/{tid(3)}", "sad"),
            (tid(1), "calm"),
            (tid(999), "sad"),
            ("bad-id", "sad"),
            (tid(200), "happy"),
            (tid(5), "happy"),
        ],
    )
    result = cli("--tracks", str(table), "--out", "out")
    assert result.exit_code == 0, result.output
    rows = read_rows(Path("out/tracks.csv"))
    assert [
        (r["track_id"], r["label"], r["source"], r["audio_path"]) for r in rows
    ] == [
        (tid(1), "calm", "tracks:moods.csv", ""),
        (tid(2), "calm", "tracks:moods.csv", ""),
        (tid(3), "sad", "tracks:moods.csv", ""),
        (tid(200), "happy", "tracks:moods.csv", ""),  # ISRC twin of 5, first seen
    ]
    assert rows[0]["name"] == "Song 1" and rows[0]["danceability"] == ""
    # one batch request (403), then one request per unique id; never the batch again
    assert len(fake.api_requests("/v1/tracks/?ids=")) == 1
    singles = [p for p in fake.api_requests("/v1/tracks/") if "ids=" not in p]
    assert len(singles) == 6  # 1, 2, 3, 999 (404), 200, 5
    assert len(fake.api_requests("/audio-features")) == 1
    summary = json.loads(Path("out/summary.json").read_text())
    assert summary["skipped"] == {"invalid_id": 1, "track_not_found": 1}
    assert summary["duplicates"] == {"by_id": 1, "by_isrc": 1}
    assert summary["forbidden_endpoints"] == ["audio_features", "tracks_batch"]


def test_dev_mode_user_auth_reads_own_playlists_only(
    spotify_env, catalog, tmp_path, monkeypatch
):
    fake = spotify_env(catalog, "dev2026")
    # a cached, expired PKCE login: the client refreshes it through the token URL
    cache = tmp_path / "data" / ".spotify-token-cache"
    cache.mkdir(parents=True)
    digest = hashlib.sha256(CLIENT_ID.encode()).hexdigest()[:12]
    (cache / f"user-{digest}.json").write_text(
        json.dumps(
            {
                "access_token": "old",
                "token_type": "Bearer",
                "expires_in": 3600,
                "expires_at": int(time.time()) - 10,
                "refresh_token": "refresh-me",
                "scope": _USER_SCOPE,
            }
        )
    )
    monkeypatch.delenv("SPOTIPY_CLIENT_SECRET")  # PKCE needs no secret
    summary = crawl(
        [PlaylistSource("calm", pid(1)), PlaylistSource("sad", pid(2))],
        out=tmp_path / "out",
        auth="user",
        open_browser=False,
        sleep=Sleeps(),
    )
    rows = read_rows(tmp_path / "out" / "tracks.csv")
    # calm is owned (entries under "item" only); sad answers 403 and is reported
    expected = [r for r in expected_legacy_rows(catalog, False) if r["label"] == "calm"]
    expected.insert(
        6,
        dict(
            expected[0],
            track_id=tid(7),
            isrc="USX000000007",
            name="Song 7",
            artists="Artist 0; Guest, Jr.",
            album="Album 2",
            release_date="2007-01-01",
            duration_ms="180007",
        ),
    )
    for row in expected:
        row["preview_url"] = row["audio_path"] = ""
    assert rows == expected
    assert [p["reason"] for p in summary["problems"]] == ["playlist_forbidden"]
    assert "you own or collaborate on" in summary["problems"][0]["message"]
    assert [f for m, f, _ in fake.log if m == "POST"] == ["/api/token"]
    assert summary["requests"]["token"] == 1


# --------------------------------------------------------------------------- faults
def test_faults_are_retried_and_give_the_clean_rows(spotify_env, catalog, tmp_path):
    """401 (token expired), 429 short, 5xx, connection reset mid-page: same rows."""
    fake = spotify_env(catalog, "legacy")
    fake.inject("/items", "expire", at=2)  # page 2: token revoked → 401 → refresh
    fake.inject("/items", ("status", 429, {"Retry-After": "2"}), at=4)  # page 3
    fake.inject("/items", "reset", at=5)  # page 3 again: body cut mid-way
    fake.inject("/audio-features", ("status", 503))
    sleeps = Sleeps()
    summary = crawl(
        [PlaylistSource("calm", pid(1)), PlaylistSource("sad", pid(2))],
        out=tmp_path / "out",
        previews=False,
        sleep=sleeps,
        backoff_base=0.5,
    )
    rows = read_rows(tmp_path / "out" / "tracks.csv")
    expected = expected_legacy_rows(catalog)
    for row in expected:
        row["audio_path"] = ""
    assert rows == expected
    statuses = [s for m, p, s in fake.log if m == "GET" and "/items" in p]
    assert statuses == [200, 401, 200, 429, 200, 200, 200]  # reset logged as 200
    # Retry-After of the 429, then doubling backoff (2nd retry of page 3 after the
    # reset), then the first retry of audio-features after the 503
    assert sleeps == [2.0, 1.0, 0.5]
    assert summary["requests"]["api"] == len(fake.api_requests()) == 7 + 3
    assert summary["requests"]["token"] == 2


def test_huge_retry_after_saves_state_exits_75_and_resume_matches_clean_run(
    spotify_env, catalog: Catalog, cdn: Cdn
):
    fake = spotify_env(catalog, "legacy")
    fake.inject("/items", ("status", 429, {"Retry-After": "7200"}), at=2)
    args = [
        "--playlist",
        f"calm={pid(1)}",
        "--playlist",
        f"sad={pid(2)}",
        "--out",
        "out",
    ]
    result = CliRunner().invoke(main, ["fetch", *args])
    assert result.exit_code == 75
    assert (
        "Retry-After is 2 h 0 min (7200 s), more than --max-wait 300 s" in result.output
    )
    assert re.search(
        r"--resume after \d{4}-\d\d-\d\d \d\d:\d\d UTC\.\n$", result.output
    )
    assert Path("out", STATE_NAME).exists() and not Path("out/tracks.csv").exists()
    resumed = cli(*args, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert read_rows(Path("out/tracks.csv")) == expected_legacy_rows(catalog)
    # page 1 (offset 0) was asked once in all; every preview downloaded once
    assert len([p for p in fake.api_requests(pid(1)) if "offset=0" in p]) == 1
    assert len(cdn.log) == len(set(cdn.log)) == 114
    summary = json.loads(Path("out/summary.json").read_text())
    assert summary["runs"] == 2
    assert summary["requests"]["api"] == len(fake.api_requests()) == 7


def test_server_dies_then_resume_against_a_new_server(
    spotify_env, catalog, cdn, tmp_path
):
    clean_out = tmp_path / "clean"
    clean = spotify_env(catalog, "legacy")
    sources = [PlaylistSource("calm", pid(1)), PlaylistSource("sad", pid(2))]
    crawl(sources, out=clean_out, sleep=Sleeps())
    clean_cdn = len(cdn.log)
    first = spotify_env(catalog, "legacy")
    # the token cached by the reference run is unknown here: 401, refresh, then
    # pages 1 and 2 are answered and the server dies
    first.die_after = 3
    sleeps = Sleeps()
    with pytest.raises(FetchError, match="network failure .* rerun with --resume"):
        crawl(sources, out=tmp_path / "out", sleep=sleeps, max_retries=3)
    assert len(sleeps) == 3
    assert [s for m, _, s in first.log if m == "GET"] == [401, 200, 200, 0, 0, 0, 0]
    state = json.loads((tmp_path / "out" / STATE_NAME).read_text())
    assert state["sources"] == {
        f"playlist:{pid(1)}#calm": {"offset": 100, "done": False}
    }
    second = spotify_env(catalog, "legacy")  # new port: the stored offset still works
    crawl(sources, out=tmp_path / "out", resume=True, sleep=Sleeps())
    assert (tmp_path / "out" / "tracks.csv").read_bytes() == (
        clean_out / "tracks.csv"
    ).read_bytes()
    assert second.api_requests("/playlists/")[0].startswith(
        f"/v1/playlists/{pid(1)}/items?limit=50&offset=100"
    )
    assert len(cdn.log) - clean_cdn == 114  # each preview once
    assert clean.log  # (the clean server answered the reference run)


def test_interrupt_during_previews_then_resume_downloads_each_clip_once(
    spotify_env, catalog: Catalog, cdn: Cdn, tmp_path: Path
):
    spotify_env(catalog, "legacy")
    cdn.modes[tid(60)] = "500"

    def ctrl_c(seconds: float) -> None:  # Ctrl-C while backing off from the 500
        raise KeyboardInterrupt

    sources = [PlaylistSource("calm", pid(1))]
    with pytest.raises(KeyboardInterrupt):
        crawl(sources, out=tmp_path / "out", sleep=ctrl_c)
    state_path = tmp_path / "out" / STATE_NAME
    state = json.loads(state_path.read_text())
    done = [k for k, v in state["previews"].items() if v == "ok"]
    assert len(done) == 59 and not state["complete"]  # saved on the interrupt
    assert len(cdn.log) == 60  # 59 clips + the 500
    # as if killed between a clip's rename and the next checkpoint: 5 clips are
    # on disk but not in the state
    for key in done[-5:]:
        del state["previews"][key]
    state_path.write_text(json.dumps(state))
    del cdn.modes[tid(60)]
    summary = crawl(sources, out=tmp_path / "out", resume=True, sleep=Sleeps())
    assert summary["with_audio"] == 111
    # each clip fetched once (they are verified on disk), the failed one twice
    assert len(cdn.log) == 112
    assert {p for p in cdn.log if cdn.log.count(p) > 1} == {f"/mp3-preview/{tid(60)}"}
    assert list((tmp_path / "out" / "audio").glob(".*")) == []


def test_bad_previews_are_counted_not_kept(spotify_env, catalog, cdn, tmp_path):
    spotify_env(catalog, "legacy")
    modes = {
        tid(120): "404",
        tid(121): "truncated",
        tid(122): "garbage",
        tid(123): "cut",
    }
    cdn.modes.update(modes)
    summary = crawl(
        [PlaylistSource("sad", pid(2))],
        out=tmp_path / "out",
        sleep=Sleeps(),
        attributes="none",
    )
    rows = read_rows(tmp_path / "out" / "tracks.csv")
    assert [(r["track_id"], r["audio_path"]) for r in rows] == [
        (tid(120), ""),
        (tid(121), ""),
        (tid(122), ""),
        (tid(123), ""),
        (tid(7), f"audio/{tid(7)}.mp3"),
    ]
    assert summary["audio_missing"] == {
        "preview_http_404": 1,
        "preview_truncated": 1,
        "preview_invalid": 2,
    }
    # 404: one request; truncated/garbage/cut: retried once
    assert [cdn.fetched(t) for t in modes] == [1, 2, 2, 2]
    assert [p.name for p in (tmp_path / "out" / "audio").iterdir()] == [f"{tid(7)}.mp3"]
    with pytest.raises(FetchError, match="--require-audio dropped all 5 tracks"):
        crawl(
            [PlaylistSource("sad", pid(2))],
            out=tmp_path / "out2",
            sleep=Sleeps(),
            attributes="none",
            previews=False,
            require_audio=True,
        )
    assert read_rows(tmp_path / "out2" / "tracks.csv") == []


# --------------------------------------------------------------------------- bad input
def test_bad_input_messages_and_exit_codes(spotify_env, catalog, tmp_path, monkeypatch):
    spotify_env(catalog, "legacy")
    r = CliRunner().invoke(main, ["fetch"])
    assert r.exit_code == 2 and "give at least one --playlist" in r.output
    r = CliRunner().invoke(
        main, ["fetch", "--playlist", "calm=x", "--resume", "--force"]
    )
    assert r.exit_code == 2 and "--resume and --force exclude each other" in r.output
    r = CliRunner().invoke(main, ["fetch", "--playlist", "calm=not-a-playlist"])
    assert r.exit_code == 1
    assert r.output == (
        "Error: not a Spotify playlist id, URI or URL: 'not-a-playlist'; expected 22 "
        "letters/digits (e.g. spotify:playlist:<id> or "
        "https://open.spotify.com/playlist/<id>)\n"
    )
    Path("labels.xlsx").write_bytes(b"PK\x03\x04")
    r = CliRunner().invoke(main, ["fetch", "--playlists", "labels.xlsx"])
    assert r.exit_code == 1 and "unknown playlists file format '.xlsx'" in r.output
    r = CliRunner().invoke(
        main, ["fetch", "--playlist", f"calm={pid(3)}", "--out", "e"]
    )
    assert r.exit_code == 1
    assert f"playlist {pid(3)} (label 'calm') has no tracks." in r.output
    assert not Path("e", STATE_NAME).exists()
    # an --out holding another crawl: refused, state untouched
    assert (
        cli("--playlist", f"sad={pid(2)}", "--out", "o", "--no-previews").exit_code == 0
    )
    before = {p: p.read_bytes() for p in Path("o").iterdir() if p.is_file()}
    r = CliRunner().invoke(
        main, ["fetch", "--playlist", f"calm={pid(1)}", "--out", "o", "--resume"]
    )
    assert r.exit_code == 1
    assert r.output == (
        "Error: o holds another crawl (different previews, sources); choose another "
        "--out folder, or add --force to discard it and start over\n"
    )
    assert {p: p.read_bytes() for p in Path("o").iterdir() if p.is_file()} == before
    # missing credentials: exit 1 before any file is written
    monkeypatch.delenv("SPOTIPY_CLIENT_SECRET")
    r = CliRunner().invoke(
        main, ["fetch", "--playlist", f"calm={pid(1)}", "--out", "n"]
    )
    assert r.exit_code == 1
    assert r.output.startswith(
        "Error: missing Spotify credentials: SPOTIPY_CLIENT_SECRET"
    )
    assert not Path("n").exists()
    with pytest.raises(ConfigError, match="set SPOTIPY_CLIENT_ID"):
        monkeypatch.delenv("SPOTIPY_CLIENT_ID")
        crawl([PlaylistSource("calm", pid(1))], out=tmp_path / "m")


def test_wrong_secret_is_a_config_error_without_the_secret(
    spotify_env, catalog, tmp_path, caplog
):
    spotify_env(catalog, "legacy")
    caplog.set_level("DEBUG")
    with pytest.raises(ConfigError, match="Spotify refused the credentials") as info:
        crawl(
            [PlaylistSource("calm", pid(1))],
            out=tmp_path / "o",
            client_secret="wrong-secret-value",
            sleep=Sleeps(),
        )
    assert "wrong-secret-value" not in str(info.value)
    b64 = base64.b64encode(f"{CLIENT_ID}:wrong-secret-value".encode()).decode()
    assert "wrong-secret-value" not in caplog.text and b64 not in caplog.text


def test_secrets_and_tokens_are_redacted_from_debug_logs(
    spotify_env, catalog, tmp_path, caplog
):
    spotify_env(catalog, "legacy")
    caplog.set_level("DEBUG")
    crawl(
        [PlaylistSource("sad", pid(2))],
        out=tmp_path / "o",
        previews=False,
        sleep=Sleeps(),
    )
    b64 = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert "Bearer ***" in caplog.text
    assert b64 not in caplog.text and "client-token-1" not in caplog.text


# --------------------------------------------------------------------------- offline
def test_offline_tracks_table_needs_no_spotify(tmp_path, monkeypatch, mp3):
    monkeypatch.delenv("SPOTIPY_CLIENT_ID", raising=False)
    table = tmp_path / "data_moods.csv"
    table.write_text(
        "name,album,artist,id,release_date,length,danceability,energy,valence,mood\n"
        f"A,X,Ann,{tid(1)},2001,200000,0.5,0.6,0.7,Calm\n"
        f"A,X,Ann,{tid(1)},2001,200000,0.5,0.6,0.7,Calm\n"
        f"B,Y,Bob,{tid(2)},2002,210000,0.1,0.2,0.3,Sad\n"
        f"B,Y,Bob,{tid(2)},2002,210000,0.1,0.2,0.3,Happy\n"
        f"C,Z,Cy,{tid(3)},2003,,,,,Happy\n"
    )
    own = tmp_path / "o" / "audio"  # the user's own audio for one track
    own.mkdir(parents=True)
    (own / f"{tid(3)}.mp3").write_bytes(mp3)
    (own / f"{tid(1)}.mp3").write_bytes(mp3[:-9])  # broken: not adopted
    result = cli("--tracks", str(table), "--offline", "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    rows = read_rows(tmp_path / "o" / "tracks.csv")
    assert [
        (
            r["track_id"],
            r["name"],
            r["artists"],
            r["duration_ms"],
            r["label"],
            r["danceability"],
            r["valence"],
            r["tempo"],
            r["audio_path"],
        )
        for r in rows
    ] == [
        (tid(1), "A", "Ann", "200000", "Calm", "0.5", "0.7", "", ""),
        (tid(3), "C", "Cy", "", "Happy", "", "", "", f"audio/{tid(3)}.mp3"),
    ]
    assert read_rows(tmp_path / "o" / "conflicts.csv")[0]["conflicting_labels"] == (
        "Sad;Happy"
    )
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["requests"]["total"] == 0 and summary["with_attributes"] == 1
    assert summary["audio_missing"] == {"no_preview_url": 1}


def test_every_option_has_help():
    result = CliRunner().invoke(main, ["fetch", "--help"])
    assert result.exit_code == 0
    for option in (
        "--playlist",
        "--playlists",
        "--tracks",
        "--resume",
        "--max-wait",
        "--require-audio",
        "--offline",
        "--auth",
    ):
        assert option in result.output


def test_rate_limit_error_carries_retry_after(spotify_env, catalog, tmp_path):
    fake = spotify_env(catalog, "legacy")
    fake.inject("/audio-features", ("status", 429, {"Retry-After": "61"}))
    sleeps = Sleeps()
    with pytest.raises(RateLimitError, match=r"Retry-After is 1 min \(61 s\)") as info:
        crawl(
            [PlaylistSource("sad", pid(2))],
            out=tmp_path / "o",
            max_wait=60,
            sleep=sleeps,
        )
    assert info.value.retry_after == 61.0 and sleeps == []
    state = json.loads((tmp_path / "o" / STATE_NAME).read_text())
    assert len(state["entries"]) == 6 and state["attributes"] == {}
    summary = crawl(
        [PlaylistSource("sad", pid(2))],
        out=tmp_path / "o",
        resume=True,
        max_wait=60,
        sleep=sleeps,
    )
    assert summary["with_attributes"] == 5
    # 1 page, the 429, and the retried batch: the page is not asked again
    assert len(fake.api_requests()) == summary["requests"]["api"] == 3


def test_fetch_crawl_stays_the_function_after_the_cli_imports_it():
    """``mer_classic.fetch.crawl`` is the function, whatever was imported before.

    A submodule named like an exported function replaces the package attribute once
    it is imported; ``crawl`` used to live in ``mer_classic/fetch/crawl.py``, so
    ``from mer_classic.fetch import crawl`` returned that module.
    """
    import mer_classic.cli.fetch  # noqa: F401

    import mer_classic.fetch as fetch_pkg

    for info in pkgutil.iter_modules(fetch_pkg.__path__):
        importlib.import_module(f"mer_classic.fetch.{info.name}")
    from mer_classic.fetch import crawl as imported

    assert inspect.isfunction(imported) and imported is crawl
    assert fetch_pkg.crawl is imported
    for name in fetch_pkg.__all__:
        assert not inspect.ismodule(getattr(fetch_pkg, name)), name
    # a fresh interpreter, importing in the order `mer-classic fetch` does
    code = (
        "import inspect, mer_classic.cli.fetch, mer_classic.fetch as f\n"
        "from mer_classic.fetch import crawl\n"
        "assert inspect.isfunction(crawl) and f.crawl is crawl, crawl\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stderr
