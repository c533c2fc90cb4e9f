"""Prediction curves: one row per segment step of each track, and the track row.

:func:`predict_with_segments` is what :func:`mer_classic.predict.predict_audio_detailed`
runs when a curve is asked for (``segments=True``) or when the model was trained on
segments. It decodes each file once, block by block (a long file is never held whole),
extracts the clip and segment features from the same blocks, predicts
the curve, and gives each track one row: the clip-level prediction, or the mean of the
curve (:func:`aggregate_curve`) for a per-segment model.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from mer_classic._persistence._ranges import RANGE_MAX_SCORE
from mer_classic._progress import progress
from mer_classic.exceptions import AudioError
from mer_classic.features._audio import extract_file_segments
from mer_classic.labels import find_va_columns, quadrants_of_labels, va_to_quadrant

__all__ = [
    "CURVE_WINDOW",
    "aggregate_curve",
    "predict_with_segments",
    "segment_frame",
]

#: analysis window (s) of each curve point for a clip-level model: long enough for the
#: frame statistics to resemble the clip statistics the model was trained on
CURVE_WINDOW = 3.0

#: segment rows predicted at a time (a 2-hour file at 0.5 s steps has 14,400)
_ROWS = 2048


def segment_frame(
    times: np.ndarray, values: np.ndarray, clip: np.ndarray | None, settings: Any
) -> pd.DataFrame:
    """Segment rows with clip-only columns (tempo, key ...) filled from the whole clip."""

    df = pd.DataFrame(values, columns=list(settings.segment_feature_names))
    if clip is not None:
        extra = {
            n: np.full(len(df), clip[i])
            for i, n in enumerate(settings.clip_feature_names)
            if n not in df.columns
        }
        df = pd.concat([df, pd.DataFrame(extra, index=df.index)], axis=1)
    df.index = pd.Index(np.round(times + (settings.offset or 0.0), 6), name="time")
    return df


def aggregate_curve(curve: pd.DataFrame, model: Any) -> pd.Series:
    """Track-level prediction of a per-segment model: mean values / mean probabilities."""

    out: dict[str, Any] = {}
    if model.task == "classify":
        pcols = [c for c in curve.columns if c.startswith("proba_")]
        if pcols:
            means = curve[pcols].mean()
            out.update(means.to_dict())
            out["label"] = str(means.idxmax())[len("proba_") :]
        else:
            out["label"] = str(curve["label"].mode().iloc[0])
        if "quadrant" in curve.columns:
            out["quadrant"] = str(curve["quadrant"].mode().iloc[0])
        order = ["label"] + pcols + (["quadrant"] if "quadrant" in out else [])
    else:
        for t in model.targets:
            out[t] = float(curve[t].mean())
        order = list(model.targets)
        va = find_va_columns(model.targets)
        scale = model.metadata.get("scale")
        if va is not None and scale:
            out["quadrant"] = str(
                va_to_quadrant(np.array([out[va[0]]]), np.array([out[va[1]]]), scale)[0]
            )
            order.append("quadrant")
    return pd.Series({k: out[k] for k in order})


def predict_with_segments(
    model: Any,
    tracks: list[Any],
    settings: Any,
    *,
    segment: float,
    window: float | None,
    quiet: bool,
) -> tuple[list[pd.DataFrame], list[pd.DataFrame], list[dict[str, str]]]:
    """Decode each file once, block by block; clip and segment features; per-track
    and curve predictions."""

    per_segment_model = settings.segment is not None
    seg_settings = dataclasses.replace(
        settings,
        segment=settings.segment if per_segment_model else segment,
        window=window
        if window is not None
        else (settings.window if per_segment_model else CURVE_WINDOW),
    )
    rows: list[pd.DataFrame] = []
    curves: list[pd.DataFrame] = []
    errors: list[dict[str, str]] = []
    for t in progress(tracks, total=len(tracks), desc="predict", quiet=quiet):
        try:
            # one block-wise decode and analysis: segment rows and clip vector
            clip, times, values = extract_file_segments(
                t.path, seg_settings, clip=not per_segment_model
            )
        except AudioError as exc:
            errors.append(
                {"track_id": t.track_id, "path": str(t.path), "reason": str(exc)}
            )
            continue
        except OSError as exc:
            errors.append(
                {
                    "track_id": t.track_id,
                    "path": str(t.path),
                    "reason": f"cannot read {t.path}: {exc.strerror or exc}",
                }
            )
            continue
        # predicted in slices of rows: the model's working copies stay bounded;
        # the range check is per track (below), not one flag per segment
        parts, checks = [], []
        for c in range(0, max(len(times), 1), _ROWS):
            seg_X = segment_frame(
                times[c : c + _ROWS], values[c : c + _ROWS], clip, settings
            )
            parts.append(model.predict_frame(seg_X, check_range=False))
            if per_segment_model:
                checks.append(model.range_check(seg_X))
        curve = pd.concat(parts)
        del values, parts
        if model.task == "classify" and "label" in curve.columns:
            # as predict_frame on all rows: quadrants when every label maps to one
            curve = curve.drop(columns="quadrant", errors="ignore")
            q = quadrants_of_labels(curve["label"])
            if q is not None:
                curve["quadrant"] = q
        curve.index = pd.MultiIndex.from_arrays(
            [[t.track_id] * len(curve), curve.index], names=["track_id", "time"]
        )
        curves.append(curve)
        if per_segment_model:
            row = aggregate_curve(curve, model).to_frame().T
            checked = None if not checks or checks[0] is None else pd.concat(checks)
            if checked is not None:  # the track: mean over its segments
                score = float(checked["out_of_range_score"].mean())
                row["out_of_range"] = score > RANGE_MAX_SCORE
                row["out_of_range_score"] = score
                row["out_of_range_share"] = float(checked["out_of_range_share"].mean())
        else:
            cols = list(settings.clip_feature_names)
            row = model.predict_frame(
                pd.DataFrame([clip], columns=cols, index=[t.track_id])
            )
        row.index = pd.Index([t.track_id], name="track_id")
        row.insert(0, "path", str(t.path))
        rows.append(row)
    return rows, curves, errors
