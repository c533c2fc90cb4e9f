"""Tests for mer_classic.features (descriptors, decoding, batch, cache, CLI)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from click.testing import CliRunner

from mer_classic.exceptions import AudioError, DataError, ParameterError
from mer_classic.features import (
    FeatureSettings,
    _batch,
    _dsp,
    _worker,
    extract_features,
    load_audio,
)
from mer_classic.features._audio import clip_features
from mer_classic.features._batch import extract_tracks
from mer_classic.features._inputs import discover_tracks
from mer_classic.features._names import (
    FEATURE_DESCRIPTIONS,
    FEATURE_GROUPS,
    FEATURE_NAMES,
    SEGMENT_FEATURE_NAMES,
    feature_table_markdown,
)

SR = 22050
REPO = Path(__file__).resolve().parents[1]
EXAMPLES = "librosa-example-music/audio"


def tone(
    freq: float = 440.0, seconds: float = 2.0, sr: int = SR, amp: float = 0.3
) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def chord(midis: list[int], seconds: float = 3.0, sr: int = SR) -> np.ndarray:
    """Harmonic tones (4 partials) of the given MIDI notes."""
    t = np.arange(int(seconds * sr)) / sr
    y = np.zeros_like(t)
    for m in midis:
        f0 = 440.0 * 2 ** ((m - 69) / 12)
        for h in range(1, 5):
            y += np.sin(2 * np.pi * f0 * h * t) / h
    return (0.2 * y / np.max(np.abs(y))).astype(np.float32)


def col(values: np.ndarray, name: str) -> float:
    return float(values[FEATURE_NAMES.index(name)])


@pytest.fixture(scope="module")
def examples() -> dict[str, Path]:
    """The librosa example recordings (module-scoped twin of ``shared_data``)."""
    folder = REPO.parent / "shared" / "data" / EXAMPLES
    if not folder.is_dir():
        pytest.skip(f"real data folder {folder} is absent (see README: Data)")
    return {
        "waltz": folder / "147793__setuniman__sweet-waltz-0i-22mi.ogg",
        "ragtime": folder
        / "442789__lena-orsa__happy-music-pistachio-ice-cream-ragtime.ogg",
        "brahms": folder
        / "Hungarian_Dance_number_5_-_Allegro_in_F_sharp_minor_(string_orchestra).ogg",
        "sugarplum": folder
        / "Kevin_MacLeod_-_P_I_Tchaikovsky_Dance_of_the_Sugar_Plum_Fairy.ogg",
        "drums": folder / "admiralbob77_-_Choice_-_Drum-bass.ogg",
        "trumpet": folder / "sorohanro_-_solo-trumpet-06.ogg",
        "vibeace_hq": folder / "Kevin_MacLeod_-_Vibe_Ace.hq.ogg",
    }


@pytest.fixture(scope="module")
def real_features(examples: dict[str, Path]) -> pd.DataFrame:
    paths = pd.Series(
        {k: v for k, v in examples.items() if k != "vibeace_hq"}, dtype=object
    )
    return extract_features(paths, duration=15.0, features="all")


# -- registry -----------------------------------------------------------------------


def test_registry_is_consistent() -> None:
    from mer_classic.features._names import ALL_FEATURE_NAMES, ALL_SEGMENT_FEATURE_NAMES

    assert len(set(ALL_FEATURE_NAMES)) == len(ALL_FEATURE_NAMES)
    assert set(FEATURE_DESCRIPTIONS) == set(ALL_FEATURE_NAMES)
    grouped = [n for names in FEATURE_GROUPS.values() for n in names]
    assert sorted(grouped) == sorted(ALL_FEATURE_NAMES)
    assert (
        ALL_FEATURE_NAMES[: len(ALL_SEGMENT_FEATURE_NAMES)] == ALL_SEGMENT_FEATURE_NAMES
    )
    # the default columns are a subset, in registry order
    assert [n for n in ALL_FEATURE_NAMES if n in set(FEATURE_NAMES)] == list(
        FEATURE_NAMES
    )
    assert FEATURE_NAMES[: len(SEGMENT_FEATURE_NAMES)] == SEGMENT_FEATURE_NAMES
    assert {
        "mfcc",
        "mel",
        "spectral",
        "dynamics",
        "chroma",
        "tonnetz",
        "key",
        "harmony",
    } <= set(FEATURE_GROUPS)


def test_docs_table_is_up_to_date() -> None:
    doc = REPO / "docs" / "features.md"
    assert doc.read_text(encoding="utf-8") == feature_table_markdown(), (
        "regenerate: python -m mer_classic.features > docs/features.md"
    )


# -- front end equals librosa on a real recording -------------------------------------


def test_front_end_matches_librosa(examples: dict[str, Path]) -> None:
    librosa = pytest.importorskip("librosa")
    y = load_audio(examples["ragtime"], sr=SR, duration=8.0)
    S = _dsp.stft_magnitude(y)
    np.testing.assert_allclose(S, np.abs(librosa.stft(y)), rtol=1e-4, atol=1e-4)
    freq = _dsp.fft_frequencies(SR, 2048)
    P = S**2
    mel_db = _dsp.power_to_db(_dsp.mel_filterbank(SR, 2048) @ P)
    ref_mel_db = librosa.power_to_db(librosa.feature.melspectrogram(S=P, sr=SR))
    pairs = {
        "mfcc": (_dsp.mfcc_from_mel_db(mel_db), librosa.feature.mfcc(S=ref_mel_db)),
        "centroid": (
            _dsp.spectral_centroid_bandwidth(S, freq)[0],
            librosa.feature.spectral_centroid(S=S, sr=SR)[0],
        ),
        "bandwidth": (
            _dsp.spectral_centroid_bandwidth(S, freq)[1],
            librosa.feature.spectral_bandwidth(S=S, sr=SR)[0],
        ),
        "rolloff": (
            _dsp.spectral_rolloff(S, freq),
            librosa.feature.spectral_rolloff(S=S, sr=SR)[0],
        ),
        "flatness": (
            _dsp.spectral_flatness(S),
            librosa.feature.spectral_flatness(S=S)[0],
        ),
        "contrast": (
            _dsp.spectral_contrast(S, freq, SR),
            librosa.feature.spectral_contrast(S=S, sr=SR),
        ),
        "rms": (_dsp.rms_from_stft(S, 2048), librosa.feature.rms(S=S)[0]),
        "zcr": (
            _dsp.zero_crossing_rate(y, S.shape[1]),
            librosa.feature.zero_crossing_rate(y)[0],
        ),
        "chroma": (
            _dsp.normalize(_dsp.chroma_filterbank(SR, 2048) @ P),
            librosa.feature.chroma_stft(S=P, sr=SR, tuning=0),
        ),
        "onset": (
            _dsp.onset_strength_from_mel_db(mel_db),
            librosa.onset.onset_strength(S=ref_mel_db),
        ),
    }
    chroma = pairs["chroma"][1]
    pairs["tonnetz"] = (
        _dsp.tonnetz_from_chroma(chroma),
        librosa.feature.tonnetz(chroma=chroma),
    )
    for name, (ours, ref) in pairs.items():
        scale = float(np.max(np.abs(ref))) or 1.0
        assert ours.shape == ref.shape, name
        assert np.max(np.abs(ours - ref)) / scale < 1e-4, name
    onset = pairs["onset"][1]
    ours_tempo, _ = _dsp.tempo_from_tempogram(
        _dsp.tempogram(onset, 344).mean(axis=1), SR, 512
    )
    assert ours_tempo == pytest.approx(
        float(librosa.feature.tempo(onset_envelope=onset, sr=SR)[0])
    )


# -- each descriptor group on real recordings -----------------------------------------


def test_real_recordings_all_groups_finite_and_in_range(
    real_features: pd.DataFrame,
) -> None:
    from mer_classic.features._names import ALL_FEATURE_NAMES

    df = real_features
    assert list(df.columns) == list(ALL_FEATURE_NAMES)
    assert np.isfinite(df.to_numpy()).all()
    chroma = df[[c for c in FEATURE_GROUPS["chroma"] if c.endswith("_mean")]]
    assert ((chroma >= 0) & (chroma <= 1)).all().all()
    assert df["tempo"].between(40, 320).all()
    assert df["pulse_clarity"].between(0, 1).all()
    assert (
        df[["key_clarity", "key_major_strength", "key_minor_strength"]]
        .abs()
        .le(1)
        .all()
        .all()
    )
    assert (
        df["low_energy_ratio"].between(0, 1).all()
        and df["mode_major_ratio"].between(0, 1).all()
    )
    assert (df["dynamic_range_db"] > 0).all() and (df["onset_rate"] > 0).all()
    assert (df["spectral_rolloff_mean"] > df["spectral_centroid_mean"]).all()
    assert df[list(FEATURE_GROUPS["tonnetz"])].abs().le(1).all().all()
    assert (df["harmonic_change_mean"] > 0).all() and (df["dissonance_mean"] > 0).all()
    for group, names in FEATURE_GROUPS.items():  # every group varies across recordings
        assert (df[list(names)].std() > 0).any(), group


def test_real_recordings_descriptors_tell_them_apart(
    real_features: pd.DataFrame,
) -> None:
    df = real_features
    # minor-key pieces (F# minor dance, E minor Sugar Plum) vs a major-key ragtime
    assert df.loc["brahms", "mode"] < 0 < df.loc["ragtime", "mode"]
    assert df.loc["sugarplum", "mode"] < df.loc["ragtime", "mode"]
    # the drum-and-bass stem is the least tonal and the most beat-driven
    assert df["key_clarity"].idxmin() == "drums"
    assert df["beat_strength"].idxmax() == "drums"
    # a solo trumpet with rests has the widest dynamic range
    assert df["dynamic_range_db"].idxmax() == "trumpet"


def test_stereo_44k_file_matches_mono_22k_version(examples: dict[str, Path]) -> None:
    hq = extract_features([examples["vibeace_hq"]], duration=10.0)
    lq = extract_features(
        [examples["vibeace_hq"].with_name("Kevin_MacLeod_-_Vibe_Ace.ogg")],
        duration=10.0,
    )
    for name in ("spectral_centroid_mean", "tempo", "mfcc_02_mean", "key_clarity"):
        assert hq.iloc[0][name] == pytest.approx(lq.iloc[0][name], rel=0.1), name


# -- synthetic signals with known answers --------------------------------------------


def test_tone_centroid_and_bandwidth() -> None:
    v = clip_features(tone(440.0))
    assert col(v, "spectral_centroid_mean") == pytest.approx(440.0, abs=10)
    assert col(v, "spectral_bandwidth_mean") < 100
    assert col(v, "chroma_A_mean") == pytest.approx(1.0, abs=1e-6)
    assert col(v, "zcr_mean") == pytest.approx(2 * 440 / SR, rel=0.05)
    noise = np.random.default_rng(0).normal(0, 0.1, 2 * SR).astype(np.float32)
    assert col(clip_features(noise), "spectral_flatness_mean") > 100 * col(
        v, "spectral_flatness_mean"
    )


@pytest.mark.parametrize("bpm", [100.0, 120.0, 150.0])
def test_click_track_tempo(bpm: float) -> None:
    y = np.zeros(12 * SR, dtype=np.float32)
    click = np.hanning(64) * np.sin(2 * np.pi * 2000 * np.arange(64) / SR)
    for start in (np.arange(0, 12, 60.0 / bpm) * SR).astype(int):
        y[start : start + 64] += click[: len(y) - start]
    v = clip_features(y)
    assert col(v, "tempo") == pytest.approx(bpm, rel=0.03)
    assert col(v, "onset_rate") == pytest.approx(bpm / 60, rel=0.15)
    assert col(v, "pulse_clarity") > 0.5
    assert col(v, "beat_strength") > 2


def test_major_vs_minor_triad_mode() -> None:
    major = clip_features(chord([60, 64, 67]))  # C E G
    minor = clip_features(chord([60, 63, 67]))  # C Eb G
    assert col(major, "mode") > 0.2 and col(minor, "mode") < -0.2
    assert col(major, "mode_major_ratio") > 0.9 and col(minor, "mode_major_ratio") < 0.1
    assert col(minor, "key_minor_strength") > col(minor, "key_major_strength")
    cluster = clip_features(chord([60, 61, 62]))  # C C# D: dissonant
    assert col(cluster, "dissonance_mean") > col(major, "dissonance_mean")


def test_dynamics_of_a_fade() -> None:
    y = tone(440.0, seconds=4.0) * np.linspace(0.001, 1.0, 4 * SR, dtype=np.float32)
    v = clip_features(y)
    assert col(v, "dynamic_range_db") > 15
    steady = clip_features(tone(440.0, seconds=4.0))
    assert col(steady, "dynamic_range_db") < 1
    # librosa's rms(S=...) is Hann-weighted: mean(w**2) = 0.375 for a Hann window
    expected = 20 * np.log10(0.3 / np.sqrt(2)) + 10 * np.log10(0.375)
    assert col(steady, "loudness_db") == pytest.approx(expected, abs=0.5)


def test_segment_rows_are_window_centres() -> None:
    y = np.zeros(5 * SR, dtype=np.float32)
    y[int(1.75 * SR) : int(2.25 * SR)] = tone(440.0, 0.5)
    s = FeatureSettings(segment=0.5, window=0.5)
    from mer_classic.features._audio import segment_features

    times, rows = segment_features(y, s)
    np.testing.assert_allclose(times, np.arange(0, 5, 0.5))
    rms = rows[:, SEGMENT_FEATURE_NAMES.index("rms_mean")]
    assert times[np.argmax(rms)] == 2.0
    assert (
        rms[times == 1.5][0] < 0.5 * rms.max()
        and rms[times == 2.5][0] < 0.5 * rms.max()
    )


def test_segment_times_include_offset(tmp_path: Path) -> None:
    path = tmp_path / "clip.wav"
    sf.write(path, np.random.default_rng(1).normal(0, 0.1, 4 * SR), SR)
    df = extract_features([path], offset=1.0, duration=2.0, segment=0.5)
    assert df.index.names == ["track_id", "time"]
    assert df.index.get_level_values("time").tolist() == [1.0, 1.5, 2.0, 2.5]
    assert list(df.columns) == list(SEGMENT_FEATURE_NAMES)


# -- decoding ---------------------------------------------------------------------------


@pytest.mark.parametrize("ext", ["wav", "flac", "ogg", "mp3"])
@pytest.mark.parametrize("sr", [8000, 16000, 44100, 48000])
def test_formats_and_rates(tmp_path: Path, ext: str, sr: int) -> None:
    path = tmp_path / f"tone_{sr}.{ext}"
    sf.write(path, tone(440.0, 1.5, sr=sr), sr)
    df = extract_features([path])
    assert df.attrs["errors"] == []
    assert df.iloc[0]["spectral_centroid_mean"] == pytest.approx(440.0, rel=0.1)


def test_stereo_mixdown_and_offset(tmp_path: Path) -> None:
    left, right = tone(440.0, 2.0), tone(660.0, 2.0, amp=0.1)
    path = tmp_path / "st.wav"
    sf.write(path, np.stack([left, right], axis=1), SR, subtype="FLOAT")
    y = load_audio(path, sr=SR)
    np.testing.assert_allclose(y, 0.5 * (left + right), atol=1e-6)
    part = load_audio(path, sr=SR, offset=0.5, duration=1.0)
    np.testing.assert_allclose(part, y[SR // 2 : SR // 2 + SR], atol=1e-6)


# -- bad inputs -------------------------------------------------------------------------


def _bad_files(tmp: Path) -> dict[str, Path]:
    files = {}
    files["corrupt"] = tmp / "corrupt.mp3"
    files["corrupt"].write_bytes(np.random.default_rng(0).bytes(4000))
    files["empty"] = tmp / "empty.wav"
    files["empty"].write_bytes(b"")
    files["zero"] = tmp / "zero.wav"
    sf.write(files["zero"], np.zeros(0), SR)
    files["silent"] = tmp / "silent.wav"
    sf.write(files["silent"], np.zeros(SR), SR)
    files["short"] = tmp / "short.wav"
    sf.write(files["short"], tone(440.0, 0.05), SR)
    files["unsupported"] = tmp / "notes.txt"
    files["unsupported"].write_text("not audio")
    files["unreadable"] = tmp / "folder.wav"
    files["unreadable"].mkdir()
    return files


REASONS = {
    "corrupt": "cannot decode",
    "empty": "empty (0 bytes)",
    "zero": "no audio samples",
    "silent": "silent",
    "short": "too short",
    "unsupported": "unsupported format '.txt'",
    "unreadable": "is a folder",
}


def test_bad_inputs_are_recorded_and_batch_completes(tmp_path: Path) -> None:
    bad = _bad_files(tmp_path)
    good = tmp_path / "good.wav"
    sf.write(good, tone(), SR)
    df = extract_features([good, *bad.values()])
    assert df.index.tolist() == ["good"]
    assert np.isfinite(df.to_numpy()).all()
    reasons = {Path(e["path"]).name: e["reason"] for e in df.attrs["errors"]}
    for key, path in bad.items():
        assert REASONS[key] in reasons[path.name], (key, reasons[path.name])
    with pytest.raises(AudioError, match="7 file"):
        extract_features([good, *bad.values()], on_error="raise")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file"
)
def test_permission_denied_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "locked.wav"
    sf.write(path, tone(), SR)
    path.chmod(0)
    df = extract_features([path])
    assert "permission denied" in df.attrs["errors"][0]["reason"]


def test_non_finite_values_become_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from mer_classic.features.groups import key

    monkeypatch.setattr(key, "_key_strengths", lambda c: (float("nan"), 0.0))
    with pytest.raises(AudioError, match="non-finite values in key_clarity"):
        clip_features(tone())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sr": 100}, "sr must be an int between 8000"),
        ({"duration": 0}, "duration must be a positive"),
        ({"offset": -1.0}, "offset must be a non-negative"),
        ({"segment": 0.5, "window": 0}, "window must be a positive"),
        ({"n_jobs": 0}, "n_jobs must be a positive int or -1"),
        ({"on_error": "ignore"}, "on_error must be 'record' or 'raise'"),
    ],
)
def test_bad_parameters(tmp_path: Path, kwargs: dict, match: str) -> None:
    path = tmp_path / "a.wav"
    sf.write(path, tone(), SR)
    with pytest.raises(ParameterError, match=match):
        extract_features([path], **kwargs)


# -- batch: inputs, cache, parallel ------------------------------------------------------


@pytest.fixture
def small_library(tmp_path: Path) -> Path:
    root = tmp_path / "lib"
    for label, freq in (("Q1", 440.0), ("Q3", 220.0)):
        (root / label).mkdir(parents=True)
        for i in range(2):
            sf.write(
                root / label / f"{label.lower()}_{i}.wav",
                tone(freq * (1 + i / 10), 1.0),
                SR,
            )
    return root


def test_discover_folders_and_labels(small_library: Path) -> None:
    tracks, skipped = discover_tracks([small_library], label_from_folder=True)
    assert [t.track_id for t in tracks] == ["q1_0", "q1_1", "q3_0", "q3_1"]
    assert [t.meta["label"] for t in tracks] == [
        "Q1",
        "Q1",
        "Q3",
        "Q3",
    ] and skipped == 0
    with pytest.raises(DataError, match="input not found"):
        discover_tracks([small_library / "nope.wav"])
    empty = small_library.parent / "empty_dir"
    empty.mkdir()
    with pytest.raises(DataError, match="no audio files found"):
        discover_tracks([empty])


def test_duplicate_stems_get_folder_prefix(tmp_path: Path) -> None:
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        sf.write(tmp_path / sub / "same.wav", tone(), SR)
    tracks, _ = discover_tracks([tmp_path])
    assert sorted(t.track_id for t in tracks) == ["a/same", "b/same"]


def test_tracks_csv_carries_label_and_artists(
    small_library: Path, tmp_path: Path
) -> None:
    csv = tmp_path / "tracks.csv"
    pd.DataFrame(
        {
            "track_id": ["t1", "t2", "t3"],
            "audio_path": [
                "lib/Q1/q1_0.wav",
                str(small_library / "Q3" / "q3_0.wav"),
                "",
            ],
            "label": ["happy", "sad", "calm"],
            "artists": ["A", "B", "C"],
            "popularity": [1, 2, 3],
        }
    ).to_csv(csv, index=False)
    tracks, skipped = discover_tracks([csv])
    assert [t.track_id for t in tracks] == ["t1", "t2"] and skipped == 1
    assert tracks[0].meta == {"label": "happy", "artists": "A"}
    res = extract_tracks(tracks)
    table = res.table()
    assert list(table.columns[:2]) == ["label", "artists"]
    assert "popularity" not in table.columns
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"path": ["x"]}).to_csv(bad, index=False)
    with pytest.raises(DataError, match="no 'audio_path' column"):
        discover_tracks([bad])


def test_cache_second_run_does_no_work(
    small_library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    tracks, _ = discover_tracks([small_library])
    first = extract_tracks(tracks, cache_dir=cache)
    assert (first.n_cached, first.n_computed) == (0, 4)

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("extract_file called on a cached file")

    monkeypatch.setattr(_worker, "extract_file", boom)
    second = extract_tracks(tracks, cache_dir=cache)
    assert (second.n_cached, second.n_computed) == (4, 0)
    pd.testing.assert_frame_equal(first.features, second.features)
    monkeypatch.undo()
    changed = extract_tracks(tracks, FeatureSettings(sr=16000), cache_dir=cache)
    assert (changed.n_cached, changed.n_computed) == (0, 4)
    # same content under another name is a cache hit (key = content hash + settings)
    copy = tmp_path / "copy.wav"
    copy.write_bytes(tracks[0].path.read_bytes())
    again = extract_tracks([_batch.Track("copy", copy)], cache_dir=cache)
    assert again.n_cached == 1


def test_cache_dir_from_environment(
    small_library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MER_CLASSIC_CACHE_DIR", str(tmp_path / "envcache"))
    extract_features([small_library / "Q1" / "q1_0.wav"])
    assert list((tmp_path / "envcache").rglob("*.npz"))


@pytest.mark.slow
def test_parallel_equals_sequential(small_library: Path) -> None:
    files = sorted(small_library.rglob("*.wav"))
    one = extract_features(files, n_jobs=1)
    two = extract_features(files, n_jobs=2)
    pd.testing.assert_frame_equal(one, two)


# -- CLI -----------------------------------------------------------------------------------


def test_cli_extract_folder_with_labels(small_library: Path, tmp_path: Path) -> None:
    from mer_classic.cli.main import main

    out = tmp_path / "out" / "features.csv"
    args = [
        "extract",
        str(small_library),
        "--out",
        str(out),
        "--label-from-folder",
        "-q",
    ]
    res = CliRunner().invoke(main, [*args, "--cache-dir", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    assert "Extracted 4 file(s) (0 from cache, 4 computed)" in res.output
    df = pd.read_csv(out, index_col="track_id")
    assert df["label"].tolist() == ["Q1", "Q1", "Q3", "Q3"]
    assert list(df.columns[1:]) == list(FEATURE_NAMES)
    res = CliRunner().invoke(
        main, [*args, "--cache-dir", str(tmp_path / "c"), "--force"]
    )
    assert "(4 from cache, 0 computed)" in res.output
    assert not (out.parent / "features.errors.csv").exists()


def test_cli_extract_reports_failures_with_exit_3(
    small_library: Path, tmp_path: Path
) -> None:
    from mer_classic.cli.main import main

    (small_library / "Q1" / "broken.wav").write_bytes(b"RIFF....garbage")
    out = tmp_path / "features.csv"
    res = CliRunner().invoke(
        main, ["extract", str(small_library), "-o", str(out), "--no-cache", "-q"]
    )
    assert res.exit_code == 3
    errors = pd.read_csv(tmp_path / "features.errors.csv")
    assert errors["track_id"].tolist() == ["broken"]
    assert "cannot decode broken.wav" in errors["reason"][0]
    assert len(pd.read_csv(out)) == 4


def test_cli_extract_usage_errors(small_library: Path, tmp_path: Path) -> None:
    from mer_classic.cli.main import main

    res = CliRunner().invoke(
        main,
        ["extract", str(small_library), "--no-cache", "--cache-dir", str(tmp_path)],
    )
    assert res.exit_code == 2 and "cannot be used together" in res.output
    csv = tmp_path / "t.csv"
    csv.write_text("id,path\n1,x.wav\n")
    res = CliRunner().invoke(main, ["extract", str(csv), "-o", str(tmp_path / "f.csv")])
    assert res.exit_code == 1
    assert res.output == (
        f"Error: tracks CSV {csv} has no 'audio_path' column (columns: id, path); "
        "run `mer-classic fetch` or add one\n"
    )
