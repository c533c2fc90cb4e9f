"""PMEmo 2019 loader (Zhang et al., ICMR 2018) in the layouts its authors publish.

Release layout (``PMEmo2019/``, the Google-Drive download)::

    metadata.csv                       musicId,fileName,title,artist,album,duration,
                                       chorus_start_time,chorus_end_time
    annotations/static_annotations.csv musicId,Arousal(mean),Valence(mean)   (0..1)
    annotations/dynamic_annotations.csv musicId,frameTime,Arousal(mean),Valence(mean)
    chorus/<musicId>.mp3

Demo-page layout (``docs/data/samples/`` of github.com/HuiZhangDB/PMEmo)::

    index.json                         the songs shown on the page
    <musicId>.json                     id, title, artist, valence_mean, arousal_mean,
                                       dynamic {t, v, a} (2 Hz)
    <musicId>.mp3                      chorus clip
    scatter.json                       (optional) id, title, artist, v, a of all songs
    static_annotations.csv             (optional) the release's static file; also
                                       accepted as static_annotations_test.csv

In the demo layout the static labels come from the static CSV when it is there,
else from ``scatter.json``, else from the per-song JSON files. Values are on 0..1
for both the static and the 2 Hz dynamic annotations.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path
from typing import Any

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

__all__ = ["load_pmemo", "CITATION"]

CITATION = (
    "Zhang, K., Zhang, H., Li, S., Yang, C., & Sun, L. (2018). The PMEmo Dataset for "
    "Music Emotion Recognition. ICMR '18, 135-142. doi:10.1145/3206025.3206037"
)
_NAME = "pmemo"
_STATIC_COLS = ("musicId", "Arousal(mean)", "Valence(mean)")
_DYN_COLS = ("musicId", "frameTime", "Arousal(mean)", "Valence(mean)")


_RELEASE = ("annotations/static_annotations.csv", "metadata.csv")
_DEMO = "index.json"
#: (static, metadata with musicId/artist/title/fileName, dynamic or None, audio map)
_Tables = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None, dict[str, Path]]


def _release_tables(layout: Layout, static_path: Path, notes: list[str]) -> _Tables:
    """The PMEmo2019 release: metadata.csv, annotations/*.csv, chorus/."""
    static = read_dataset_csv(static_path, dataset=_NAME)
    meta_path = layout.home / "metadata.csv"  # part of the layout's marker
    meta_df = read_dataset_csv(meta_path, dataset=_NAME)
    require_columns(meta_df, ("musicId", "artist"), path=meta_path, dataset=_NAME)
    dyn_path = layout.find(["annotations/dynamic_annotations.csv"])
    dyn = None
    if dyn_path is not None:
        dyn = read_dataset_csv(dyn_path, dataset=_NAME)
        require_columns(dyn, _DYN_COLS, path=dyn_path, dataset=_NAME)
    else:
        notes.append("dynamic_annotations.csv not found: no dynamic labels")
    chorus = layout.find(["chorus"], kind="dir")
    found = scan_audio(chorus)
    if chorus is not None and "fileName" in meta_df.columns:
        for mid, fname in zip(
            track_ids(meta_df["musicId"]), meta_df["fileName"], strict=True
        ):
            p = chorus / str(fname).strip()
            if p.is_file():
                found[mid] = p
    return static, meta_df, dyn, found


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{_NAME}: cannot read {str(path)!r}: {exc}") from exc


def _demo_tables(layout: Layout, notes: list[str]) -> _Tables:
    """The demo-page layout: one JSON per song (+ scatter.json, static CSV)."""
    songs = []
    for path in sorted(layout.home.glob("*.json")):
        if path.stem.isdigit():
            j = _json(layout.use(path))
            if not isinstance(j, dict) or "id" not in j:
                raise DataError(f"{_NAME}: {str(path)!r} has no song 'id'")
            songs.append(j)
    if not songs:
        raise DataError(
            f"{_NAME}: {str(layout.home)!r} has index.json but no <musicId>.json "
            "song files; pass the demo folder (docs/data/samples) as published"
        )
    meta_rows = {
        str(j["id"]): {
            "musicId": j["id"],
            "title": j.get("title"),
            "artist": j.get("artist"),
            "fileName": f"{j['id']}.mp3",
        }
        for j in songs
    }
    scatter_path = layout.find(["scatter.json"])
    scatter = [] if scatter_path is None else _json(scatter_path)
    for s in scatter:  # artists and titles of every song
        meta_rows.setdefault(
            str(s["id"]),
            {"musicId": s["id"], "title": s.get("title"), "artist": s.get("artist")},
        )
    meta_df = pd.DataFrame(list(meta_rows.values()))

    static_path = layout.find(
        ["static_annotations.csv", "static_annotations_test.csv"],
        what="static annotations CSV",
    )
    if static_path is not None:
        static = read_dataset_csv(static_path, dataset=_NAME)
        src = static_path.name
    elif scatter:
        static = pd.DataFrame(
            {
                "musicId": [s["id"] for s in scatter],
                "Arousal(mean)": [s.get("a") for s in scatter],
                "Valence(mean)": [s.get("v") for s in scatter],
            }
        )
        src = "scatter.json (values rounded to 3 decimals)"
    else:
        static = pd.DataFrame(
            {
                "musicId": [j["id"] for j in songs],
                "Arousal(mean)": [j.get("arousal_mean") for j in songs],
                "Valence(mean)": [j.get("valence_mean") for j in songs],
            }
        )
        src = "the per-song JSON files"
    notes.append(f"PMEmo demo-page layout: static labels from {src}")

    dyn_rows = []
    for j in songs:
        d = j.get("dynamic")
        d = ast.literal_eval(d) if isinstance(d, str) else d
        if isinstance(d, dict):
            for t, v, a in zip(d["t"], d["v"], d["a"], strict=False):
                dyn_rows.append((j["id"], t, a, v))
    dyn = pd.DataFrame(dyn_rows, columns=list(_DYN_COLS)) if dyn_rows else None
    if dyn is None:
        notes.append("no dynamic values in the song JSON files: no dynamic labels")
    return static, meta_df, dyn, scan_audio(layout.home, depth=0)


def load_pmemo(root: str | os.PathLike[str]) -> Dataset:
    """Load a PMEmo 2019 folder as distributed.

    Parameters
    ----------
    root : path
        The ``PMEmo2019`` folder, the folder directly above it, the demo-page
        folder, or the layout's main file (``static_annotations.csv``,
        ``index.json``). Nothing deeper than one folder level is searched.

    Returns
    -------
    Dataset
        Static valence/arousal on 0..1, dynamic 2 Hz labels when
        ``dynamic_annotations.csv`` is present, artists as groups, and the chorus
        clips that exist under ``chorus/``.

    Raises
    ------
    DataError
        When ``static_annotations.csv`` or ``metadata.csv`` is missing or lacks a
        documented column, or several PMEmo folders sit at the same level.
    """
    hint = "download PMEmo2019 (https://github.com/HuiZhangDB/PMEmo) and unpack it"
    layout = Layout(root, _NAME, hint=hint)
    marker = layout.find_home(
        [_RELEASE, _DEMO],
        what=(
            "'annotations/static_annotations.csv' with 'metadata.csv' (PMEmo2019 "
            f"release) or {_DEMO!r} (PMEmo demo page)"
        ),
    )
    notes: list[str] = []
    if marker.name == _DEMO:
        static, meta_df, dyn, found = _demo_tables(layout, notes)
        static_path: Path | str = layout.home
    else:
        static, meta_df, dyn, found = _release_tables(layout, marker, notes)
        static_path = marker

    require_columns(static, _STATIC_COLS, path=static_path, dataset=_NAME)
    static.index = track_ids(static["musicId"])
    static = drop_duplicate_ids(
        static, dataset=_NAME, notes=notes, label_cols=_STATIC_COLS[1:]
    )
    check_range(static["Arousal(mean)"], "0-1", dataset=_NAME, what="static arousal")
    check_range(static["Valence(mean)"], "0-1", dataset=_NAME, what="static valence")
    labels = va_labels(
        static.index, static["Valence(mean)"], static["Arousal(mean)"], "0-1"
    )

    meta_df.index = track_ids(meta_df["musicId"])
    meta_df = meta_df[~meta_df.index.duplicated()]
    groups = groups_or_own(meta_df["artist"].reindex(labels.index), notes=notes)
    for col in ("title", "fileName"):
        if col in meta_df.columns:
            labels[col] = meta_df[col].reindex(labels.index)

    dynamic = None
    if dyn is not None:
        check_range(dyn["Arousal(mean)"], "0-1", dataset=_NAME, what="dynamic arousal")
        check_range(dyn["Valence(mean)"], "0-1", dataset=_NAME, what="dynamic valence")
        dynamic = pd.DataFrame(
            {
                "track_id": list(track_ids(dyn["musicId"])),
                "time": dyn["frameTime"].astype(float).to_numpy(),
                "valence": dyn["Valence(mean)"].astype(float).to_numpy(),
                "arousal": dyn["Arousal(mean)"].astype(float).to_numpy(),
            }
        )
        dynamic = dynamic.drop_duplicates(["track_id", "time"]).reset_index(drop=True)
    audio = audio_series(labels.index, found, dataset=_NAME)
    home = layout.home

    return Dataset(
        name=_NAME,
        root=home,
        labels=labels,
        audio=audio,
        dynamic=dynamic,
        groups=groups,
        meta={
            "task": "regress",
            "targets": ["valence", "arousal"],
            "scale": "0-1",
            "dynamic_scale": "0-1",
            "group_kind": "artist",
            "citation": CITATION,
            "url": "https://github.com/HuiZhangDB/PMEmo",
            "terms": "cite the paper; chorus audio is commercial (research only)",
            "audio_hint": "put the chorus mp3s of PMEmo2019 into chorus/",
            "files": layout.used(),
            "notes": notes,
        },
    )
