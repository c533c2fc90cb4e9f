"""Feature tables: read a CSV (or DataFrame) into features, targets and groups.

This is the single entry point from "a table on disk" to "arrays a model can
fit": it validates the columns, removes duplicate rows (with a note), drops
constant and non-numeric columns (with a note) and refuses what cannot be used
(missing targets, infinite values, a single class) with a message that says what
to do.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import os
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_classic._io import unescape_formulas
from mer_classic.exceptions import DataError, ParameterError

__all__ = [
    "Table",
    "load_table",
    "read_csv",
    "csv_path",
    "csv_errors",
    "checked_read",
    "fingerprint",
    "groups_or_own",
    "TASKS",
]

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


def csv_path(
    path: str | os.PathLike[str],
    *,
    what: str = "data file",
    missing_hint: str = "check the path",
) -> Path:
    """``path`` as a Path, or a DataError when it is missing or a folder."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"{what} {str(p)!r} does not exist; {missing_hint}")
    if p.is_dir():
        raise DataError(f"{str(p)!r} is a folder; pass a CSV file (e.g. features.csv)")
    return p


@contextlib.contextmanager
def csv_errors(p: Path, *, what: str = "data file") -> Iterator[None]:
    """Turn pandas' errors for an empty or unparsable CSV into a DataError."""
    try:
        yield
    except pd.errors.EmptyDataError as exc:
        raise DataError(
            f"{what} {str(p)!r} is empty; it needs a header and rows"
        ) from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(
            f"cannot parse {what} {str(p)!r} as CSV: {str(exc).strip()}"
            f"{_delimiter_hint(p)}"
        ) from exc


def _delimiter_hint(p: Path) -> str:
    """A hint when the first line of ``p`` is separated by ``;`` or tabs, else ''."""
    try:
        with open(p, encoding="utf-8", errors="replace") as fh:
            first = fh.readline(65536)
    except OSError:  # pragma: no cover - it was just read
        return ""
    for sep, name in ((";", "semicolon"), ("\t", "tab")):
        if first.count(sep) > first.count(","):
            return (
                f". It looks {name}-separated (header {first.strip()[:60]!r}); "
                "mer-classic reads comma-separated files: save it with commas, e.g. "
                f"pandas.read_csv(path, sep={sep!r}).to_csv(new_path, index=False)"
            )
    return ""


_RENAMED = re.compile(r"(?P<base>.+)\.\d+")


def _duplicate_columns(df: pd.DataFrame, p: Path | None) -> list[str]:
    """Column names that occur more than once in ``df`` or in the header of ``p``.

    pandas renames a repeated ``x`` to ``x.1`` while reading; the file's own header
    is read only when such a name is present.
    """
    names = [str(c) for c in df.columns]
    dups = [c for c, n in Counter(names).items() if n > 1]
    renamed = any((m := _RENAMED.fullmatch(c)) and m["base"] in names for c in names)
    if p is not None and renamed:
        with open(p, newline="", encoding="utf-8", errors="replace") as fh:
            header = next(csv.reader(fh), [])
        dups += [c for c, n in Counter(header).items() if n > 1 and c not in dups]
    return dups


def checked_read(
    df: pd.DataFrame, p: Path | None = None, *, what: str = "data file"
) -> pd.DataFrame:
    """Check a table just read from ``p`` and undo our spreadsheet escaping.

    Refuses duplicate column names (naming them) and a file that has a single
    column because it is separated by ``;`` or tabs; text cells written with a
    leading ``'`` by mer-classic get their value back
    (:func:`mer_classic._io.unescape_formulas`). Every reader of tables applies it.
    """
    source = f"{what} {str(p)!r}" if p is not None else what
    if p is not None and df.shape[1] == 1:
        hint = _delimiter_hint(p)
        if hint:
            raise DataError(f"{source} has a single column{hint}")
    _refuse_duplicates(df, p, source)
    return unescape_formulas(df)


def _refuse_duplicates(df: pd.DataFrame, p: Path | None, source: str) -> None:
    dups = _duplicate_columns(df, p)
    if dups:
        raise DataError(
            f"{source} has duplicate column name(s) {', '.join(map(repr, dups[:10]))}; "
            "each column needs its own name (rename or drop the copies)"
        )


def read_csv(
    path: str | os.PathLike[str],
    *,
    what: str = "data file",
    missing_hint: str = "check the path",
    **kwargs: Any,
) -> pd.DataFrame:
    """Read a CSV file with clear errors for a missing, empty or unreadable file.

    ``what`` names the file in messages; ``kwargs`` go to :func:`pandas.read_csv`.
    The table is checked by :func:`checked_read` (duplicate column names, a ``;``
    separator, our spreadsheet escaping).
    """
    p = csv_path(path, what=what, missing_hint=missing_hint)
    with csv_errors(p, what=what):
        df = pd.read_csv(p, **kwargs)
    df = checked_read(df, p, what=what)
    if df.empty:
        raise DataError(f"{what} {str(p)!r} has a header but no rows")
    return df


def fingerprint(df: pd.DataFrame) -> str:
    """Return a sha256 of a DataFrame's values and column names (order-sensitive)."""
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, df.columns)).encode())
    h.update(pd.util.hash_pandas_object(df, index=True).values.tobytes())
    return h.hexdigest()


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
    df = source.copy() if isinstance(source, pd.DataFrame) else read_csv(source)
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
    notes: list[str] = []
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
