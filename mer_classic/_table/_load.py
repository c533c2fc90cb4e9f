"""``load_table``: from a CSV (or DataFrame) to a :class:`Table` a model can fit.

It validates the columns, removes duplicate rows (with a note), drops constant and
non-numeric columns (with a note) and refuses what cannot be used (missing targets,
infinite values, a single class) with a message that says what to do.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mer_classic._table._columns import (
    _model_features,
    _numeric_features,
    _target_and_groups,
)
from mer_classic._table._read import (
    _refuse_duplicates,
    drop_saved_index,
    fingerprint,
    read_csv,
)
from mer_classic.exceptions import DataError, ParameterError

__all__ = ["Table", "load_table", "TASKS"]

TASKS = ("classify", "regress")


@dataclass
class Table:
    """Features, targets and groups of one dataset.

    Attributes
    ----------
    X : DataFrame
        Numeric features, indexed by track id.
    y : Series or DataFrame
        Class labels (classification) or one column per target (regression).
    groups : Series or None
        Group of each row (artist, song, film) for grouped splits.
    meta : dict
        ``source``, ``task``, ``target``, ``group``, ``n_rows_read``, ``notes`` (what was
        dropped and why) and ``fingerprint`` (sha256 of the rows used).
    """

    X: pd.DataFrame
    y: pd.Series | pd.DataFrame
    groups: pd.Series | None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def targets(self) -> list[str]:
        """Names of the target columns."""
        return (
            list(self.y.columns)
            if isinstance(self.y, pd.DataFrame)
            else [str(self.y.name)]
        )

    def __len__(self) -> int:
        return len(self.X)


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _require_columns(
    df: pd.DataFrame, cols: Sequence[str], what: str, source: str
) -> None:
    missing = [c for c in cols if c not in df.columns]
    if len(missing) > 10:
        raise DataError(
            f"{len(missing)} {what} columns are not in {source} (e.g. "
            f"{', '.join(map(repr, missing[:5]))}); the table does not have the columns "
            "the model was trained with (audio features come from `mer-classic extract`)"
        )
    if missing:
        shown = ", ".join(map(str, df.columns[:30])) + (
            " ..." if df.shape[1] > 30 else ""
        )
        raise DataError(
            f"{what} column(s) {', '.join(map(repr, missing))} not found in {source}; "
            f"available columns: {shown}"
        )


def load_table(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    target: str | Sequence[str],
    task: str = "classify",
    group: str | None = None,
    id: str | None = None,  # noqa: A002 - mirrors the CLI option --id
    exclude: Sequence[str] = (),
    features: Sequence[str] | None = None,
    dedupe: bool = True,
    name: str | None = None,
    purpose: str = "train",
) -> Table:
    """Load a feature table for training or evaluation.

    Parameters
    ----------
    source : path or DataFrame
        A CSV file (one row per track) or a DataFrame.
    target : str or list of str
        Label column (classification) or value columns (regression).
    task : {'classify', 'regress'}, default='classify'
        Classification of moods/quadrants or regression of valence/arousal.
    group : str, default=None
        Column giving each row's group (artist, song) for grouped splits.
    id : str, default=None
        Column with track ids; used as the index and for de-duplication.
    exclude : list of str, default=()
        Numeric columns that must not be used as features (e.g. other ratings).
    features : list of str, default=None
        Use exactly these feature columns (others are ignored).
    dedupe : bool, default=True
        Remove duplicate rows (same id, or identical rows when no id is given).
        Rows that share an id but disagree on the target raise a DataError.
    name : str, default=None
        How messages and ``meta["source"]`` name a DataFrame source.
    purpose : {'train', 'score'}, default='train'
        ``'score'`` loads a table that a fitted model is scored on (``evaluate``,
        ``train --test``): it needs ``features``, keeps them all (constant and empty
        ones too), refuses a non-numeric feature value instead of ignoring the
        column, and accepts a single row or a single class.

    Returns
    -------
    Table

    Examples
    --------
    >>> df = pd.DataFrame({"id": list("abcdd"), "f1": [1.0, 2, 3, 4, 4],
    ...                    "mood": ["x", "y", "x", "y", "y"]})
    >>> t = load_table(df, target="mood", id="id")
    >>> len(t), t.meta["notes"][0]
    (4, "removed 1 duplicate row(s) with the same 'id'")
    """
    if task not in TASKS:
        raise ParameterError(f"task must be one of {TASKS}; got {task!r}")
    if purpose not in ("train", "score") or (purpose == "score" and features is None):
        raise ParameterError(
            f"purpose must be 'train' or 'score' (with features); got {purpose!r}"
        )
    label = name
    name = (
        (repr(label) if label else "the DataFrame")
        if isinstance(source, pd.DataFrame)
        else repr(str(source))
    )
    notes: list[str] = []
    if isinstance(source, pd.DataFrame):
        df, note = drop_saved_index(source.copy(), name)
        notes += [note] if note else []
    else:
        df = read_csv(source, text_columns=(id, group), notes=notes)
    targets = _check_columns(
        df,
        name,
        target=target,
        task=task,
        group=group,
        id=id,
        exclude=exclude,
        features=features,
    )
    n_read = len(df)
    df = _clean_targets(df, targets, task=task, name=name, notes=notes)
    df = _drop_duplicates(df, targets, id=id, dedupe=dedupe, notes=notes)
    df = _index_by_id(df, id)
    reserved = set(targets) | set(exclude) | {c for c in (group, id) if c is not None}
    if purpose == "score":
        X = _model_features(df, list(features or []), name=name)
    else:
        X = _numeric_features(df, reserved, features=features, name=name, notes=notes)
    y, groups = _target_and_groups(
        df,
        targets,
        task=task,
        group=group,
        one_class_ok=purpose == "score",
        notes=notes,
    )
    used = pd.concat([X, y], axis=1)
    meta = {
        "source": str(source)
        if not isinstance(source, pd.DataFrame)
        else (label or "<DataFrame>"),
        "task": task,
        "target": targets if task == "regress" else targets[0],
        "group": group,
        "id": id,
        "n_rows_read": n_read,
        "n_rows": len(X),
        "n_features": X.shape[1],
        "notes": notes,
        "fingerprint": fingerprint(used),
    }
    return Table(X=X, y=y, groups=groups, meta=meta)


def _check_columns(
    df: pd.DataFrame,
    name: str,
    *,
    target: str | Sequence[str],
    task: str,
    group: str | None,
    id: str | None,  # noqa: A002 - mirrors the CLI option --id
    exclude: Sequence[str],
    features: Sequence[str] | None,
) -> list[str]:
    """Refuse an empty table or missing columns; return the target column names."""
    if df.empty:
        raise DataError(f"{name} has no rows")
    _refuse_duplicates(df, None, name)
    targets = _as_list(target)
    if not targets:
        raise ParameterError("at least one target column is needed (--target)")
    if task == "classify" and len(targets) > 1:
        raise ParameterError(
            f"classification takes one target column; got {targets}. "
            "Use --task regress for several value columns"
        )
    _require_columns(df, targets, "target", name)
    if group is not None:
        _require_columns(df, [group], "group", name)
    if id is not None:
        _require_columns(df, [id], "id", name)
        if id in targets:
            raise ParameterError(
                f"--id {id!r} is also the target column; the id column names each "
                "track (e.g. track_id) and must be another column than --target"
            )
    if group is not None and group in targets:
        raise ParameterError(
            f"--group {group!r} is also the target column; give the column that "
            "groups the rows (artist, album, song) as --group"
        )
    _require_columns(df, list(exclude), "excluded", name)
    if features is not None:
        _require_columns(df, list(features), "feature", name)
    return targets


def _clean_targets(
    df: pd.DataFrame, targets: list[str], *, task: str, name: str, notes: list[str]
) -> pd.DataFrame:
    """Numeric regression targets; rows without a target value are dropped."""
    if task == "regress":
        for col in targets:
            converted = pd.to_numeric(df[col], errors="coerce")
            bad = converted.isna() & df[col].notna()
            if bad.any():
                example = df.loc[bad, col].iloc[0]
                raise DataError(
                    f"regression target {col!r} must be numeric; found {int(bad.sum())} "
                    f"non-numeric value(s) such as {example!r}. Use --task classify for labels"
                )
            infinite = np.isinf(converted.to_numpy(dtype=float, na_value=np.nan))
            if infinite.any():
                example = str(df.loc[infinite, col].iloc[0])
                raise DataError(
                    f"regression target {col!r} of {name} has {int(infinite.sum())} "
                    f"infinite value(s) such as {example!r}; replace them with a "
                    "finite value or leave the cell empty (rows without a target "
                    "are dropped)"
                )
            df[col] = converted
    missing_target = df[targets].isna().any(axis=1)
    if missing_target.any():
        notes.append(f"dropped {int(missing_target.sum())} row(s) with no target value")
        df = df.loc[~missing_target]
    if df.empty:
        raise DataError(f"no rows of {name} have a value in {targets}")
    return df


def _drop_duplicates(
    df: pd.DataFrame,
    targets: list[str],
    *,
    id: str | None,  # noqa: A002 - mirrors the CLI option --id
    dedupe: bool,
    notes: list[str],
) -> pd.DataFrame:
    """Remove duplicate rows (same id, or identical rows); refuse conflicting labels."""
    if dedupe:
        if id is not None:
            if df[id].isna().any():
                raise DataError(
                    f"id column {id!r} has {int(df[id].isna().sum())} empty value(s)"
                )
            n_labels = (
                df.groupby(id, sort=False)[targets].nunique(dropna=False).max(axis=1)
            )
            conflicting = n_labels[n_labels > 1]
            if len(conflicting):
                shown = ", ".join(map(str, conflicting.index[:5]))
                raise DataError(
                    f"{len(conflicting)} id(s) appear with different {targets} values "
                    f"(e.g. {shown}); fix or remove the conflicting rows"
                )
            dup = df.duplicated(subset=[id], keep="first")
            if dup.any():
                notes.append(
                    f"removed {int(dup.sum())} duplicate row(s) with the same {id!r}"
                )
                df = df.loc[~dup]
        else:
            dup = df.duplicated(keep="first")
            if dup.any():
                notes.append(f"removed {int(dup.sum())} exact duplicate row(s)")
                df = df.loc[~dup]
    elif id is not None and df[id].duplicated().any():
        notes.append("duplicate ids kept (dedupe=False)")
    return df


def _index_by_id(df: pd.DataFrame, id: str | None) -> pd.DataFrame:  # noqa: A002
    """Index by the id column (as text), or a fresh range index."""
    if id is not None:
        df = df.set_index(id, drop=False)
        df.index = df.index.astype(str)
        df.index.name = id
    else:
        df = df.reset_index(drop=True)
    return df
