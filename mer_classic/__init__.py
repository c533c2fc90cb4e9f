"""mer-classic: Music Emotion Recognition with classical machine learning.

The top-level package is light on purpose: it does not import librosa,
spotipy or matplotlib. Heavy parts are reached through their submodules
(``mer_classic.features``, ``mer_classic.fetch``, ``mer_classic.report``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("mer-classic")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "__version__",
    "load_model",
    "save_model",
]

if TYPE_CHECKING:  # pragma: no cover
    from mer_classic.persistence._files import load_model, save_model


def __getattr__(name: str) -> Any:
    # Lazy re-exports keep ``import mer_classic`` fast.
    if name in ("load_model", "save_model"):
        from mer_classic.persistence import _files

        return getattr(_files, name)
    raise AttributeError(f"module 'mer_classic' has no attribute {name!r}")
