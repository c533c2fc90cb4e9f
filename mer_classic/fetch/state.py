"""Checkpoint/resume state of a crawl: ``<out>/.fetch-state`` and its journal.

The state is a snapshot (``.fetch-state``, one JSON file written atomically) plus
a journal (``.fetch-state.journal``): each checkpoint, after a page, a batch or a
group of previews, *appends* one JSON line holding only what changed since the
previous checkpoint. So a checkpoint costs what the page added, not the size of the
whole crawl (rewriting the whole state after every page made a 20,000-track crawl
quadratic). The snapshot is rewritten ("compacted", and the journal emptied) only
at the first checkpoint of each run, when the journal outgrows the snapshot (so the
rewrites cost linear time in all), on an interruption and when the crawl completes.

A crawl killed at any moment leaves the snapshot plus whole journal lines and at
most one torn last line, which :func:`load_state` ignores: the state read back is
the last complete checkpoint, never a mix (each line carries a page's entries
together with its source offset, so nothing is lost or counted twice on resume).
Journal lines name the snapshot they extend (``gen``), so lines left behind by a
compaction that was cut short are ignored. The state records the crawl's
configuration fingerprint (sources and options), so an output folder holding
another crawl is detected.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mer_classic._io import write_text_atomic
from mer_classic.exceptions import DataError

__all__ = [
    "STATE_NAME",
    "JOURNAL_NAME",
    "FetchState",
    "StateJournal",
    "config_hash",
    "load_state",
    "save_state",
]

logger = logging.getLogger(__name__)

STATE_NAME = ".fetch-state"
JOURNAL_NAME = ".fetch-state.journal"
#: the journal is compacted into the snapshot once it is larger than this and the
#: snapshot (so the snapshot's size at least doubles between rewrites)
_MIN_COMPACT_BYTES = 1_000_000
_LISTS = ("entries", "skipped", "problems", "attributes_asked")
_WHOLE = ("sources", "flags", "requests", "complete", "runs")
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
    generation : str
        Id of the snapshot on disk this state extends ("" before the first).
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
    generation: str = ""

    @property
    def config_hash(self) -> str:
        """Digest of :attr:`config`."""
        return config_hash(self.config)


def _journal_path(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def save_state(state: FetchState, path: str | os.PathLike[str]) -> Path:
    """Write ``state`` whole to ``path`` atomically (a new snapshot) and drop its journal.

    ``state.generation`` gets a new id, so journal lines of the previous snapshot
    are never applied to this one, even if removing the journal fails.
    """
    path = Path(path)
    state.generation = secrets.token_hex(8)
    payload = {"format": _FORMAT, "version": _VERSION, "config_hash": state.config_hash}
    payload.update(asdict(state))
    write_text_atomic(path, json.dumps(payload, separators=(",", ":")))
    _journal_path(path).unlink(missing_ok=True)
    return path


def _apply(fields: dict[str, Any], delta: dict[str, Any]) -> None:
    for key in _LISTS:
        if key in delta:
            fields.setdefault(key, []).extend(delta[key])
    for key in ("attributes", "previews"):
        if key in delta:
            fields.setdefault(key, {}).update(delta[key])
    for key in _WHOLE:
        if key in delta:
            fields[key] = delta[key]


def _replay(path: Path, fields: dict[str, Any]) -> None:
    """Apply the journal lines of snapshot ``fields['generation']`` to ``fields``."""
    journal = _journal_path(path)
    generation = fields.get("generation")
    if not generation or not journal.exists():
        return
    lines = journal.read_bytes().split(b"\n")
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        last = number == len(lines)  # no newline after it: written in part
        try:
            record = json.loads(line)
            if not isinstance(record, dict) or not isinstance(record.get("d"), dict):
                raise ValueError("not a journal record")
        except ValueError:
            if not last:
                logger.warning(
                    "%s: line %d is damaged; the crawl resumes from the checkpoint "
                    "before it (later pages are fetched again)",
                    journal,
                    number,
                )
            return  # a torn last line (killed while appending) is expected
        if record.get("gen") == generation:
            _apply(fields, record["d"])


def load_state(path: str | os.PathLike[str]) -> FetchState:
    """Read a state written by :func:`save_state` and :class:`StateJournal`.

    The snapshot is read, then the journal lines that extend it are applied in
    order; a torn last line is ignored.

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
        _replay(path, fields)
        return FetchState(**fields)
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise DataError(
            f"cannot read the crawl state {path} ({exc}); rerun with --force to start "
            "a new crawl in this folder"
        ) from exc


class StateJournal:
    """Checkpoints of one run: append what changed, compact rarely.

    Parameters
    ----------
    path : path
        The snapshot (``<out>/.fetch-state``); the journal is beside it.

    Attributes
    ----------
    written : list of int
        Bytes written by each :meth:`checkpoint` (snapshot or journal line), for
        tests and benchmarks.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.journal = _journal_path(self.path)
        self.written: list[int] = []
        self._marks: dict[str, int] = {}
        self._previews: dict[str, str] = {}
        self._attributes: dict[str, Any] = {}
        self._snapshot_bytes = 0
        self._journal_bytes = 0
        self._compacted = False

    def _remember(self, state: FetchState) -> None:
        self._marks = {key: len(getattr(state, key)) for key in _LISTS}
        self._previews = dict(state.previews)
        self._attributes = dict(state.attributes)

    def _delta(self, state: FetchState) -> dict[str, Any] | None:
        """What changed since the last checkpoint; None if lists shrank."""
        delta: dict[str, Any] = {}
        for key in _LISTS:
            values, mark = getattr(state, key), self._marks[key]
            if len(values) < mark:
                return None
            if len(values) > mark:
                delta[key] = values[mark:]
        previews = {
            k: v for k, v in state.previews.items() if self._previews.get(k) != v
        }
        attributes = {
            k: v
            for k, v in state.attributes.items()
            if self._attributes.get(k, _MISSING) is not v
        }
        if not (
            self._previews.keys() <= state.previews.keys()
            and self._attributes.keys() <= state.attributes.keys()
        ):
            return None  # keys were removed: only a snapshot says that
        if previews:
            delta["previews"] = previews
        if attributes:
            delta["attributes"] = attributes
        for key in _WHOLE:
            delta[key] = getattr(state, key)
        return delta

    def checkpoint(self, state: FetchState, *, compact: bool = False) -> None:
        """Save ``state``: one appended journal line, or a new snapshot.

        A snapshot is written on the first checkpoint of the run, when ``compact``
        is true or ``state.complete``, when the journal has outgrown the snapshot,
        and when something was removed from the state.
        """
        delta = None if (compact or not self._compacted) else self._delta(state)
        grown = self._journal_bytes > max(_MIN_COMPACT_BYTES, self._snapshot_bytes)
        if delta is None or state.complete or grown:
            save_state(state, self.path)
            size = self.path.stat().st_size
            self._snapshot_bytes, self._journal_bytes = size, 0
            self._compacted = True
            self.written.append(size)
        else:
            line = json.dumps(
                {"gen": state.generation, "d": delta}, separators=(",", ":")
            ).encode()
            data = line + b"\n"
            fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
            try:
                view = memoryview(data)
                while view:  # one write() call unless the system splits it
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
            self._journal_bytes += len(data)
            self.written.append(len(data))
        self._remember(state)


_MISSING = object()
