"""Tests for mer_classic.fetch against a hostile API and stale credentials.

Crafted track ids (absolute paths, ``..`` and sub-folders) from playlist pages,
track batches, single-track answers and tables built in code never become file
names outside ``--out``; a cached token is not reused with another client
secret. All against ``FakeSpotify`` (``tests/_spotify_fake.py``) on 127.0.0.1.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from mer_classic.exceptions import ConfigError, DataError, ParameterError
from mer_classic.fetch import crawl
from mer_classic.fetch._previews import download_preview
from mer_classic.fetch._session import CountingSession
from mer_classic.fetch._sources import (
    PlaylistSource,
    TrackRow,
    TracksFileSource,
    read_tracks_file,
)
from mer_classic.fetch._token_cache import SECRET_KEY
from tests._spotify_fake import (
    CLIENT_SECRET,
    Catalog,
    Cdn,
    Sleeps,
    cli,
    pid,
    read_rows,
    tid,
)


def _crafted(tmp_path: Path) -> list[str]:
    """Ids that name a file outside --out (absolute; ``..``) or a sub-folder.

    They point inside ``tmp_path`` so that a regression cannot touch /tmp.
    """
    return [str(tmp_path / "outside" / "x"), "../../escape/y", "a/b/c"]


def _files_outside(root: Path, out: Path) -> list[Path]:
    return [
        p
        for p in root.rglob("*")
        if p.is_file() and out not in p.parents and "data" not in p.parts
    ]


# ------------------------------------------------------------------ path traversal
def test_crafted_ids_in_playlist_pages_never_leave_out(
    spotify_env, catalog: Catalog, cdn: Cdn, tmp_path: Path
):
    spotify_env(catalog, "legacy")
    crafted = _crafted(tmp_path)
    keys = [
        catalog.add_crafted(n, c, answer_for_valid=False)
        for n, c in zip((901, 902, 903), crafted, strict=True)
    ]
    catalog.add_playlist(pid(9), [tid(1), *keys, tid(2)])
    result = cli("--playlist", f"calm={pid(9)}", "--out", "out")
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    assert not (tmp_path / "outside").exists() and not (tmp_path / "escape").exists()
    assert sorted(p.name for p in (out / "audio").iterdir()) == [
        f"{tid(1)}.mp3",
        f"{tid(2)}.mp3",
    ]
    assert _files_outside(tmp_path, out) == []
    assert [r["track_id"] for r in read_rows(out / "tracks.csv")] == [tid(1), tid(2)]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["skipped"] == {"invalid_id_from_api": 3}
    assert summary["tracks"] == 2
    # only the valid ids were downloaded
    assert sorted(cdn.log) == sorted(f"/mp3-preview/{t}" for t in (tid(1), tid(2)))


@pytest.mark.parametrize("profile", ["legacy", "dev2026"])  # batch / track by track
def test_crafted_ids_in_track_answers_are_skipped_and_counted(
    spotify_env, catalog: Catalog, tmp_path: Path, profile: str
):
    fake = spotify_env(catalog, profile)
    crafted = _crafted(tmp_path)
    for n, c in zip((901, 902, 903), crafted, strict=True):
        catalog.add_crafted(n, c, answer_for_valid=True)
    table = tmp_path / "labels.csv"
    table.write_text(
        "id,mood\n" + "".join(f"{tid(n)},calm\n" for n in (1, 901, 902, 903, 2))
    )
    summary = crawl([read_tracks_file(table)], out=tmp_path / "out", sleep=Sleeps())
    rows = read_rows(tmp_path / "out" / "tracks.csv")
    assert [r["track_id"] for r in rows] == [tid(1), tid(2)]
    assert summary["skipped"] == {"invalid_id_from_api": 3}
    assert _files_outside(tmp_path, tmp_path / "out") == [table]
    asked = "/tracks/?ids=" if profile == "legacy" else f"/tracks/{tid(901)}"
    assert fake.api_requests(asked)  # the answers did come from the API


def test_invalid_ids_of_a_table_built_in_code_are_skipped_offline(tmp_path: Path):
    rows = [
        TrackRow(tid(1), "calm", 2, {"name": "ok"}),
        TrackRow("../../escape/y", "calm", 3, {"name": "bad"}),
        TrackRow(str(tmp_path / "outside" / "x"), "sad", 4, {}),
    ]
    source = TracksFileSource(Path("t.csv"), rows, [], "0" * 64)
    summary = crawl([source], out=tmp_path / "out", offline=True)
    assert summary["tracks"] == 1 and summary["skipped"] == {"invalid_id": 2}
    state = json.loads((tmp_path / "out" / ".fetch-state").read_text())
    shown = [s["track_id"] for s in state["skipped"]]  # quoted, at most 60 chars
    assert shown == ["'../../escape/y' (line 3)", f"{str(tmp_path)[:60]!r} (line 4)"]


@pytest.mark.parametrize("name", ["../x.mp3", "a/b.mp3", "/abs/x.mp3", "x.wav"])
def test_preview_writer_refuses_destinations_outside_its_folder(
    tmp_path: Path, name: str
):
    audio = tmp_path / "out" / "audio"
    audio.mkdir(parents=True)
    session = CountingSession()
    with pytest.raises(DataError, match="refusing to write a preview"):
        download_preview(session, "http://127.0.0.1:9/x", audio / name, root=audio)
    assert session.count == 0 and list(tmp_path.rglob("*.*")) == []


# ------------------------------------------------------------------- token cache
def test_cached_token_is_not_reused_with_another_secret(
    spotify_env, catalog: Catalog, tmp_path: Path
):
    spotify_env(catalog, "legacy")
    sources = [PlaylistSource("sad", pid(2))]

    def run(out: str, **kwargs):
        return crawl(sources, out=tmp_path / out, previews=False, **kwargs)

    assert run("a")["requests"]["token"] == 1
    (cache,) = (tmp_path / "data" / ".spotify-token-cache").glob("*.json")
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    text = cache.read_text()
    assert CLIENT_SECRET not in text and SECRET_KEY in json.loads(text)
    assert run("b")["requests"]["token"] == 0  # same secret: the cache is used
    with pytest.raises(ConfigError, match="Spotify refused the credentials"):
        run("c", client_secret="wrong-secret-value")
    assert "wrong-secret-value" not in cache.read_text()
    result = cli(
        "--playlist",
        f"sad={pid(2)}",
        "--out",
        "d",
        "--no-previews",
        "--client-secret",
        "another-wrong-one",
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: Spotify refused the credentials")
    assert run("e")["requests"]["token"] == 0  # the right secret: cache still good
    # a cache written before fingerprints existed is not trusted either
    token = json.loads(cache.read_text())
    del token[SECRET_KEY]
    cache.write_text(json.dumps(token))
    assert run("f")["requests"]["token"] == 1
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600


def test_an_output_that_cannot_be_a_folder_is_refused_before_any_work(tmp_path: Path):
    """--out naming a file, or a folder below one, was an OSError traceback."""
    source = TracksFileSource(
        Path("t.csv"), [TrackRow(tid(1), "calm", 2, {})], [], "0" * 64
    )
    (tmp_path / "file").write_text("x")
    with pytest.raises(ParameterError, match="is a file"):
        crawl([source], out=tmp_path / "file", offline=True)
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        crawl([source], out=tmp_path / "file" / "out", offline=True)
    assert (tmp_path / "file").read_text() == "x"
