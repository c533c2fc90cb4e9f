"""The loader template shared by every published-dataset layout.

Every loader is a function ``load_<name>(root) -> Dataset``. It finds the files of
the layout the authors distribute under ``root`` (searching sub-folders, so both
at the folder given or one folder directly inside it, so both the archive's top
folder and the folder above it work, and never deeper), validates them, and fills
one :class:`Dataset`. The helpers here do the searching (:class:`Layout`), the
column checks, the groups and the de-duplication so that every loader behaves and
words its messages the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_classic._table._columns import groups_or_own
from mer_classic._table._read import csv_errors
from mer_classic.exceptions import DataError
from mer_classic.labels import scale_bounds, va_to_quadrant

__all__ = [
    "Dataset",
    "audio_series",
    "check_range",
    "clean_str",
    "drop_duplicate_ids",
    "groups_or_own",
    "read_dataset_csv",
    "require_columns",
    "track_ids",
    "va_labels",
]

logger = logging.getLogger(__name__)


@dataclass
class Dataset:
    """One published dataset, loaded from its folder as distributed.

    Attributes
    ----------
    name : str
        Registry name of the loader (``"pmemo"``, ``"deam"``...).
    root : pathlib.Path or None
        Folder the data was read from (None for bundled data).
    labels : pandas.DataFrame
        Static labels indexed by ``track_id`` (str). Valence/arousal datasets have
        ``valence`` and ``arousal`` on ``meta["scale"]`` plus a derived ``quadrant``;
        class datasets have ``label`` (and ``quadrant`` when it maps to one).
    audio : pandas.Series or None
        ``track_id`` → path of the audio files that exist on disk (a subset of
        ``labels.index``; empty when the folder holds annotations only). None for
        tables without audio (Spotify attribute tables).
    dynamic : pandas.DataFrame or None
        Long table ``track_id, time, valence, arousal`` (time in seconds, values
        on ``meta["dynamic_scale"]``) when the dataset has per-frame annotations.
    groups : pandas.Series or None
        ``track_id`` → group (artist, song or film; ``meta["group_kind"]``) for
        grouped cross-validation.
    features : pandas.DataFrame or None
        Features the table itself carries (Spotify attributes, Soundtracks'
        librosa means), indexed by ``track_id``.
    meta : dict
        ``scale``, ``dynamic_scale``, ``task`` (``"regress"`` or ``"classify"``),
        ``targets``, ``group_kind``, ``citation``, ``url``, ``terms`` and ``notes``
        (what was removed or assumed while loading).
    """

    name: str
    root: Path | None
    labels: pd.DataFrame
    audio: pd.Series | None = None
    dynamic: pd.DataFrame | None = None
    groups: pd.Series | None = None
    features: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.labels) == 0:  # e.g. an annotation file with a header only
            raise DataError(
                f"{self.name}: no labelled track in {self.root}; its annotation "
                "file has no usable row. Is the folder complete, as distributed?"
            )

    def __len__(self) -> int:
        return len(self.labels)

    def __repr__(self) -> str:
        n_audio = "-" if self.audio is None else str(len(self.audio))
        n_dyn = "-" if self.dynamic is None else str(self.dynamic["track_id"].nunique())
        return (
            f"Dataset(name={self.name!r}, n={len(self.labels)}, audio={n_audio}, "
            f"dynamic_songs={n_dyn}, task={self.meta.get('task')!r}, "
            f"scale={self.meta.get('scale')!r})"
        )

    @property
    def n_audio(self) -> int:
        """Number of tracks whose audio file exists (0 when there is no audio)."""
        return 0 if self.audio is None else len(self.audio)

    def with_audio(self) -> Dataset:
        """Return a copy restricted to the tracks whose audio file exists.

        Raises
        ------
        DataError
            When no audio file was found.
        """
        if self.audio is None or len(self.audio) == 0:
            raise DataError(
                f"dataset {self.name!r} at {self.root} has no audio files; "
                f"{self.meta.get('audio_hint', 'download the audio into the folder')}"
            )
        ids = self.labels.index.intersection(self.audio.index)
        dyn = self.dynamic
        if dyn is not None:
            dyn = dyn[dyn["track_id"].isin(ids)].reset_index(drop=True)
        return Dataset(
            name=self.name,
            root=self.root,
            labels=self.labels.loc[ids],
            audio=self.audio.loc[ids],
            dynamic=dyn,
            groups=None if self.groups is None else self.groups.loc[ids],
            features=None if self.features is None else self.features.loc[ids],
            meta=dict(self.meta),
        )


# --------------------------------------------------------------------------- helpers
#: id columns of the published layouts, read as text (``007`` stays ``007``)
ID_COLUMNS = frozenset({"song_id", "musicId", "track_id", "id", "excerpt_id"})


def read_dataset_csv(path: Path, *, dataset: str, **kwargs: Any) -> pd.DataFrame:
    """Read a CSV and strip whitespace from the headers; id columns as text.

    An empty or unparsable file is a :class:`DataError` from the same wording as
    every other table mer-classic reads (:func:`mer_classic._table._read.csv_errors`:
    "is empty", "cannot parse ... as CSV", with a hint for ``;`` or tab files).
    """
    with csv_errors(Path(path), what=f"{dataset} file"):
        if kwargs.get("dtype") is None or isinstance(kwargs["dtype"], dict):
            header = pd.read_csv(path, nrows=0, **{**kwargs, "dtype": None})
            ids = {c: str for c in header.columns if str(c).strip() in ID_COLUMNS}
            kwargs["dtype"] = {**ids, **(kwargs.get("dtype") or {})}
        df = pd.read_csv(path, **kwargs)
    df.columns = [str(c).strip() for c in df.columns]
    return df


def require_columns(
    df: pd.DataFrame, columns: Iterable[str], *, path: Path | str, dataset: str
) -> None:
    """Raise a :class:`DataError` naming the ``columns`` that ``df`` lacks."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(
            f"{dataset}: {str(path)!r} lacks column(s) {missing}; found "
            f"{list(df.columns)[:12]}; is this the file as distributed?"
        )


def clean_str(values: Iterable[Any]) -> list[str]:
    """Strip the tabs/spaces some distributions put around every cell."""
    return [str(v).strip() for v in values]


def track_ids(values: Iterable[Any]) -> pd.Index:
    """Track ids as strings ('2' not '2.0')."""
    out = []
    for v in values:
        if isinstance(v, float | np.floating) and float(v).is_integer():
            v = int(v)
        out.append(str(v).strip())
    return pd.Index(out, name="track_id", dtype=object)


def drop_duplicate_ids(
    df: pd.DataFrame, *, dataset: str, notes: list[str], label_cols: Sequence[str] = ()
) -> pd.DataFrame:
    """Drop repeated track ids (index); conflicting labels drop the id entirely."""
    dup = df.index.duplicated(keep="first")
    if not dup.any():
        return df
    n_rows = int(dup.sum())
    conflicting: list[str] = []
    if label_cols:
        nun = df[list(label_cols)].groupby(level=0).nunique(dropna=False).max(axis=1)
        conflicting = [str(i) for i in nun[nun > 1].index]
    out = df[~dup]
    notes.append(
        f"{n_rows} duplicate row(s) of {int(df.index[dup].nunique())} track id(s) "
        "removed "
        "(kept the first)"
    )
    if conflicting:
        out = out.drop(index=conflicting)
        notes.append(
            f"{len(conflicting)} track id(s) with conflicting labels dropped: "
            f"{conflicting[:5]}"
        )
    logger.info("%s: %s", dataset, "; ".join(notes[-2:]))
    return out


def audio_series(
    ids: Iterable[str], candidates: Mapping[str, Path | None], *, dataset: str
) -> pd.Series:
    """``track_id`` → existing audio path, for the ids that have a file."""
    data = {i: str(candidates[i]) for i in ids if candidates.get(i) is not None}
    s = pd.Series(data, dtype=object, name="path")
    s.index = pd.Index(list(data), name="track_id", dtype=object)
    logger.debug("%s: %d audio file(s) found", dataset, len(s))
    return s


def va_labels(ids: pd.Index, valence: Any, arousal: Any, scale: str) -> pd.DataFrame:
    """``valence``, ``arousal`` and ``quadrant`` (NaN where either value is missing)."""

    labels = pd.DataFrame(
        {
            "valence": np.asarray(valence, dtype=float),
            "arousal": np.asarray(arousal, dtype=float),
        },
        index=ids,
    )
    ok = labels[["valence", "arousal"]].notna().all(axis=1)
    quad = pd.Series(np.nan, index=ids, dtype=object)
    if ok.any():
        quad[ok] = va_to_quadrant(
            labels.loc[ok, "valence"], labels.loc[ok, "arousal"], scale=scale
        )
    labels["quadrant"] = quad
    return labels


def check_range(
    values: pd.Series | np.ndarray, scale: str, *, dataset: str, what: str
) -> None:
    """Raise a :class:`DataError` when ``values`` are not numbers on ``scale``."""

    lo, hi = scale_bounds(scale)
    raw = pd.Series(np.asarray(values).ravel())
    num = pd.to_numeric(raw, errors="coerce")
    text = raw[num.isna() & raw.notna()]
    if len(text):
        raise DataError(
            f"{dataset}: {what} holds {len(text)} value(s) that are not numbers "
            f"(first: {text.iloc[0]!r}); is this the file as distributed?"
        )
    arr = num.to_numpy(dtype=float)
    infinite = np.isinf(arr)
    if infinite.any():
        raise DataError(
            f"{dataset}: {what} holds {int(infinite.sum())} infinite value(s) (first: "
            f"{str(raw[infinite].iloc[0])!r}); is this the file as distributed?"
        )
    arr = arr[np.isfinite(arr)]
    if arr.size and (arr.min() < lo - 1e-9 or arr.max() > hi + 1e-9):
        raise DataError(
            f"{dataset}: {what} span [{arr.min():g}, {arr.max():g}], outside the "
            f"documented {scale} scale; is this the original (not rescaled) file?"
        )
