"""Tests for mer_classic.fetch user errors and credentials.

Bad options and sources give clear messages and exit codes, a wrong secret is a
ConfigError, and secrets and tokens never reach the logs.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic.exceptions import ConfigError
from mer_classic.fetch import crawl
from mer_classic.fetch._sources import PlaylistSource
from mer_classic.fetch._state import STATE_NAME
from tests._spotify_fake import CLIENT_ID, CLIENT_SECRET, Sleeps, cli, pid


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
