"""The resumable row sink of batch extraction: rows on disk as files finish.

The client never holds the whole table: each finished file's rows are appended to
``<out>.part`` (and indexed in ``<out>.part.idx``), and the final ``out`` is
assembled from the part file in input order and written atomically. An interrupted
run leaves the part files; the next run into the same output with the same
settings skips the files already written.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_classic._io import atomic_open, csv_text
from mer_classic.exceptions import NoSpaceError

__all__ = ["RowSink", "header_text", "meta_columns", "part_paths", "track_rows"]

logger = logging.getLogger(__name__)


def part_paths(out: str | os.PathLike[str]) -> tuple[Path, Path, Path]:
    """``(part, index, state)`` files an extraction into ``out`` keeps while running.

    Examples
    --------
    >>> [p.name for p in part_paths("data/features.csv")]
    ['features.csv.part', 'features.csv.part.idx', 'features.csv.part.json']
    """
    p = Path(out)
    return (
        p.with_name(p.name + ".part"),
        p.with_name(p.name + ".part.idx"),
        p.with_name(p.name + ".part.json"),
    )


def meta_columns(tracks: Iterable[Any]) -> list[str]:
    cols: dict[str, None] = {}
    for t in tracks:
        for key in t.meta:
            cols.setdefault(key, None)
    return list(cols)


def track_rows(
    track: Any, r: dict[str, Any], names: list[str], meta_cols: list[str], segment: bool
) -> pd.DataFrame:
    """The rows of one track exactly as the local table lays them out."""
    values = np.atleast_2d(r["values"])
    if segment:
        index: pd.Index = pd.MultiIndex.from_tuples(
            [(track.track_id, float(x)) for x in r["times"]], names=["track_id", "time"]
        )
    else:
        index = pd.Index([track.track_id], name="track_id", dtype=object)
    feats = pd.DataFrame(values, index=index, columns=names)
    if not meta_cols:
        return feats
    meta = pd.DataFrame(
        [{c: track.meta.get(c, np.nan) for c in meta_cols}] * len(feats),
        index=index,
        columns=meta_cols,
    )
    return pd.concat([meta, feats], axis=1)


def header_text(names: list[str], meta_cols: list[str], segment: bool) -> str:
    index: pd.Index
    if segment:
        index = pd.MultiIndex.from_arrays([[], []], names=["track_id", "time"])
    else:
        index = pd.Index([], name="track_id", dtype=object)
    return csv_text(pd.DataFrame(columns=meta_cols + names, index=index))


class RowSink:
    """Append-only part file plus an index of complete blocks (crash-safe).

    Every batch run that writes a CSV appends each finished track's rows here as
    they arrive (in completion order), then :meth:`assemble` writes the output in
    input order. ``resume`` reuses the blocks of an interrupted run with the same
    ``state`` (settings and header).

    A full disk while writing any of its files raises :class:`NoSpaceError`
    naming ``out``, the file the user asked for (the one place that renames it).
    """

    def __init__(self, out: Path, state: dict[str, Any], resume: bool) -> None:
        self.out = Path(out)
        self.part, self.idx, self.state_path = part_paths(out)
        with self._full_disk():
            self._open(state, resume)

    @contextlib.contextmanager
    def _full_disk(self) -> Iterator[None]:
        """Name the output in a full-disk error from the part, index or state file."""
        try:
            yield
        except OSError as exc:
            if exc.errno != errno.ENOSPC or (
                isinstance(exc, NoSpaceError) and exc.filename == str(self.out)
            ):
                raise
            raise NoSpaceError(self.out) from exc

    def _open(self, state: dict[str, Any], resume: bool) -> None:
        self.blocks: dict[
            str, tuple[int, int, int]
        ] = {}  # id -> (offset, nbytes, rows)
        if resume:
            self._load(state)
        else:
            self.discard()
        if not self.blocks:
            self.discard()
            with atomic_open(self.state_path) as fh:
                json.dump(state, fh, sort_keys=True, default=str)
        size = self.part.stat().st_size if self.part.exists() else 0
        end = max((o + n for o, n, _ in self.blocks.values()), default=0)
        if size > end:  # a block written without its index line: drop it
            os.truncate(self.part, end)
        self._fh = open(self.part, "ab")  # noqa: SIM115 - closed in close()
        self._fh.seek(0, os.SEEK_END)
        self._ifh = open(self.idx, "a", encoding="utf-8")  # noqa: SIM115

    def _load(self, state: dict[str, Any]) -> None:
        try:
            saved = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if saved != json.loads(json.dumps(state, sort_keys=True, default=str)):
            logger.info("settings changed since the interrupted run; starting over")
            return
        size = self.part.stat().st_size if self.part.exists() else 0
        try:
            lines = self.idx.read_text(encoding="utf-8").splitlines()
        except OSError:
            return
        for line in lines:
            try:
                rec = json.loads(line)
                offset, nbytes, rows, tid = (
                    int(rec["o"]),
                    int(rec["n"]),
                    int(rec["r"]),
                    str(rec["id"]),
                )
            except (ValueError, KeyError, TypeError):
                break  # a torn last line
            if offset + nbytes > size:
                break
            self.blocks.setdefault(tid, (offset, nbytes, rows))

    def discard(self) -> None:
        for p in (self.part, self.idx, self.state_path):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()

    def append(self, track_id: str, text: str, rows: int) -> None:
        if track_id in self.blocks:  # a retried task that had already been written
            logger.debug("dropping a second copy of %s", track_id)
            return
        data = text.encode("utf-8")
        with self._full_disk():
            offset = self._fh.tell()
            self._fh.write(data)
            self._fh.flush()
            self._ifh.write(
                json.dumps({"id": track_id, "o": offset, "n": len(data), "r": rows})
                + "\n"
            )
            self._ifh.flush()
        self.blocks[track_id] = (offset, len(data), rows)

    def close(self) -> None:
        try:
            with self._full_disk():
                self._fh.close()
        finally:
            with self._full_disk():
                self._ifh.close()

    def assemble(self, out: Path, header: str, order: list[str]) -> int:
        """Write ``out`` atomically: header, then each track's block in ``order``."""
        n_rows = 0
        with (
            self._full_disk(),
            open(self.part, "rb") as src,
            atomic_open(out, "wb") as dst,
        ):
            dst.write(header.encode("utf-8"))
            for tid in order:
                entry = self.blocks.get(tid)
                if entry is None:
                    continue
                offset, nbytes, rows = entry
                src.seek(offset)
                dst.write(src.read(nbytes))
                n_rows += rows
        return n_rows
