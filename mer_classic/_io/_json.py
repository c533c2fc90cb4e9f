"""The one JSON encoder: :func:`json_text`."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

__all__ = ["json_text"]


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer | np.floating):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)  # paths, estimators and other objects: their text


def json_text(obj: Any) -> str:
    """``obj`` as indented JSON text ending in a newline: the one JSON encoder.

    Every JSON file mer-classic writes (``metrics.json``, ``run.json``, ``model.json``,
    the dynamic run's files) goes through this. numpy scalars and arrays become
    numbers and lists, anything else unknown (paths, estimators) its ``str``.
    Non-finite floats are written as Python's ``json`` writes them, ``NaN`` and
    ``Infinity``, so a metric that is undefined reads back as a float ``nan``, not
    as ``None``.

    Examples
    --------
    >>> print(json_text({"r": float("nan"), "n": np.int64(3)}), end="")
    {
      "r": NaN,
      "n": 3
    }
    """
    return json.dumps(obj, indent=2, default=_json_default, allow_nan=True) + "\n"
