"""Tests for mer_classic.fetch that need no Spotify server.

Link and file parsing, the MP3 check, ``mer-classic fetch --offline``, the
command's help and the ``mer_classic.fetch`` package layout.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic.exceptions import DataError, ParameterError
from mer_classic.fetch import crawl
from mer_classic.fetch._previews import mp3_frame_count, verify_audio
from mer_classic.fetch._sources import (
    PlaylistSource,
    parse_playlist_option,
    parse_spotify_id,
    read_playlists_file,
    read_tracks_file,
)
from tests._spotify_fake import cli, pid, read_rows, tid


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
