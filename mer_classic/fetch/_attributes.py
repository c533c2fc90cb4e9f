"""Audio-attribute providers: Spotify's ``audio-features`` or nothing.

Spotify answers ``audio-features`` with 403 for apps created after 2024-11-27
without extended quota. :class:`SpotifyAttributes` then says so once, stops
asking, and the attribute columns stay empty; ``mer-classic extract`` computes
audio features locally instead. Nothing downstream may rely on these columns.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from mer_classic.exceptions import ApiError, ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from mer_classic.fetch._client import SpotifyClient

__all__ = [
    "AUDIO_ATTRIBUTES",
    "ATTRIBUTE_COLUMNS",
    "AttributeProvider",
    "NoAttributes",
    "SpotifyAttributes",
    "make_provider",
]

logger = logging.getLogger(__name__)

#: the 12 audio attributes of Spotify's audio-features endpoint (also the columns of
#: Spotify CSV exports such as data_moods), in the endpoint's order
AUDIO_ATTRIBUTES: tuple[str, ...] = (
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "time_signature",
)
#: what ``fetch`` writes from audio-features, in output column order
ATTRIBUTE_COLUMNS: tuple[str, ...] = (*AUDIO_ATTRIBUTES, "duration_ms")
BATCH = 100

FORBIDDEN_HINT = (
    "Spotify answered 403 to audio-features: this app has no access to Spotify's "
    "audio attributes (apps created after 2024-11-27 without extended quota). The "
    "attribute columns stay empty; compute audio features locally with "
    "`mer-classic extract`."
)


class AttributeProvider(Protocol):
    """Gives attribute dicts for track ids (missing ids are left out)."""

    name: str
    available: bool

    def fetch(self, track_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Return ``{track_id: {column: value}}`` for the ids it knows."""
        ...  # pragma: no cover


class NoAttributes:
    """Provider for ``--attributes none``: never asks anything.

    Examples
    --------
    >>> NoAttributes().fetch(["4uLU6hMCjMI75M1A2tKUQC"])
    {}
    """

    name = "none"
    available = False

    def fetch(self, track_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Return an empty dict."""
        return {}


class SpotifyAttributes:
    """``GET /audio-features?ids=`` in batches of 100; 403 disables it for the run.

    Parameters
    ----------
    client : SpotifyClient
        The client to ask through.
    available : bool, default=True
        Start disabled (e.g. a resumed crawl that already saw the 403).
    """

    name = "spotify"
    endpoint = "audio_features"

    def __init__(self, client: SpotifyClient, *, available: bool = True) -> None:
        self.client = client
        self.available = available

    def fetch(self, track_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Return attributes for ``track_ids`` (at most 100 per request)."""

        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(track_ids), BATCH):
            if not self.available or self.endpoint in self.client.forbidden:
                self.available = False
                break
            batch = list(track_ids[start : start + BATCH])
            try:
                answer = self.client.call(
                    self.endpoint, self.client.sp.audio_features, batch
                )
            except ApiError as exc:
                if exc.status == 403:
                    self.available = False
                    logger.warning(FORBIDDEN_HINT)
                    break
                raise
            out.update(_rows(answer))
        return out


def _rows(answer: Any) -> Iterable[tuple[str, dict[str, Any]]]:
    items = answer.get("audio_features", []) if isinstance(answer, dict) else answer
    for item in items or []:
        if item and item.get("id"):
            yield item["id"], {c: item.get(c) for c in ATTRIBUTE_COLUMNS}


def make_provider(
    kind: str, client: SpotifyClient | None, *, available: bool = True
) -> AttributeProvider:
    """Return the provider for ``--attributes kind`` (``"spotify"`` or ``"none"``)."""

    if kind == "none":
        return NoAttributes()
    if kind == "spotify":
        if client is None:
            raise ParameterError("attributes='spotify' needs a Spotify client")
        return SpotifyAttributes(client, available=available)
    raise ParameterError(f"attributes must be 'spotify' or 'none'; got {kind!r}")
