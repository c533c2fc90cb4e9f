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
REFERENCE = "see mer_classic/datasets/_pmemo.py for a loader that passes"

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


#: loader name → the dataset folder inside the prepared fixture ("" = the fixture)
HOME = {"pmemo": "PMEmo2019", "deam": "DEAM_Annotations"}

#: loader name → the layout's main file, relative to the prepared fixture
MAIN_FILE = {
    "pmemo": "PMEmo2019/annotations/static_annotations.csv",
    "deam": MISSING["deam"][0],
    "emomusic": "annotations/static_annotations.csv",
    "quadrants": "metadata.csv",
    "spotify_moods": "data_moods.csv",
    "soundtracks": "soundtracks.csv",
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
    for key in ("task", "targets", "scale", "group_kind", "citation", "notes", "files"):
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
    files = ds.meta.get("files", [])
    if not files or not all(Path(f).exists() for f in files):
        out.append("meta['files'] must list the files read (all existing)")
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


# --------------------------------------------------------------------------- layout search
@pytest.mark.parametrize("name", sorted(LOADERS))
def test_loader_ignores_a_deep_copy(name, tmp_path):
    """load_dataset("deam", "/tmp") once loaded a fixture from deep inside /tmp."""
    root = tmp_path / "root"
    _prepare(name, root / "projects" / "old")  # the home is 3+ levels down
    with pytest.raises(DataError, match="folder directly inside it") as err:
        LOADERS[name](root)
    assert name in str(err.value)


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_loader_finds_the_dataset_one_level_down(name, tmp_path, caplog):
    prepared = _prepare(name, tmp_path / "outer")
    home = prepared / HOME.get(name, "")
    at_home = LOADERS[name](home)
    with caplog.at_level("INFO", logger="mer_classic.datasets"):
        above = LOADERS[name](home.parent)
    assert len(above) == len(at_home) > 0
    assert above.meta["files"] == at_home.meta["files"]
    # the files read are logged and listed
    assert str(prepared / MAIN_FILE[name]) in above.meta["files"]
    assert f"{name}: using {above.meta['files'][0]}" in caplog.text


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_loader_refuses_two_candidates(name, tmp_path):
    home = _prepare(name, tmp_path / "src") / HOME.get(name, "")
    two = tmp_path / "two"
    shutil.copytree(home, two / "copy_a")
    shutil.copytree(home, two / "copy_b")
    with pytest.raises(DataError, match="2 candidates") as err:
        LOADERS[name](two)
    msg = str(err.value)
    assert str(two / "copy_a") in msg and str(two / "copy_b") in msg
    assert "pass the one you mean" in msg
    # the way out the message gives: pass the exact folder
    assert len(LOADERS[name](two / "copy_a")) == len(LOADERS[name](home))


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_loader_accepts_its_main_file(name, tmp_path):
    root = _prepare(name, tmp_path)
    main = root / MAIN_FILE[name]
    ds = LOADERS[name](main)
    assert len(ds) == len(LOADERS[name](root))
    assert str(main) in ds.meta["files"]
    assert not _problems(ds, name)


def test_root_level_wins_over_one_level_down(tmp_path):
    root = _prepare("spotify_moods", tmp_path)
    shutil.copytree(root, root / "backup")
    ds = load_dataset("spotify_moods", root)
    assert ds.meta["files"] == [str(root / "data_moods.csv")]


def test_two_tables_in_one_folder_are_refused(tmp_path):
    root = _prepare("spotify_moods", tmp_path)
    shutil.copy(root / "data_moods.csv", root / "tracks.csv")
    with pytest.raises(DataError, match=r"2 candidates.*data_moods\.csv.*tracks\.csv"):
        load_dataset("spotify_moods", root)
    assert len(load_dataset("spotify_moods", root / "tracks.csv")) == 13


def test_two_metadata_tables_beside_quadrant_folders(tmp_path):
    root = _prepare("quadrants", tmp_path)
    meta = pd.read_csv(root / "metadata.csv")
    # an annotation table without artists beside the metadata: the metadata wins
    meta[["Song", "Quadrant"]].to_csv(root / "annotations.csv", index=False)
    ds = load_dataset("quadrants", root)
    assert ds.meta["group_kind"] == "artist"
    assert str(root / "metadata.csv") in ds.meta["files"]
    meta.to_csv(root / "metadata_copy.csv", index=False)
    with pytest.raises(DataError, match="metadata_copy.csv") as err:
        load_dataset("quadrants", root)
    assert "metadata.csv" in str(err.value)
    assert len(load_dataset("quadrants", root / "metadata.csv")) == 8


# --------------------------------------------------------------------------- groups
def test_quadrants_song_without_artist_is_its_own_group(tmp_path):
    root = _prepare("quadrants", tmp_path)
    meta = pd.read_csv(root / "metadata.csv")
    lone = [str(meta.loc[0, "Song"]), str(meta.loc[3, "Song"])]
    meta.loc[[0, 3], "Artist"] = None
    meta.to_csv(root / "metadata.csv", index=False)
    ds = load_dataset("quadrants", root)
    assert [ds.groups[i] for i in lone] == [f"song:{i}" for i in lone]
    assert ds.groups.nunique() == ds.groups.drop(lone).nunique() + 2
    assert "2 track(s) without an artist: each is its own group" in ds.meta["notes"]
    assert not _problems(ds, "quadrants")


def test_spotify_tracks_without_artist_are_not_one_group(tmp_path):
    src = pd.read_csv(FIXTURES / "spotify_moods" / "data_moods.csv")
    src.loc[[0, 1], "artist"] = None  # was one shared group called "nan"
    src.to_csv(tmp_path / "data_moods.csv", index=False)
    ds = load_dataset("spotify_moods", tmp_path)
    ids = [str(i) for i in src.loc[[0, 1], "id"]]
    assert [ds.groups[i] for i in ids] == [f"song:{i}" for i in ids]
    assert "nan" not in set(ds.groups)
    assert "2 track(s) without an artist: each is its own group" in ds.meta["notes"]


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


def test_pmemo_annotations_without_rows_are_refused(tmp_path):
    """A header-only annotation file was an empty Dataset (n=0) that failed later."""
    root = tmp_path / "p"
    shutil.copytree(FIXTURES / "pmemo", root)
    static = root / "PMEmo2019" / "annotations" / "static_annotations.csv"
    static.write_text("musicId,Arousal(mean),Valence(mean)\n")
    with pytest.raises(DataError, match=r"pmemo: no labelled track in .*complete"):
        load_dataset("pmemo", root)


def _pmemo_demo(folder: Path) -> Path:
    """A PMEmo demo-page folder (docs/data/samples of HuiZhangDB/PMEmo) in small."""
    import json

    folder.mkdir(parents=True)
    songs = [
        {"id": 108, "title": "A", "artist": "Calvin Harris", "v": 0.863, "a": 0.863},
        {"id": 372, "title": "Zoom", "artist": "Future", "v": 0.175, "a": 0.825},
    ]
    (folder / "index.json").write_text(json.dumps(songs))
    for s in songs:
        page = {
            "id": s["id"],
            "title": s["title"],
            "artist": s["artist"],
            "valence_mean": s["v"],
            "arousal_mean": s["a"],
            "dynamic": {"t": [15.5, 16.0, 16.5], "v": [0.5, 0.6, 0.7], "a": [0.4] * 3},
        }
        (folder / f"{s['id']}.json").write_text(json.dumps(page))
    scatter = [
        *songs,
        {"id": 5, "title": "No Heart", "artist": "", "v": 0.2, "a": 0.15},
    ]
    (folder / "scatter.json").write_text(json.dumps(scatter))
    _tone(folder / "108.wav")
    return folder


def test_pmemo_demo_page_layout(tmp_path):
    """The folder `bench_published.py pmemo` used to convert, read directly."""
    demo = _pmemo_demo(tmp_path / "samples")
    ds = load_dataset("pmemo", demo)
    assert not _problems(ds, "pmemo")
    assert sorted(ds.labels.index) == ["108", "372", "5"]  # all of scatter.json
    assert ds.labels.loc["372", ["valence", "arousal"]].tolist() == [0.175, 0.825]
    assert ds.groups.to_dict() == {
        "108": "Calvin Harris",
        "372": "Future",
        "5": "song:5",
    }
    assert "1 track(s) without an artist: each is its own group" in ds.meta["notes"]
    assert any("static labels from scatter.json" in n for n in ds.meta["notes"])
    assert ds.dynamic.groupby("track_id").size().to_dict() == {"108": 3, "372": 3}
    assert list(ds.audio.index) == ["108"]
    assert str(demo / "index.json") in ds.meta["files"]
    # the release's static CSV beside the pages wins over scatter.json's rounding
    (demo / "static_annotations_test.csv").write_text(
        "musicId,Arousal(mean),Valence(mean)\n108,0.8625,0.8625\n372,0.825,0.175\n"
    )
    ds = load_dataset("pmemo", tmp_path)  # one level down works too
    assert ds.labels.loc["108", "valence"] == 0.8625 and len(ds) == 2
    assert str(demo / "static_annotations_test.csv") in ds.meta["files"]


def test_pmemo_demo_and_release_side_by_side_are_refused(tmp_path):
    _pmemo_demo(tmp_path / "samples")
    shutil.copytree(FIXTURES / "pmemo" / "PMEmo2019", tmp_path / "PMEmo2019")
    with pytest.raises(DataError, match="2 candidates") as err:
        load_dataset("pmemo", tmp_path)
    assert "samples" in str(err.value) and "PMEmo2019" in str(err.value)


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


def test_loaders_find_every_format_the_extractor_decodes(tmp_path):
    # .oga / .opus / .aif files were skipped by the loaders' own, shorter list
    import soundfile as sf

    root = _prepare("quadrants", tmp_path)
    wav = root / "Q1" / "MT0000040632.wav"
    y, sr = sf.read(wav)
    wav.unlink()
    sf.write(root / "Q1" / "MT0000040632.oga", y, sr, format="OGG")
    ds = load_dataset("quadrants", root)
    assert ds.n_audio == 8
    assert str(ds.with_audio().audio["MT0000040632"]).endswith(".oga")


def test_unreadable_annotation_files_get_the_table_wording(tmp_path):
    root = _prepare("quadrants", tmp_path)
    (root / "metadata.csv").write_bytes(b"")
    with pytest.raises(DataError, match=r"quadrants file .*metadata\.csv' is empty"):
        load_dataset("quadrants", root)
    (root / "metadata.csv").write_text('Song,Artist,Quadrant\n"a,b\n')
    with pytest.raises(DataError, match=r"cannot parse quadrants file .*as CSV"):
        load_dataset("quadrants", root)


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


def test_soundtracks_is_one_module_with_one_citation():
    """soundtracks.py and _bundled.py were two modules (and citations) for one set."""
    import mer_classic.datasets as datasets
    from mer_classic.datasets import _soundtracks as soundtracks

    assert datasets.LOADERS["soundtracks"] is soundtracks.load_soundtracks_dataset
    assert soundtracks.SOUNDTRACKS_CITATION is soundtracks.CITATION
    ds = load_dataset("soundtracks")
    assert ds.meta["citation"] == soundtracks.CITATION
    assert ds.meta["files"] == [str(soundtracks.soundtracks_path())]
    pkg = Path(datasets.__file__).parent
    assert not (pkg / "_bundled.py").exists()
    # the string is written once in the package; the README quotes it verbatim
    holders = [
        p.name
        for p in pkg.parent.rglob("*.py")
        if "Vuoskoski, J. K. (2011)" in p.read_text(encoding="utf-8")
    ]
    assert holders == ["_soundtracks.py"]
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    cited = [line for line in readme.splitlines() if "Vuoskoski, J. K." in line]
    assert cited and all(soundtracks.CITATION in line for line in cited), cited


def test_soundtracks_from_a_folder(tmp_path):
    _prepare("soundtracks", tmp_path / "a")
    ds = load_dataset("soundtracks", tmp_path / "a")
    assert len(ds) == 6 and ds.meta["group_kind"] == "film"
    assert ds.meta["files"] == [str(tmp_path / "a" / "soundtracks" / "soundtracks.csv")]


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
    assert "1 track(s) without an artist: each is its own group" in q.meta["notes"]
    deam = load_dataset("deam", shared_data / "deam-annotations")
    assert len(deam) == 1802 and deam.dynamic is None
    # the PMEmo demo-page folder, as bench_published.py pmemo reads it
    pm = load_dataset("pmemo", shared_data / "pmemo")
    assert len(pm) == 767 and pm.n_audio == 4
    assert pm.dynamic["track_id"].nunique() == 4
    assert pm.groups["108"] == "Calvin Harris"
    for name, ds in [("spotify_moods", moods), ("quadrants", q), ("pmemo", pm)]:
        assert not _problems(ds, name)


def test_real_shared_data_one_level_down(shared_data):
    """The folder holding every shared dataset is ambiguous for none of the loaders."""
    assert len(load_dataset("pmemo", shared_data)) == 767
    assert len(load_dataset("emomusic", shared_data)) == 744
    assert len(load_dataset("quadrants", shared_data)) == 300


def test_text_in_a_rating_column_is_a_data_error(tmp_path):
    """Text where a loader needs numbers was a ValueError traceback."""
    root = tmp_path / "p"
    shutil.copytree(FIXTURES / "pmemo", root)
    static = root / "PMEmo2019" / "annotations" / "static_annotations.csv"
    static.write_text("musicId,Arousal(mean),Valence(mean)\n108,high,0.5\n")
    with pytest.raises(DataError, match=r"static arousal holds 1 value.*'high'"):
        load_dataset("pmemo", root)
