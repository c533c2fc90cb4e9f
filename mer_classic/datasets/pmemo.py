"""PMEmo 2019 loader (Zhang et al., ICMR 2018) in the layout its authors distribute.

Layout (``PMEmo2019/``)::

    metadata.csv                       musicId,fileName,title,artist,album,duration,
                                       chorus_start_time,chorus_end_time
    annotations/static_annotations.csv musicId,Arousal(mean),Valence(mean)   (0..1)
    annotations/dynamic_annotations.csv musicId,frameTime,Arousal(mean),Valence(mean)
    chorus/<musicId>.mp3

Values are on 0..1 for both the static and the 2 Hz dynamic annotations.
"""

from __future__ import annotations

import os

import pandas as pd

from mer_classic.datasets._base import (
    Dataset,
    as_root,
    audio_series,
    check_range,
    drop_duplicate_ids,
    find_file,
    read_dataset_csv,
    require_columns,
    scan_audio,
    track_ids,
    va_labels,
)

__all__ = ["load_pmemo", "CITATION"]

CITATION = (
    "Zhang, K., Zhang, H., Li, S., Yang, C., & Sun, L. (2018). The PMEmo Dataset for "
    "Music Emotion Recognition. ICMR '18, 135-142. doi:10.1145/3206025.3206037"
)
_NAME = "pmemo"
_STATIC_COLS = ("musicId", "Arousal(mean)", "Valence(mean)")
_DYN_COLS = ("musicId", "frameTime", "Arousal(mean)", "Valence(mean)")


def load_pmemo(root: str | os.PathLike[str]) -> Dataset:
    """Load a PMEmo 2019 folder as distributed.

    Parameters
    ----------
    root : path
        The ``PMEmo2019`` folder (or a folder above it).

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
        documented column.
    """
    base = as_root(root, _NAME)
    hint = "download PMEmo2019 (https://github.com/HuiZhangDB/PMEmo) and unpack it"
    static_path = find_file(base, ["static_annotations.csv"], dataset=_NAME, hint=hint)
    assert static_path is not None
    home = (
        static_path.parent.parent if static_path.parent.name == "annotations" else base
    )
    meta_path = find_file(home, ["metadata.csv"], dataset=_NAME, hint=hint)
    assert meta_path is not None
    notes: list[str] = []

    static = read_dataset_csv(static_path, dataset=_NAME)
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

    meta_df = read_dataset_csv(meta_path, dataset=_NAME)
    require_columns(meta_df, ("musicId", "artist"), path=meta_path, dataset=_NAME)
    meta_df.index = track_ids(meta_df["musicId"])
    meta_df = meta_df[~meta_df.index.duplicated()]
    artists = meta_df["artist"].reindex(labels.index)
    n_no_artist = int(artists.isna().sum())
    if n_no_artist:
        notes.append(
            f"{n_no_artist} song(s) without an artist in metadata.csv: own group"
        )
    groups = artists.astype(object).where(artists.notna(), "song:" + labels.index)
    groups = pd.Series(
        [str(g).strip() for g in groups], index=labels.index, name="group", dtype=object
    )
    for col in ("title", "fileName"):
        if col in meta_df.columns:
            labels[col] = meta_df[col].reindex(labels.index)

    dynamic = None
    dyn_path = find_file(
        home, ["dynamic_annotations.csv"], dataset=_NAME, required=False
    )
    if dyn_path is not None:
        dyn = read_dataset_csv(dyn_path, dataset=_NAME)
        require_columns(dyn, _DYN_COLS, path=dyn_path, dataset=_NAME)
        check_range(dyn["Arousal(mean)"], "0-1", dataset=_NAME, what="dynamic arousal")
        dynamic = pd.DataFrame(
            {
                "track_id": list(track_ids(dyn["musicId"])),
                "time": dyn["frameTime"].astype(float).to_numpy(),
                "valence": dyn["Valence(mean)"].astype(float).to_numpy(),
                "arousal": dyn["Arousal(mean)"].astype(float).to_numpy(),
            }
        )
        dynamic = dynamic.drop_duplicates(["track_id", "time"]).reset_index(drop=True)
    else:
        notes.append("dynamic_annotations.csv not found: no dynamic labels")

    chorus_dir = home / "chorus"
    found = scan_audio(chorus_dir if chorus_dir.is_dir() else None)
    if "fileName" in meta_df.columns:
        by_file = {}
        for mid, fname in meta_df["fileName"].items():
            p = chorus_dir / str(fname).strip()
            by_file[mid] = p if p.is_file() else found.get(mid)
        found = {k: v for k, v in by_file.items() if v is not None} | {
            k: v for k, v in found.items() if k not in by_file
        }
    audio = audio_series(labels.index, found, dataset=_NAME)

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
            "notes": notes,
        },
    )
