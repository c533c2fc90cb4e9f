"""Batch extraction: inputs → tracks → (parallel, cached) features + error list."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_classic import parallel
from mer_classic._cache import resolve_cache_dir
from mer_classic._io import csv_text, write_csv_atomic, write_text_atomic
from mer_classic._progress import progress
from mer_classic.exceptions import AudioError, DataError, NoSpaceError, ParameterError
from mer_classic.features._audio import FeatureSettings
from mer_classic.features._inputs import (
    META_COLUMNS,
    Inputs,
    Track,
    check_output,
    check_output_not_input,
    discover_tracks,
    distinct_tracks,
    find_inputs,
)
from mer_classic.features._metadata import join_metadata
from mer_classic.features._names import DEFAULT_FEATURE_GROUPS
from mer_classic.features._sink import RowSink, header_text, meta_columns, track_rows
from mer_classic.features._worker import extract_file_cached
from mer_classic.parallel import check_n_jobs, check_scheduler, joblib_backend

__all__ = [
    "Track",
    "ExtractionResult",
    "META_COLUMNS",
    "discover_tracks",
    "extract_tracks",
    "extract_features",
    "extract_to_csv",
    "errors_path_for",
    "settings_path_for",
    "plan_extraction",
    "no_rows_error",
    "write_sidecars",
]

logger = logging.getLogger(__name__)


@dataclass
class ExtractionResult:
    """What a batch produced.

    Attributes
    ----------
    features : DataFrame
        One row per successful track (index ``track_id``), or per segment
        (index ``(track_id, time)``); columns are feature names.
    errors : DataFrame
        Columns ``track_id, path, reason``, one row per failed file.
    meta : DataFrame
        Carried metadata (``label``, ``artists`` ...) indexed by ``track_id``.
        For :func:`extract_to_csv` (whose rows go to disk as files finish, never
        all held in memory), an empty frame with the output's columns.
    errors : DataFrame
        Columns ``track_id, path, reason``, one row per failed file.
    meta : DataFrame
        Carried metadata (``label``, ``artists`` ...) indexed by ``track_id``.
    n_cached, n_computed, n_skipped : int
        Files served from the cache, computed, and tracks-CSV rows without audio.
    notes : list of str
        What the user should know about the inputs (disambiguated ids, metadata).
    out : Path or None
        The CSV written (:func:`extract_to_csv`), else None.
    n_rows : int
        Feature rows produced (one per track, or per segment).
    n_resumed : int
        Files already in the part file of an interrupted run (not recomputed).
    """

    features: pd.DataFrame
    errors: pd.DataFrame
    meta: pd.DataFrame
    n_cached: int = 0
    n_computed: int = 0
    n_skipped: int = 0
    notes: list[str] = field(default_factory=list)
    out: Path | None = None
    n_rows: int = 0
    n_resumed: int = 0

    @property
    def n_features(self) -> int:
        """Feature columns."""
        return self.features.shape[1]

    def table(self) -> pd.DataFrame:
        """Metadata columns followed by feature columns, one row per feature row."""
        if self.meta.empty or self.features.empty:
            return self.features
        ids = self.features.index.get_level_values("track_id")
        meta = self.meta.reindex(ids)
        meta.index = self.features.index
        return pd.concat([meta, self.features], axis=1)


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    # BLAS threads on a shared 2-core box slow the small matrix products down a lot
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _effective_settings(
    settings: FeatureSettings | None, features: object
) -> FeatureSettings:
    """``settings`` (default when None) with ``features`` replacing its groups:
    the boundary where a user's ``features=`` is resolved (by FeatureSettings)."""
    s = settings or FeatureSettings()
    if features is not None:
        s = dataclasses.replace(s, features=features)  # type: ignore[arg-type]
    return s


def _results(
    tracks: Sequence[Track],
    s: FeatureSettings,
    cache_root: str | None,
    *,
    n_jobs: int,
    scheduler: str | None,
    n_workers: int | None,
    quiet: bool,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(position in tracks, per-file result)`` pairs, as files finish.

    The one place batch work runs: in this process (``n_jobs=1``), in local
    processes, or on a Dask cluster, through the joblib backend that ``train``
    uses too (:func:`mer_classic.parallel.joblib_backend`).
    """
    if scheduler is None and (n_jobs == 1 or len(tracks) <= 1):
        with _one_blas_thread():
            yield from progress(
                (
                    (i, extract_file_cached(t.path, s, cache_root))
                    for i, t in enumerate(tracks)
                ),
                total=len(tracks),
                desc="extract",
                quiet=quiet,
            )
        return
    from joblib import Parallel, delayed

    with joblib_backend(scheduler, n_workers=n_workers) as backend:
        remote = backend == "dask"  # workers open paths as the client sees them
        jobs = -1 if remote else n_jobs
        gen = Parallel(n_jobs=jobs, return_as="generator_unordered")(
            delayed(_task)(i, t.path.resolve() if remote else t.path, s, cache_root)
            for i, t in enumerate(tracks)
        )
        desc = "extract (dask)" if remote else "extract"
        yield from progress(gen, total=len(tracks), desc=desc, quiet=quiet)


def _task(
    i: int, path: Path, s: FeatureSettings, cache_root: str | None
) -> tuple[int, dict[str, Any]]:
    # one BLAS thread in every worker, as in this process: float32 matrix
    # products round differently with other thread counts, and a Dask worker's
    # thread settings are not ours to rely on (rows must equal a local run's)
    with _one_blas_thread():
        return i, extract_file_cached(path, s, cache_root)


def _cache_root(cache_dir: str | os.PathLike[str] | None) -> str | None:
    root = resolve_cache_dir(cache_dir)
    return None if root is None else str(Path(root).resolve())


def _error(t: Track, r: dict[str, Any]) -> dict[str, str]:
    logger.info("%s: %s", t.path, r["reason"])
    return {"track_id": t.track_id, "path": str(t.path), "reason": r["reason"]}


def extract_tracks(
    tracks: Sequence[Track],
    settings: FeatureSettings | None = None,
    *,
    n_jobs: int = 1,
    scheduler: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    quiet: bool = True,
) -> ExtractionResult:
    """Extract features for tracks in parallel, through the per-file cache.

    Per-file failures are collected in ``errors`` instead of raised. The feature
    groups are ``settings.features`` (already resolved and checked). ``scheduler``
    (``"local"`` or ``"tcp://HOST:PORT"``) runs the files on a Dask cluster;
    ``n_jobs`` is then ignored.
    """
    s = settings or FeatureSettings()
    n_jobs = check_n_jobs(n_jobs)
    scheduler = check_scheduler(scheduler)
    if scheduler is not None:
        parallel.require_dask()  # before any work: the message is the install command
    cache_root = _cache_root(cache_dir)
    results: list[dict[str, Any]] = [{}] * len(tracks)
    for i, r in _results(
        tracks,
        s,
        cache_root,
        n_jobs=n_jobs,
        scheduler=scheduler,
        n_workers=None,
        quiet=quiet,
    ):
        results[i] = r
    names = list(s.feature_names)
    ok_ids: list[str] = []
    blocks: list[np.ndarray] = []
    index_parts: list[Any] = []
    errors = []
    n_cached = 0
    for t, r in zip(tracks, results, strict=True):
        if not r["ok"]:
            errors.append(_error(t, r))
            continue
        for warning in r.get("warnings", ()):
            logger.warning("%s: %s", t.path, warning)
        n_cached += bool(r["cached"])
        ok_ids.append(t.track_id)
        blocks.append(np.atleast_2d(r["values"]))
        if s.segment is None:
            index_parts.append(t.track_id)
        else:
            index_parts += [(t.track_id, float(x)) for x in r["times"]]
    values = np.vstack(blocks) if blocks else np.empty((0, len(names)))
    if s.segment is None:
        index = pd.Index(index_parts, name="track_id", dtype=object)
    else:
        index = pd.MultiIndex.from_tuples(index_parts, names=["track_id", "time"])
        if not index_parts:
            index = pd.MultiIndex.from_arrays([[], []], names=["track_id", "time"])
    features = pd.DataFrame(values, index=index, columns=names)
    meta_rows = {t.track_id: t.meta for t in tracks if t.meta}
    meta = pd.DataFrame.from_dict(meta_rows, orient="index")
    meta.index.name = "track_id"
    return ExtractionResult(
        features=features,
        errors=pd.DataFrame(errors, columns=["track_id", "path", "reason"]),
        meta=meta,
        n_cached=n_cached,
        n_computed=len(ok_ids) - n_cached,
        n_rows=len(features),
    )


def _tracks_from_paths(paths: Any) -> list[Track]:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if isinstance(paths, pd.DataFrame):
        if "audio_path" not in paths.columns:
            raise DataError(
                "a DataFrame of inputs needs an 'audio_path' column; got columns "
                f"{list(paths.columns)}"
            )
        ids = paths["track_id"] if "track_id" in paths.columns else paths.index
        return [
            Track(str(i), Path(p))
            for i, p in zip(ids, paths["audio_path"], strict=True)
        ]
    if isinstance(paths, pd.Series) and not isinstance(paths.index, pd.RangeIndex):
        return [Track(str(i), Path(p)) for i, p in paths.items()]
    items = list(np.asarray(paths, dtype=object).ravel())
    tracks, renamed = distinct_tracks([Track(Path(p).stem, Path(p)) for p in items])
    if renamed:
        logger.info("%d track id(s) disambiguated (file stems collide)", renamed)
    return tracks


def extract_features(
    paths: Any,
    *,
    sr: int = 22050,
    offset: float | None = None,
    duration: float | None = None,
    segment: float | None = None,
    window: float = 1.0,
    features: object = None,
    n_jobs: int = 1,
    cache_dir: str | os.PathLike[str] | None = None,
    on_error: str = "record",
    quiet: bool = True,
) -> pd.DataFrame:
    """Extract handcrafted audio features from audio files.

    Parameters
    ----------
    paths : path-like, sequence of path-like, Series or DataFrame
        Audio files. A Series uses its index as track ids; a DataFrame needs an
        ``audio_path`` column and may have ``track_id``. Otherwise the id is the
        file stem (``parent/stem`` when two stems collide).
    sr : int, default=22050
        Analysis sample rate (files of any rate are resampled with soxr).
    offset, duration : float or None, default=None
        Read ``duration`` seconds starting ``offset`` seconds into each file.
    segment : float or None, default=None
        If set, one row per ``segment`` seconds, indexed ``(track_id, time)``, where
        ``time`` is the centre of the analysis window in file seconds (so a 2 Hz
        annotation at 15.0 s joins the row at ``time == 15.0``).
    window : float, default=1.0
        Analysis window length in seconds in segment mode.
    features : str or sequence of str, default=None
        Feature groups to compute (keys of
        :data:`~mer_classic.features.FEATURE_GROUPS`), a comma-separated string,
        ``"all"`` or ``"default"``; None means
        :data:`~mer_classic.features.DEFAULT_FEATURE_GROUPS`. Columns come
        in registry order (:func:`~mer_classic.features.feature_names`).
    n_jobs : int, default=1
        Worker processes (joblib/loky); -1 uses all cores.
    cache_dir : path-like or None, default=None
        Per-file cache folder (content hash + settings); None uses
        ``$MER_CLASSIC_CACHE_DIR`` when set, else no cache.
    on_error : {"record", "raise"}, default="record"
        ``"record"``: failed files are left out, listed in ``df.attrs["errors"]``
        (list of ``{track_id, path, reason}``) and logged. ``"raise"``: raise
        :class:`~mer_classic.exceptions.AudioError` naming every failed file.
    quiet : bool, default=True
        Hide the progress bar.

    Returns
    -------
    DataFrame
        Columns ``feature_names(features)`` (or ``segment_feature_names(features)``
        with ``segment``), all finite.

    See Also
    --------
    mer_classic.features._transformers.AudioFeatureExtractor : the same as a transformer.

    Examples
    --------
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> t = np.arange(22050) / 22050
    >>> sf.write(os.path.join(d, "tone.wav"), 0.3 * np.sin(2 * np.pi * 440 * t), 22050)
    >>> df = extract_features([os.path.join(d, "tone.wav")])
    >>> df.index.tolist(), bool(400 < df.loc["tone", "spectral_centroid_mean"] < 480)
    (['tone'], True)
    """
    if on_error not in ("record", "raise"):
        raise ParameterError(f"on_error must be 'record' or 'raise'; got {on_error!r}")
    settings = FeatureSettings(
        sr=sr,
        offset=offset,
        duration=duration,
        segment=segment,
        window=window,
        features=DEFAULT_FEATURE_GROUPS if features is None else features,  # type: ignore[arg-type]
    )
    result = extract_tracks(
        _tracks_from_paths(paths),
        settings,
        n_jobs=n_jobs,
        cache_dir=cache_dir,
        quiet=quiet,
    )
    if len(result.errors) and on_error == "raise":
        lines = "; ".join(f"{r.path}: {r.reason}" for r in result.errors.itertuples())
        raise AudioError(f"{len(result.errors)} file(s) failed: {lines}")
    df = result.features
    df.attrs["errors"] = result.errors.to_dict("records")
    return df


def errors_path_for(out: str | os.PathLike[str]) -> Path:
    """``features.csv`` → ``features.errors.csv`` (beside the output).

    Examples
    --------
    >>> errors_path_for("data/features.csv").as_posix()
    'data/features.errors.csv'
    """
    p = Path(out)
    return p.with_name(f"{p.stem}.errors.csv")


def settings_path_for(out: str | os.PathLike[str]) -> Path:
    """The extraction-settings sidecar of a feature table (``train`` stores it in model.json).

    Examples
    --------
    >>> settings_path_for("data/features.csv").as_posix()
    'data/features.csv.json'
    """
    p = Path(out)
    return p.with_name(p.name + ".json")


def plan_extraction(
    inputs: Iterable[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    label_from_folder: bool = False,
    metadata: str | os.PathLike[str] | None = None,
    metadata_id: str | None = None,
    metadata_columns: Sequence[str] = (),
) -> Inputs:
    """Check the output, find the tracks and join metadata: everything before the work.


    Raises
    ------
    ConfigError
        When ``out`` (or a sidecar) is one of the inputs, exists without ``force``,
        or cannot be written.
    DataError
        When the inputs hold no audio to extract (nothing is written).
    """
    inputs = list(inputs)
    sidecars = [errors_path_for(out), settings_path_for(out)]
    read = [*inputs, *([metadata] if metadata is not None else [])]
    check_output(out, sidecars=sidecars, inputs=read, force=force)
    found = find_inputs(inputs, label_from_folder=label_from_folder)
    check_output_not_input([out, *sidecars], [t.path for t in found.tracks])
    if not found.tracks:
        raise no_rows_error(found, [])
    if metadata is not None:
        found.notes += join_metadata(
            found.tracks,
            metadata,
            id_column=metadata_id,
            keep_numeric=metadata_columns,
        )
    elif metadata_id is not None or metadata_columns:
        raise ParameterError(
            "metadata_id and metadata_columns need metadata "
            "(--metadata-id/--metadata-columns need --metadata)"
        )
    return found


def no_rows_error(found: Inputs, errors: Sequence[dict[str, str]]) -> DataError:
    """The error for a run that extracted nothing: why, and how to get audio."""
    why = []
    for c in found.csvs:
        if c.n_skipped:
            why.append(
                f"{c.n_skipped} of {c.n_rows} row(s) of {c.path} have no audio_path"
            )
    if errors:
        shown = "; ".join(f"{e['path']}: {e['reason']}" for e in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        why.append(f"{len(errors)} file(s) failed: {shown}{more}")
    hints = []
    missing = [e for e in errors if e["reason"].startswith("file not found")]
    for c in found.csvs:
        if c.n_skipped or missing:
            hints.append(
                f"put MP3s in {c.path.parent / 'audio'}/<track_id>.mp3 and re-run "
                "the same `mer-classic fetch` command with --force (it adopts the "
                "clips it finds there and fills audio_path)"
            )
    hints.append(
        ("or " if hints else "")
        + "pass audio files or folders to `mer-classic extract`"
    )
    return DataError(
        "no features extracted, so nothing was written: "
        + "; ".join(why or ["no audio file was found"])
        + ". To get audio: "
        + ", ".join(hints)
    )


def write_sidecars(
    out: Path | str, settings: FeatureSettings, n_rows: int, errors: pd.DataFrame
) -> None:
    """Write the settings sidecar and the errors table beside ``out``.

    The errors table is removed when there are no errors (a stale one from an
    earlier run would mislead).
    """
    write_text_atomic(
        settings_path_for(out),
        json.dumps(
            {
                "settings": settings.to_dict(),
                "n_tracks": int(n_rows),
                "n_errors": int(len(errors)),
            },
            indent=2,
        )
        + "\n",
    )
    err_path = errors_path_for(out)
    if len(errors):
        write_csv_atomic(errors, err_path, index=False)
    elif err_path.exists():
        err_path.unlink()


def extract_to_csv(
    inputs: Iterable[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    label_from_folder: bool = False,
    settings: FeatureSettings | None = None,
    features: object = None,
    n_jobs: int = 1,
    scheduler: str | None = None,
    n_workers: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    quiet: bool = True,
    force: bool = False,
    metadata: str | os.PathLike[str] | None = None,
    metadata_id: str | None = None,
    metadata_columns: Sequence[str] = (),
    resume: bool = True,
    on_result: Callable[[str], None] | None = None,
) -> ExtractionResult:
    """Discover inputs, extract, and write ``out`` (+ ``<out>.errors.csv``) atomically.

    Rows go to disk as files finish (``<out>.part``, see
    :class:`~mer_classic.features._sink.RowSink`), so the table is never held in
    memory; ``out`` is assembled in input order at the end. An interrupted run
    leaves the part files, and the next run into the same ``out`` with the same
    settings skips the files already written (``resume``). Local and Dask runs
    are the same path: ``scheduler`` only chooses where the files are extracted.

    The CSV holds carried metadata (``label``, ``artists`` ...) then the features,
    so it trains directly with ``mer-classic train --data out --target label``.
    The errors file is written when some file failed and removed otherwise.

    Parameters
    ----------
    inputs : iterable of path-like
        Audio files, folders or tracks CSVs (see :func:`find_inputs`).
    out : path-like
        Output CSV; its sidecars are ``<stem>.errors.csv`` and ``<name>.json``.
    label_from_folder : bool, default=False
        Label each file with its parent folder name.
    settings : FeatureSettings or None, default=None
        Extraction settings (the defaults when None).
    features : str, sequence of str or None, default=None
        Feature groups; when given, replaces ``settings.features`` (the groups are
        recorded in the settings sidecar, and from there in a trained model).
    n_jobs : int, default=1
        Worker processes (ignored with a ``scheduler``).
    scheduler : str or None, default=None
        ``"local"`` (a LocalCluster on 127.0.0.1) or ``"tcp://HOST:PORT"``: run
        on Dask (``pip install "mer-classic[dask]"``). The workers need
        mer-classic, the audio at the paths the client sees and, to share the
        cache, a ``cache_dir`` they can all write. A worker that dies is replaced
        by the scheduler and its file re-run elsewhere.
    n_workers : int or None, default=None
        Workers of the LocalCluster (``scheduler="local"`` only).
    cache_dir : path-like or None, default=None
        Per-file feature cache (see :func:`extract_features`).
    quiet : bool, default=True
        Hide the progress bar.
    force : bool, default=False
        Replace an existing ``out``. An output that is one of the inputs is refused
        even so.
    metadata : path-like or None, default=None
        A CSV with one row per track (artist, title …) joined by track id; its text
        columns are written before the features (see ``join_metadata``).
    metadata_id : str or None, default=None
        The metadata column holding track ids (detected when None).
    metadata_columns : sequence of str, default=()
        Numeric metadata columns to join all the same (e.g. valence, arousal).
    resume : bool, default=True
        Reuse the part file of an interrupted run; False starts over.
    on_result : callable, default=None
        Called with each finished track id, after its rows are on disk.

    Raises
    ------
    ConfigError
        Before any work, when ``out`` is one of the inputs, exists (without
        ``force``) or cannot be written.
    DataError
        When no row could be extracted: nothing is written then.
    """
    out = Path(out)
    s = _effective_settings(settings, features)
    n_jobs = check_n_jobs(n_jobs)
    scheduler = check_scheduler(scheduler)
    if scheduler is not None:
        parallel.require_dask()  # before any work: the message is the install command
    found = plan_extraction(
        inputs,
        out,
        force=force,
        label_from_folder=label_from_folder,
        metadata=metadata,
        metadata_id=metadata_id,
        metadata_columns=metadata_columns,
    )
    tracks = found.tracks
    segment = s.segment is not None
    names = list(s.feature_names)
    meta_cols = meta_columns(tracks)
    header = header_text(names, meta_cols, segment)
    # folders the part files create; removed again when nothing is written
    made = [d for d in (out.parent, *out.parent.parents) if not d.exists()]
    sink = RowSink(out, {"settings": s.to_dict(), "header": header}, resume)
    todo = [t for t in tracks if t.track_id not in sink.blocks]
    result = ExtractionResult(
        features=pd.DataFrame(columns=names),
        errors=pd.DataFrame(columns=["track_id", "path", "reason"]),
        meta=pd.DataFrame(),
        n_skipped=found.n_skipped,
        notes=list(found.notes),
        out=out,
        n_resumed=len(tracks) - len(todo),
    )
    if result.n_resumed:
        logger.info(
            "resuming: %d file(s) already done, %d to go", result.n_resumed, len(todo)
        )
    errors: list[dict[str, str]] = []
    try:
        if todo:
            for i, r in _results(
                todo,
                s,
                _cache_root(cache_dir),
                n_jobs=n_jobs,
                scheduler=scheduler,
                n_workers=n_workers,
                quiet=quiet,
            ):
                t = todo[i]
                for warning in r.get("warnings", ()):
                    logger.warning("%s: %s", t.path, warning)
                if r["ok"]:
                    rows = track_rows(t, r, names, meta_cols, segment)
                    sink.append(t.track_id, csv_text(rows, header=False), len(rows))
                    result.n_cached += bool(r["cached"])
                    result.n_computed += not r["cached"]
                else:
                    errors.append(_error(t, r))
                if on_result is not None:
                    on_result(t.track_id)
        sink.close()
    except NoSpaceError:  # the sink named the output; no resume hint for a full disk
        sink.close()
        raise
    except BaseException:
        sink.close()
        logger.warning(
            "extraction interrupted; rerun the same command to resume "
            "(%d file(s) kept in %s)",
            len(sink.blocks),
            sink.part,
        )
        raise
    order = [t.track_id for t in tracks]
    if not sink.blocks:  # nothing succeeded: nothing is written
        sink.discard()
        for d in made:  # deepest first
            with contextlib.suppress(OSError):
                d.rmdir()
        raise no_rows_error(found, errors)
    result.n_rows = sink.assemble(out, header, order)
    err = pd.DataFrame(errors, columns=["track_id", "path", "reason"])
    if len(err):
        rank = {tid: i for i, tid in enumerate(order)}
        err = err.sort_values("track_id", key=lambda c: c.map(rank)).reset_index(
            drop=True
        )
    result.errors = err
    write_sidecars(out, s, result.n_rows, err)
    sink.discard()
    return result
