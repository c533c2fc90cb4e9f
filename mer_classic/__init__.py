"""mer-classic: Music Emotion Recognition with classical machine learning.

The top-level package is light on purpose: it does not import librosa,
spotipy or matplotlib. Heavy parts are reached through their submodules
(``mer_classic.features``, ``mer_classic.fetch``, ``mer_classic.report``).
It is the one public home of the model files: :func:`save_model`,
:func:`load_model` and the :class:`MerModel` that ``load_model`` returns
(implemented in ``mer_classic._persistence``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from mer_classic import _moved

try:
    __version__ = version("mer-classic")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "__version__",
    "MerModel",
    "load_model",
    "save_model",
]

# model files saved by 0.1 pickle classes under their old module paths
_moved.install()

if TYPE_CHECKING:  # pragma: no cover
    from mer_classic._persistence._files import load_model, save_model
    from mer_classic._persistence._model import MerModel


def __getattr__(name: str) -> Any:
    # Lazy re-exports keep ``import mer_classic`` fast (persistence imports joblib/sklearn).
    if name in ("MerModel", "load_model", "save_model"):
        from mer_classic._persistence import _files

        return getattr(_files, name)
    raise AttributeError(f"module 'mer_classic' has no attribute {name!r}")
