"""Checkpoint/resume state of a crawl (``<out>/.fetch-state``).

The state is one JSON file rewritten atomically after each page, batch or group
of previews, so a crawl killed at any moment leaves either the previous or the
next checkpoint, never a mix. It records the crawl's configuration fingerprint
(sources and options), so an output folder holding another crawl is detected.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mer_classic._io import write_text_atomic
from mer_classic.exceptions import DataError

__all__ = ["STATE_NAME", "FetchState", "config_hash", "load_state", "save_state"]

STATE_NAME = ".fetch-state"
_FORMAT = "mer-classic-fetch-state"
_VERSION = 1


def config_hash(config: dict[str, Any]) -> str:
    """Return a short, stable digest of a configuration dict.

    Examples
    --------
    >>> config_hash({"b": 1, "a": [2]}) == config_hash({"a": [2], "b": 1})
    True
    """
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class FetchState:
    """Everything needed to resume a crawl and to write its outputs.

    Attributes
    ----------
    config : dict
        Sources and options (the crawl's fingerprint).
    complete : bool
        True once the outputs were written.
    sources : dict
        ``{source_key: {"offset": int, "done": bool}}``: next playlist offset or
        next row index of a tracks table.
    entries : list of dict
        Collected playlist/table entries, in crawl order (duplicates included).
    skipped : list of dict
        Entries left out while collecting: ``{"source", "track_id", "reason"}``.
    problems : list of dict
        Sources that failed as a whole: ``{"source", "label", "reason", "message"}``.
    flags : dict
        Endpoints that answered 403 (``"tracks_batch"``, ``"audio_features"``,
        ``"playlist_items"``): never asked again, even after a resume.
    attributes : dict
        ``{track_id: {column: value}}``.
    attributes_asked : list of str
        Ids already asked for (answered or not).
    previews : dict
        ``{track_id: status}`` (``"ok"`` or a reason).
    requests : dict
        Cumulative request counts ``{"api", "token", "preview"}`` over all runs.
    runs : int
        Number of runs that worked on this crawl.
    """

    config: dict[str, Any]
    complete: bool = False
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    flags: dict[str, bool] = field(default_factory=dict)
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    attributes_asked: list[str] = field(default_factory=list)
    previews: dict[str, str] = field(default_factory=dict)
    requests: dict[str, int] = field(
        default_factory=lambda: {"api": 0, "token": 0, "preview": 0}
    )
    runs: int = 0

    @property
    def config_hash(self) -> str:
        """Digest of :attr:`config`."""
        return config_hash(self.config)


def save_state(state: FetchState, path: str | os.PathLike[str]) -> Path:
    """Write ``state`` to ``path`` atomically."""
    payload = {"format": _FORMAT, "version": _VERSION, "config_hash": state.config_hash}
    payload.update(asdict(state))
    return write_text_atomic(path, json.dumps(payload, separators=(",", ":")))


def load_state(path: str | os.PathLike[str]) -> FetchState:
    """Read a state file written by :func:`save_state`.

    Raises
    ------
    DataError
        If the file is not a mer-classic fetch state.
    """
    path = Path(path)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if payload.get("format") != _FORMAT or payload.get("version") != _VERSION:
            raise ValueError("unknown format/version")
        fields = {
            k: payload[k] for k in FetchState.__dataclass_fields__ if k in payload
        }
        return FetchState(**fields)
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise DataError(
            f"cannot read the crawl state {path} ({exc}); rerun with --force to start "
            "a new crawl in this folder"
        ) from exc
