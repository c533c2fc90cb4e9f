"""Pooled and per-song metrics; dynamic → static summaries."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from mer_classic.dynamic._io import SEGMENT_KEYS
from mer_classic.exceptions import DataError
from mer_classic.labels import rescale, scale_bounds, va_to_quadrant

logger = logging.getLogger(__name__)


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _width(scale: str | tuple[float, float]) -> tuple[float, float]:

    return scale_bounds(scale)


def _block(
    t: np.ndarray, p: np.ndarray, ids: np.ndarray, width: float
) -> dict[str, Any]:
    err = p - t
    pooled = {
        "rmse": float(np.sqrt(np.mean(err**2))) / width,
        "r": _pearson(t, p),
    }
    rmses, rs = [], []
    for tid in pd.unique(ids):
        m = ids == tid
        rmses.append(float(np.sqrt(np.mean(err[m] ** 2))) / width)
        rs.append(_pearson(t[m], p[m]))
    rs_arr = np.asarray(rs, dtype=float)
    ok = np.isfinite(rs_arr)
    per_song = {
        "rmse_mean": float(np.mean(rmses)),
        "rmse_sd": float(np.std(rmses, ddof=1)) if len(rmses) > 1 else 0.0,
        "r_mean": float(np.mean(rs_arr[ok])) if ok.any() else float("nan"),
        "r_sd": float(np.std(rs_arr[ok], ddof=1)) if ok.sum() > 1 else 0.0,
        "n_songs": len(rmses),
        "n_songs_r_undefined": int((~ok).sum()),
    }
    song = pd.DataFrame({"id": ids, "t": t, "p": p}).groupby("id", sort=False).mean()
    song_mean = {
        "rmse": float(np.sqrt(np.mean((song["p"] - song["t"]) ** 2))) / width,
        "r": _pearson(song["t"].to_numpy(), song["p"].to_numpy()),
    }
    return {"pooled": pooled, "per_song": per_song, "song_mean": song_mean}


def dynamic_metrics(
    y_true: pd.DataFrame, y_pred: pd.DataFrame, *, scale: str | tuple[float, float]
) -> dict[str, Any]:
    """RMSE and Pearson r pooled over frames and per song, on two scales.

    Parameters
    ----------
    y_true, y_pred : DataFrame
        Same index ``(track_id, time)`` and target columns.
    scale : str or (low, high)
        The annotations' scale (``'-1..1'``, ``'0..1'``, ``'1-9'``).

    Returns
    -------
    dict
        ``targets`` → name → ``own`` / ``rescaled_0_1`` → ``pooled`` (rmse, r),
        ``per_song`` (rmse_mean/sd, r_mean/sd, n_songs, n_songs_r_undefined) and
        ``song_mean`` (RMSE and r between per-song means of the curves); plus
        ``scale``, ``n_frames`` and ``n_songs``.

    Examples
    --------
    >>> idx = pd.MultiIndex.from_product([["a", "b"], [0.0, 0.5]],
    ...                                  names=["track_id", "time"])
    >>> t = pd.DataFrame({"valence": [0.0, 0.2, 0.4, 0.6]}, index=idx)
    >>> m = dynamic_metrics(t, t + 0.1, scale="-1..1")
    >>> round(m["targets"]["valence"]["own"]["pooled"]["rmse"], 3)
    0.1
    >>> round(m["targets"]["valence"]["rescaled_0_1"]["pooled"]["rmse"], 3)
    0.05
    """
    lo, hi = _width(scale)
    if not y_true.index.equals(y_pred.index):
        y_pred = y_pred.reindex(y_true.index)
    ids = np.asarray(y_true.index.get_level_values("track_id"), dtype=object)
    out: dict[str, Any] = {
        "scale": scale if isinstance(scale, str) else list(scale),
        "n_frames": int(len(y_true)),
        "n_songs": int(pd.unique(ids).size),
        "targets": {},
    }
    for col in y_true.columns:
        t = y_true[col].to_numpy(float)
        p = y_pred[col].to_numpy(float)
        ok = np.isfinite(t) & np.isfinite(p)
        out["targets"][str(col)] = {
            "own": _block(t[ok], p[ok], ids[ok], 1.0),
            "rescaled_0_1": _block(t[ok], p[ok], ids[ok], hi - lo),
        }
    return out


def aggregate_dynamic(
    curves: pd.DataFrame, *, scale: str | tuple[float, float] | None = None
) -> pd.DataFrame:
    """Summarise per-frame predictions into one static row per track.

    Parameters
    ----------
    curves : DataFrame
        Indexed by ``(track_id, time)`` (or with those columns), one column per
        target.
    scale : str or (low, high), default=None
        Scale of the values; when given with both valence and arousal, a ``quadrant``
        column is added (:func:`mer_classic.labels.va_to_quadrant`).

    Returns
    -------
    DataFrame
        Indexed by ``track_id``: ``<target>`` (mean over frames), ``<target>_sd``,
        ``<target>_median``, ``n_frames`` (and ``quadrant``).

    Examples
    --------
    >>> c = pd.DataFrame({"track_id": ["a", "a"], "time": [0.0, 0.5],
    ...                   "valence": [0.2, 0.4], "arousal": [0.9, 0.7]})
    >>> s = aggregate_dynamic(c, scale="0-1")
    >>> s.loc["a", ["valence", "arousal"]].round(2).tolist(), s.loc["a", "quadrant"]
    ([0.3, 0.8], 'Q2')
    """
    df = curves.reset_index() if "track_id" not in curves.columns else curves.copy()
    targets = [c for c in df.columns if c not in (*SEGMENT_KEYS, "index")]
    g = df.groupby("track_id", sort=True)
    out = g[targets].mean()
    for t in targets:
        out[f"{t}_sd"] = g[t].std(ddof=0)
        out[f"{t}_median"] = g[t].median()
    out["n_frames"] = g.size()
    if scale is not None and {"valence", "arousal"} <= set(targets):
        out["quadrant"] = va_to_quadrant(out["valence"], out["arousal"], scale=scale)
    out.index.name = "track_id"
    return out


def compare_with_static(
    summary: pd.DataFrame,
    static: pd.DataFrame,
    *,
    summary_scale: str | tuple[float, float],
    static_scale: str | tuple[float, float],
) -> dict[str, Any]:
    """Compare per-track averages of dynamic curves with the static labels.

    Dynamic and static annotations often use different scales (DEAM and emoMusic:
    -1..1 per frame, 1..9 per song), so both are rescaled to 0..1 first.

    Parameters
    ----------
    summary : DataFrame
        :func:`aggregate_dynamic` output (``valence``/``arousal`` per track).
    static : DataFrame
        Static labels indexed by track id (e.g. ``Dataset.labels``).
    summary_scale, static_scale : str or (low, high)
        Scales of the two tables.

    Returns
    -------
    dict
        ``n`` (tracks in both) and, per target present in both, ``rmse_0_1`` and
        Pearson ``r``; plus ``quadrant_agreement`` when both targets are present.

    Examples
    --------
    >>> s = pd.DataFrame({"valence": [-0.5, 0.5]}, index=["a", "b"])
    >>> st = pd.DataFrame({"valence": [3.0, 7.0]}, index=["a", "b"])
    >>> c = compare_with_static(s, st, summary_scale="-1..1", static_scale="1-9")
    >>> c["n"], round(c["targets"]["valence"]["rmse_0_1"], 6)
    (2, 0.0)
    """

    ids = summary.index.astype(str).intersection(static.index.astype(str))
    if len(ids) == 0:
        raise DataError("no track is both in the dynamic summary and the static labels")
    a = summary.set_axis(summary.index.astype(str)).loc[ids]
    b = static.set_axis(static.index.astype(str)).loc[ids]
    out: dict[str, Any] = {"n": len(ids), "targets": {}}
    both = [t for t in ("valence", "arousal") if t in a.columns and t in b.columns]
    if not both:
        raise DataError("neither valence nor arousal is in both tables")
    scaled = {}
    for t in both:
        pa = rescale(a[t].to_numpy(float), summary_scale, "0-1")
        pb = rescale(b[t].to_numpy(float), static_scale, "0-1")
        scaled[t] = (pa, pb)
        out["targets"][t] = {
            "rmse_0_1": float(np.sqrt(np.mean((pa - pb) ** 2))),
            "r": _pearson(pa, pb),
        }
    if len(both) == 2:
        qa = va_to_quadrant(scaled["valence"][0], scaled["arousal"][0], scale="0-1")
        qb = va_to_quadrant(scaled["valence"][1], scaled["arousal"][1], scale="0-1")
        out["quadrant_agreement"] = float(np.mean(qa == qb))
    return out
