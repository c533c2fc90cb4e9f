"""Writing and reading the model files: ``save_model`` and ``load_model``."""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Any

from mer_classic._io import atomic_path, json_text, write_text_atomic
from mer_classic._persistence._checks import (
    FORMAT,
    META_FILE,
    MODEL_FILE,
    _fitted_facts,
    _with_selector,
    pipeline_classes,
    pipeline_feature_names,
)
from mer_classic._persistence._model import MerModel
from mer_classic.exceptions import ModelFileError, VersionMismatchWarning

__all__ = ["save_model", "load_model"]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _versions() -> dict[str, str]:
    # installed distribution versions, read without importing the packages
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for key, dist in (
        ("mer_classic", "mer-classic"),
        ("sklearn", "scikit-learn"),
        ("imblearn", "imbalanced-learn"),
        ("joblib", "joblib"),
        ("numpy", "numpy"),
        ("pandas", "pandas"),
    ):
        try:
            out[key] = version(dist)
        except PackageNotFoundError:  # pragma: no cover - source tree without install
            out[key] = "unknown"
    return out


def save_model(
    estimator: Any, directory: str | os.PathLike[str], metadata: dict[str, Any]
) -> Path:
    """Write ``model.joblib`` and ``model.json`` (with versions and sha256) into ``directory``.

    The saved pipeline is predict-only (:func:`predict_only`) and starts with a
    :class:`~mer_classic.features.ColumnSelector`, so
    ``joblib.load(path).predict(df)`` picks the feature columns from ``df`` by name.
    ``feature_names`` and ``classes`` in ``model.json`` are read from the fitted
    estimator; ``metadata`` that disagrees with it is refused. Both files are written
    to temporary names first and renamed, so an interrupted save never leaves a
    half-written model.

    Raises
    ------
    ModelFileError
        ``metadata`` disagrees with the fitted estimator, or the estimator records no
        feature names and ``metadata`` gives none.
    """
    import joblib

    meta = dict(metadata)
    names = pipeline_feature_names(estimator)
    if names is None:
        names = [str(n) for n in meta.get("feature_names") or []]
        if not names:
            raise ModelFileError(
                "cannot save a model without feature names: fit it on a DataFrame or "
                "give metadata['feature_names']"
            )
    to_save = _with_selector(estimator, names)
    _fitted_facts(to_save, meta, "metadata", "")
    meta["feature_names"] = names
    classes = pipeline_classes(to_save)
    if classes is not None:
        meta["classes"] = classes
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    with atomic_path(d / MODEL_FILE) as tmp:
        joblib.dump(to_save, tmp, compress=3)
        digest = _sha256(tmp)
    meta.update(
        {
            "format": FORMAT,
            "versions": _versions(),
            "sha256": digest,
            "model_file": MODEL_FILE,
        }
    )
    write_text_atomic(d / META_FILE, json_text(meta))
    return d


def _resolve(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    p = Path(path)
    if p.is_dir():
        return p / MODEL_FILE, p / META_FILE
    if p.suffix == ".json":
        return p.with_name(MODEL_FILE), p
    return p, p.with_name(META_FILE)


def load_model(
    path: str | os.PathLike[str], *, check_versions: bool = True
) -> MerModel:
    """Load a model saved by ``mer-classic train`` (a run folder or its ``model.joblib``).

    Never load model files from untrusted sources: unpickling can execute code.

    Parameters
    ----------
    path : path
        The run folder, its ``model.joblib`` or its ``model.json``.
    check_versions : bool, default=True
        Warn (:class:`VersionMismatchWarning`) when the saving versions differ.

    Returns
    -------
    MerModel

    Raises
    ------
    ModelFileError
        Missing files, a sidecar that is not ours, a hash mismatch, an object that is
        not a fitted model, or a ``model.json`` whose ``feature_names``, ``classes``,
        ``task`` or ``target`` disagree with the fitted pipeline (the pipeline is the
        truth: a tampered or mismatched sidecar is never trusted).
    """
    import joblib

    if not Path(path).exists():
        raise ModelFileError(
            f"no model at {str(path)!r}: the path does not exist; give the run folder "
            "written by `mer-classic train` (or its model.joblib)"
        )
    model_file, meta_file = _resolve(path)
    if not model_file.exists():
        raise ModelFileError(
            f"no model at {str(path)!r}: expected {model_file.name} (train one with "
            "`mer-classic train`)"
        )
    if not meta_file.exists():
        raise ModelFileError(
            f"{str(model_file)!r} has no {META_FILE} beside it; it was not saved by mer-classic"
        )
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{str(meta_file)!r} is not valid JSON: {exc}") from exc
    except OSError as exc:  # a folder named model.json, no read permission
        raise ModelFileError(f"cannot read {str(meta_file)!r}: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(
            f"{str(meta_file)!r} is not a mer-classic model description (format "
            f"{meta.get('format') if isinstance(meta, dict) else None!r}, expected {FORMAT!r})"
        )
    digest = _sha256(model_file)
    if digest != meta.get("sha256"):
        raise ModelFileError(
            f"{str(model_file)!r} does not match the sha256 in {meta_file.name} (file corrupted "
            "or replaced); retrain or restore the original file"
        )
    if check_versions:
        saved = meta.get("versions")
        saved = saved if isinstance(saved, dict) else {}
        now = _versions()
        diff = {
            k: (saved.get(k), v)
            for k, v in now.items()
            if k in ("mer_classic", "sklearn", "imblearn") and saved.get(k) != v
        }
        if diff:
            detail = ", ".join(f"{k} {a} → {b}" for k, (a, b) in diff.items())
            warnings.warn(
                f"model saved with other library versions ({detail}); predictions may differ. "
                "Retrain to be safe",
                VersionMismatchWarning,
                stacklevel=2,
            )
    try:
        pipeline = joblib.load(model_file)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad model file
        raise ModelFileError(f"cannot load {str(model_file)!r}: {exc}") from exc
    if not (hasattr(pipeline, "predict") and hasattr(pipeline, "get_params")):
        raise ModelFileError(
            f"{str(model_file)!r} holds a {type(pipeline).__module__}."
            f"{type(pipeline).__name__}, not a fitted scikit-learn model; it was not "
            "written by mer-classic: retrain with `mer-classic train`"
        )
    _fitted_facts(
        pipeline,
        meta,
        META_FILE,
        " — the files do not belong together; re-save the model "
        "(`mer-classic train`) or restore the original pair",
    )
    return MerModel(pipeline=pipeline, metadata=meta, path=model_file.parent)
