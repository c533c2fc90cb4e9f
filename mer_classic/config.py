"""Path and default resolution, and the shared file-type defaults.

Order of precedence: explicit argument > environment variable
``MER_CLASSIC_DATA_DIR`` > ``./data`` in the current working directory.

Kept free of heavy imports: the dataset loaders and the extractor both read
:data:`AUDIO_EXTENSIONS` from here.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_dir", "reports_dir", "DEFAULT_SEED", "AUDIO_EXTENSIONS"]

DEFAULT_SEED = 42

#: File extensions treated as audio: folder discovery by the extractor and by the
#: dataset loaders, and the extractor's format check (the formats it decodes).
AUDIO_EXTENSIONS: frozenset[str] = frozenset(
    {".wav", ".mp3", ".ogg", ".oga", ".flac", ".aif", ".aiff", ".opus", ".m4a"}
)


def data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the data folder (explicit path, ``$MER_CLASSIC_DATA_DIR`` or ``./data``).

    Examples
    --------
    >>> data_dir("/tmp/x").as_posix()
    '/tmp/x'
    """
    if path is not None:
        return Path(path)
    env = os.environ.get("MER_CLASSIC_DATA_DIR")
    return Path(env) if env else Path.cwd() / "data"


def reports_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the reports folder (explicit path, ``$MER_CLASSIC_REPORTS_DIR`` or ``./reports``)."""
    if path is not None:
        return Path(path)
    env = os.environ.get("MER_CLASSIC_REPORTS_DIR")
    return Path(env) if env else Path.cwd() / "reports"
