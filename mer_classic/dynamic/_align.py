"""Aligning segment rows with 2 Hz annotations, and smoothing predicted curves."""

from __future__ import annotations

import logging

import pandas as pd

from mer_classic.dynamic._io import SEGMENT_KEYS, clean_ids
from mer_classic.exceptions import DataError, ParameterError

logger = logging.getLogger(__name__)


def align_segments(
    features: pd.DataFrame,
    annotations: pd.DataFrame,
    *,
    tolerance: float = 0.25,
    time_ref: str = "center",
    segment: float | None = None,
    lag: float = 0.0,
    notes: list[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Match each annotated frame with the nearest feature segment of its song.

    Parameters
    ----------
    features : DataFrame
        Indexed by ``(track_id, time)`` (see :func:`read_segment_features`).
    annotations : DataFrame
        Long annotations ``track_id, time, <targets>``.
    tolerance : float, default=0.25
        Largest allowed distance (s) between annotation time and segment time.
    time_ref : {'start', 'center'}, default='center'
        Whether a feature row's ``time`` is its segment's start or centre; starts
        are shifted by half a segment before matching (``extract_features``
        writes centres).
    segment : float, default=None
        Segment length (s); inferred from the median step when None.
    lag : float, default=0.0
        Annotator reaction lag (s): an annotation at ``t`` is matched with the
        audio at ``t - lag``.
    notes : list of str, default=None
        Receives a note with counts when annotated frames of songs that have
        features find no segment (times beyond the end or before the start of the
        song's features, or in a gap); logged as a warning when None.

    Returns
    -------
    X, Y : DataFrame
        Aligned features and targets, both indexed by ``(track_id, time)`` with the
        annotation's time.

    Raises
    ------
    DataError
        When no annotated frame finds a segment (ids or times do not overlap).
    """
    if time_ref not in ("start", "center"):
        raise ParameterError(f"time_ref must be 'start' or 'center'; got {time_ref!r}")
    if tolerance <= 0:
        raise ParameterError(f"tolerance must be > 0 seconds; got {tolerance}")
    targets = [c for c in annotations.columns if c not in SEGMENT_KEYS]
    keys = features.index.to_frame(index=False)
    if segment is None:
        steps = keys.groupby("track_id")["time"].diff().dropna()
        segment = float(steps.median()) if len(steps) else 0.5
    keys["_t"] = keys["time"] + (segment / 2 if time_ref == "start" else 0.0)
    # built in one piece: inserting columns into a frame read from a wide CSV (a
    # block per column) is what made pandas warn "highly fragmented"
    feats = pd.concat(
        [
            keys,
            pd.DataFrame(features.to_numpy(dtype=float), columns=features.columns),
        ],
        axis=1,
    )
    ann = annotations.copy()
    ann["track_id"] = clean_ids(ann["track_id"])
    ann["_t"] = ann["time"].astype(float) - lag
    common = sorted(set(ann["track_id"]) & set(feats["track_id"]))
    if not common:
        raise DataError(
            "no track id is both in the features and in the annotations; features have "
            f"e.g. {sorted(set(feats['track_id']))[:3]}, annotations "
            f"{sorted(set(ann['track_id']))[:3]} (file stems must equal the "
            "dataset's ids)"
        )
    pieces = []
    fcols = [c for c in features.columns]
    for tid in common:
        f = feats[feats["track_id"] == tid].sort_values("_t")
        a = ann[ann["track_id"] == tid].sort_values("_t")
        m = pd.merge_asof(
            a, f[["_t", *fcols]], on="_t", direction="nearest", tolerance=tolerance
        )
        pieces.append(m.dropna(subset=fcols, how="all"))
    merged = pd.concat(pieces, ignore_index=True)
    n_ann = int(ann["track_id"].isin(common).sum())
    if merged.empty:
        raise DataError(
            f"no annotated frame lies within {tolerance} s of a feature segment; check "
            "that the features cover the annotated times (e.g. 15-45 s)"
        )
    if len(merged) < n_ann:
        _note_unmatched(ann, feats, merged, common, tolerance=tolerance, notes=notes)
    merged = merged.set_index(list(SEGMENT_KEYS))
    return merged[fcols], merged[targets]


def _note_unmatched(
    ann: pd.DataFrame,
    feats: pd.DataFrame,
    merged: pd.DataFrame,
    common: list[str],
    *,
    tolerance: float,
    notes: list[str] | None,
) -> None:
    """Say how many annotated frames found no segment, and where they lie."""
    a = ann[ann["track_id"].isin(common)]
    span = feats.groupby("track_id")["_t"].agg(["min", "max"])
    first = a["track_id"].map(span["min"])
    last = a["track_id"].map(span["max"])
    after = int((a["_t"] > last + tolerance).sum())
    before = int((a["_t"] < first - tolerance).sum())
    n_ann, n_lost = len(a), len(a) - len(merged)
    songs = a.loc[a["_t"] > last + tolerance, "track_id"].nunique()
    parts = []
    if after:
        parts.append(
            f"{after} lie after the end of their song's features ({songs} song(s))"
        )
    if before:
        parts.append(f"{before} before their start")
    if n_lost - after - before:
        parts.append(f"{n_lost - after - before} in gaps between segments")
    message = (
        f"{n_lost} of {n_ann} annotated frame(s) have no feature segment within "
        f"{tolerance} s and are left out: {'; '.join(parts)} (are the features "
        "extracted from the whole clip, with the annotations' time unit in seconds?)"
    )
    if notes is None:
        logger.warning("%s", message)
    else:
        notes.append(message)


# --------------------------------------------------------------------------- smoothing
def smooth_curves(
    values: pd.DataFrame, window: float, *, step: float | None = None
) -> pd.DataFrame:
    """Centred moving average over ``window`` seconds, within each track.

    Parameters
    ----------
    values : DataFrame
        Indexed by ``(track_id, time)``.
    window : float
        Window length in seconds; 0 returns the input unchanged.
    step : float, default=None
        Frame step (s); inferred from the times when None.

    Examples
    --------
    >>> idx = pd.MultiIndex.from_tuples([("a", 0.0), ("a", 0.5), ("a", 1.0)],
    ...                                 names=["track_id", "time"])
    >>> v = pd.DataFrame({"v": [0.0, 3.0, 0.0]}, index=idx)
    >>> smooth_curves(v, 1.5)["v"].tolist()
    [1.5, 1.0, 1.5]
    """
    if window < 0:
        raise ParameterError(f"smoothing window must be >= 0 seconds; got {window}")
    if window == 0 or values.empty:
        return values
    if step is None:
        times = values.reset_index().groupby("track_id")["time"].diff().dropna()
        step = float(times.median()) if len(times) else 0.5
    n = max(1, int(round(window / step)))
    if n == 1:
        return values
    out = values.groupby(level="track_id", group_keys=False, sort=False).apply(
        lambda g: g.sort_index().rolling(n, center=True, min_periods=1).mean()
    )
    return out.loc[values.index]
