"""Saving and loading fitted models: ``model.joblib`` plus a ``model.json`` sidecar.

.. warning::
   A joblib file is a pickle: loading one can execute arbitrary code. Never load
   a model file from a source you do not trust. :func:`load_model` checks the
   sha256 recorded in ``model.json`` before unpickling, which detects corruption and
   accidental edits, but not a malicious pair of files.

- ``_files``: :func:`save_model` and :func:`load_model`;
- ``_model``: :class:`MerModel`, the loaded pipeline with its metadata;
- ``_checks``: what the fitted pipeline says (:func:`pipeline_feature_names`,
  :func:`pipeline_classes`, :func:`predict_only`) and the checks of ``model.json``
  against it.
"""

from __future__ import annotations

import logging

from mer_classic._persistence._checks import predict_only
from mer_classic._persistence._model import MerModel

__all__ = [
    "MerModel",
    "predict_only",
]

logger = logging.getLogger(__name__)
