"""Dynamic (2 Hz) valence/arousal: align segment features, song-held-out CV, metrics.

Per-frame annotations (DEAM, emoMusic, PMEmo: one value every 0.5 s from 15 s on)
are matched to segment-level features (``extract_features(..., segment=0.5)``: one
row per 0.5 s step, indexed by ``track_id`` and ``time``). Cross-validation holds
out whole songs (:class:`~sklearn.model_selection.GroupKFold` over track ids), so
frames of one song never sit on both sides of a split.

Two metric families are reported because papers mix them:

- *pooled*: RMSE and Pearson r over all frames of all songs at once;
- *per song*: RMSE and r computed within each song, then averaged over songs
  (r is undefined for a song whose annotation or prediction is constant; such
  songs are left out of the r average and counted).

Both are given on the dataset's own scale and rescaled to 0..1 (r does not
change under rescaling; RMSE is divided by the width of the scale).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_classic.exceptions import DataError, ParameterError

__all__ = [
    "DynamicResult",
    "read_dynamic_annotations",
    "read_segment_features",
    "align_segments",
    "smooth_curves",
    "dynamic_metrics",
    "aggregate_dynamic",
    "compare_with_static",
    "cross_validate_dynamic",
    "run_dynamic",
]

logger = logging.getLogger(__name__)

_SAMPLE = re.compile(r"^sample_(\d+)ms$")
_KEYS = ("track_id", "time")


# --------------------------------------------------------------------------- reading
def _ids(values: Any) -> list[str]:
    out = []
    for v in values:
        if isinstance(v, float | np.floating) and float(v).is_integer():
            v = int(v)
        out.append(str(v).strip())
    return out


def read_dynamic_annotations(
    source: str | os.PathLike[str] | pd.DataFrame, *, target: str | None = None
) -> pd.DataFrame:
    """Read per-frame annotations into the long form ``track_id, time, <targets>``.

    Accepted inputs: a long table (``track_id, time, valence, arousal``), PMEmo's
    ``dynamic_annotations.csv`` (``musicId, frameTime, Arousal(mean), Valence(mean)``),
    a wide DEAM/emoMusic file (``song_id, sample_15000ms, ...``; one target, named by
    ``target`` or by ``arousal``/``valence`` in the file name), or a dataset folder
    that a :mod:`mer_classic.datasets` loader with dynamic labels understands.

    Parameters
    ----------
    source : path or DataFrame
        The annotation file, folder or table.
    target : str, default=None
        Target name for a wide single-target file.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``track_id, time``; ``track_id`` as str, ``time`` in seconds.

    Examples
    --------
    >>> wide = pd.DataFrame({"song_id": [2], "sample_15000ms": [0.1],
    ...                      "sample_15500ms": [0.2]})
    >>> read_dynamic_annotations(wide, target="arousal").to_dict("list")
    {'track_id': ['2', '2'], 'time': [15.0, 15.5], 'arousal': [0.1, 0.2]}
    """
    name = "the DataFrame"
    if isinstance(source, pd.DataFrame):
        df = source.copy()
    else:
        path = Path(source)
        name = repr(str(path))
        if path.is_dir():
            return _annotations_from_folder(path)
        if not path.is_file():
            raise DataError(f"annotation file {name} does not exist; check the path")
        try:
            df = pd.read_csv(path)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DataError(f"cannot read annotations {name}: {exc}") from exc
        if target is None:
            low = path.name.lower()
            target = next((t for t in ("arousal", "valence") if t in low), None)
    df.columns = [str(c).strip() for c in df.columns]
    lower = {c.lower(): c for c in df.columns}
    samples = [c for c in df.columns if _SAMPLE.match(c)]
    if samples:
        id_col = lower.get("song_id") or lower.get("track_id") or df.columns[0]
        if target is None:
            raise DataError(
                f"{name} is a wide single-target file; pass target='valence' or "
                "'arousal'"
            )
        times = np.array([int(_SAMPLE.match(c).group(1)) / 1000 for c in samples])
        vals = df[samples].apply(pd.to_numeric, errors="coerce").to_numpy(float)
        out = pd.DataFrame(
            {
                "track_id": np.repeat(
                    np.asarray(_ids(df[id_col]), dtype=object), len(times)
                ),
                "time": np.tile(times, len(df)),
                target: vals.ravel(),
            }
        )
        out = out[np.isfinite(out[target])]
    else:
        id_col = lower.get("track_id") or lower.get("musicid") or lower.get("song_id")
        time_col = lower.get("time") or lower.get("frametime")
        if id_col is None or time_col is None:
            raise DataError(
                f"annotations {name} need track_id/musicId and time/frameTime columns "
                f"(or sample_<ms>ms columns); found {list(df.columns)[:8]}"
            )
        out = pd.DataFrame(
            {
                "track_id": _ids(df[id_col]),
                "time": df[time_col].astype(float).to_numpy(),
            }
        )
        for t in ("valence", "arousal"):
            col = lower.get(t) or lower.get(f"{t}(mean)")
            if col is not None:
                out[t] = pd.to_numeric(df[col], errors="coerce").to_numpy(float)
        if len(out.columns) == 2:
            raise DataError(
                f"annotations {name} have no valence or arousal column; found "
                f"{list(df.columns)[:8]}"
            )
    out = out.drop_duplicates(list(_KEYS)).sort_values(list(_KEYS), kind="stable")
    return out.reset_index(drop=True)


def _annotations_from_folder(path: Path) -> pd.DataFrame:
    from mer_classic.datasets import LOADERS

    errors = []
    for name in ("pmemo", "deam", "emomusic"):
        try:
            ds = LOADERS[name](path)
        except DataError as exc:
            errors.append(str(exc))
            continue
        if ds.dynamic is not None:
            return ds.dynamic.sort_values(list(_KEYS)).reset_index(drop=True)
    raise DataError(
        f"no dynamic annotations found in folder {str(path)!r}; pass the annotation "
        f"CSV itself ({'; '.join(errors)[:300]})"
    )


def read_segment_features(
    source: str | os.PathLike[str] | pd.DataFrame,
) -> pd.DataFrame:
    """Read segment-level features into a frame indexed by ``(track_id, time)``.

    Parameters
    ----------
    source : path or DataFrame
        CSV written from ``extract_features(..., segment=0.5)`` (columns or index
        ``track_id`` and ``time``), or such a DataFrame.

    Returns
    -------
    pandas.DataFrame
        Numeric feature columns only.
    """
    if isinstance(source, pd.DataFrame):
        df = source.copy()
        if any(n in _KEYS for n in (df.index.names or [])):
            df = df.reset_index()
    else:
        path = Path(source)
        if not path.is_file():
            raise DataError(
                f"features file {str(path)!r} does not exist; run extract first"
            )
        df = pd.read_csv(path)
    missing = [k for k in _KEYS if k not in df.columns]
    if missing:
        raise DataError(
            f"segment features need {list(_KEYS)} columns; missing {missing}. "
            "Extract them "
            "with segment=0.5 (one row per 0.5 s step)"
        )
    df["track_id"] = _ids(df["track_id"])
    df["time"] = df["time"].astype(float)
    df = df.drop_duplicates(list(_KEYS)).set_index(list(_KEYS)).sort_index()
    num = df.select_dtypes(include=[np.number])
    if num.shape[1] == 0:
        raise DataError("segment features have no numeric columns")
    return num.astype(float)


# --------------------------------------------------------------------------- aligning
def align_segments(
    features: pd.DataFrame,
    annotations: pd.DataFrame,
    *,
    tolerance: float = 0.25,
    time_ref: str = "center",
    segment: float | None = None,
    lag: float = 0.0,
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
    targets = [c for c in annotations.columns if c not in _KEYS]
    feats = features.reset_index()
    if segment is None:
        steps = feats.groupby("track_id")["time"].diff().dropna()
        segment = float(steps.median()) if len(steps) else 0.5
    feats["_t"] = feats["time"] + (segment / 2 if time_ref == "start" else 0.0)
    ann = annotations.copy()
    ann["track_id"] = _ids(ann["track_id"])
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
        logger.info("aligned %d of %d annotated frames", len(merged), n_ann)
    merged = merged.set_index(list(_KEYS))
    return merged[fcols], merged[targets]


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


# --------------------------------------------------------------------------- metrics
def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _width(scale: str | tuple[float, float]) -> tuple[float, float]:
    from mer_classic.labels import _bounds

    return _bounds(scale)


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
    targets = [c for c in df.columns if c not in (*_KEYS, "index")]
    g = df.groupby("track_id", sort=True)
    out = g[targets].mean()
    for t in targets:
        out[f"{t}_sd"] = g[t].std(ddof=0)
        out[f"{t}_median"] = g[t].median()
    out["n_frames"] = g.size()
    if scale is not None and {"valence", "arousal"} <= set(targets):
        from mer_classic.labels import va_to_quadrant

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
    from mer_classic.labels import rescale, va_to_quadrant

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


# --------------------------------------------------------------------------- CV
@dataclass
class DynamicResult:
    """Out-of-fold per-frame predictions and their metrics.

    Attributes
    ----------
    predictions : DataFrame
        ``(track_id, time)`` → predicted targets (smoothed when ``smooth > 0``).
    truth : DataFrame
        The aligned annotations.
    metrics : dict
        :func:`dynamic_metrics` of the first repetition, plus ``repeats`` (mean/sd
        of the headline figures over repetitions) and ``unsmoothed`` when smoothed.
    settings : dict
        Model, folds, seed, grid, smoothing, scale, alignment.
    fold_params : list of dict
        Grid choices per outer fold (first repetition).
    """

    predictions: pd.DataFrame
    truth: pd.DataFrame
    metrics: dict[str, Any]
    settings: dict[str, Any]
    fold_params: list[dict[str, Any]] = field(default_factory=list)


def _headline(m: dict[str, Any]) -> dict[str, float]:
    out = {}
    for t, blk in m["targets"].items():
        for sc in ("own", "rescaled_0_1"):
            out[f"{t}.{sc}.pooled.rmse"] = blk[sc]["pooled"]["rmse"]
            out[f"{t}.{sc}.pooled.r"] = blk[sc]["pooled"]["r"]
            out[f"{t}.{sc}.per_song.rmse_mean"] = blk[sc]["per_song"]["rmse_mean"]
            out[f"{t}.{sc}.per_song.r_mean"] = blk[sc]["per_song"]["r_mean"]
    return out


def cross_validate_dynamic(
    X: pd.DataFrame,
    Y: pd.DataFrame,
    *,
    model: Any = "svr",
    cv: int = 5,
    seed: int = 42,
    grid: bool = True,
    smooth: float = 0.0,
    scale: str | tuple[float, float] | None = None,
    repeats: int = 1,
    n_jobs: int = 1,
    quiet: bool = True,
) -> DynamicResult:
    """Song-held-out cross-validation of a frame-level regressor.

    Parameters
    ----------
    X, Y : DataFrame
        Aligned features and targets (see :func:`align_segments`).
    model : str or estimator, default='svr'
        A regression name of :data:`mer_classic.models.MODELS`, or an unfitted
        scikit-learn regressor/pipeline (used as is, without a grid).
    cv : int, default=5
        Folds of :class:`~sklearn.model_selection.GroupKFold` over track ids.
    seed : int, default=42
        Seed of the fold assignment (``seed + k`` for repetition ``k``).
    grid : bool, default=True
        Inner grouped grid search for registry models.
    smooth : float, default=0.0
        Moving-average window (s) applied to each song's predicted curve.
    scale : str or (low, high), default=None
        Scale of the annotations; inferred when None.
    repeats : int, default=1
        Repetitions with different fold assignments.
    n_jobs : int, default=1
        Parallel jobs.
    quiet : bool, default=True
        Hide progress bars.

    Returns
    -------
    DynamicResult
    """
    from mer_classic.evaluate import cross_validate_model
    from mer_classic.labels import infer_scale
    from mer_classic.models import make_pipeline, param_grid

    if scale is None:
        scale = infer_scale(Y.to_numpy(float).ravel())
    groups = pd.Series(
        np.asarray(Y.index.get_level_values("track_id"), dtype=object), index=Y.index
    )
    n_songs = groups.nunique()
    if n_songs < cv:
        raise DataError(
            f"{n_songs} song(s) cannot be split into {cv} song-held-out folds; lower cv"
        )
    targets = list(Y.columns)
    y: pd.Series | pd.DataFrame = Y if len(targets) > 1 else Y[targets[0]]
    if isinstance(model, str):
        pipe = make_pipeline(
            model, "regress", n_targets=len(targets), random_state=seed
        )
        the_grid = (
            param_grid(model, "regress", n_targets=len(targets)) if grid else None
        )
        model_name = model
    else:
        pipe, the_grid, model_name = model, None, type(model).__name__

    flat_idx = pd.RangeIndex(len(Y))
    Xf = X.reset_index(drop=True).set_axis(flat_idx)
    yf = y.reset_index(drop=True)
    gf = groups.reset_index(drop=True)
    repeat_metrics = []
    first: tuple[pd.DataFrame, pd.DataFrame, dict[str, Any], list] | None = None
    for rep in range(repeats):
        res = cross_validate_model(
            pipe,
            Xf,
            yf,
            gf,
            task="regress",
            grid=the_grid,
            cv=cv,
            repeats=1,
            seed=seed + rep,
            n_jobs=n_jobs,
            quiet=quiet,
            metrics_fn=lambda a, b: {},
        )
        pred = pd.DataFrame(
            np.asarray(res.predictions, dtype=float).reshape(len(Y), -1),
            index=Y.index,
            columns=targets,
        )
        raw = pred
        if smooth > 0:
            pred = smooth_curves(pred, smooth)
        m = dynamic_metrics(Y, pred, scale=scale)
        if smooth > 0:
            m["unsmoothed"] = dynamic_metrics(Y, raw, scale=scale)
        repeat_metrics.append(_headline(m))
        if first is None:
            first = (pred, raw, m, res.fold_params)
    assert first is not None
    pred, _raw, metrics, fold_params = first
    keys = list(repeat_metrics[0])
    metrics["repeats"] = {"n": repeats}
    for k in keys:
        vals = np.asarray([r[k] for r in repeat_metrics], dtype=float)
        metrics["repeats"][k] = {
            "mean": float(np.mean(vals)),
            "sd": float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0,
        }
    settings = {
        "model": model_name,
        "cv": cv,
        "seed": seed,
        "grid": bool(the_grid),
        "smooth_s": smooth,
        "scale": scale if isinstance(scale, str) else list(scale),
        "repeats": repeats,
        "splitter": "GroupKFold(shuffle) over track_id",
        "n_features": int(X.shape[1]),
        "n_frames": int(len(Y)),
        "n_songs": int(n_songs),
        "targets": targets,
    }
    return DynamicResult(
        predictions=pred,
        truth=Y,
        metrics=metrics,
        settings=settings,
        fold_params=fold_params,
    )


# ------------------------------------------------------------------- run + report
def _scale_label(scale: Any) -> str:
    names = {"1-9": "1..9", "-1-1": "-1..1", "0-1": "0..1"}
    return names.get(scale, str(scale)) if isinstance(scale, str) else str(scale)


def _fmt(x: Any) -> str:
    return (
        "nan"
        if x is None or (isinstance(x, float) and not np.isfinite(x))
        else f"{x:.3f}"
    )


def _report_md(
    res: DynamicResult, sources: dict[str, str], notes: Sequence[str]
) -> str:
    s, m = res.settings, res.metrics
    lines = [
        "# Dynamic valence/arousal (2 Hz), song-held-out cross-validation",
        "",
        f"- features: `{sources.get('features')}`",
        f"- annotations: `{sources.get('annotations')}`",
        f"- n = {s['n_frames']} frames of {s['n_songs']} songs; "
        f"{s['n_features']} features",
        f"- label scale: {_scale_label(s['scale'])}"
        + ("" if _scale_label(s["scale"]) == "0..1" else " (also rescaled to 0..1)"),
        f"- split: {s['cv']}-fold {s['splitter']}, seed {s['seed']}, "
        f"{s['repeats']} repetition(s); grid search: {s['grid']}",
        f"- model: {s['model']}; smoothing window: {s['smooth_s']} s",
        "",
        "Metrics: *pooled* = over all frames at once; *per song* = within each song, "
        "then averaged over songs (songs with a constant curve have no r); "
        "*song mean* = between per-song averages of the curves.",
        "",
        "| target | scale | pooled RMSE | pooled r | per-song RMSE | per-song r | "
        "song-mean RMSE | song-mean r |",
        "|---|---|---|---|---|---|---|---|",
    ]
    own_is_01 = _scale_label(s["scale"]) == "0..1"
    for t, blk in m["targets"].items():
        for sc in ("own",) if own_is_01 else ("own", "rescaled_0_1"):
            b = blk[sc]
            lines.append(
                f"| {t} | {_scale_label(s['scale']) if sc == 'own' else '0..1'} | "
                f"{_fmt(b['pooled']['rmse'])} | {_fmt(b['pooled']['r'])} | "
                f"{_fmt(b['per_song']['rmse_mean'])} ± "
                f"{_fmt(b['per_song']['rmse_sd'])} | "
                f"{_fmt(b['per_song']['r_mean'])} ± {_fmt(b['per_song']['r_sd'])} | "
                f"{_fmt(b['song_mean']['rmse'])} | {_fmt(b['song_mean']['r'])} |"
            )
    if m["repeats"]["n"] > 1:
        lines += ["", "Over repetitions (mean ± sd):", ""]
        for k, v in m["repeats"].items():
            if isinstance(v, dict) and "mean" in v:
                lines.append(f"- {k}: {_fmt(v['mean'])} ± {_fmt(v['sd'])}")
    if notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _save_final_model(
    X: pd.DataFrame,
    Y: pd.DataFrame,
    *,
    model: str,
    cv: int,
    seed: int,
    grid: bool,
    n_jobs: int,
    out: Path,
    scale: Any,
    metrics: dict[str, Any],
    feature_settings: dict[str, Any] | None,
) -> None:
    """Refit ``model`` on all frames (grid grouped by song) and save it in ``out``."""
    from mer_classic.evaluate import fit_final
    from mer_classic.models import make_pipeline, param_grid
    from mer_classic.persistence import save_model

    targets = list(Y.columns)
    y: pd.Series | pd.DataFrame = Y if len(targets) > 1 else Y[targets[0]]
    groups = pd.Series(np.asarray(Y.index.get_level_values("track_id"), dtype=object))
    pipe = make_pipeline(model, "regress", n_targets=len(targets), random_state=seed)
    the_grid = param_grid(model, "regress", n_targets=len(targets)) if grid else None
    est, best = fit_final(
        pipe,
        the_grid,
        X.reset_index(drop=True),
        y.reset_index(drop=True),
        groups,
        task="regress",
        n_splits=cv,
        seed=seed,
        n_jobs=n_jobs,
    )
    settings = dict(feature_settings or {})
    meta = {
        "model": model,
        "task": "regress",
        "target": targets,
        "scale": scale if isinstance(scale, str) else list(scale),
        "classes": None,
        "feature_names": list(X.columns),
        "best_params": best,
        "settings": {
            "model": model,
            "task": "regress",
            "dynamic": True,
            "cv": cv,
            "seed": seed,
            "grid": grid,
        },
        "metrics": _jsonable(_headline(metrics)),
        **({"feature_settings": settings} if settings else {}),
    }
    save_model(est, out, meta)


def run_dynamic(
    features_csv: str | os.PathLike[str] | pd.DataFrame,
    annotations_csv: str | os.PathLike[str] | pd.DataFrame,
    *,
    targets: Sequence[str] = ("valence", "arousal"),
    model: Any = "svr",
    cv: int = 5,
    seed: int = 42,
    grid: bool = True,
    smooth: float = 0.0,
    scale: str | None = None,
    out_dir: str | os.PathLike[str],
    quiet: bool = False,
    repeats: int = 1,
    tolerance: float = 0.25,
    time_ref: str = "center",
    lag: float = 0.0,
    n_jobs: int = 1,
    save_model: bool = False,
    feature_settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train and evaluate dynamic valence/arousal regression; write a report.

    Parameters
    ----------
    features_csv : path or DataFrame
        Segment features (``track_id, time`` + features; ``segment=0.5``).
    annotations_csv : path or DataFrame
        Per-frame annotations (any format of :func:`read_dynamic_annotations`).
    targets : sequence of str, default=('valence', 'arousal')
        Targets to model; those absent from the annotations are skipped (an error
        when none is present).
    model : str or estimator, default='svr'
        Regression model name or estimator.
    cv : int, default=5
        Song-held-out folds.
    seed : int, default=42
        Seed of the folds and the model.
    grid : bool, default=True
        Inner grid search (registry models).
    smooth : float, default=0.0
        Moving-average window (s) over each predicted curve.
    scale : str, default=None
        Annotation scale; inferred from the values when None.
    out_dir : path
        Where ``metrics.json``, ``report.md`` and ``predictions.csv`` are written
        (atomically).
    quiet : bool, default=False
        Hide progress bars.
    repeats : int, default=1
        Repetitions with other fold assignments.
    tolerance, time_ref, lag : see :func:`align_segments`.
    n_jobs : int, default=1
        Parallel jobs.
    save_model : bool, default=False
        Also refit the model on every frame (song-grouped grid) and save
        ``model.joblib`` + ``model.json`` in ``out_dir``, so ``mer-classic predict
        --segments`` draws valence/arousal curves from audio.
    feature_settings : dict, default=None
        Extraction settings to record in ``model.json`` (from the features' sidecar).

    Returns
    -------
    dict
        ``targets`` → name → ``{"own": {...}, "rescaled_0_1": {...}}`` with
        ``pooled_rmse``, ``pooled_r``, ``per_song_rmse``, ``per_song_r``; plus
        ``scale``, ``n_frames``, ``n_songs`` and ``out_dir``.
    """
    from mer_classic._io import write_csv_atomic, write_text_atomic

    feats = read_segment_features(features_csv)
    ann = read_dynamic_annotations(annotations_csv)
    wanted = [t for t in targets if t in ann.columns]
    if not wanted:
        raise DataError(
            f"annotations have none of the targets {list(targets)}; they have "
            f"{[c for c in ann.columns if c not in _KEYS]}"
        )
    notes = [
        f"target {t!r} not in the annotations: skipped"
        for t in targets
        if t not in ann.columns
    ]
    ann = ann[[*_KEYS, *wanted]].dropna(subset=wanted)
    X, Y = align_segments(feats, ann, tolerance=tolerance, time_ref=time_ref, lag=lag)
    n_ann_songs = ann["track_id"].nunique()
    n_used = Y.index.get_level_values("track_id").nunique()
    if n_used < n_ann_songs:
        notes.append(
            f"{n_ann_songs - n_used} annotated song(s) have no features: left out"
        )
    res = cross_validate_dynamic(
        X,
        Y,
        model=model,
        cv=cv,
        seed=seed,
        grid=grid,
        smooth=smooth,
        scale=scale,
        repeats=repeats,
        n_jobs=n_jobs,
        quiet=quiet,
    )
    res.settings.update({"tolerance_s": tolerance, "time_ref": time_ref, "lag_s": lag})
    out = Path(out_dir)
    sources = {
        "features": "<DataFrame>"
        if isinstance(features_csv, pd.DataFrame)
        else str(features_csv),
        "annotations": "<DataFrame>"
        if isinstance(annotations_csv, pd.DataFrame)
        else str(annotations_csv),
    }
    payload = {
        "settings": res.settings,
        "sources": sources,
        "notes": notes,
        "fold_params": res.fold_params,
        "metrics": res.metrics,
    }
    write_text_atomic(
        out / "metrics.json", json.dumps(_jsonable(payload), indent=2) + "\n"
    )
    write_text_atomic(out / "report.md", _report_md(res, sources, notes))
    table = res.truth.add_suffix("_true").join(res.predictions.add_suffix("_pred"))
    write_csv_atomic(table, out / "predictions.csv")
    if save_model and isinstance(model, str):
        _save_final_model(
            X,
            Y,
            model=model,
            cv=cv,
            seed=seed,
            grid=grid,
            n_jobs=n_jobs,
            out=out,
            scale=res.settings["scale"],
            metrics=res.metrics,
            feature_settings=feature_settings,
        )
    summary: dict[str, Any] = {
        "scale": res.settings["scale"],
        "n_frames": res.settings["n_frames"],
        "n_songs": res.settings["n_songs"],
        "out_dir": str(out),
        "notes": notes,
        "targets": {},
    }
    for t, blk in res.metrics["targets"].items():
        summary["targets"][t] = {
            sc: {
                "pooled_rmse": blk[sc]["pooled"]["rmse"],
                "pooled_r": blk[sc]["pooled"]["r"],
                "per_song_rmse": blk[sc]["per_song"]["rmse_mean"],
                "per_song_r": blk[sc]["per_song"]["r_mean"],
            }
            for sc in ("own", "rescaled_0_1")
        }
    logger.info("dynamic run written to %s", out)
    return summary
