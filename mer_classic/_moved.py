"""Old import paths of classes that saved models pickle, so model files from 0.1 still load.

A pickle records each class by module path (``mer_classic.transformers.ColumnSelector``).
Issue 18 moved those classes behind their faces; a model saved before the move asks
for the old path. :class:`MovedModules` (installed once on ``sys.meta_path`` by
``mer_classic/__init__.py``) answers exactly the paths in :data:`MOVED`: the old
module becomes a thin alias whose attributes are those of the new module, so
``joblib.load`` and :func:`mer_classic.load_model` get the very same classes
(``isinstance`` checks keep working). No other name is touched, and the alias is
created only when something imports the old path.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Sequence

#: old module path (as pickled by mer-classic 0.1) → the module that now holds its classes
MOVED: dict[str, str] = {
    "mer_classic.transformers": "mer_classic.features._transformers",
    "mer_classic.samplers": "mer_classic._samplers",
}


class MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Find the modules of :data:`MOVED` and load each as an alias of its new home."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def exec_module(self, module: types.ModuleType) -> None:
        new_home = importlib.import_module(MOVED[module.__name__])
        module.__doc__ = f"Moved to {new_home.__name__} (kept so old model files load)."

        def __getattr__(name: str) -> object:
            return getattr(new_home, name)

        module.__getattr__ = __getattr__  # type: ignore[method-assign]


def install() -> None:
    """Put one :class:`MovedModules` on ``sys.meta_path`` (idempotent)."""
    if not any(isinstance(f, MovedModules) for f in sys.meta_path):
        sys.meta_path.append(MovedModules())
