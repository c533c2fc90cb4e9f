"""Checkpoint cost of a long crawl: time per page early vs late, journal vs snapshot.

A playlist of ``--tracks`` tracks (default 20,000: 400 pages of 50) is crawled from
the project's fake Spotify (``tests/_spotify_fake.py``, a real HTTP server on
127.0.0.1; no preview downloads, no attributes), once with the checkpoint journal
of :mod:`mer_classic.fetch.state` and, as the reference in the same run, once with
the whole state rewritten after every page (``StateJournal.checkpoint`` forced to
``compact=True``: what every checkpoint did before the journal). Per-page time is
the wall time between successive page checkpoints; "early" is the median of the
first 20 pages, "late" the median of the last 20, and the ratio late/early says
whether a page's cost grows with the crawl (1 = flat). Bytes written per page are
counted too.

Usage::

    python benchmarks/bench_fetch_checkpoint.py [--tracks 20000] [--no-reference]
        [--out reports/benchmarks/fetch_checkpoint]

Writes ``results.json`` and ``README.md`` into ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the fake server lives in tests/

from mer_classic.fetch import crawl  # noqa: E402
from mer_classic.fetch._crawler import Crawler  # noqa: E402
from mer_classic.fetch.sources import PlaylistSource  # noqa: E402
from mer_classic.fetch.state import StateJournal  # noqa: E402
from tests._spotify_fake import (  # noqa: E402
    CLIENT_ID,
    CLIENT_SECRET,
    Catalog,
    Cdn,
    FakeSpotify,
    Sleeps,
    mp3_bytes,
    pid,
    tid,
)


def _one(n_tracks: int, *, snapshot_every_page: bool) -> dict:
    cdn = Cdn(mp3_bytes())
    catalog = Catalog(cdn)
    for n in range(1, n_tracks + 1):
        catalog.add_track(n)
    catalog.add_playlist(pid(1), [tid(n) for n in range(1, n_tracks + 1)])
    fake = FakeSpotify(catalog)
    os.environ["MER_CLASSIC_SPOTIFY_API_URL"] = fake.api_url
    os.environ["MER_CLASSIC_SPOTIFY_TOKEN_URL"] = fake.token_url
    stamps: list[float] = []
    written: list[int] = []
    real_checkpoint = StateJournal.checkpoint
    real_collect_checkpoint = Crawler.checkpoint

    def checkpoint(self, state, *, compact=False):
        real_checkpoint(self, state, compact=compact or snapshot_every_page)
        written.append(self.written[-1])

    def timed(self, *, compact=False):
        real_collect_checkpoint(self, compact=compact)
        stamps.append(time.perf_counter())

    StateJournal.checkpoint = checkpoint  # type: ignore[method-assign]
    Crawler.checkpoint = timed  # type: ignore[method-assign]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["MER_CLASSIC_DATA_DIR"] = str(Path(tmp) / "data")
            start = time.perf_counter()
            summary = crawl(
                [PlaylistSource("calm", pid(1))],
                out=Path(tmp) / "out",
                previews=False,
                attributes="none",
                sleep=Sleeps(),
            )
            total = time.perf_counter() - start
    finally:
        StateJournal.checkpoint = real_checkpoint  # type: ignore[method-assign]
        Crawler.checkpoint = real_collect_checkpoint  # type: ignore[method-assign]
        fake.close()
        cdn.close()
    pages = n_tracks // 50
    per_page = [b - a for a, b in zip(stamps[:pages], stamps[1:pages], strict=False)]
    early = statistics.median(per_page[:20])
    late = statistics.median(per_page[-20:])
    page_bytes = written[1:pages]
    return {
        "tracks": summary["tracks"],
        "total_s": round(total, 2),
        "page_s_early": round(early, 4),
        "page_s_late": round(late, 4),
        "late_over_early": round(late / early, 2),
        "bytes_per_page_early": int(statistics.median(page_bytes[:20])),
        "bytes_per_page_late": int(statistics.median(page_bytes[-20:])),
        "bytes_written_total": int(sum(written)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=20_000)
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "reports/benchmarks/fetch_checkpoint"
    )
    args = parser.parse_args()
    os.environ["SPOTIPY_CLIENT_ID"] = CLIENT_ID
    os.environ["SPOTIPY_CLIENT_SECRET"] = CLIENT_SECRET
    results = {
        "tracks": args.tracks,
        "python": platform.python_version(),
        "journal": _one(args.tracks, snapshot_every_page=False),
    }
    print("journal:", results["journal"], flush=True)
    if not args.no_reference:
        results["snapshot_every_page"] = _one(args.tracks, snapshot_every_page=True)
        print("snapshot every page:", results["snapshot_every_page"], flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    rows = [
        f"| {name} | {r['total_s']} | {r['page_s_early']} | {r['page_s_late']} | "
        f"{r['late_over_early']} | {r['bytes_per_page_early']:,} | "
        f"{r['bytes_per_page_late']:,} |"
        for name, r in results.items()
        if isinstance(r, dict)
    ]
    (args.out / "README.md").write_text(
        f"# Checkpoint cost of a {args.tracks:,}-track crawl\n\n"
        "`python benchmarks/bench_fetch_checkpoint.py"
        f" --tracks {args.tracks}` (fake Spotify on 127.0.0.1, no previews)\n\n"
        "| checkpoints | total s | s/page early | s/page late | late/early | "
        "bytes/page early | bytes/page late |\n|---|---|---|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n"
    )


if __name__ == "__main__":
    main()
