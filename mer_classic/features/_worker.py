"""The per-file extraction worker shared by local and distributed batch runs."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from mer_classic._cache import ArrayCache, cache_key, file_digest
from mer_classic.exceptions import AudioError
from mer_classic.features._decode import check_audio_file
from mer_classic.features.audio import FeatureSettings, extract_file

__all__ = ["extract_file_cached"]

logger = logging.getLogger(__name__)


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
        unexpected failures become a reason instead of an exception.
    """
    path = Path(path)
    try:
        check_audio_file(path)  # a FIFO or a device must not be opened (hashing would)
        cache = key = None
        if cache_root is not None:
            cache = ArrayCache(cache_root)
            key = cache_key(file_digest(path), settings.to_dict())
            hit = cache.get(key)
            if hit is not None:
                return {"ok": True, "cached": True, **hit}
        times, values = extract_file(path, settings)
        times = np.empty(0) if times is None else times
        if cache is not None and key is not None:
            cache.put(key, times=times, values=values)
        return {"ok": True, "cached": False, "times": times, "values": values}
    except AudioError as exc:
        return {"ok": False, "reason": str(exc)}
    except OSError as exc:
        return {"ok": False, "reason": f"cannot read {path}: {exc.strerror or exc}"}
    except Exception as exc:  # keep the batch going; the log has the traceback
        logger.warning("unexpected failure on %s", path, exc_info=True)
        return {"ok": False, "reason": f"unexpected {type(exc).__name__}: {exc}"}
