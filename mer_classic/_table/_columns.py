"""The feature, target and group columns of a loaded table (steps of ``load_table``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mer_classic.exceptions import DataError

__all__ = ["groups_or_own"]


def _numeric_features(
    df: pd.DataFrame,
    reserved: set[str],
    *,
    features: Sequence[str] | None,
    name: str,
    notes: list[str],
) -> pd.DataFrame:
    """The numeric feature columns as floats, without empty or constant columns."""
    if features is not None:
        cand = [c for c in features if c not in reserved]
    else:
        cand = [c for c in df.columns if c not in reserved]
    numeric: list[str] = []
    ignored: list[str] = []
    for col in cand:
        series = df[col]
        if pd.api.types.is_bool_dtype(series):
            df[col] = series.astype(float)
            numeric.append(col)
        elif pd.api.types.is_numeric_dtype(series):
            numeric.append(col)
        else:
            ignored.append(str(col))
    if ignored:
        notes.append(
            f"ignored {len(ignored)} non-numeric column(s): {', '.join(ignored[:10])}"
            + (" ..." if len(ignored) > 10 else "")
        )
    if not numeric:
        raise DataError(
            f"{name} has no numeric feature columns besides the target/group/id; "
            "extract features first (mer-classic extract) or check --target"
        )
    X = df[numeric].astype(float)
    values = X.to_numpy()
    inf_cols = [
        c for c, bad in zip(numeric, np.isinf(values).any(axis=0), strict=False) if bad
    ]
    if inf_cols:
        raise DataError(
            f"feature column(s) {', '.join(map(repr, inf_cols[:10]))} contain infinite values; "
            "replace or drop them (NaN is allowed and imputed with the column median)"
        )
    all_nan = [c for c in numeric if X[c].isna().all()]
    if all_nan:
        notes.append(
            f"dropped {len(all_nan)} all-empty column(s): {', '.join(all_nan[:10])}"
        )
        X = X.drop(columns=all_nan)
    n_nan = int(X.isna().sum().sum())
    if n_nan:
        notes.append(
            f"{n_nan} missing feature value(s) will be imputed with the training median"
        )
    constant = [c for c in X.columns if X[c].nunique(dropna=True) <= 1]
    if constant and len(constant) < X.shape[1]:
        notes.append(
            f"dropped {len(constant)} constant column(s): {', '.join(constant[:10])}"
        )
        X = X.drop(columns=constant)
    elif constant:
        raise DataError(
            f"every feature column of {name} is constant; nothing to learn from"
        )
    return X


def _model_features(
    df: pd.DataFrame, features: list[str], *, name: str
) -> pd.DataFrame:
    """The model's feature columns as floats: every one kept, text refused."""
    bad = {}
    for col in features:
        if not pd.api.types.is_numeric_dtype(
            df[col]
        ) and not pd.api.types.is_bool_dtype(df[col]):
            wrong = pd.to_numeric(df[col], errors="coerce").isna() & df[col].notna()
            bad[col] = df.loc[wrong, col].iloc[0] if wrong.any() else None
    if bad:
        shown = ", ".join(
            f"{c!r} (e.g. {v!r})" if v is not None else repr(c)
            for c, v in list(bad.items())[:10]
        )
        raise DataError(
            f"feature column(s) of {name} are not numeric: {shown}; fix or remove "
            "those values (an empty cell is allowed and imputed)"
        )
    X = df[features].astype(float)
    inf_cols = [c for c in features if np.isinf(X[c].to_numpy()).any()]
    if inf_cols:
        raise DataError(
            f"feature column(s) {', '.join(map(repr, inf_cols[:10]))} contain infinite "
            "values; replace or drop them (NaN is allowed and imputed)"
        )
    return X


def _target_and_groups(
    df: pd.DataFrame,
    targets: list[str],
    *,
    task: str,
    group: str | None,
    one_class_ok: bool = False,
    notes: list[str],
) -> tuple[pd.Series | pd.DataFrame, pd.Series | None]:
    """``y`` (labels as text, or float values) and the groups (as text)."""
    if task == "classify":
        y: pd.Series | pd.DataFrame = df[targets[0]].astype(str)
        counts = y.value_counts()
        if len(counts) < 2 and not one_class_ok:
            raise DataError(
                f"target {targets[0]!r} has a single class ({counts.index[0]!r}); "
                "classification needs at least two"
            )
    else:
        y = (
            df[targets].astype(float)
            if len(targets) > 1
            else df[targets[0]].astype(float)
        )
    groups = None
    if group is not None:  # a row without a group value is its own group (with a note)
        groups = groups_or_own(df[group], notes=notes, what=str(group)).rename(group)
    return y, groups


def groups_or_own(
    values: pd.Series, *, notes: list[str], what: str = "artist"
) -> pd.Series:
    """Groups for grouped CV: a track without a value becomes its own group.

    The one rule for missing groups, used by :func:`load_table` (``--group``) and by
    every loader of :mod:`mer_classic.datasets`, so both name such groups and word
    the note the same way.

    Parameters
    ----------
    values : pandas.Series
        ``track_id`` → group value (artist, film...); NaN, None or blank = missing.
    notes : list of str
        The loader's notes; one is added saying how many tracks had no value.
    what : str, default="artist"
        Name of the group value, for the note.

    Returns
    -------
    pandas.Series
        ``track_id`` → group (str); a missing value gives ``"song:<track_id>"``.

    Examples
    --------
    >>> notes = []
    >>> s = pd.Series(["Ann", None, " "], index=["1", "2", "3"])
    >>> groups_or_own(s, notes=notes).tolist(), notes
    (['Ann', 'song:2', 'song:3'], ['2 track(s) without an artist: each is its own group'])
    """
    out = []
    n_missing = 0
    for i, v in values.items():
        text = "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
        if text.strip():
            out.append(text.strip())
        else:
            out.append(f"song:{i}")
            n_missing += 1
    if n_missing:
        article = "an " if what[:1].lower() in "aeiou" else "a "
        notes.append(
            f"{n_missing} track(s) without {article}{what}: each is its own group"
        )
    return pd.Series(out, index=values.index, name="group", dtype=object)
