"""Private per-file result cache, keyed on file content and settings.

Off until configured (like librosa's ``LIBROSA_CACHE_DIR``): pass a folder, or set
``MER_CLASSIC_CACHE_DIR``. Entries are ``.npz`` files written atomically, so an
interrupted run leaves only complete entries and a rerun does only what is missing.
Deleting the folder is always safe.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from mer_classic._io import atomic_path

__all__ = ["CACHE_ENV", "resolve_cache_dir", "file_digest", "cache_key", "ArrayCache"]

logger = logging.getLogger(__name__)

#: Environment variable naming a default cache folder for the library functions.
CACHE_ENV = "MER_CLASSIC_CACHE_DIR"


def resolve_cache_dir(cache_dir: str | os.PathLike[str] | None) -> Path | None:
    """Explicit folder > ``$MER_CLASSIC_CACHE_DIR`` > None (no cache).

    Examples
    --------
    >>> resolve_cache_dir("/tmp/c").as_posix()
    '/tmp/c'
    """
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else None


def file_digest(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def cache_key(digest: str, settings: dict[str, Any]) -> str:
    """Key for a (file content, settings) pair.

    Examples
    --------
    >>> cache_key("ab", {"sr": 1}) == cache_key("ab", {"sr": 1})
    True
    >>> cache_key("ab", {"sr": 1}) == cache_key("ab", {"sr": 2})
    False
    """
    blob = json.dumps(
        {"file": digest, "settings": settings}, sort_keys=True, default=str
    )
    return hashlib.sha256(blob.encode()).hexdigest()


class ArrayCache:
    """A folder of ``<key[:2]>/<key>.npz`` entries holding named arrays.

    Parameters
    ----------
    root : path-like
        The cache folder (created on first write).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npz"

    def get(
        self, key: str, *, problems: list[str] | None = None
    ) -> dict[str, np.ndarray] | None:
        """Return the stored arrays, or None when missing or unreadable.

        Why an existing entry could not be read is appended to ``problems`` when
        given (else logged as a warning).
        """
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        except Exception as exc:  # a damaged entry is recomputed, not fatal
            message = f"ignoring unreadable cache entry {path} ({exc}); recomputed"
            if problems is None:
                logger.warning("%s", message)
            else:
                problems.append(message)
            return None

    def entry_path(self, key: str) -> Path:
        """The file that holds (or would hold) the entry ``key``."""
        return self._path(key)

    def put(self, key: str, **arrays: np.ndarray) -> None:
        """Store arrays under ``key`` atomically; failures are logged, not raised."""
        path = self._path(key)
        try:
            with atomic_path(path) as tmp, open(tmp, "wb") as fh:
                np.savez(fh, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds as bool
        except OSError as exc:
            logger.warning("could not write cache entry %s (%s)", path, exc)
