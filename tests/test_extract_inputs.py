"""The input side of ``extract``: track ids, odd files, decoding reasons, outputs, metadata.

Covers mer_classic.features._inputs, ._metadata and the checks of ._decode and
._batch.extract_to_csv (issues 11 and 13).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic._table import load_table
from mer_classic.exceptions import AudioError, ConfigError, DataError, ParameterError
from mer_classic.features import _batch, extract_to_csv, load_audio
from mer_classic.features._decode import native_stderr_captured
from mer_classic.features._inputs import Track, find_inputs, unique_track_ids
from mer_classic.features._metadata import join_metadata
from mer_classic.features._names import FEATURE_NAMES

SR = 22050


def tone(freq: float = 440.0, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def corrupt_mp3(path: Path) -> Path:
    """An MP3 whose middle third is random bytes (libmpg123 complains on fd 2)."""
    sf.write(path, tone(440.0, 3.0), SR, format="MP3")
    data = bytearray(path.read_bytes())
    n = len(data)
    rng = np.random.default_rng(0)
    data[n // 3 : 2 * n // 3] = rng.bytes(2 * n // 3 - n // 3)
    path.write_bytes(bytes(data))
    return path


@pytest.fixture
def songs(tmp_path: Path) -> Path:
    """Q1/song0.wav, Q1/song1.wav, Q2/song2.wav, Q2/song3.wav."""
    root = tmp_path / "songs"
    for i, q in enumerate(["Q1", "Q1", "Q2", "Q2"]):
        (root / q).mkdir(parents=True, exist_ok=True)
        sf.write(root / q / f"song{i}.wav", tone(220.0 + 110 * i), SR)
    return root


def never_extract(*args: object, **kwargs: object) -> None:
    raise AssertionError("extraction started although the output was refused")


# -- unique track ids ------------------------------------------------------------------
def test_same_stem_in_one_folder_keeps_extension_and_says_so(tmp_path: Path) -> None:
    a = tmp_path / "A"
    a.mkdir()
    for name in ("tone.wav", "tone.flac", "other.wav"):
        sf.write(a / name, tone(), SR)
    found = find_inputs([tmp_path])
    ids = {t.path.name: t.track_id for t in found.tracks}
    assert ids == {
        "other.wav": "other",
        "tone.flac": "tone.flac",
        "tone.wav": "tone.wav",
    }
    assert found.n_renamed == 2
    assert found.notes[0].startswith("2 track id(s) were disambiguated")


def test_colliding_ids_get_more_specific_until_unique() -> None:
    tracks = [
        Track("same", Path("a/x/same.wav")),
        Track("same", Path("b/x/same.wav")),
        Track("same", Path("c/y/same.mp3")),
        Track("x/same", Path("d/x/same.ogg")),  # a tracks-CSV id with a slash
    ]
    assert unique_track_ids(tracks) == 4
    ids = [t.track_id for t in tracks]
    assert len(set(ids)) == 4
    assert ids[:2] == ["a/x/same.wav", "b/x/same.wav"]


def test_errors_table_tells_two_bad_files_with_one_stem_apart(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "random.mp3").write_bytes(os.urandom(4000))
    (bad / "random.wav").write_bytes(os.urandom(4000))
    sf.write(tmp_path / "good.wav", tone(), SR)
    res = extract_to_csv([tmp_path], tmp_path / "f.csv")
    assert sorted(res.errors["track_id"]) == ["random.mp3", "random.wav"]
    errors = pd.read_csv(tmp_path / "f.errors.csv")
    assert errors["track_id"].is_unique and len(errors) == 2
    assert any("disambiguated" in n for n in res.notes)


# -- files that are not regular files ----------------------------------------------------
def test_links_loops_and_fifos_in_a_folder_are_listed_with_a_reason(
    tmp_path: Path,
) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    sf.write(lib / "good.wav", tone(), SR)
    (lib / "loop.wav").symlink_to("loop.wav")
    (lib / "a.mp3").symlink_to("b.mp3")
    (lib / "b.mp3").symlink_to("a.mp3")
    (lib / "broken.wav").symlink_to("nowhere.wav")
    (lib / "sub").mkdir()
    (lib / "sub" / "up").symlink_to("..")  # a folder link: not followed, not an error
    os.mkfifo(lib / "pipe.mp3")
    res = extract_to_csv([lib], tmp_path / "f.csv")
    reasons = dict(zip(res.errors["track_id"], res.errors["reason"], strict=True))
    assert pd.read_csv(tmp_path / "f.csv")["track_id"].tolist() == ["good"]
    assert res.n_rows == 1
    assert set(reasons) == {"loop", "a", "b", "broken", "pipe"}
    assert "symbolic-link loop" in reasons["loop"] and "loop" in reasons["a"]
    assert "broken symbolic link" in reasons["broken"]
    assert (
        reasons["pipe"]
        == f"{lib / 'pipe.mp3'} is a FIFO (named pipe), not an audio file; not read"
    )


@pytest.mark.slow
def test_explicit_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    """Before the fix, hashing the FIFO for the cache blocked for ever."""
    fifo = tmp_path / "stream.wav"
    os.mkfifo(fifo)
    sf.write(tmp_path / "good.wav", tone(), SR)
    out = tmp_path / "f.csv"
    cmd = [
        sys.executable,
        "-m",
        "mer_classic",
        "extract",
        str(fifo),
        str(tmp_path / "good.wav"),
        "-o",
        str(out),
        "--cache-dir",
        str(tmp_path / "cache"),
        "-q",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 3, proc.stderr
    errors = pd.read_csv(tmp_path / "f.errors.csv")
    assert errors["reason"].tolist() == [
        f"{fifo} is a FIFO (named pipe), not an audio file; not read"
    ]
    assert pd.read_csv(out)["track_id"].tolist() == ["good"]


def test_folder_where_a_file_is_expected(tmp_path: Path) -> None:
    (tmp_path / "clip.wav").mkdir()
    with pytest.raises(AudioError, match=r"clip\.wav is a folder, not an audio file"):
        load_audio(tmp_path / "clip.wav")


# -- decoding reasons and native noise ---------------------------------------------------
def test_random_bytes_are_not_a_decodable_audio_file(tmp_path: Path) -> None:
    p = tmp_path / "random.mp3"
    p.write_bytes(np.random.default_rng(1).bytes(20000))
    with pytest.raises(AudioError) as info:
        load_audio(p)
    msg = str(info.value)
    assert msg.startswith(
        "cannot decode random.mp3: not a decodable audio file (format MP3 by its "
        "extension"
    )
    assert "pipe" not in msg and "does not exist" not in msg
    with pytest.raises(AudioError, match="^file not found: "):
        load_audio(tmp_path / "missing.mp3")


@pytest.mark.slow
def test_native_decoder_noise_does_not_reach_stderr(tmp_path: Path) -> None:
    bad = corrupt_mp3(tmp_path / "corrupt.mp3")
    script = textwrap.dedent(
        f"""
        import os, sys
        from mer_classic.features import load_audio
        from mer_classic.exceptions import AudioError
        try:
            load_audio({str(bad)!r})
            print("decoded")
        except AudioError as exc:
            print("error:", exc)
        sys.stderr.write("python stderr works\\n"); sys.stderr.flush()
        os.write(2, b"fd 2 restored\\n")
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "MPEG" not in proc.stderr and "mpg123" not in proc.stderr, proc.stderr
    assert proc.stderr == "python stderr works\nfd 2 restored\n"
    assert proc.stdout.startswith(("decoded", "error: cannot decode corrupt.mp3"))


def test_stderr_capture_is_shared_by_threads_and_restored() -> None:
    import threading

    before = os.fstat(2)
    barrier = threading.Barrier(3)
    inside = []

    def work() -> None:
        with native_stderr_captured():
            barrier.wait()
            inside.append(os.fstat(2).st_ino)
            barrier.wait()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(inside)) == 1 and inside[0] != before.st_ino
    after = os.fstat(2)
    assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)


# -- the output: checked before any work ---------------------------------------------------
def test_existing_output_needs_force_and_is_checked_first(
    songs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "f.csv"
    out.write_text("precious\n")
    monkeypatch.setattr(_batch, "extract_tracks", never_extract)
    with pytest.raises(ConfigError, match="already exists; choose another --out"):
        extract_to_csv([songs], out)
    assert out.read_text() == "precious\n"
    monkeypatch.undo()
    res = extract_to_csv([songs], out, force=True)
    assert len(pd.read_csv(out)) == res.n_rows == 4


def test_output_that_is_an_input_is_refused_even_with_force(
    songs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_batch, "extract_tracks", never_extract)
    tracks = tmp_path / "tracks.csv"
    tracks.write_text("track_id,audio_path\na,songs/Q1/song0.wav\n")
    before = tracks.read_bytes()
    with pytest.raises(ConfigError, match="is one of the inputs"):
        extract_to_csv([tracks], tracks, force=True)
    # through another spelling of the same path, and through a sidecar
    with pytest.raises(ConfigError, match="is one of the inputs"):
        extract_to_csv([tracks], tmp_path / "." / "tracks.csv", force=True)
    side = tmp_path / "f.errors.csv"
    side.write_bytes(before)
    with pytest.raises(ConfigError, match=r"f\.errors\.csv' is one of the inputs"):
        extract_to_csv([side], tmp_path / "f.csv", force=True)
    # an audio file found inside an input folder, and the metadata table
    with pytest.raises(ConfigError, match="is one of the inputs"):
        extract_to_csv([songs], songs / "Q1" / "song0.wav", force=True)
    with pytest.raises(ConfigError, match="is one of the inputs"):
        extract_to_csv([songs], tracks, force=True, metadata=tracks)
    assert tracks.read_bytes() == before


def test_unwritable_output_is_refused_before_the_work(
    songs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_batch, "extract_tracks", never_extract)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="is a file, not a folder; choose another"):
        extract_to_csv([songs], blocker / "sub" / "f.csv")
    with pytest.raises(ConfigError, match="is a folder; --out needs a CSV file"):
        extract_to_csv([songs], tmp_path)
    # a folder this user cannot write (simulated: root may write anywhere)
    with monkeypatch.context() as m:
        real_access = os.access
        # writing is denied, reading the inputs is not
        m.setattr(
            os,
            "access",
            lambda p, mode, **k: not mode & os.W_OK and real_access(p, mode),
        )
        res = CliRunner().invoke(
            main, ["extract", str(songs), "-o", str(tmp_path / "f.csv"), "-q"]
        )
    assert res.exit_code == 1
    assert res.output == (
        f"Error: cannot write {str(tmp_path / 'f.csv')!r}: this user has no write "
        f"permission in {str(tmp_path)!r}; choose another output path or fix the "
        "folder's permissions\n"
    )
    if os.geteuid() == 0:
        pytest.skip("root can write into a read-only folder")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        with pytest.raises(ConfigError, match="no write permission"):
            extract_to_csv([songs], locked / "f.csv")
        with pytest.raises(ConfigError, match="no write permission"):
            extract_to_csv([songs], locked / "new" / "f.csv")
    finally:
        locked.chmod(0o700)


def test_cli_extract_refuses_its_own_input_and_existing_output(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "audio").mkdir(parents=True)
    sf.write(raw / "audio" / "t1.wav", tone(), SR)
    table = raw / "tracks.csv"
    table.write_text("track_id,preview_url,audio_path,label\nt1,u,audio/t1.wav,happy\n")
    before = table.read_bytes()
    res = CliRunner().invoke(
        main, ["extract", str(table), "-o", str(table), "--force", "--no-cache"]
    )
    assert res.exit_code == 1
    assert res.output == (
        f"Error: output {str(table)!r} is one of the inputs ({str(table)!r}); "
        "extract would replace what it reads, even with --force. Choose another --out\n"
    )
    assert table.read_bytes() == before
    out = tmp_path / "f.csv"
    out.write_text("old\n")
    res = CliRunner().invoke(main, ["extract", str(table), "-o", str(out), "-q"])
    assert res.exit_code == 1
    assert res.output == (
        f"Error: {str(out)!r} already exists; choose another --out or pass --force "
        "to replace it\n"
    )
    res = CliRunner().invoke(
        main, ["extract", str(table), "-o", str(out), "-q", "--force", "--no-cache"]
    )
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out)["label"].tolist() == ["happy"]


# -- zero extracted rows ----------------------------------------------------------------
def test_tracks_without_audio_are_an_error_that_writes_nothing(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    table = raw / "tracks.csv"
    table.write_text("track_id,audio_path,label\nabc,,happy\ndef,,sad\n")
    out = tmp_path / "features" / "features.csv"
    res = CliRunner().invoke(main, ["extract", str(table), "-o", str(out), "-q"])
    assert res.exit_code == 1
    assert res.output == (
        "Error: no features extracted, so nothing was written: 2 of 2 row(s) of "
        f"{table} have no audio_path. To get audio: put MP3s in {raw / 'audio'}/"
        "<track_id>.mp3 and re-run the same `mer-classic fetch` command with --force "
        "(it adopts the clips it finds there and fills audio_path), or pass audio "
        "files or folders to `mer-classic extract`\n"
    )
    assert not out.parent.exists()


def test_all_files_failing_is_an_error_that_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.wav").write_bytes(b"RIFF not audio at all")
    table = tmp_path / "tracks.csv"
    table.write_text("track_id,audio_path\nx,audio/x.mp3\ny,\n")
    out = tmp_path / "out" / "f.csv"
    with pytest.raises(DataError) as info:
        extract_to_csv([tmp_path / "a.wav", table], out)
    msg = str(info.value)
    assert "1 of 2 row(s) of" in msg and "2 file(s) failed" in msg
    assert f"{tmp_path / 'audio' / 'x.mp3'}: file not found" in msg
    assert "put MP3s in" in msg
    assert not out.parent.exists()


# -- metadata ---------------------------------------------------------------------------------
@pytest.fixture
def metadata(songs: Path) -> Path:
    p = songs.parent / "metadata.csv"
    pd.DataFrame(
        {
            "Song": ["song0", "song1", "song2", "other"],
            "Artist": ["Ann", "Ann", "Bob", "Cy"],
            "Title": ["One", "Two", "Three", "Four"],
            "Quadrant": ["Q1", "Q1", "Q2", "Q3"],
            "Year": [1999, 2000, 2001, 2002],
            "Moods": [3, 2, 4, 1],
        }
    ).to_csv(p, index=False)
    return p


def test_metadata_joins_text_columns_by_detected_id(
    songs: Path, metadata: Path, tmp_path: Path
) -> None:
    out = tmp_path / "f.csv"
    res = extract_to_csv([songs], out, label_from_folder=True, metadata=metadata)
    df = pd.read_csv(out)
    assert list(df.columns[:5]) == ["track_id", "label", "Artist", "Title", "Quadrant"]
    assert list(df.columns[5:]) == list(FEATURE_NAMES)
    assert df["Artist"].tolist()[:3] == ["Ann", "Ann", "Bob"]
    assert df["Artist"].isna().tolist() == [False, False, False, True]
    assert res.notes == [
        "metadata: joined Artist, Title, Quadrant from metadata.csv on its 'Song' "
        "column (detected: it holds the track ids); 3 of 4 track(s) matched",
        "metadata: 1 track(s) found no row in metadata.csv (e.g. 'song3'); their "
        "metadata columns are empty",
        "metadata: not joined: Year, Moods (numeric: `train` would take them as "
        "features, but they are not computed from audio; name the ones meant as "
        "targets with --metadata-columns)",
    ]
    # train's reader groups by Artist and takes exactly the audio features
    matched = df.dropna(subset=["Artist"])
    table = load_table(matched, target="label", group="Artist", id="track_id")
    assert set(table.X.columns) <= set(FEATURE_NAMES)
    assert table.groups.tolist() == ["Ann", "Ann", "Bob"]


def test_metadata_id_column_by_name_file_name_and_errors(
    songs: Path, tmp_path: Path
) -> None:
    tracks = find_inputs([songs]).tracks
    meta = tmp_path / "m.csv"
    meta.write_text("file,artist,label\nsong0.wav,Ann,x\nsong2.wav,Bob,y\n")
    tracks[0].meta["label"] = "Q1"
    notes = join_metadata(tracks, meta, id_column="file")
    assert tracks[0].meta == {"label": "Q1", "artist": "Ann"}
    assert tracks[2].meta == {"artist": "Bob"}
    assert (
        notes[-1] == "metadata: not joined: label (the table already has such a column)"
    )
    with pytest.raises(ParameterError, match="--metadata-id 'nope' is not a column"):
        join_metadata(tracks, meta, id_column="nope")
    with pytest.raises(DataError, match="none of the 4 track id"):
        join_metadata(tracks, meta, id_column="artist")
    unrelated = tmp_path / "u.csv"
    unrelated.write_text("a,b\nx,y\n")
    with pytest.raises(DataError, match="no column of metadata .* pass --metadata-id"):
        join_metadata(tracks, unrelated)
    twice = tmp_path / "t.csv"
    twice.write_text("id,key,who\nsong0,song0,Ann\nsong1,song1,Bob\n")
    with pytest.raises(DataError, match="several columns .*'id', 'key'"):
        join_metadata(tracks, twice)


def test_cli_extract_metadata(songs: Path, metadata: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    args = ["extract", str(songs), "--label-from-folder", "-o", str(out), "-q"]
    res = CliRunner().invoke(main, [*args, "--metadata-id", "Song"])
    assert res.exit_code == 2 and "--metadata-id needs --metadata" in res.output
    res = CliRunner().invoke(
        main,
        [*args, "--metadata", str(metadata), "--metadata-id", "Song", "--no-cache"],
    )
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[1:3] == [
        "  note: metadata: joined Artist, Title, Quadrant from metadata.csv on its "
        "'Song' column; 3 of 4 track(s) matched",
        "  note: metadata: 1 track(s) found no row in metadata.csv (e.g. 'song3'); "
        "their metadata columns are empty",
    ]
    assert pd.read_csv(out)["Artist"].iloc[2] == "Bob"


def test_cli_extract_metadata_columns_keeps_named_numeric_columns(
    songs: Path, metadata: Path, tmp_path: Path
) -> None:
    out = tmp_path / "f.csv"
    args = ["extract", str(songs), "--label-from-folder", "-o", str(out), "-q"]
    res = CliRunner().invoke(main, [*args, "--metadata-columns", "Year"])
    assert res.exit_code == 2 and "--metadata-columns needs --metadata" in res.output
    res = CliRunner().invoke(
        main, [*args, "--metadata", str(metadata), "--metadata-columns", "Year,Nope"]
    )
    assert res.exit_code == 1 and not out.exists()
    assert res.output == (
        "Error: --metadata-columns 'Nope': not a column of metadata "
        f"{str(metadata)!r} (columns: Song, Artist, Title, Quadrant, Year, Moods)\n"
    )
    res = CliRunner().invoke(
        main,
        [
            *args,
            "--metadata",
            str(metadata),
            "--metadata-columns",
            "Year",
            "--no-cache",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "  note: metadata: not joined: Moods (numeric" in res.output
    assert (
        "  note: metadata: kept numeric Year (--metadata-columns); `train` takes "
        "every numeric column but its target as a feature"
    ) in res.output
    df = pd.read_csv(out)
    assert list(df.columns[:6]) == [
        "track_id",
        "label",
        "Artist",
        "Title",
        "Quadrant",
        "Year",
    ]
    assert df["Year"].tolist()[:3] == [1999, 2000, 2001]
    # the kept column is a regression target for evaluate/train
    matched = df.dropna(subset=["Year"])
    table = load_table(matched, target="Year", task="regress", id="track_id")
    assert table.y.tolist() == [1999.0, 2000.0, 2001.0]
    assert set(table.X.columns) <= set(FEATURE_NAMES)


def test_4q_metadata_joins_on_song_without_extracting(shared_data: Path) -> None:
    root = shared_data / "4q-dev"
    if not (root / "metadata.csv").is_file():
        pytest.skip(f"{root}/metadata.csv is absent")
    found = find_inputs([root], label_from_folder=True)
    notes = join_metadata(found.tracks, root / "metadata.csv")
    assert "on its 'Song' column" in notes[0]
    assert notes[0].startswith("metadata: joined Artist, Title, Quadrant")
    joined = [t for t in found.tracks if "Artist" in t.meta]
    assert len(joined) == len(found.tracks)
    assert all(t.meta["Quadrant"] == t.meta["label"] for t in joined)
    assert any("not joined: Moods, Genres" in n for n in notes)


def test_local_run_streams_rows_and_resumes_like_a_dask_run(tmp_path: Path) -> None:
    """One path for local and Dask runs: rows go to the resumable part file as
    files finish, so an interrupted local run resumes without recomputing."""
    from mer_classic.features._sink import part_paths

    folder = tmp_path / "audio"
    folder.mkdir()
    for i in range(4):
        sf.write(folder / f"t{i}.wav", tone(300.0 + 50 * i), SR)
    clean = tmp_path / "clean.csv"
    extract_to_csv([folder], clean, cache_dir=None)

    class Stop(Exception):
        pass

    seen: list[str] = []

    def stop_after_two(track_id: str) -> None:
        seen.append(track_id)
        if len(seen) == 2:
            raise Stop

    out = tmp_path / "f.csv"
    with pytest.raises(Stop):
        extract_to_csv([folder], out, cache_dir=None, on_result=stop_after_two)
    assert not out.exists() and part_paths(out)[0].exists()
    res = extract_to_csv([folder], out, cache_dir=None)
    assert (res.n_resumed, res.n_computed, res.n_rows) == (2, 2, 4)
    assert out.read_bytes() == clean.read_bytes()
    assert not any(p.exists() for p in part_paths(out))


def test_cli_extract_reports_a_bad_file_once_with_its_reason(tmp_path: Path) -> None:
    root = tmp_path / "in"
    root.mkdir()
    sf.write(root / "good.wav", tone(220.0), SR)
    (root / "bad.wav").write_bytes(b"not audio at all" * 10)
    out = tmp_path / "f.csv"
    # a real process: the CLI's log handler writes to the real stderr
    res = subprocess.run(
        [sys.executable, "-m", "mer_classic", "extract", str(root), "-o", str(out)]
        + ["-q", "--no-cache"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert res.returncode == 3
    bad = root / "bad.wav"
    assert res.stderr == (
        f"1 file(s) failed; see {tmp_path / 'f.errors.csv'}:\n"
        f"  {bad}: cannot decode bad.wav: not a decodable audio file (format WAV by "
        "its extension; the data is corrupt, truncated or of another format); "
        "decoder said: Format not recognised\n"
    )  # once: no second line from a logger, with or without -q
