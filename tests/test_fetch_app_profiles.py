"""Tests for ``mer-classic fetch`` against each kind of Spotify app.

A legacy (extended-quota) app, a new app restricted since 2024-11-27 and a 2026
development-mode app, each served by ``FakeSpotify`` (``tests/_spotify_fake.py``)
on 127.0.0.1; spotipy itself is not mocked.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic.fetch import crawl
from mer_classic.fetch._crawl import CONFLICT_COLUMNS, TRACK_COLUMNS
from mer_classic.fetch._previews import verify_audio
from mer_classic.fetch._sources import PlaylistSource
from mer_classic.fetch._state import STATE_NAME
from tests._spotify_fake import (
    CLIENT_ID,
    CLIENT_SECRET,
    USER_SCOPE,
    Catalog,
    Cdn,
    Sleeps,
    cli,
    expected_legacy_rows,
    pid,
    read_rows,
    tid,
)


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
                "scope": USER_SCOPE,
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
