"""Tests for mer_classic.fetch against a hostile API and CDN (issue 21, round 2).

Off-origin and looping ``next`` URLs, redirects to another port, trickling bodies,
huge previews, the checkpoint journal and the output-folder lock. Every server is
on 127.0.0.1 (``tests/_spotify_fake.py``); deadlines are small so each test takes
seconds.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mer_classic.exceptions import FetchError
from mer_classic.fetch import crawl
from mer_classic.fetch._lock import LOCK_NAME, output_lock
from mer_classic.fetch.session import OffOriginError
from mer_classic.fetch.sources import PlaylistSource
from mer_classic.fetch.state import (
    JOURNAL_NAME,
    STATE_NAME,
    FetchState,
    StateJournal,
    load_state,
)
from tests._spotify_fake import Catalog, Cdn, Recorder, Sleeps, cli, pid, tid


@pytest.fixture
def recorder():
    server = Recorder()
    yield server
    server.close()


def _calm(**kwargs):
    return crawl([PlaylistSource("calm", pid(1))], sleep=Sleeps(), **kwargs)


# ------------------------------------------------------------ 1. token origin
@pytest.mark.parametrize("where", ["other port", "other path"])
def test_next_url_off_the_api_base_is_refused_and_gets_no_token(
    spotify_env, catalog: Catalog, recorder: Recorder, tmp_path: Path, where: str
):
    fake = spotify_env(catalog, "legacy")
    base = recorder.base + "/v1/" if where == "other port" else fake.base + "/x/"
    target = f"{base}playlists/{pid(1)}/items?offset=50&limit=50"
    fake.next_url = lambda playlist, offset, limit, nxt: target if nxt else None
    result = cli("--playlist", f"calm={pid(1)}", "--out", "out", "--no-previews")
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: playlist {pid(1)} (label 'calm'): Spotify's next-page URL "
        f"{target!r} is not under the API base URL {fake.api_url}; refusing"
    )
    assert recorder.requests == []  # nothing, let alone the bearer token
    assert not any("/x/" in p for p in fake.api_requests(""))
    state = load_state(tmp_path / "out" / STATE_NAME)  # the first page is kept
    assert state.sources[f"playlist:{pid(1)}#calm"]["offset"] == 50


def test_api_redirect_to_another_port_is_not_followed(
    spotify_env, catalog: Catalog, recorder: Recorder
):
    fake = spotify_env(catalog, "legacy")
    fake.inject("/playlists/", ("redirect", recorder.base + "/v1/steal"), at=1)
    with pytest.raises(OffOriginError, match="refusing to follow a redirect to") as e:
        _calm(out="out", previews=False)
    assert e.value.url == recorder.base + "/v1/steal"
    assert recorder.requests == []


def test_token_endpoint_redirect_is_not_followed(
    spotify_env, catalog: Catalog, recorder: Recorder
):
    fake = spotify_env(catalog, "legacy")
    fake.token_redirect = recorder.base + "/api/token"
    result = cli("--playlist", f"calm={pid(1)}", "--out", "out", "--no-previews")
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: refusing to follow a redirect to '{recorder.base}/api/token': it "
        f"is not under {fake.token_url}"
    )
    assert recorder.requests == []  # the client secret stayed home


def test_previews_carry_no_authorization_header(
    spotify_env, catalog: Catalog, cdn: Cdn, tmp_path: Path
):
    fake = spotify_env(catalog, "legacy")
    # a preview that redirects to the API host: still no token sent there
    cdn.modes[tid(120)] = f"redirect:{fake.api_url}previews/{tid(120)}"
    summary = crawl([PlaylistSource("sad", pid(2))], out="out", sleep=Sleeps())
    assert summary["tracks"] == 5 and len(cdn.headers) == 5
    assert all("Authorization" not in h for h in cdn.headers)
    by_path = dict(fake.headers)
    assert "Authorization" not in by_path[f"/v1/previews/{tid(120)}"]
    assert by_path[
        f"/v1/playlists/{pid(2)}/items?limit=50&offset=0&additional_types=track"
    ]["Authorization"].startswith("Bearer ")


# ----------------------------------------------------------- 2. total deadline
def test_trickling_api_answer_is_cut_at_the_deadline_and_retried(
    spotify_env, catalog: Catalog, tmp_path: Path
):
    fake = spotify_env(catalog, "legacy")
    fake.inject("/playlists/", "trickle", at=1)
    summary = crawl(
        [PlaylistSource("sad", pid(2))],
        out="out",
        previews=False,
        deadline=1.0,
        sleep=Sleeps(),
    )
    assert summary["tracks"] == 5
    assert len(fake.api_requests("/playlists/")) == 2  # cut, then retried


def test_an_api_that_always_trickles_fails_with_the_deadline_named(
    spotify_env, catalog: Catalog
):
    fake = spotify_env(catalog, "legacy")
    for at in (1, 2):
        fake.inject("/playlists/", "trickle", at=at)
    with pytest.raises(FetchError, match=r"total deadline of 0\.5 s.*--deadline"):
        crawl(
            [PlaylistSource("sad", pid(2))],
            out="out",
            previews=False,
            deadline=0.5,
            max_retries=1,
            sleep=Sleeps(),
        )


def test_trickling_preview_is_cut_at_the_deadline(
    spotify_env, catalog: Catalog, cdn: Cdn, tmp_path: Path
):
    spotify_env(catalog, "legacy")
    cdn.modes[tid(120)] = "trickle"
    summary = crawl(
        [PlaylistSource("sad", pid(2))], out="out", deadline=0.5, sleep=Sleeps()
    )
    assert summary["with_audio"] == 4
    assert cdn.fetched(tid(120)) == 2  # one retry, then reported
    state = load_state(tmp_path / "out" / STATE_NAME)
    assert state.previews[tid(120)] == "preview_network"
    assert sorted(p.name for p in (tmp_path / "out" / "audio").iterdir()) == sorted(
        f"{tid(n)}.mp3" for n in (7, 121, 122, 123)
    )


# ------------------------------------------------------------- 3. paging loops
def test_next_pointing_back_stops_with_a_warning(spotify_env, catalog: Catalog, caplog):
    fake = spotify_env(catalog, "legacy")
    first = f"{fake.api_url}playlists/{pid(1)}/items?offset=0&limit=50"
    fake.next_url = lambda playlist, offset, limit, nxt: first if offset >= 50 else nxt
    with caplog.at_level(logging.WARNING, "mer_classic.fetch"):
        summary = _calm(out="out", previews=False)
    assert len(fake.api_requests("/playlists/")) == 2
    assert "points back to an earlier page" in caplog.text
    assert summary["tracks"] > 0


def test_next_beyond_total_stops(spotify_env, catalog: Catalog, caplog):
    fake = spotify_env(catalog, "legacy")

    def endless(playlist, offset, limit, nxt):
        return f"{fake.api_url}playlists/{playlist}/items?offset={offset + limit}"

    fake.next_url = endless
    with caplog.at_level(logging.WARNING, "mer_classic.fetch"):
        crawl([PlaylistSource("sad", pid(2))], out="out", previews=False)
    assert len(fake.api_requests("/playlists/")) == 1
    assert "entries are all read; stopped paging" in caplog.text


# ----------------------------------------------------------- 4. preview size cap
@pytest.mark.parametrize("mode", ["huge", "endless"])
def test_oversized_previews_are_refused_early_and_not_kept(
    spotify_env, catalog: Catalog, cdn: Cdn, tmp_path: Path, mode: str
):
    spotify_env(catalog, "legacy")
    cdn.modes[tid(120)] = mode
    summary = crawl(
        [PlaylistSource("sad", pid(2))],
        out="out",
        max_preview_bytes=1_000_000,
        sleep=Sleeps(),
    )
    assert summary["with_audio"] == 4
    assert cdn.fetched(tid(120)) == 1  # final: not retried
    assert cdn.served < 50_000_000  # of 2 GB offered
    state = load_state(tmp_path / "out" / STATE_NAME)
    assert state.previews[tid(120)] == "preview_too_large"
    assert not (tmp_path / "out" / "audio" / f"{tid(120)}.mp3").exists()
    assert list((tmp_path / "out" / "audio").glob(".*")) == []  # no partial file


# --------------------------------------------------------- 5. journal checkpoints
def _entry(n: int) -> dict:
    return {"track_id": tid(n), "label": "calm", "name": "x" * 200}


def test_journal_appends_per_page_bytes_do_not_grow(tmp_path: Path):
    path = tmp_path / STATE_NAME
    state = FetchState(config={"a": 1})
    journal = StateJournal(path)
    for page in range(400):
        state.entries.extend(_entry(page * 50 + i) for i in range(50))
        state.sources["s"] = {"offset": (page + 1) * 50, "done": False}
        journal.checkpoint(state)
    lines = [w for w in journal.written[1:]]
    snapshot = max(journal.written)
    # journal lines cost one page each; the rare snapshots (compactions) double
    pages = [w for w in lines if w < 20_000]
    assert len(pages) > 390 and max(pages) - min(pages) < 200
    assert len(lines) - len(pages) <= 5  # compactions: log2(size / 1 MB) + 1
    assert snapshot > 1_000_000  # the whole state would have been this each page
    back = load_state(path)
    assert back.entries == state.entries and back.sources == state.sources


def test_journal_tolerates_a_torn_last_line(tmp_path: Path):
    path = tmp_path / STATE_NAME
    state = FetchState(config={"a": 1})
    journal = StateJournal(path)
    for page in range(3):
        state.entries.extend(_entry(page * 50 + i) for i in range(50))
        state.sources["s"] = {"offset": (page + 1) * 50, "done": False}
        journal.checkpoint(state)
    with open(tmp_path / JOURNAL_NAME, "ab") as fh:  # killed while appending page 4
        fh.write(b'{"gen":"' + state.generation.encode() + b'","d":{"entries":[{"tr')
    back = load_state(path)
    assert len(back.entries) == 150 and back.sources["s"]["offset"] == 150
    # the next run compacts first, so nothing is appended after the torn bytes
    journal = StateJournal(path)
    back.entries.append(_entry(999))
    journal.checkpoint(back)
    assert not (tmp_path / JOURNAL_NAME).exists()
    assert len(load_state(path).entries) == 151


def test_stale_journal_lines_of_an_older_snapshot_are_ignored(tmp_path: Path):
    path = tmp_path / STATE_NAME
    state = FetchState(config={"a": 1})
    journal = StateJournal(path)
    journal.checkpoint(state)
    state.entries.append(_entry(1))
    journal.checkpoint(state)
    old = (tmp_path / JOURNAL_NAME).read_bytes()
    journal.checkpoint(state, compact=True)  # new snapshot holding entry 1
    (tmp_path / JOURNAL_NAME).write_bytes(old)  # as if its removal was cut short
    assert len(load_state(path).entries) == 1


_KILL_WHILE_APPENDING = """
import os, sys
import mer_classic.fetch.state as state
lines = 0
real_write = os.write
def write(fd, data):
    global lines
    lines += 1
    if lines == 2:  # the second journal line: half of it, then SIGKILL-like death
        real_write(fd, bytes(data[: len(data) // 2]))
        os._exit(9)
    return real_write(fd, data)
state.os = type(sys)("os_spy")
state.os.__dict__.update(os.__dict__)
state.os.write = write
from mer_classic.cli.main import main
main(["fetch", "--playlist", "calm=%s", "--out", "out", "--no-previews"])
"""


def test_killed_while_appending_then_resume_loses_and_repeats_nothing(
    spotify_env, catalog: Catalog, tmp_path: Path
):
    spotify_env(catalog, "legacy")
    clean = cli("--playlist", f"calm={pid(1)}", "--out", "clean", "--no-previews")
    assert clean.exit_code == 0, clean.output
    child = subprocess.run(
        [sys.executable, "-c", _KILL_WHILE_APPENDING % pid(1)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 9, child.stderr
    out = tmp_path / "out"
    torn = (out / JOURNAL_NAME).read_bytes()
    assert torn.count(b"\n") == 1 and not torn.endswith(b"\n")  # 1 line + a half
    assert load_state(out / STATE_NAME).sources[f"playlist:{pid(1)}#calm"] == {
        "offset": 100,
        "done": False,
    }
    resumed = cli(
        "--playlist", f"calm={pid(1)}", "--out", "out", "--no-previews", "--resume"
    )
    assert resumed.exit_code == 0, resumed.output
    assert (out / "tracks.csv").read_bytes() == (
        tmp_path / "clean" / "tracks.csv"
    ).read_bytes()


def test_crawl_checkpoints_by_journal_and_ends_with_one_snapshot(
    spotify_env, catalog: Catalog, tmp_path: Path, monkeypatch
):
    spotify_env(catalog, "legacy")
    sizes: list[int] = []
    real = StateJournal.checkpoint

    def spy(self, state, *, compact=False):
        real(self, state, compact=compact)
        sizes.append(self.written[-1])

    monkeypatch.setattr(StateJournal, "checkpoint", spy)
    _calm(out="out", previews=False)
    out = tmp_path / "out"
    assert not (out / JOURNAL_NAME).exists()  # compacted on completion
    assert json.loads((out / STATE_NAME).read_text())["complete"] is True
    # first snapshot, pages 2 and 3 and the attribute batches appended
    assert sizes[1] < sizes[0] * 2 and len(sizes) >= 4


# ------------------------------------------------------------------ 6. the lock
def test_second_fetch_on_the_same_out_is_refused(
    spotify_env, catalog: Catalog, tmp_path: Path
):
    fake = spotify_env(catalog, "legacy")
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, pathlib\n"
            "from mer_classic.fetch._lock import output_lock\n"
            "with output_lock(pathlib.Path(sys.argv[1])):\n"
            "    print('locked', flush=True); sys.stdin.read()\n",
            str(out),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "locked\n"
        result = cli("--playlist", f"calm={pid(1)}", "--out", "out", "--resume")
        assert result.exit_code == 1
        assert result.output == (
            f"Error: another fetch is running in out (pid {holder.pid}); wait for "
            "it to finish, or use another --out\n"
        )
        assert fake.log == [] and sorted(os.listdir(out)) == [LOCK_NAME]
    finally:
        holder.communicate("", timeout=30)
    result = cli("--playlist", f"calm={pid(1)}", "--out", "out", "--no-previews")
    assert result.exit_code == 0, result.output
    assert not (out / LOCK_NAME).exists()


def test_stale_lock_of_a_dead_process_is_taken_over(
    spotify_env, catalog: Catalog, tmp_path: Path, caplog
):
    spotify_env(catalog, "legacy")
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (out / LOCK_NAME).write_text(dead + "\n")
    with caplog.at_level(logging.WARNING, "mer_classic.fetch"):
        summary = crawl([PlaylistSource("sad", pid(2))], out=out, previews=False)
    assert summary["tracks"] == 5
    assert f"took over the lock of an earlier fetch (pid {dead})" in caplog.text
    assert not (out / LOCK_NAME).exists()


def test_lock_is_held_within_one_process_too(tmp_path: Path):
    with output_lock(tmp_path):
        with pytest.raises(FetchError, match="another fetch is running in"):
            with output_lock(tmp_path):
                pass
    with output_lock(tmp_path):  # released
        pass


def test_cli_options_reach_the_crawl(spotify_env, catalog: Catalog, cdn: Cdn):
    spotify_env(catalog, "legacy")
    cdn.modes[tid(120)] = "endless"
    args = ["--playlist", f"sad={pid(2)}", "--out", "out", "--attributes", "none"]
    bad = cli(*args, "--deadline", "0")
    assert bad.exit_code == 2 and "--deadline" in bad.output
    result = cli(*args, "--deadline", "5", "--max-preview-mb", "0.5")
    assert result.exit_code == 0, result.output
    assert "audio: 4 with, 1 without" in result.output
    assert cdn.served < 50_000_000
    summary = json.loads(Path("out", "summary.json").read_text())
    assert "preview_too_large" in json.dumps(summary)
