"""Tests for mer_classic.fetch under faults: retries, rate limits and resume.

Expired tokens, 429/5xx answers, connection resets, a server that dies, an
interrupt during the preview downloads and broken preview clips, injected into
``FakeSpotify`` and ``Cdn`` (``tests/_spotify_fake.py``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic.exceptions import FetchError, RateLimitError
from mer_classic.fetch import crawl
from mer_classic.fetch._sources import PlaylistSource
from mer_classic.fetch._state import STATE_NAME
from tests._spotify_fake import (
    Catalog,
    Cdn,
    Sleeps,
    cli,
    expected_legacy_rows,
    pid,
    read_rows,
    tid,
)


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
