"""Tables whose meaning changes on reading: a saved pandas index, number-like ids,
an id or group that is the target, infinite regression targets (issue 21)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic._table import load_table, read_csv
from mer_classic.exceptions import DataError, ParameterError

ODD_IDS = ["007", "0123", "1e5", "12", "1.50", "000"]


@pytest.fixture
def runner():
    return CliRunner()


def _noise_sorted_by_label(n: int = 120) -> pd.DataFrame:
    """Pure-noise features, rows sorted by label: only a row number predicts it."""
    rng = np.random.default_rng(3)
    df = pd.DataFrame(rng.normal(size=(n, 4)), columns=["f1", "f2", "f3", "f4"])
    df["label"] = np.where(np.arange(n) < n // 2, "happy", "sad")
    return df


# ------------------------------------------------------------------ saved index
def test_saved_index_is_dropped_with_a_note(tmp_path):
    path = tmp_path / "t.csv"
    _noise_sorted_by_label().to_csv(path)  # index written: header ",f1,..."
    assert path.read_text().startswith(",f1,")
    t = load_table(path, target="label")
    assert list(t.X.columns) == ["f1", "f2", "f3", "f4"]
    assert any(
        n.startswith(f"dropped the first column of data file {str(path)!r}")
        and "counts rows (0 to 119)" in n
        and "index=False" in n
        for n in t.meta["notes"]
    ), t.meta["notes"]


def test_saved_index_of_a_shuffled_or_filtered_table_is_dropped(tmp_path):
    df = _noise_sorted_by_label().sample(frac=0.7, random_state=1)  # gaps, any order
    path = tmp_path / "t.csv"
    df.to_csv(path)
    assert "Unnamed: 0" not in load_table(path, target="label").X.columns


def test_saved_index_in_a_dataframe_source_is_dropped():
    df = _noise_sorted_by_label().reset_index().rename(columns={"index": "Unnamed: 0"})
    t = load_table(df, target="label")
    assert "Unnamed: 0" not in t.X.columns and "saved" in t.meta["notes"][0]


def test_unnamed_numeric_first_column_that_is_not_a_row_number_is_refused(tmp_path):
    path = tmp_path / "t.csv"
    df = _noise_sorted_by_label()
    df.insert(0, "", np.round(df["f1"], 3))
    df.to_csv(path, index=False)
    with pytest.raises(DataError, match="has no name .* Give it a name in the header"):
        load_table(path, target="label")


def test_unnamed_text_first_column_is_kept(tmp_path):
    path = tmp_path / "t.csv"
    df = _noise_sorted_by_label()
    df.index = [f"t{i}" for i in range(len(df))]
    df.to_csv(path)
    assert "Unnamed: 0" in read_csv(path).columns


@pytest.mark.slow
def test_train_evaluate_predict_ignore_the_saved_index(runner, tmp_path):
    data = tmp_path / "indexed.csv"
    _noise_sorted_by_label(200).to_csv(data)
    run = tmp_path / "run"
    res = runner.invoke(
        main,
        ["train", "--model", "rf", "--no-grid", "--cv", "3", "--data", str(data)]
        + ["--target", "label", "-q", "--out", str(run)],
    )
    assert res.exit_code == 0, res.output
    assert "note: dropped the first column of data file" in res.output
    metrics = __import__("json").loads((run / "metrics.json").read_text())
    # before: accuracy 0.99 from the row number; noise gives chance level
    assert metrics["accuracy"] < 0.75, metrics["accuracy"]
    assert "Unnamed: 0" not in (run / "model.json").read_text()
    res = runner.invoke(
        main,
        ["evaluate", "--model", str(run), "--data", str(data), "--target", "label"]
        + ["--out", str(tmp_path / "ev")],
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["predict", "--model", str(run), "--data", str(data)])
    assert res.exit_code == 0, res.output
    assert "Unnamed" not in res.output


# ------------------------------------------------------------------ ids as text
def _odd_id_table(id_name: str = "track_id") -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 24
    ids = ODD_IDS + [f"{i:04d}" for i in range(n - len(ODD_IDS))]
    label = np.array(["happy", "sad"] * (n // 2))
    return pd.DataFrame(
        {
            id_name: ids,
            "f1": rng.normal(size=n) + np.where(label == "happy", 2, -2),
            "f2": rng.normal(size=n),
            "label": label,
        }
    )


@pytest.mark.parametrize("id_name", ["track_id", "song"])
@pytest.mark.slow
def test_number_like_ids_keep_their_spelling(runner, tmp_path, id_name):
    data = tmp_path / "f.csv"
    _odd_id_table(id_name).to_csv(data, index=False)
    t = load_table(data, target="label", id=id_name)
    assert list(t.X.index[: len(ODD_IDS)]) == ODD_IDS
    run = tmp_path / "run"
    res = runner.invoke(
        main,
        ["train", "--model", "logreg", "--no-grid", "--cv", "3", "--data", str(data)]
        + ["--target", "label", "--id", id_name, "-q", "--out", str(run)],
    )
    assert res.exit_code == 0, res.output
    preds = pd.read_csv(run / "predictions.csv", dtype=str)
    assert set(ODD_IDS) <= set(preds[id_name]), preds[id_name].tolist()
    out = tmp_path / "p.csv"
    res = runner.invoke(
        main,
        ["predict", "--model", str(run), "--data", str(data), "--id", id_name]
        + ["--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out, dtype=str)[id_name].tolist()
    assert got[: len(ODD_IDS)] == ODD_IDS
    res = runner.invoke(main, ["predict", "--model", str(run), "--data", str(data)])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert [line.split(",")[0] for line in lines[1:4]] == ODD_IDS[:3]


def test_group_column_is_read_as_text(tmp_path):
    df = _odd_id_table()
    df["artist"] = ["01", "1"] * (len(df) // 2)  # two artists, not one
    data = tmp_path / "f.csv"
    df.to_csv(data, index=False)
    t = load_table(data, target="label", group="artist")
    assert sorted(t.groups.unique()) == ["01", "1"]


# ------------------------------------------------------------------ --id / --group
def test_id_naming_the_target_is_refused(runner, tmp_path, features_df):
    with pytest.raises(ParameterError, match="--id 'label' is also the target"):
        load_table(features_df, target="label", id="label")
    data = tmp_path / "f.csv"
    features_df.to_csv(data, index=False)
    out = tmp_path / "o"
    res = runner.invoke(
        main,
        ["train", "--model", "logreg", "--data", str(data), "--target", "label"]
        + ["--id", "label", "--out", str(out)],
    )
    assert res.exit_code == 1
    assert res.output.startswith("Error: --id 'label' is also the target column")
    assert not out.exists()


def test_group_naming_the_target_is_refused(features_df):
    with pytest.raises(ParameterError, match="--group 'label' is also the target"):
        load_table(features_df, target="label", group="label")


# ------------------------------------------------------------------ infinite targets
@pytest.mark.parametrize("bad", ["inf", "-inf", "Infinity"])
def test_infinite_regression_target_is_refused(runner, tmp_path, features_df, bad):
    df = features_df.astype({"valence": object})
    df.loc[3, "valence"] = bad
    data = tmp_path / "f.csv"
    df.to_csv(data, index=False)
    with pytest.raises(DataError, match="'valence' .* 1 infinite value"):
        load_table(data, target=["valence", "arousal"], task="regress")
    res = runner.invoke(
        main,
        ["train", "--model", "ridge", "--task", "regress", "--data", str(data)]
        + ["--target", "valence", "--no-grid", "--out", str(tmp_path / "o")],
    )
    assert res.exit_code == 1, res.output
    assert res.output.startswith("Error: regression target 'valence'")
    assert "infinite" in res.output and "Traceback" not in res.output


# ------------------------------------------------------------------ loaders, metadata
def test_dataset_csv_reads_id_columns_as_text(tmp_path):
    from mer_classic.datasets._base import read_dataset_csv

    path = tmp_path / "static.csv"
    path.write_text(" song_id, valence_mean\n007,5.0\n1e5,4.0\n0123,3.0\n")
    df = read_dataset_csv(path, dataset="DEAM")
    assert df["song_id"].tolist() == ["007", "1e5", "0123"]
    assert df["valence_mean"].tolist() == [5.0, 4.0, 3.0]


def test_dynamic_annotation_ids_keep_their_spelling(tmp_path):
    from mer_classic.dynamic import read_dynamic_annotations

    path = tmp_path / "dyn.csv"
    path.write_text(
        "musicId,frameTime,Arousal(mean),Valence(mean)\n007,15.0,0.1,0.2\n"
        "1e5,15.0,0.3,0.4\n"
    )
    assert read_dynamic_annotations(path)["track_id"].tolist() == ["007", "1e5"]


def test_extract_metadata_join_keeps_number_like_ids(tmp_path):
    import soundfile as sf

    audio = tmp_path / "audio"
    audio.mkdir()
    t = np.arange(22050 * 2) / 22050
    for i, tid in enumerate(["007", "1e5"]):
        sf.write(
            audio / f"{tid}.wav", 0.3 * np.sin(2 * np.pi * (220 + 50 * i) * t), 22050
        )
    meta = tmp_path / "meta.csv"
    meta.write_text("track_id,label\n007,happy\n1e5,sad\n")
    out = tmp_path / "f.csv"
    res = CliRunner().invoke(
        main,
        ["extract", str(audio), "--metadata", str(meta), "--out", str(out), "-q"],
    )
    assert res.exit_code == 0, res.output
    table = read_csv(out)
    assert table["track_id"].tolist() == ["007", "1e5"]
    assert table["label"].tolist() == ["happy", "sad"]


def test_dataset_ratings_with_an_infinite_value_are_refused():
    from mer_classic.datasets._base import check_range

    with pytest.raises(DataError, match=r"DEAM: valence holds 1 infinite value\(s\)"):
        check_range(
            pd.Series([5.0, np.inf, 3.0]), "1-9", dataset="DEAM", what="valence"
        )
    check_range(pd.Series([5.0, np.nan, 3.0]), "1-9", dataset="DEAM", what="valence")
