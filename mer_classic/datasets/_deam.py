"""DEAM loader (Aljanaki, Yang & Soleymani 2017) in the layout its authors distribute.

Layout (``DEAM_Annotations/`` and ``DEAM_audio/``)::

    annotations/annotations averaged per song/song_level/
        static_annotations_averaged_songs_1_2000.csv     song_id, valence_mean, ...
        static_annotations_averaged_songs_2000_2058.csv  (+ *_max_mean/_min_mean)
    annotations/annotations averaged per song/dynamic (per second annotations)/
        arousal.csv, valence.csv                         song_id,sample_15000ms,...
    MEMD_audio/<song_id>.mp3
    metadata/metadata_2013.csv ... (optional: artists)

The static (and dynamic) CSVs may also sit directly in the dataset folder (a flat
copy); ``MEMD_audio/`` and ``metadata/`` may sit in it or beside it, in the folder
the user passed (e.g. ``DEAM_audio/MEMD_audio`` next to ``DEAM_Annotations``).

The static headers have a leading space after each comma (``" valence_mean"``) and
one column is called ``"valence_ max_mean"``; headers are stripped on reading.
Static values are on 1..9, the 2 Hz dynamic values on -1..1.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from mer_classic.datasets._base import (
    Dataset,
    audio_series,
    check_range,
    drop_duplicate_ids,
    groups_or_own,
    read_dataset_csv,
    require_columns,
    track_ids,
    va_labels,
)
from mer_classic.datasets._layout import Layout, scan_audio
from mer_classic.exceptions import DataError

__all__ = ["load_deam", "read_wide_dynamic", "sample_columns", "CITATION"]

logger = logging.getLogger(__name__)

CITATION = (
    "Aljanaki, A., Yang, Y.-H., & Soleymani, M. (2017). Developing a benchmark for "
    "emotional analysis of music. PLoS ONE 12(3): e0173392. "
    "doi:10.1371/journal.pone.0173392"
)
_NAME = "deam"
_SAMPLE = re.compile(r"^sample_(\d+)ms$")
_STATIC_1 = "static_annotations_averaged_songs_1_2000.csv"
_STATIC_2 = "static_annotations_averaged_songs_2000_2058.csv"
_SONG_LEVEL = "annotations/annotations averaged per song/song_level"
_DYNAMIC = "annotations/annotations averaged per song/dynamic (per second annotations)"


def sample_columns(columns: Iterable[object]) -> tuple[list[str], np.ndarray]:
    """The ``sample_<ms>ms`` columns of a wide DEAM file and their times in seconds.

    Examples
    --------
    >>> cols, times = sample_columns(["song_id", "sample_15000ms", "sample_15500ms"])
    >>> cols, times.tolist()
    (['sample_15000ms', 'sample_15500ms'], [15.0, 15.5])
    """
    matches = [m for c in columns if (m := _SAMPLE.match(str(c)))]
    return [m.string for m in matches], np.array(
        [int(m.group(1)) / 1000.0 for m in matches], dtype=float
    )


def read_wide_dynamic(path: Path, *, target: str, dataset: str) -> pd.DataFrame:
    """Read a wide 2 Hz file (``song_id, sample_15000ms, ...``) into long form.

    Parameters
    ----------
    path : pathlib.Path
        The CSV (DEAM ``arousal.csv`` or emoMusic ``arousal_cont_average.csv``).
    target : str
        Name of the value column in the result (``"valence"`` or ``"arousal"``).
    dataset : str
        Dataset name for error messages.

    Returns
    -------
    pandas.DataFrame
        Columns ``track_id, time, <target>``; empty cells (shorter songs) dropped.
    """
    df = read_dataset_csv(path, dataset=dataset)
    require_columns(df, ["song_id"], path=path, dataset=dataset)
    cols, times = sample_columns(df.columns)
    if not cols:
        raise DataError(
            f"{dataset}: {str(path)!r} has no sample_<ms>ms columns; found "
            f"{list(df.columns)[:6]}"
        )
    ids = list(track_ids(df["song_id"]))
    values = df[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    long = pd.DataFrame(
        {
            "track_id": np.repeat(np.asarray(ids, dtype=object), len(cols)),
            "time": np.tile(times, len(ids)),
            target: values.ravel(),
        }
    )
    return long[np.isfinite(long[target])].reset_index(drop=True)


def read_va_dynamic(
    layout: Layout, *, arousal: Sequence[str], valence: Sequence[str], dataset: str
) -> pd.DataFrame | None:
    """Find and merge the wide per-frame arousal and valence files (−1..1).

    ``arousal`` and ``valence`` are the files' paths relative to the dataset folder
    (:meth:`Layout.find`). Returns the long table ``track_id, time, valence,
    arousal`` (range-checked), or None when either file is absent.
    """
    a_path = layout.find(arousal)
    v_path = layout.find(valence)
    if a_path is None or v_path is None:
        return None
    dyn = read_wide_dynamic(a_path, target="arousal", dataset=dataset).merge(
        read_wide_dynamic(v_path, target="valence", dataset=dataset),
        on=["track_id", "time"],
        how="inner",
    )
    for col in ("valence", "arousal"):
        check_range(dyn[col], "-1-1", dataset=dataset, what=f"dynamic {col}")
    dyn = dyn[["track_id", "time", "valence", "arousal"]]
    return dyn.sort_values(["track_id", "time"], kind="stable").reset_index(drop=True)


def _artists(layout: Layout) -> dict[str, str]:
    """Best-effort artist lookup from DEAM's metadata_20xx.csv files."""
    out: dict[str, str] = {}
    for name in ("metadata_2013.csv", "metadata_2014.csv", "metadata_2015.csv"):
        p = layout.find([f"metadata/{name}", name], beside=True)
        if p is None:
            continue
        try:
            df = read_dataset_csv(p, dataset=_NAME, sep=None, engine="python")
        except DataError as exc:  # pragma: no cover - malformed optional file
            logger.warning("%s", exc)
            continue
        lower = {c.lower(): c for c in df.columns}
        id_col = lower.get("song_id") or lower.get("id")
        art = lower.get("artist")
        if id_col is None or art is None:
            continue
        for i, a in zip(track_ids(df[id_col]), df[art], strict=True):
            if isinstance(a, str) and a.strip():
                out.setdefault(i, a.strip())
    return out


def load_deam(root: str | os.PathLike[str]) -> Dataset:
    """Load a DEAM folder as distributed (annotations, optional audio).

    Parameters
    ----------
    root : path
        The unpacked annotation archive (``DEAM_Annotations``, or a folder with
        the static CSVs), the folder directly above it (which may also hold
        ``DEAM_audio/MEMD_audio`` and ``metadata/``), or the first static CSV
        itself. Nothing deeper than one folder level is searched.

    Returns
    -------
    Dataset
        Static valence/arousal on 1..9 (both static files concatenated), dynamic
        2 Hz labels on -1..1 when ``arousal.csv`` and ``valence.csv`` are present,
        artist groups when the metadata files are there (else one group per song).

    Raises
    ------
    DataError
        When ``static_annotations_averaged_songs_1_2000.csv`` is missing or lacks
        ``song_id``/``valence_mean``/``arousal_mean``.
    """
    hint = (
        "download DEAM_Annotations.zip from cvml.unige.ch/databases/DEAM/ and unpack it"
    )
    layout = Layout(root, _NAME, hint=hint)
    notes: list[str] = []
    first = layout.find_home([f"{_SONG_LEVEL}/{_STATIC_1}", _STATIC_1])
    parts = []
    cols = ("song_id", "valence_mean", "arousal_mean")
    df = read_dataset_csv(first, dataset=_NAME)
    require_columns(df, cols, path=first, dataset=_NAME)
    parts.append(df[list(cols)])
    second = layout.find([f"{_SONG_LEVEL}/{_STATIC_2}", _STATIC_2])
    if second is not None:
        df2 = read_dataset_csv(second, dataset=_NAME)
        require_columns(df2, cols, path=second, dataset=_NAME)
        parts.append(df2[list(cols)])
    else:
        notes.append(f"{_STATIC_2} not found")
    static = pd.concat(parts, ignore_index=True)
    static.index = track_ids(static["song_id"])
    static = drop_duplicate_ids(
        static, dataset=_NAME, notes=notes, label_cols=("valence_mean", "arousal_mean")
    )
    check_range(static["valence_mean"], "1-9", dataset=_NAME, what="static valence")
    check_range(static["arousal_mean"], "1-9", dataset=_NAME, what="static arousal")
    labels = va_labels(
        static.index, static["valence_mean"], static["arousal_mean"], "1-9"
    )

    dynamic = read_va_dynamic(
        layout,
        arousal=[f"{_DYNAMIC}/arousal.csv", "arousal.csv"],
        valence=[f"{_DYNAMIC}/valence.csv", "valence.csv"],
        dataset=_NAME,
    )
    if dynamic is None:
        notes.append("dynamic arousal.csv/valence.csv not found: no dynamic labels")

    audio_dir = layout.find(
        ["MEMD_audio", "DEAM_audio/MEMD_audio"], kind="dir", beside=True
    )
    audio = audio_series(labels.index, scan_audio(audio_dir), dataset=_NAME)

    artists = _artists(layout)
    kind = "artist" if artists else "song"
    if artists:
        groups = groups_or_own(
            pd.Series([artists.get(i) for i in labels.index], index=labels.index),
            notes=notes,
        )
    else:  # every song is its own group
        groups = pd.Series(
            [f"song:{i}" for i in labels.index],
            index=labels.index,
            name="group",
            dtype=object,
        )
        notes.append("no metadata_20xx.csv with artists: one group per song")
    base = layout.home

    return Dataset(
        name=_NAME,
        root=base,
        labels=labels,
        audio=audio,
        dynamic=dynamic,
        groups=groups,
        meta={
            "task": "regress",
            "targets": ["valence", "arousal"],
            "scale": "1-9",
            "dynamic_scale": "-1-1",
            "group_kind": kind,
            "citation": CITATION,
            "url": "https://cvml.unige.ch/databases/DEAM/",
            "terms": "audio CC-licensed (FMA, Jamendo, MedleyDB); cite the paper",
            "audio_hint": "unpack DEAM_audio.zip (MEMD_audio/) into the folder",
            "files": layout.used(),
            "notes": notes,
        },
    )
