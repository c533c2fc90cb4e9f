"""Path and default resolution.

Order of precedence: explicit argument > environment variable
``MER_CLASSIC_DATA_DIR`` > ``./data`` in the current working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_dir", "reports_dir", "DEFAULT_SEED"]

DEFAULT_SEED = 42


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
