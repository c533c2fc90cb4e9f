"""Tests for mer_classic.datasets: one contract over every loader, then details."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mer_classic.datasets import LOADERS, Dataset, load_dataset
from mer_classic.exceptions import DataError, ParameterError
from mer_classic.labels import QUADRANTS

FIXTURES = Path(__file__).parent / "data"
REFERENCE = "see mer_classic/datasets/pmemo.py for a loader that passes"

#: loader name → fixture folder under tests/data
FIXTURE_DIR = {
    "pmemo": "pmemo",
    "deam": "deam",
    "emomusic": "emomusic",
    "quadrants": "quadrants",
    "spotify_moods": "spotify_moods",
    "soundtracks": "soundtracks",
}

#: loader name → (file removed, text the error must contain)
MISSING = {
    "pmemo": ("PMEmo2019/annotations/static_annotations.csv", "static_annotations.csv"),
    "deam": (
        "DEAM_Annotations/annotations/annotations averaged per song/song_level/"
        "static_annotations_averaged_songs_1_2000.csv",
        "static_annotations_averaged_songs_1_2000.csv",
    ),
    "emomusic": ("annotations/songs_info.csv", "songs_info.csv"),
    "quadrants": ("Q3", "Q1, Q2, Q3 and Q4 folders"),
    "spotify_moods": ("data_moods.csv", "data_moods.csv"),
    "soundtracks": ("soundtracks.csv", "soundtracks.csv"),
}


def _tone(path: Path, seconds: float = 0.2, sr: int = 8000) -> None:
    import soundfile as sf

    t = np.arange(int(seconds * sr)) / sr
    sf.write(path, 0.1 * np.sin(2 * np.pi * 440 * t), sr)


def _prepare(name: str, tmp_path: Path) -> Path:
    """Copy a fixture and synthesize the audio its layout would hold."""
    root = tmp_path / name
    shutil.copytree(FIXTURES / FIXTURE_DIR[name], root)
    if name == "pmemo":
        for mid in ("108", "372", "634"):  # 683 stays without audio
            _tone(root / "PMEmo2019" / "chorus" / f"{mid}.wav")
    elif name == "emomusic":
        for sid in ("2", "3"):
            _tone(root / "clips_45seconds" / f"{sid}.wav")
    elif name == "quadrants":
        meta = pd.read_csv(root / "metadata.csv")
        for sid, q in zip(meta["Song"], meta["Quadrant"], strict=True):
            _tone(root / q / f"{sid}.wav")
    return root


def _problems(ds: Dataset, name: str) -> list[str]:
    out = []
    if not isinstance(ds, Dataset):
        return [f"returned {type(ds).__name__}, not Dataset"]
    if ds.name != name:
        out.append(f"name is {ds.name!r}, registry name is {name!r}")
    lab = ds.labels
    if len(lab) == 0:
        out.append("no labels")
    if lab.index.name != "track_id" or not lab.index.is_unique:
        out.append("labels index must be a unique 'track_id'")
    if not all(isinstance(i, str) for i in lab.index):
        out.append("track ids must be str")
    for key in ("task", "targets", "scale", "group_kind", "citation", "notes"):
        if key not in ds.meta:
            out.append(f"meta lacks {key!r}")
    missing_t = [t for t in ds.meta.get("targets", []) if t not in lab.columns]
    if missing_t:
        out.append(f"target column(s) {missing_t} not in labels")
    if ds.meta.get("task") == "regress":
        from mer_classic.labels import scale_bounds

        lo, hi = scale_bounds(ds.meta["scale"])
        vals = lab[["valence", "arousal"]].to_numpy(float)
        if not (np.nanmin(vals) >= lo and np.nanmax(vals) <= hi):
            out.append(f"static values outside the declared scale {ds.meta['scale']}")
    elif ds.meta.get("task") == "classify":
        if lab["label"].isna().any():
            out.append("empty class labels")
    else:
        out.append(f"task {ds.meta.get('task')!r} is neither 'regress' nor 'classify'")
    if "quadrant" in lab.columns and not set(lab["quadrant"].dropna()) <= set(
        QUADRANTS
    ):
        out.append("quadrant column holds values other than Q1..Q4")
    if ds.groups is None or not ds.groups.index.equals(lab.index):
        out.append("groups must be a Series aligned with labels")
    elif ds.groups.isna().any():
        out.append("groups has empty values")
    if ds.audio is not None:
        if not set(ds.audio.index) <= set(lab.index):
            out.append("audio ids not in labels")
        if not all(Path(p).is_file() for p in ds.audio):
            out.append("audio lists files that do not exist")
    if ds.dynamic is not None:
        if list(ds.dynamic.columns[:2]) != ["track_id", "time"]:
            out.append("dynamic must start with track_id, time")
        if "dynamic_scale" not in ds.meta:
            out.append("meta lacks 'dynamic_scale'")
        if ds.dynamic.duplicated(["track_id", "time"]).any():
            out.append("dynamic has repeated (track_id, time)")
    if ds.features is not None:
        if not set(ds.features.index) <= set(lab.index):
            out.append("feature rows not in labels")
        if not all(pd.api.types.is_float_dtype(t) for t in ds.features.dtypes):
            out.append("features must be float columns")
    return out


def test_every_loader_has_a_fixture():
    missing = sorted(set(LOADERS) - set(FIXTURE_DIR))
    assert not missing, (
        f"loader(s) {missing} have no fixture in tests/data; {REFERENCE}"
    )


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_loader_contract(name, tmp_path):
    ds = LOADERS[name](_prepare(name, tmp_path))
    problems = _problems(ds, name)
    assert not problems, f"loader {name!r} breaks the contract: {problems}; {REFERENCE}"
    assert repr(ds).startswith(f"Dataset(name={name!r}")


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_loader_names_the_missing_file(name, tmp_path):
    root = _prepare(name, tmp_path)
    target = root / MISSING[name][0]
    if target.is_dir():
        shutil.rmtree(target)
    else:
        target.unlink()
    with pytest.raises(DataError, match=MISSING[name][1]) as err:
        LOADERS[name](root)
    assert name in str(err.value), f"loader {name!r}: the error must name the dataset"


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_loader_refuses_a_missing_folder(name, tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        LOADERS[name](tmp_path / "nope")


def test_load_dataset_unknown_name():
    with pytest.raises(ParameterError, match="unknown dataset 'mirex'.*pmemo"):
        load_dataset("mirex", "/tmp")


# --------------------------------------------------------------------------- PMEmo
def test_pmemo_layout(tmp_path):
    ds = load_dataset("pmemo", _prepare("pmemo", tmp_path))
    assert ds.meta["scale"] == "0-1" and ds.meta["dynamic_scale"] == "0-1"
    assert ds.labels.loc["372", ["valence", "arousal"]].tolist() == [0.175, 0.825]
    assert ds.labels["quadrant"].to_dict() == {
        "108": "Q1",
        "372": "Q2",
        "634": "Q3",
        "683": "Q4",
    }
    assert ds.groups["108"] == "Calvin Harris"
    assert sorted(ds.audio.index) == ["108", "372", "634"]
    dyn = ds.dynamic
    assert dyn.groupby("track_id").size().to_dict() == {
        "108": 8,
        "372": 8,
        "634": 8,
        "683": 8,
    }
    assert dyn["time"].min() == 15.5
    sub = ds.with_audio()
    assert len(sub) == 3 and set(sub.dynamic["track_id"]) == {"108", "372", "634"}


def test_pmemo_without_dynamic_or_audio(tmp_path):
    root = tmp_path / "p"
    shutil.copytree(FIXTURES / "pmemo", root)
    (root / "PMEmo2019" / "annotations" / "dynamic_annotations.csv").unlink()
    ds = load_dataset("pmemo", root)
    assert ds.dynamic is None and ds.n_audio == 0
    assert any("dynamic_annotations.csv not found" in n for n in ds.meta["notes"])
    with pytest.raises(DataError, match="no audio files.*chorus"):
        ds.with_audio()


def test_pmemo_refuses_values_off_scale(tmp_path):
    root = tmp_path / "p"
    shutil.copytree(FIXTURES / "pmemo", root)
    static = root / "PMEmo2019" / "annotations" / "static_annotations.csv"
    static.write_text("musicId,Arousal(mean),Valence(mean)\n108,7.0,3.0\n")
    with pytest.raises(DataError, match=r"outside the documented 0-1 scale"):
        load_dataset("pmemo", root)


def test_pmemo_names_a_missing_column(tmp_path):
    root = tmp_path / "p"
    shutil.copytree(FIXTURES / "pmemo", root)
    static = root / "PMEmo2019" / "annotations" / "static_annotations.csv"
    static.write_text("musicId,Arousal\n108,0.5\n")
    with pytest.raises(DataError, match=r"lacks column\(s\) \['Arousal\(mean\)'"):
        load_dataset("pmemo", root)


# --------------------------------------------------------------------------- DEAM
def test_deam_layout(tmp_path):
    ds = load_dataset("deam", _prepare("deam", tmp_path))
    assert list(ds.labels.index) == ["2", "3", "4", "5", "7", "2001", "2002"]
    # leading-space headers are stripped; the full-song file is appended
    assert ds.labels.loc["2001", ["valence", "arousal"]].tolist() == [3.2, 6.6]
    assert ds.meta["scale"] == "1-9" and ds.meta["dynamic_scale"] == "-1-1"
    dyn = ds.dynamic
    assert dyn.groupby("track_id").size().to_dict() == {
        "2": 10,
        "2001": 7,
        "3": 10,
        "4": 10,
    }
    assert dyn["arousal"].between(-1, 1).all()
    assert ds.meta["group_kind"] == "song" and ds.n_audio == 0


def test_deam_artists_and_audio(tmp_path):
    root = _prepare("deam", tmp_path)
    meta = root / "DEAM_Annotations" / "metadata"
    meta.mkdir()
    (meta / "metadata_2013.csv").write_text(
        "song_id,file_name,Artist\n2,2.mp3,Someone\n"
    )
    (root / "DEAM_audio" / "MEMD_audio").mkdir(parents=True)
    _tone(root / "DEAM_audio" / "MEMD_audio" / "3.wav")
    ds = load_dataset("deam", root)
    assert ds.groups["2"] == "Someone" and ds.groups["3"] == "song:3"
    assert list(ds.audio.index) == ["3"]


# --------------------------------------------------------------------------- emoMusic
def test_emomusic_layout(tmp_path):
    ds = load_dataset("emomusic", _prepare("emomusic", tmp_path))
    assert ds.labels.loc["3", "split"] == "evaluation"
    assert ds.labels.loc["2", "genre"] == "Blues"
    assert ds.groups["3"] == "Kevin MacLeod"  # tabs stripped
    assert sorted(ds.audio.index) == ["2", "3"]
    assert ds.labels.loc["2", ["valence", "arousal"]].tolist() == [3.0, 3.1]
    assert ds.dynamic.groupby("track_id").size().eq(10).all()
    first = ds.dynamic.iloc[0]
    assert (first["track_id"], first["time"]) == ("2", 15.0)
    assert first["arousal"] == pytest.approx(-0.109387732373192)


# --------------------------------------------------------------------------- quadrants
def test_quadrants_layout(tmp_path):
    ds = load_dataset("quadrants", _prepare("quadrants", tmp_path))
    assert ds.labels["label"].value_counts().to_dict() == {q: 2 for q in QUADRANTS}
    assert ds.groups["MT0000040632"] == "Gipsy Kings"
    assert ds.n_audio == 8


def test_quadrants_refuses_folder_disagreement(tmp_path):
    root = _prepare("quadrants", tmp_path)
    shutil.move(root / "Q1" / "MT0000040632.wav", root / "Q2" / "MT0000040632.wav")
    with pytest.raises(DataError, match=r"MT0000040632 \(Q2 folder, Q1 in metadata\)"):
        load_dataset("quadrants", root)


def test_quadrants_without_metadata_uses_folders(tmp_path):
    root = _prepare("quadrants", tmp_path)
    (root / "metadata.csv").unlink()
    ds = load_dataset("quadrants", root)
    assert len(ds) == 8 and ds.meta["group_kind"] == "song"
    assert any("labels from folders" in n for n in ds.meta["notes"])


# --------------------------------------------------------------------------- Spotify
def test_spotify_moods_deduplicates(tmp_path):
    ds = load_dataset("spotify_moods", _prepare("spotify_moods", tmp_path))
    assert len(ds) == 13 and ds.meta["n_rows_raw"] == 16
    assert any("3 duplicate row(s)" in n for n in ds.meta["notes"])
    assert any("share artist and title" in n for n in ds.meta["notes"])
    assert "popularity" not in ds.features.columns and "energy" in ds.features.columns
    assert set(ds.labels["quadrant"]) <= set(QUADRANTS)
    assert ds.audio is None


def test_spotify_moods_conflicting_duplicates_dropped(tmp_path):
    src = pd.read_csv(FIXTURES / "spotify_moods" / "data_moods.csv")
    bad = src.iloc[[0]].assign(mood="Sad" if src.loc[0, "mood"] != "Sad" else "Calm")
    path = tmp_path / "tracks.csv"
    pd.concat([src, bad]).rename(columns={"id": "track_id", "mood": "label"}).to_csv(
        path, index=False
    )
    ds = load_dataset("spotify_moods", path)
    assert src.loc[0, "id"] not in ds.labels.index and len(ds) == 12
    assert any("conflicting labels" in n for n in ds.meta["notes"])


def test_spotify_moods_reads_fetch_tracks_csv(tmp_path):
    (tmp_path / "audio").mkdir()
    _tone(tmp_path / "audio" / "t1.wav")
    rows = pd.DataFrame(
        {
            "track_id": ["t1", "t2", "t3"],
            "name": ["a", "b", "c"],
            "artists": ["Ann; Bob", "Ann", "Cy"],
            "audio_path": ["audio/t1.wav", "audio/t2.mp3", ""],
            "label": ["happy", "sad", "calm"],
            "energy": [0.9, 0.2, 0.1],
            "valence": [None, None, None],  # 403 from audio-features: empty column
        }
    )
    rows.to_csv(tmp_path / "tracks.csv", index=False)
    ds = load_dataset("spotify_moods", tmp_path)
    assert ds.groups.to_dict() == {"t1": "Ann", "t2": "Ann", "t3": "Cy"}
    assert list(ds.audio.index) == ["t1"]
    assert list(ds.features.columns) == ["energy"]
    assert ds.labels["quadrant"].tolist() == ["Q1", "Q3", "Q4"]
    assert any("without any value dropped: ['valence']" in n for n in ds.meta["notes"])


def test_spotify_moods_names_missing_columns(tmp_path):
    path = tmp_path / "data_moods.csv"
    pd.DataFrame({"id": ["a"], "energy": [0.1]}).to_csv(path, index=False)
    with pytest.raises(
        DataError, match=r"lacks column\(s\) \['mood/label', 'artist'\]"
    ):
        load_dataset("spotify_moods", tmp_path)


# --------------------------------------------------------------------------- bundled
def test_soundtracks_bundled():
    ds = load_dataset("soundtracks")
    assert len(ds) == 110 and ds.features.shape[1] == 25
    assert ds.groups.nunique() < 110 and ds.meta["group_kind"] == "film"
    # the film groups keep the known duplicate pair together
    assert ds.groups["010"] == ds.groups["095"]


# --------------------------------------------------------------------------- real data
def test_real_shared_data(shared_data):
    moods = load_dataset("spotify_moods", shared_data / "spotify-data-moods")
    assert len(moods) == 686 and moods.meta["n_rows_raw"] == 1100
    assert moods.labels["label"].value_counts().to_dict() == {
        "Sad": 197,
        "Calm": 195,
        "Energetic": 154,
        "Happy": 140,
    }
    q = load_dataset("quadrants", shared_data / "4q-dev")
    assert len(q) == 300 and q.n_audio == 300
    emo = load_dataset("emomusic", shared_data / "emomusic-1000songs-subset")
    assert len(emo) == 744 and emo.n_audio == 10
    assert emo.labels["split"].value_counts().to_dict() == {
        "development": 619,
        "evaluation": 125,
    }
    deam = load_dataset("deam", shared_data / "deam-annotations")
    assert len(deam) == 1802 and deam.dynamic is None
