"""emoMusic / MediaEval 2013 loader ("1000 Songs", Soleymani et al. 2013).

Layout (``annotations/`` and ``clips_45seconds/``; the CSVs may also sit directly
in the dataset folder, and the clips in any folder directly inside it)::

    static_annotations.csv     song_id,mean_arousal,std_arousal,mean_valence,
                               std_valence (1..9)
    arousal_cont_average.csv   song_id,sample_15000ms,...,sample_45000ms (2 Hz, -1..1)
    valence_cont_average.csv   same for valence
    songs_info.csv             song_id,file_name,Artist,Song title,...,Genre,
                               Mediaeval 2013 set
    <song_id>.mp3              45 s clips

``songs_info.csv`` pads most cells with tabs; they are stripped. The MediaEval
2013 split (619 development / 125 evaluation) goes to ``labels["split"]``.
"""

from __future__ import annotations

import os

import pandas as pd

from mer_classic.datasets._base import (
    Dataset,
    audio_series,
    check_range,
    clean_str,
    drop_duplicate_ids,
    groups_or_own,
    read_dataset_csv,
    require_columns,
    track_ids,
    va_labels,
)
from mer_classic.datasets._deam import read_va_dynamic
from mer_classic.datasets._layout import Layout, scan_audio

__all__ = ["load_emomusic", "CITATION"]

CITATION = (
    "Soleymani, M., Caro, M. N., Schmidt, E. M., Sha, C.-Y., & Yang, Y.-H. (2013). "
    "1000 Songs for Emotional Analysis of Music. CrowdMM '13, 1-6. "
    "doi:10.1145/2506364.2506365"
)
_NAME = "emomusic"


def load_emomusic(root: str | os.PathLike[str]) -> Dataset:
    """Load an emoMusic (MediaEval 2013) folder as distributed.

    Parameters
    ----------
    root : path
        Folder holding ``annotations/`` (or the CSVs themselves) and optionally
        the 45 s clips in a folder directly inside it; or the folder directly
        above it, or ``static_annotations.csv`` itself. Nothing deeper than one
        folder level is searched for the dataset.

    Returns
    -------
    Dataset
        Static valence/arousal on 1..9, dynamic 2 Hz labels on -1..1, artists as
        groups, the MediaEval 2013 split and the clips present on disk.

    Raises
    ------
    DataError
        When ``static_annotations.csv`` or ``songs_info.csv`` is missing or lacks
        a documented column.
    """
    hint = "download the emoMusic annotations from cvml.unige.ch/databases/emoMusic/"
    layout = Layout(root, _NAME, hint=hint)
    notes: list[str] = []
    static_path = layout.find_home(
        [
            ("annotations/static_annotations.csv", "annotations/songs_info.csv"),
            ("static_annotations.csv", "songs_info.csv"),
        ],
        what="'static_annotations.csv' with 'songs_info.csv'",
    )
    # the other CSVs sit beside static_annotations.csv
    ann = static_path.parent.relative_to(layout.home).as_posix()
    here = "" if ann == "." else f"{ann}/"
    info_path = layout.find([f"{here}songs_info.csv"], required=True)
    assert info_path is not None

    static = read_dataset_csv(static_path, dataset=_NAME)
    require_columns(
        static,
        ("song_id", "mean_arousal", "mean_valence"),
        path=static_path,
        dataset=_NAME,
    )
    static.index = track_ids(static["song_id"])
    static = drop_duplicate_ids(
        static, dataset=_NAME, notes=notes, label_cols=("mean_arousal", "mean_valence")
    )
    check_range(static["mean_valence"], "1-9", dataset=_NAME, what="static valence")
    check_range(static["mean_arousal"], "1-9", dataset=_NAME, what="static arousal")
    labels = va_labels(
        static.index, static["mean_valence"], static["mean_arousal"], "1-9"
    )

    info = read_dataset_csv(info_path, dataset=_NAME, dtype=str)
    require_columns(
        info, ("song_id", "file_name", "Artist"), path=info_path, dataset=_NAME
    )
    info.index = track_ids(clean_str(info["song_id"]))
    info = info[~info.index.duplicated()]
    for col in info.columns:
        info[col] = [None if pd.isna(v) else str(v).strip() for v in info[col]]
    split_col = next(
        (c for c in info.columns if c.lower().startswith("mediaeval")), None
    )
    if split_col is not None:
        labels["split"] = info[split_col].reindex(labels.index)
    if "Genre" in info.columns:
        labels["genre"] = info["Genre"].reindex(labels.index)
    groups = groups_or_own(info["Artist"].reindex(labels.index), notes=notes)

    dynamic = read_va_dynamic(
        layout,
        arousal=[f"{here}arousal_cont_average.csv"],
        valence=[f"{here}valence_cont_average.csv"],
        dataset=_NAME,
    )
    if dynamic is None:
        notes.append("arousal/valence_cont_average.csv not found: no dynamic labels")

    base = layout.home
    stems = scan_audio(base)
    if stems:
        layout.use(base)
    by_name = {p.name: p for p in stems.values()}
    found = {}
    for i in labels.index:
        fname = info["file_name"].get(i) if i in info.index else None
        p = by_name.get(fname) if fname else None
        found[i] = p if p is not None else stems.get(i)
    audio = audio_series(labels.index, found, dataset=_NAME)

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
            "group_kind": "artist",
            "citation": CITATION,
            "url": "https://cvml.unige.ch/databases/emoMusic/",
            "terms": "CC music from the Free Music Archive; cite the paper",
            "audio_hint": "unpack clips_45seconds (the 45 s mp3s) into the folder",
            "files": layout.used(),
            "notes": notes,
        },
    )
