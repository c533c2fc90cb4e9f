"""Feature extraction on a Dask cluster, streamed to disk as files complete.

:func:`extract_to_csv_distributed` does what :func:`mer_classic.features.extract_to_csv`
does, but runs one Dask task per audio file on a cluster (``scheduler="local"`` for a
LocalCluster on this machine, or ``"tcp://HOST:PORT"``):

- each task calls the same per-file function as a local run (content-hash + settings
  cache, a failure becomes an error row instead of an exception);
- the client never holds the whole table: each finished file is appended to
  ``<out>.part`` (and indexed in ``<out>.part.idx``) as it completes, at most
  ``max_in_flight`` tasks are queued at a time, and the final ``out`` is assembled
  from the part file in input order and written atomically, de-duplicated by track id;
- an interrupted run leaves the part files, and the next run with the same output
  and settings skips the files already written (``resume=True``); files that failed
  are tried again, as in a local rerun;
- a worker that dies is replaced by the scheduler, and its task is re-run elsewhere
  (Dask's ``distributed.scheduler.allowed-failures``); a task whose workers keep dying
  ends in the error list, never as a missing or duplicated row.

What the workers need: mer-classic (same version) installed, read access to the
audio paths as the client sees them (absolute paths on shared storage), and, to
share the cache, a ``cache_dir`` they can all write (else each uses its own).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_classic._cache import resolve_cache_dir
from mer_classic._io import atomic_open, csv_text
from mer_classic._progress import progress
from mer_classic.exceptions import ParameterError

__all__ = ["DistributedExtraction", "extract_to_csv_distributed", "part_paths"]

logger = logging.getLogger(__name__)


@dataclass
class DistributedExtraction:
    """Summary of a distributed extraction (the table itself is on disk).

    Attributes
    ----------
    out : Path
        The feature table written.
    n_rows : int
        Data rows in ``out`` (one per track, or per segment).
    n_features : int
        Feature columns.
    n_cached, n_computed : int
        Files served by the cache and computed in this run.
    n_resumed : int
        Files already in the part file of an interrupted run (not recomputed).
    n_skipped : int
        Tracks-CSV rows without audio.
    errors : DataFrame
        ``track_id, path, reason`` of every failed file (also in ``<out>.errors.csv``).
    notes : list of str
        What the user should know about the inputs (disambiguated ids, metadata).
    """

    out: Path
    n_rows: int = 0
    n_features: int = 0
    n_cached: int = 0
    n_computed: int = 0
    n_resumed: int = 0
    n_skipped: int = 0
    errors: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["track_id", "path", "reason"])
    )
    notes: list[str] = field(default_factory=list)


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


def _extract_task(path: str, settings: Any, cache_root: str | None) -> dict[str, Any]:
    """Dask task: the local per-file worker (cache lookup, extraction, error capture)."""
    from mer_classic.features import extract_file_cached

    return extract_file_cached(Path(path), settings, cache_root)


def _meta_columns(tracks: Iterable[Any]) -> list[str]:
    cols: dict[str, None] = {}
    for t in tracks:
        for key in t.meta:
            cols.setdefault(key, None)
    return list(cols)


def _block(
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


def _header(names: list[str], meta_cols: list[str], segment: bool) -> str:
    index: pd.Index
    if segment:
        index = pd.MultiIndex.from_arrays([[], []], names=["track_id", "time"])
    else:
        index = pd.Index([], name="track_id", dtype=object)
    return csv_text(pd.DataFrame(columns=meta_cols + names, index=index))


class _PartFile:
    """Append-only part file plus an index of complete blocks (crash-safe)."""

    def __init__(self, out: Path, state: dict[str, Any], resume: bool) -> None:
        self.part, self.idx, self.state_path = part_paths(out)
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
        offset = self._fh.tell()
        self._fh.write(data)
        self._fh.flush()
        self._ifh.write(
            json.dumps({"id": track_id, "o": offset, "n": len(data), "r": rows}) + "\n"
        )
        self._ifh.flush()
        self.blocks[track_id] = (offset, len(data), rows)

    def close(self) -> None:
        self._fh.close()
        self._ifh.close()

    def assemble(self, out: Path, header: str, order: list[str]) -> int:
        """Write ``out`` atomically: header, then each track's block in ``order``."""
        n_rows = 0
        with open(self.part, "rb") as src, atomic_open(out, "wb") as dst:
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


def extract_to_csv_distributed(
    inputs: Iterable[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    scheduler: str = "local",
    label_from_folder: bool = False,
    settings: Any = None,
    cache_dir: str | os.PathLike[str] | None = None,
    resume: bool = True,
    n_workers: int | None = None,
    max_in_flight: int | None = None,
    retries: int = 1,
    quiet: bool = True,
    on_result: Callable[[str], None] | None = None,
    force: bool = False,
    metadata: str | os.PathLike[str] | None = None,
    metadata_id: str | None = None,
) -> DistributedExtraction:
    """Extract features on a Dask cluster, streaming rows to ``out`` as files finish.

    The output (and ``<out>.errors.csv``, ``<out>.json``) has exactly the layout and rows of
    :func:`mer_classic.features.extract_to_csv` on the same inputs and settings.

    Parameters
    ----------
    inputs : iterable of path-like
        Audio files, folders or tracks CSVs (see
        :func:`mer_classic.features.discover_tracks`).
    out : path-like
        Output CSV, written atomically at the end.
    scheduler : str, default='local'
        ``"local"`` (a LocalCluster on 127.0.0.1) or a scheduler address
        ``"tcp://HOST:PORT"``.
    label_from_folder : bool, default=False
        Label each file with its parent folder name.
    settings : FeatureSettings, default=None
        Extraction settings (default settings when None).
    cache_dir : path-like or None, default=None
        Per-file cache folder, opened by the workers (shared storage to share it);
        None uses ``$MER_CLASSIC_CACHE_DIR`` when set, else no cache.
    resume : bool, default=True
        Reuse the part file of an interrupted run into the same ``out`` with the same
        settings; False starts over.
    n_workers : int or None, default=None
        Workers of the LocalCluster (``"local"`` only).
    max_in_flight : int or None, default=None
        Tasks queued on the cluster at once (default: 4 per worker thread, at least 8),
        which bounds the client's memory on very long lists.
    retries : int, default=1
        Extra attempts of a task that raised (worker deaths are handled by the
        scheduler's ``allowed-failures``).
    quiet : bool, default=True
        Hide the progress bar.
    on_result : callable, default=None
        Called in the client with each finished track id (after its rows are written).
    force, metadata, metadata_id
        As for :func:`mer_classic.features.extract_to_csv`.

    Returns
    -------
    DistributedExtraction

    Raises
    ------
    ImportError
        When dask/distributed are missing (the message is the install command).
    ConfigError
        Before any work, when ``out`` is one of the inputs, exists (without
        ``force``) or cannot be written.
    DataError
        When the inputs contain no audio, or no row could be extracted (nothing is
        written then).
    """
    from mer_classic.features import FeatureSettings, plan_extraction
    from mer_classic.features._batch import no_rows_error, write_sidecars
    from mer_classic.parallel import check_scheduler, dask_client, require_dask

    canonical = check_scheduler(scheduler)
    if canonical is None:
        raise ParameterError(
            "scheduler must be 'local' or an address; use "
            "mer_classic.features.extract_to_csv for local processes"
        )
    if max_in_flight is not None and (
        not isinstance(max_in_flight, int) or max_in_flight < 1
    ):
        raise ParameterError(
            f"max_in_flight must be a positive int; got {max_in_flight!r}"
        )
    if not isinstance(retries, int) or retries < 0:
        raise ParameterError(f"retries must be a non-negative int; got {retries!r}")
    require_dask()
    s = settings or FeatureSettings()
    out = Path(out)
    found = plan_extraction(
        inputs,
        out,
        force=force,
        label_from_folder=label_from_folder,
        metadata=metadata,
        metadata_id=metadata_id,
    )
    tracks, skipped = found.tracks, found.n_skipped
    root = resolve_cache_dir(cache_dir)
    cache_root = None if root is None else str(Path(root).resolve())
    segment = s.segment is not None
    names = list(s.feature_names)
    meta_cols = _meta_columns(tracks)
    header = _header(names, meta_cols, segment)
    state = {"settings": s.to_dict(), "header": header}
    part = _PartFile(out, state, resume)
    result = DistributedExtraction(
        out=out, n_skipped=skipped, n_features=len(names), notes=list(found.notes)
    )
    todo = [t for t in tracks if t.track_id not in part.blocks]
    result.n_resumed = len(tracks) - len(todo)
    if result.n_resumed:
        logger.info(
            "resuming: %d file(s) already done, %d to go", result.n_resumed, len(todo)
        )
    errors: list[dict[str, str]] = []
    try:
        if todo:
            with dask_client(canonical, n_workers=n_workers) as client:
                _run(
                    client,
                    todo,
                    s,
                    cache_root,
                    part,
                    result,
                    errors,
                    names,
                    meta_cols,
                    segment,
                    max_in_flight,
                    retries,
                    quiet,
                    on_result,
                )
        part.close()
    except BaseException:
        part.close()
        logger.warning(
            "extraction interrupted; rerun the same command to resume "
            "(%d file(s) kept in %s)",
            len(part.blocks),
            part.part,
        )
        raise
    order = [t.track_id for t in tracks]
    if not part.blocks:  # nothing succeeded: an error, as for local runs
        part.discard()
        raise no_rows_error(found, errors)
    result.n_rows = part.assemble(out, header, order)
    err = pd.DataFrame(errors, columns=["track_id", "path", "reason"])
    if len(err):
        rank = {tid: i for i, tid in enumerate(order)}
        err = err.sort_values("track_id", key=lambda c: c.map(rank)).reset_index(
            drop=True
        )
    result.errors = err
    write_sidecars(out, s, result.n_rows, err)
    part.discard()
    return result


def _run(
    client: Any,
    todo: list[Any],
    s: Any,
    cache_root: str | None,
    part: _PartFile,
    result: DistributedExtraction,
    errors: list[dict[str, str]],
    names: list[str],
    meta_cols: list[str],
    segment: bool,
    max_in_flight: int | None,
    retries: int,
    quiet: bool,
    on_result: Callable[[str], None] | None,
) -> None:
    from distributed import as_completed

    n_threads = max(1, sum(client.nthreads().values()))
    window = max_in_flight or max(8, 4 * n_threads)
    settings_future = client.scatter(s, broadcast=True)
    pending: Iterator[Any] = iter(todo)
    futures: dict[Any, Any] = {}

    def submit(track: Any) -> Any:
        fut = client.submit(
            _extract_task,
            str(track.path.resolve()),
            settings_future,
            cache_root,
            retries=retries,
            pure=False,
        )
        futures[fut] = track
        return fut

    seq = as_completed([submit(t) for t in itertools.islice(pending, window)])
    try:
        for fut in progress(seq, total=len(todo), desc="extract (dask)", quiet=quiet):
            track = futures.pop(fut)
            try:
                r = fut.result()
            except Exception as exc:  # e.g. KilledWorker after repeated deaths
                r = {
                    "ok": False,
                    "reason": f"task failed on the cluster: "
                    f"{type(exc).__name__}: {exc}",
                }
            fut.release()
            if r["ok"]:
                block = _block(track, r, names, meta_cols, segment)
                part.append(track.track_id, csv_text(block, header=False), len(block))
                if r.get("cached"):
                    result.n_cached += 1
                else:
                    result.n_computed += 1
            else:
                errors.append(
                    {
                        "track_id": track.track_id,
                        "path": str(track.path),
                        "reason": r["reason"],
                    }
                )
                logger.warning("%s: %s", track.path, r["reason"])
            if on_result is not None:
                on_result(track.track_id)
            nxt = next(pending, None)
            if nxt is not None:
                seq.add(submit(nxt))
    finally:
        if futures:
            client.cancel(list(futures))
