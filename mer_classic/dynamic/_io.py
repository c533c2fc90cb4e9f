"""Reading per-frame annotations and segment features."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_classic._table import read_csv
from mer_classic.datasets import LOADERS
from mer_classic.datasets._deam import sample_columns
from mer_classic.exceptions import DataError

logger = logging.getLogger(__name__)


#: index columns of per-frame annotations and segment features
SEGMENT_KEYS = ("track_id", "time")


def clean_ids(values: Any) -> list[str]:
    """Track ids as stripped strings (``12.0`` → ``"12"``), so tables join on them."""
    out = []
    for v in values:
        if isinstance(v, float | np.floating) and float(v).is_integer():
            v = int(v)
        out.append(str(v).strip())
    return out


def _numbers(values: pd.Series, *, name: str, column: str, what: str) -> np.ndarray:
    """``values`` as floats; text or an infinite value is a DataError naming them.

    Empty cells become NaN (a frame without a rating); the caller decides whether
    that is allowed.
    """
    converted = pd.to_numeric(values, errors="coerce")
    text = converted.isna() & values.notna() & (values.astype(str).str.strip() != "")
    if text.any():
        raise DataError(
            f"{name}: column {column!r} must hold {what}; found "
            f"{int(text.sum())} text value(s) such as {values[text].iloc[0]!r} "
            f"(row {int(np.flatnonzero(text.to_numpy())[0]) + 2} of the file). Write "
            "plain numbers (seconds for times, e.g. 15.5)"
        )
    out = converted.to_numpy(dtype=float, na_value=np.nan)
    infinite = np.isinf(out)
    if infinite.any():
        raise DataError(
            f"{name}: column {column!r} has {int(infinite.sum())} "
            f"infinite value(s) such as {str(values[infinite].iloc[0])!r} (row "
            f"{int(np.flatnonzero(infinite)[0]) + 2} of the file); replace them with "
            "finite numbers or leave the cells empty"
        )
    return out


def _note(notes: list[str] | None, message: str) -> None:
    if notes is None:
        logger.warning("%s", message)
    else:
        notes.append(message)


def _average_repeats(
    out: pd.DataFrame, *, name: str, notes: list[str] | None
) -> pd.DataFrame:
    """One row per (track, time): repeated frames are averaged, with a note."""
    keys = list(SEGMENT_KEYS)
    repeated = out.duplicated(keys, keep=False)
    if not repeated.any():
        return out
    targets = [c for c in out.columns if c not in keys]
    rep = out[repeated]
    differ = rep.groupby(keys, sort=False)[targets].nunique(dropna=True).max(axis=1) > 1
    n_frames = int(rep.groupby(keys, sort=False).ngroups)
    n_rows = int(repeated.sum())
    merged = out.groupby(keys, sort=False, as_index=False)[targets].mean()
    _note(
        notes,
        f"{name}: {n_frames} (track, time) frame(s) appear more than "
        f"once ({n_rows} rows); {int(differ.sum())} of them with different values. "
        "Each frame's values are averaged (the mean of its rows)",
    )
    return merged


def read_dynamic_annotations(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    target: str | None = None,
    notes: list[str] | None = None,
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
    notes : list of str, default=None
        Receives a note when a (track, time) frame appears more than once (its
        values are averaged); logged as a warning when None.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``track_id, time``; ``track_id`` as str, ``time`` in seconds.

    Raises
    ------
    DataError
        When a time is missing or not a number (``15.5s``), or a rating is text or
        infinite: the message names the file, the column and the value.

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
        df = read_csv(path, what="annotation file", text_columns=("musicId", "song_id"))
        if target is None:
            low = path.name.lower()
            target = next((t for t in ("arousal", "valence") if t in low), None)
    df.columns = [str(c).strip() for c in df.columns]
    src = (
        "the annotation DataFrame"
        if name == "the DataFrame"
        else f"annotation file {name}"
    )
    lower = {c.lower(): c for c in df.columns}
    samples, times = sample_columns(df.columns)
    if samples:
        id_col = lower.get("song_id") or lower.get("track_id") or df.columns[0]
        if target is None:
            raise DataError(
                f"{name} is a wide single-target file; pass target='valence' or "
                "'arousal'"
            )
        vals = np.column_stack(
            [_numbers(df[c], name=src, column=str(c), what="ratings") for c in samples]
        )
        out = pd.DataFrame(
            {
                "track_id": np.repeat(
                    np.asarray(clean_ids(df[id_col]), dtype=object), len(times)
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
        times = _numbers(df[time_col], name=src, column=time_col, what="times")
        if np.isnan(times).any():
            raise DataError(
                f"{src}: column {time_col!r} is empty in "
                f"{int(np.isnan(times).sum())} row(s) (first: row "
                f"{int(np.flatnonzero(np.isnan(times))[0]) + 2} of the file); every "
                "annotated frame needs its time in seconds"
            )
        out = pd.DataFrame({"track_id": clean_ids(df[id_col]), "time": times})
        for t in ("valence", "arousal"):
            col = lower.get(t) or lower.get(f"{t}(mean)")
            if col is not None:
                out[t] = _numbers(df[col], name=src, column=col, what="ratings")
        if len(out.columns) == 2:
            raise DataError(
                f"annotations {name} have no valence or arousal column; found "
                f"{list(df.columns)[:8]}"
            )
    out = _average_repeats(out, name=src, notes=notes)
    out = out.sort_values(list(SEGMENT_KEYS), kind="stable")
    return out.reset_index(drop=True)


def _annotations_from_folder(path: Path) -> pd.DataFrame:

    errors = []
    for name in ("pmemo", "deam", "emomusic"):
        try:
            ds = LOADERS[name](path)
        except DataError as exc:
            errors.append(str(exc))
            continue
        if ds.dynamic is not None:
            return ds.dynamic.sort_values(list(SEGMENT_KEYS)).reset_index(drop=True)
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
        if any(n in SEGMENT_KEYS for n in (df.index.names or [])):
            df = df.reset_index()
    else:
        df = read_csv(
            source,
            what="features file",
            missing_hint="run `mer-classic extract --segment 0.5` first",
        )
    missing = [k for k in SEGMENT_KEYS if k not in df.columns]
    if missing:
        raise DataError(
            f"segment features need {list(SEGMENT_KEYS)} columns; missing {missing}. "
            "Extract them "
            "with segment=0.5 (one row per 0.5 s step)"
        )
    df["track_id"] = clean_ids(df["track_id"])
    df["time"] = df["time"].astype(float)
    df = (
        df.drop_duplicates(list(SEGMENT_KEYS))
        .set_index(list(SEGMENT_KEYS))
        .sort_index()
    )
    num = df.select_dtypes(include=[np.number])
    if num.shape[1] == 0:
        raise DataError("segment features have no numeric columns")
    # one float block (read_csv gives a block per column: a fragmented frame)
    return pd.DataFrame(num.to_numpy(dtype=float), index=num.index, columns=num.columns)
