"""The per-file extraction worker shared by local and distributed batch runs."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from mer_classic._cache import ArrayCache, cache_key, file_digest
from mer_classic.exceptions import AudioError
from mer_classic.features._audio import FeatureSettings, extract_file
from mer_classic.features._decode import check_audio_file

__all__ = ["extract_file_cached"]

logger = logging.getLogger(__name__)


def _damage(entry: dict[str, np.ndarray], settings: FeatureSettings) -> str | None:
    """Why a cache entry cannot be what ``extract_file`` returns, or None when sound.

    The key covers the file and the settings, so a sound entry has exactly
    ``len(settings.feature_names)`` finite values per row (one row per clip, or one
    per segment time); anything else was damaged on disk or written by other code.
    """
    if "values" not in entry or "times" not in entry:
        return f"arrays {sorted(entry)} instead of ['times', 'values']"
    values, times = entry["values"], entry["times"]
    n = len(settings.feature_names)
    if values.dtype.kind not in "fiu" or times.dtype.kind not in "fiu":
        return f"non-numeric arrays ({values.dtype}, {times.dtype})"
    if settings.segment is None:
        if values.shape != (n,):
            return f"shape {values.shape} instead of ({n},)"
    elif values.ndim != 2 or values.shape[1] != n or times.shape != values.shape[:1]:
        return f"shapes {values.shape}/{times.shape} instead of (rows, {n})/(rows,)"
    bad = int(values.size - np.isfinite(values).sum())
    if bad or not np.isfinite(times).all():
        return f"{bad} non-finite value(s)" if bad else "non-finite times"
    return None


def extract_file_cached(
    path: str | os.PathLike[str],
    settings: FeatureSettings,
    cache_root: str | None,
) -> dict[str, Any]:
    """Extract one file's features through the per-file cache; never raise for it.

    The per-file worker of every batch run (``_batch._results``): in this process,
    in local processes or as one Dask task per file.

    Parameters
    ----------
    path : path
        Audio file.
    settings : FeatureSettings
        Validated extraction settings (part of the cache key).
    cache_root : str or None
        Cache folder (see :func:`mer_classic._cache.resolve_cache_dir`), or ``None``
        for no cache.

    Returns
    -------
    dict
        ``{"ok": True, "cached": bool, "times": ndarray, "values": ndarray}`` on
        success (``times`` is empty for clip-level features), else
        ``{"ok": False, "reason": str}``: unreadable or undecodable files and
        unexpected failures become a reason instead of an exception. A computed
        result carries ``"warnings"``: why a cache entry was not used (unreadable,
        or damaged: wrong shape, missing arrays, non-finite values, see
        :func:`_damage`), which the batch logs in the calling process.
    """
    path = Path(path)
    cache_notes: list[str] = []
    try:
        check_audio_file(path)  # a FIFO or a device must not be opened (hashing would)
        cache = key = None
        if cache_root is not None:
            cache = ArrayCache(cache_root)
            key = cache_key(file_digest(path), settings.to_dict())
            hit = cache.get(key, problems=cache_notes)
            problem = None if hit is None else _damage(hit, settings)
            if hit is not None and problem is None:
                return {"ok": True, "cached": True, **hit}
            if problem is not None:
                cache_notes.append(
                    f"ignoring damaged cache entry {cache.entry_path(key)} "
                    f"({problem}); recomputed"
                )
        times, values = extract_file(path, settings)
        times = np.empty(0) if times is None else times
        if cache is not None and key is not None:
            cache.put(key, times=times, values=values)
        return {
            "ok": True,
            "cached": False,
            "times": times,
            "values": values,
            "warnings": cache_notes,
        }
    except AudioError as exc:
        return {"ok": False, "reason": str(exc)}
    except OSError as exc:
        return {"ok": False, "reason": f"cannot read {path}: {exc.strerror or exc}"}
    except Exception as exc:  # keep the batch going; the log has the traceback
        logger.warning("unexpected failure on %s", path, exc_info=True)
        return {"ok": False, "reason": f"unexpected {type(exc).__name__}: {exc}"}
