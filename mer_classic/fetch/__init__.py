"""Spotify side of mer-classic: build a labelled track table (``mer-classic fetch``).

Modules:

- :mod:`~mer_classic.fetch.sources`: playlists and track tables, id/URI/URL parsing;
- :mod:`~mer_classic.fetch.client`: spotipy client factory and
  :class:`~mer_classic.fetch.client.SpotifyClient` (auth modes, test seams, token
  cache);
- :mod:`~mer_classic.fetch.retry`: the retry policy of every Web API call (backoff,
  ``Retry-After``, rate limits, error translation, one line per retry);
- :mod:`~mer_classic.fetch.session`: HTTP sessions that count their requests, are
  fenced to one origin (the token never leaves the API host) and give every
  request a total deadline;
- :mod:`~mer_classic.fetch.attributes`: Spotify audio attributes (403 → disabled);
- :mod:`~mer_classic.fetch.previews`: verified, atomic preview downloads;
- :mod:`~mer_classic.fetch.dedup`: de-duplication by id and ISRC, label conflicts;
- :mod:`~mer_classic.fetch.state`: checkpoint/resume (snapshot + journal);
- :mod:`~mer_classic.fetch._crawl`: the orchestration, :func:`crawl` (its stages run
  in :mod:`~mer_classic.fetch._crawler`; outputs are written by
  :mod:`~mer_classic.fetch._output`).

Importing this package does not import spotipy; :func:`crawl` and the source
helpers are loaded on first use. The module holding :func:`crawl` is private
(``_crawl``) so that ``mer_classic.fetch.crawl`` is always the function: a public
submodule of that name would replace the package attribute once imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "crawl",
    "PlaylistSource",
    "TracksFileSource",
    "parse_playlist_option",
    "read_playlists_file",
    "read_tracks_file",
    "TRACK_COLUMNS",
    "CONFLICT_COLUMNS",
    "PLAYLIST_PAGE_LIMIT",
]

if TYPE_CHECKING:  # pragma: no cover
    from mer_classic.fetch._crawl import (
        CONFLICT_COLUMNS,
        PLAYLIST_PAGE_LIMIT,
        TRACK_COLUMNS,
        crawl,
    )
    from mer_classic.fetch.sources import (
        PlaylistSource,
        TracksFileSource,
        parse_playlist_option,
        read_playlists_file,
        read_tracks_file,
    )

_LAZY = {
    "crawl": "mer_classic.fetch._crawl",
    "TRACK_COLUMNS": "mer_classic.fetch._crawl",
    "CONFLICT_COLUMNS": "mer_classic.fetch._crawl",
    "PLAYLIST_PAGE_LIMIT": "mer_classic.fetch._crawl",
    "PlaylistSource": "mer_classic.fetch.sources",
    "TracksFileSource": "mer_classic.fetch.sources",
    "parse_playlist_option": "mer_classic.fetch.sources",
    "read_playlists_file": "mer_classic.fetch.sources",
    "read_tracks_file": "mer_classic.fetch.sources",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mer_classic.fetch' has no attribute {name!r}")
