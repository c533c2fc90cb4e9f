"""Batch extraction: inputs → tracks → (parallel, cached) features + error list."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_classic._cache import resolve_cache_dir
from mer_classic._io import write_csv_atomic, write_text_atomic
from mer_classic._progress import progress
from mer_classic.exceptions import AudioError, DataError, ParameterError
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
from mer_classic.features._worker import extract_file_cached
from mer_classic.features.audio import FeatureSettings
from mer_classic.parallel import check_n_jobs

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
    n_cached, n_computed, n_skipped : int
        Files served from the cache, computed, and tracks-CSV rows without audio.
    """

    features: pd.DataFrame
    errors: pd.DataFrame
    meta: pd.DataFrame
    n_cached: int = 0
    n_computed: int = 0
    n_skipped: int = 0
    notes: list[str] = field(default_factory=list)

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
    """``settings`` (default when None) with ``features`` replacing its groups."""
    s = settings or FeatureSettings()
    if features is not None:
        s = dataclasses.replace(s, features=features)  # type: ignore[arg-type]
    return s.validate()


def extract_tracks(
    tracks: Sequence[Track],
    settings: FeatureSettings | None = None,
    *,
    features: object = None,
    n_jobs: int = 1,
    cache_dir: str | os.PathLike[str] | None = None,
    quiet: bool = True,
) -> ExtractionResult:
    """Extract features for tracks in parallel, through the per-file cache.

    Per-file failures are collected in ``errors`` instead of raised. ``features``
    (group names, a comma string, ``"all"`` or ``"default"``), when given,
    replaces ``settings.features``.
    """
    s = _effective_settings(settings, features)
    n_jobs = check_n_jobs(n_jobs)
    root = resolve_cache_dir(cache_dir)
    cache_root = None if root is None else str(root)
    if n_jobs == 1 or len(tracks) <= 1:
        with _one_blas_thread():
            results = [
                r
                for r in progress(
                    (extract_file_cached(t.path, s, cache_root) for t in tracks),
                    total=len(tracks),
                    desc="extract",
                    quiet=quiet,
                )
            ]
    else:
        from joblib import Parallel, delayed

        gen = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(extract_file_cached)(t.path, s, cache_root) for t in tracks
        )
        results = list(progress(gen, total=len(tracks), desc="extract", quiet=quiet))
    names = list(s.feature_names)
    ok_ids: list[str] = []
    blocks: list[np.ndarray] = []
    index_parts: list[Any] = []
    errors = []
    n_cached = 0
    for t, r in zip(tracks, results, strict=True):
        if not r["ok"]:
            errors.append(
                {"track_id": t.track_id, "path": str(t.path), "reason": r["reason"]}
            )
            logger.warning("%s: %s", t.path, r["reason"])
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
        :data:`~mer_classic.features.names.DEFAULT_FEATURE_GROUPS`. Columns come
        in registry order (:func:`~mer_classic.features.names.feature_names`).
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
    mer_classic.transformers.AudioFeatureExtractor : the same as a transformer.

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
        sr=sr, offset=offset, duration=duration, segment=segment, window=window
    )
    settings = _effective_settings(settings, features)
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
) -> Inputs:
    """Check the output, find the tracks and join metadata: everything before the work.

    Shared by :func:`extract_to_csv` and
    :func:`mer_classic.distributed.extract_to_csv_distributed`.

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
        from mer_classic.features._metadata import join_metadata

        found.notes += join_metadata(found.tracks, metadata, id_column=metadata_id)
    elif metadata_id is not None:
        raise ParameterError(
            "metadata_id needs metadata (--metadata-id needs --metadata)"
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
    earlier run would mislead). Shared by :func:`extract_to_csv` and
    :func:`mer_classic.distributed.extract_to_csv_distributed`.
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
    cache_dir: str | os.PathLike[str] | None = None,
    quiet: bool = True,
    force: bool = False,
    metadata: str | os.PathLike[str] | None = None,
    metadata_id: str | None = None,
) -> ExtractionResult:
    """Discover inputs, extract, and write ``out`` (+ ``<out>.errors.csv``) atomically.

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
        Worker processes.
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

    Raises
    ------
    ConfigError
        Before any work, when ``out`` is one of the inputs, exists (without
        ``force``) or cannot be written.
    DataError
        When no row could be extracted: nothing is written then.
    """
    out = Path(out)
    settings = _effective_settings(settings, features)
    found = plan_extraction(
        inputs,
        out,
        force=force,
        label_from_folder=label_from_folder,
        metadata=metadata,
        metadata_id=metadata_id,
    )
    result = extract_tracks(
        found.tracks, settings, n_jobs=n_jobs, cache_dir=cache_dir, quiet=quiet
    )
    result.n_skipped = found.n_skipped
    result.notes = list(found.notes)
    if result.features.empty:
        raise no_rows_error(found, result.errors.to_dict("records"))
    write_csv_atomic(result.table(), out)
    write_sidecars(out, settings, len(result.features), result.errors)
    return result
