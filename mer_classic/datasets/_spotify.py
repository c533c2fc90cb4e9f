"""Spotify mood tables: data_moods.csv-style files and the ``tracks.csv`` of ``fetch``.

data_moods.csv columns: ``name,album,artist,id,release_date,popularity,length,
danceability,acousticness,energy,instrumentalness,liveness,valence,loudness,
speechiness,tempo,key,time_signature,mood``. ``tracks.csv`` (written by
``mer-classic fetch``) uses ``track_id`` and ``label`` instead of ``id`` and ``mood``.

Rows are de-duplicated by track id (the widely copied data_moods.csv holds 414 exact
duplicate rows); ids whose copies disagree on the mood are dropped. The numeric
Spotify attribute columns become ``features``; ``popularity`` and ``length`` are
kept out of them (they are not audio attributes) but stay in ``labels``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from mer_classic.datasets._base import (
    Dataset,
    drop_duplicate_ids,
    groups_or_own,
    read_dataset_csv,
    track_ids,
)
from mer_classic.datasets._layout import Layout
from mer_classic.exceptions import DataError
from mer_classic.fetch._attributes import AUDIO_ATTRIBUTES
from mer_classic.labels import MOOD_TO_QUADRANT

__all__ = ["load_spotify_moods", "SPOTIFY_ATTRIBUTES", "CITATION"]

CITATION = (
    "data_moods.csv (Spotify Web API audio features with Calm/Energetic/Happy/Sad "
    "labels; Kaggle-origin, author and terms unstated), e.g. as used in "
    "github.com/ThrishaKumbam/music-mood-prediction-ml"
)
_NAME = "spotify_moods"
_FILES = ("data_moods.csv", "tracks.csv")

#: Spotify audio-attribute columns used as features when present
SPOTIFY_ATTRIBUTES: tuple[str, ...] = AUDIO_ATTRIBUTES


def _pick(columns: list[str], *names: str) -> str | None:
    lower = {c.lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def _audio_paths(df: pd.DataFrame, home: Path) -> pd.Series | None:
    """Existing audio: the ``audio_path`` column, else ``audio/<track_id>.*``."""
    found: dict[str, str] = {}
    if "audio_path" in df.columns:
        for i, p in df["audio_path"].items():
            if isinstance(p, str) and p.strip():
                q = Path(p.strip())
                q = q if q.is_absolute() else home / q
                if q.is_file():
                    found[i] = str(q)
    audio_dir = home / "audio"
    if audio_dir.is_dir():
        files = {p.stem: str(p) for p in audio_dir.iterdir() if p.is_file()}
        for i in df.index:
            if i not in found and i in files:
                found[i] = files[i]
    if not found and "audio_path" not in df.columns and not audio_dir.is_dir():
        return None
    s = pd.Series(found, dtype=object, name="path")
    s.index = pd.Index(list(found), name="track_id", dtype=object)
    return s


def load_spotify_moods(root: str | os.PathLike[str]) -> Dataset:
    """Load a Spotify mood table (a folder holding it, or the CSV itself).

    Parameters
    ----------
    root : path
        A folder with ``data_moods.csv`` or ``tracks.csv`` (directly, or in a
        folder directly inside it, e.g. ``data/`` for ``data/raw/tracks.csv``), or
        such a CSV file. Nothing deeper is searched.

    Returns
    -------
    Dataset
        ``labels["label"]`` (the mood, as written), ``labels["quadrant"]`` when every
        mood maps to a Russell quadrant, artists as groups, Spotify attributes as
        ``features``; ``audio`` lists ``audio/<track_id>.mp3`` files beside the table
        when there are any (None otherwise).

    Raises
    ------
    DataError
        When no table is found, or it lacks an id, a mood/label, or an artist column.
    """
    layout = Layout(
        root,
        _NAME,
        hint="pass data_moods.csv, or run `mer-classic fetch` to write tracks.csv",
    )
    if layout.root.is_file():  # any table with the columns, whatever its name
        path = layout.use(layout.root)
    else:
        path = layout.find_home(_FILES)
    df = read_dataset_csv(path, dataset=_NAME)
    cols = list(df.columns)
    id_col = _pick(cols, "id", "track_id")
    label_col = _pick(cols, "mood", "label")
    artist_col = _pick(cols, "artist", "artists")
    missing = [
        n
        for n, c in (
            ("id/track_id", id_col),
            ("mood/label", label_col),
            ("artist", artist_col),
        )
        if c is None
    ]
    if missing or id_col is None or label_col is None:
        raise DataError(
            f"{_NAME}: {str(path)!r} lacks column(s) {missing}; found {cols[:12]}"
        )
    notes: list[str] = []
    n_raw = len(df)
    df = df[df[label_col].notna()]
    if len(df) < n_raw:
        notes.append(f"{n_raw - len(df)} row(s) without a label dropped")
    df.index = track_ids(df[id_col])
    df = drop_duplicate_ids(df, dataset=_NAME, notes=notes, label_cols=(label_col,))
    if df.empty:
        raise DataError(f"{_NAME}: {str(path)!r} has no labelled rows")
    name_col = _pick(cols, "name")
    if name_col is not None:
        key = (
            df[artist_col].astype(str).str.lower().str.strip()
            + "\x00"
            + df[name_col].astype(str).str.lower().str.strip()
        )
        n_same = int(key.duplicated().sum())
        if n_same:
            notes.append(
                f"{n_same} track(s) share artist and title with another id (kept: "
                "different releases; artist-grouped CV keeps them on one side)"
            )

    labels = pd.DataFrame(index=df.index)
    labels["label"] = [str(v).strip() for v in df[label_col]]
    moods = {m.lower() for m in labels["label"]}
    if moods <= set(MOOD_TO_QUADRANT):
        labels["quadrant"] = [MOOD_TO_QUADRANT[m.lower()] for m in labels["label"]]
    for c in ("name", "album", "popularity", "length", "release_date"):
        src = _pick(cols, c)
        if src is not None:
            labels[c] = df[src].to_numpy()
    feat_cols = [c for c in SPOTIFY_ATTRIBUTES if c in df.columns]
    features = None
    if feat_cols:
        features = df[feat_cols].apply(pd.to_numeric, errors="coerce").astype(float)
        empty = [c for c in feat_cols if features[c].isna().all()]
        if empty:
            notes.append(f"attribute column(s) without any value dropped: {empty}")
            features = features.drop(columns=empty)
        if features.shape[1] == 0:
            features = None
    if features is None:
        notes.append("no Spotify attribute values: features is None")
    # fetch writes every artist joined by "; "; the first one is the group
    first_artist = df[artist_col].map(
        lambda a: a.split("; ")[0] if isinstance(a, str) else a
    )
    groups = groups_or_own(first_artist, notes=notes)
    audio = _audio_paths(df, Path(path).parent)

    return Dataset(
        name=_NAME,
        root=Path(path).parent,
        labels=labels,
        audio=audio,
        groups=groups,
        features=features,
        meta={
            "task": "classify",
            "targets": ["label"],
            "scale": None,
            "classes": sorted(set(labels["label"])),
            "group_kind": "artist",
            "citation": CITATION,
            "url": "https://developer.spotify.com/documentation/web-api",
            "terms": "unknown (Spotify developer terms apply); never redistribute",
            "source_file": Path(path).name,
            "files": layout.used(),
            "n_rows_raw": n_raw,
            "notes": notes,
        },
    )
