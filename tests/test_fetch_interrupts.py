"""Tests for what ``mer-classic fetch`` says and leaves when it is stopped.

Ctrl-C (a real SIGINT to a real process) names the command that continues the
crawl; an unreachable Spotify is announced retry by retry on stderr; temporary
preview files of a killed run are removed by the next run. Against
``FakeSpotify``/``Cdn`` (``tests/_spotify_fake.py``) or a closed port, all on
127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from mer_classic.exceptions import FetchError, FetchInterrupted
from mer_classic.fetch import crawl
from mer_classic.fetch._sources import PlaylistSource
from mer_classic.fetch._state import STATE_NAME
from tests._spotify_fake import CLIENT_SECRET, Catalog, Cdn, Sleeps, cli, pid, tid


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------ Ctrl-C
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.slow
def test_sigint_during_fetch_names_the_resume_command_and_keeps_the_state(
    spotify_env, catalog: Catalog, cdn: Cdn, tmp_path: Path
):
    spotify_env(catalog, "legacy")
    cdn.modes[tid(30)] = "hang"  # the 30th preview hangs until Ctrl-C
    args = ["fetch", "--playlist", f"calm={pid(1)}", "--out", "out"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "mer_classic", *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert cdn.holding.wait(120), "the crawl never reached the 30th preview"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        cdn.release.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1
    assert stderr == (
        "Error: interrupted; the progress is saved in out: continue with:\n"
        f"  python -m mer_classic fetch --playlist calm={pid(1)} --out out --resume\n"
    )
    state = json.loads((tmp_path / "out" / STATE_NAME).read_text())
    assert sum(v == "ok" for v in state["previews"].values()) == 29
    assert not state["complete"]
    assert list((tmp_path / "out" / "audio").glob(".*")) == []
    del cdn.modes[tid(30)]
    resumed = cli(*args[1:], "--resume")
    assert resumed.exit_code == 0, resumed.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["with_audio"] == 111 and summary["runs"] == 2
    repeated = {p for p in cdn.log if cdn.log.count(p) > 1}
    assert repeated == {f"/mp3-preview/{tid(30)}"}  # each other clip once


def test_interrupt_message_repeats_the_options_but_never_the_secret(
    spotify_env, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
):
    spotify_env(catalog, "legacy")

    def ctrl_c(self, ids):
        raise KeyboardInterrupt

    monkeypatch.setattr("mer_classic.fetch._stages.Crawler.fetch_attributes", ctrl_c)
    url = f"https://open.spotify.com/playlist/{pid(2)}?si=a b"
    result = cli(
        "--playlist", f"sad={url}", "--out", "o", "--no-previews",
        "--client-secret", CLIENT_SECRET, "--max-wait", "60", "--force",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.output == (
        "Error: interrupted; the progress is saved in o: continue with:\n"
        f"  main fetch --playlist 'sad={url}' --out o --no-previews --max-wait 60.0 "
        "--resume\n"
    )
    assert CLIENT_SECRET not in result.output
    state = json.loads(Path("o", STATE_NAME).read_text())
    assert len(state["entries"]) == 6  # collected before the interrupt, saved
    with pytest.raises(FetchInterrupted, match="same command with --resume") as info:
        crawl([PlaylistSource("sad", pid(2))], out="o2", previews=False)
    assert isinstance(info.value, KeyboardInterrupt) and info.value.out == "o2"


# -------------------------------------------------------------- unreachable API
def test_unreachable_spotify_logs_each_retry_and_its_wait(
    spotify_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
):
    dead = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("MER_CLASSIC_SPOTIFY_API_URL", dead + "/v1/")
    monkeypatch.setenv("MER_CLASSIC_SPOTIFY_TOKEN_URL", dead + "/api/token")
    caplog.set_level(logging.WARNING)
    sleeps = Sleeps()
    with pytest.raises(FetchError, match="network failure .* after 3 retries"):
        crawl(
            [PlaylistSource("calm", pid(1))],
            out=tmp_path / "o",
            max_retries=3,
            backoff_base=0.5,
            sleep=sleeps,
        )
    assert sleeps == [0.5, 1.0, 2.0]
    retries = [r for r in caplog.records if r.name == "mer_classic.fetch._retry"]
    assert [r.levelno for r in retries] == [logging.WARNING] * 3
    assert [r.getMessage() for r in retries] == [
        f"cannot reach Spotify (playlist_items: ConnectionError); retry {n} of 3 "
        f"in {wait}"
        for n, wait in ((1, "0.5 s"), (2, "1 s"), (3, "2 s"))
    ]
    # what a user sees on stderr with the CLI's default log level (backoff shortened)
    script = (
        "import mer_classic.fetch._crawl as c\n"
        "c.crawl.__kwdefaults__.update(backoff_base=0.01, max_retries=2)\n"
        "from mer_classic.cli.main import main\n"
        "main(prog_name='mer-classic')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "fetch", "--playlist", f"calm={pid(1)}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert done.returncode == 1
    assert done.stderr == (
        "WARNING mer_classic.fetch._retry: cannot reach Spotify (playlist_items: "
        "ConnectionError); retry 1 of 2 in 0.01 s\n"
        "WARNING mer_classic.fetch._retry: cannot reach Spotify (playlist_items: "
        "ConnectionError); retry 2 of 2 in 0.02 s\n"
        "Error: network failure talking to Spotify (playlist_items) after 2 "
        "retries: ConnectionError; check the connection and rerun with --resume\n"
    )


def test_server_errors_and_short_rate_limits_are_announced(
    spotify_env, catalog: Catalog, tmp_path: Path, caplog
):
    fake = spotify_env(catalog, "legacy")
    fake.inject("/items", ("status", 503))
    fake.inject("/items", ("status", 429, {"Retry-After": "3"}), at=2)
    caplog.set_level(logging.WARNING)
    crawl(
        [PlaylistSource("sad", pid(2))],
        out=tmp_path / "o",
        previews=False,
        sleep=Sleeps(),
    )
    assert [
        r.getMessage() for r in caplog.records if r.name == "mer_classic.fetch._retry"
    ] == [
        "Spotify answered 503 on playlist_items; retry 1 of 5 in 1 s",
        "Spotify rate limit (429) on playlist_items; retry 2 of 5 in 3 s",
    ]


# ------------------------------------------------------------- stale temporaries
def test_stale_preview_temporaries_are_removed_by_the_next_run(
    spotify_env, catalog: Catalog, tmp_path: Path
):
    spotify_env(catalog, "legacy")
    sources = [PlaylistSource("sad", pid(2))]
    crawl(sources, out=tmp_path / "out", sleep=Sleeps())
    audio = tmp_path / "out" / "audio"
    stale = []
    for n in (120, 121, 999):  # what atomic_path leaves when the process is killed
        fd, name = tempfile.mkstemp(prefix=f".{tid(n)}.mp3.", suffix=".tmp", dir=audio)
        os.write(fd, b"\xff\xfb half a clip")
        os.close(fd)
        stale.append(Path(name))
    mine = [".notes.tmp", "mine.mp3.tmp", f".{tid(1)}.mp3.tmp", f"{tid(1)}.mp3.x.tmp"]
    for name in mine:
        (audio / name).write_text("user file")
    (audio / f".{tid(2)}.mp3.abcd1234.tmp").mkdir()  # not a file: kept
    before = sorted(p.name for p in audio.iterdir() if p not in stale)
    summary = crawl(sources, out=tmp_path / "out", resume=True, sleep=Sleeps())
    assert summary["with_audio"] == 5
    assert not any(p.exists() for p in stale)
    assert sorted(p.name for p in audio.iterdir()) == before


def test_killed_download_temporaries_of_todays_naming_are_removed(
    spotify_env, catalog: Catalog, tmp_path: Path
):
    """A download killed inside ``atomic_path`` leaves ``.<id>.mp3.<pid>-<host>-<rand>.tmp``.

    The next fetch removes it through the one cleaner, ``_io.remove_stale_temporaries``
    (owner gone); a temporary of a live process is kept.
    """
    spotify_env(catalog, "legacy")
    sources = [PlaylistSource("sad", pid(2))]
    crawl(sources, out=tmp_path / "out", sleep=Sleeps())
    audio = tmp_path / "out" / "audio"
    code = (
        "import os, signal\n"
        "from mer_classic._io import atomic_path\n"
        f"with atomic_path({str(audio / (tid(120) + '.mp3'))!r}) as tmp:\n"
        "    tmp.write_bytes(b'half a clip')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path)
    assert proc.returncode == -signal.SIGKILL
    left = [p for p in audio.iterdir() if p.name.endswith(".tmp")]
    assert len(left) == 1 and left[0].name.startswith(f".{tid(120)}.mp3.")
    from mer_classic._io import _temp_name

    alive = _temp_name(audio / f"{tid(121)}.mp3", "tmp")  # this process: alive
    alive.write_bytes(b"being written")
    crawl(sources, out=tmp_path / "out", resume=True, sleep=Sleeps())
    assert not left[0].exists() and alive.exists()
