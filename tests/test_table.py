from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mer_classic._table import load_table
from mer_classic.exceptions import DataError, ParameterError


def test_loads_features_target_groups(features_df):
    t = load_table(features_df, target="label", group="artist", id="track_id")
    assert list(t.X.columns) == ["f1", "f2", "f3", "valence", "arousal"]
    assert t.y.tolist() == features_df["label"].tolist()
    assert t.groups.tolist() == features_df["artist"].tolist()
    assert list(t.X.index) == features_df["track_id"].tolist()
    assert len(t.meta["fingerprint"]) == 64


def test_regression_targets_and_exclude(features_df):
    t = load_table(
        features_df, target=["valence", "arousal"], task="regress", exclude=["f3"]
    )
    assert list(t.y.columns) == ["valence", "arousal"]
    assert "f3" not in t.X.columns and "valence" not in t.X.columns
    assert any("non-numeric" in n for n in t.meta["notes"])


def test_duplicate_ids_removed_with_note(features_df):
    df = pd.concat([features_df, features_df.iloc[:3]], ignore_index=True)
    t = load_table(df, target="label", id="track_id")
    assert len(t) == 12
    assert "removed 3 duplicate row(s) with the same 'track_id'" in t.meta["notes"]


def test_duplicate_id_with_conflicting_label_is_refused(features_df):
    bad = features_df.iloc[[0]].assign(label="sad")
    df = pd.concat([features_df, bad], ignore_index=True)
    with pytest.raises(DataError, match="appear with different"):
        load_table(df, target="label", id="track_id")


def test_exact_duplicates_without_id(features_df):
    df = pd.concat([features_df, features_df.iloc[:2]], ignore_index=True)
    assert len(load_table(df, target="label")) == 12


def test_fingerprint_changes_with_data(features_df):
    a = load_table(features_df, target="label").meta["fingerprint"]
    df = features_df.copy()
    df.loc[0, "f1"] += 1
    assert load_table(df, target="label").meta["fingerprint"] != a


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_table(tmp_path / "nope.csv", target="label")


def test_empty_csv(tmp_path):
    p = tmp_path / "e.csv"
    p.write_text("")
    with pytest.raises(DataError, match="is empty"):
        load_table(p, target="label")
    p.write_text("a,b\n")
    with pytest.raises(DataError, match="no rows"):
        load_table(p, target="a")


def test_unknown_target(features_df):
    with pytest.raises(
        DataError, match=r"target column\(s\) 'mood' not found.*available"
    ):
        load_table(features_df, target="mood")


def test_non_numeric_regression_target(features_df):
    with pytest.raises(DataError, match="must be numeric"):
        load_table(features_df, target="label", task="regress")


def test_single_class(features_df):
    with pytest.raises(DataError, match="single class"):
        load_table(features_df.assign(label="sad"), target="label")


def test_infinite_features_refused_nan_imputed(features_df):
    df = features_df.copy()
    df.loc[1, "f2"] = np.nan
    t = load_table(df, target="label")
    assert any("imputed" in n for n in t.meta["notes"])
    df.loc[2, "f1"] = np.inf
    with pytest.raises(DataError, match="'f1' contain infinite"):
        load_table(df, target="label")


def test_constant_columns_dropped(features_df):
    t = load_table(features_df.assign(const=1.0), target="label")
    assert "const" not in t.X.columns
    only_const = features_df[["label"]].assign(c1=1.0, c2=2.0)
    with pytest.raises(DataError, match="constant"):
        load_table(only_const, target="label")


def test_bad_task_and_multi_target_classification(features_df):
    with pytest.raises(ParameterError, match="task must be"):
        load_table(features_df, target="label", task="cluster")
    with pytest.raises(ParameterError, match="one target column"):
        load_table(features_df, target=["label", "artist"])


def test_no_numeric_features():
    df = pd.DataFrame({"name": list("abcd"), "label": list("xyxy")})
    with pytest.raises(DataError, match="no numeric feature columns"):
        load_table(df, target="label")
