"""``--group`` with missing values: each such row is its own group, with one note.

The rule lives once in :func:`mer_classic._table._columns.groups_or_own`, shared by
:func:`mer_classic._table.load_table` and the published-dataset loaders.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mer_classic._table import load_table
from mer_classic._table._columns import groups_or_own


def test_missing_group_values_become_own_groups_with_a_note(features_df):
    df = features_df.copy()
    df.loc[[1, 4], "artist"] = np.nan
    df.loc[7, "artist"] = "  "
    t = load_table(df, target="label", group="artist", id="track_id")
    assert t.groups.loc["t01"] == "song:t01"
    assert t.groups.loc["t04"] == "song:t04"
    assert t.groups.loc["t07"] == "song:t07"
    assert t.groups.loc["t00"] == "a0"
    assert t.groups.name == "artist"  # named after its column, as before
    assert "3 track(s) without an artist: each is its own group" in t.meta["notes"]


def test_without_id_the_row_number_names_the_group(features_df):
    df = features_df.drop(columns="track_id")
    df.loc[2, "artist"] = None
    t = load_table(df, target="label", group="artist")
    assert t.groups.iloc[2] == "song:2"
    assert t.groups.nunique() == df["artist"].nunique() + 1


def test_loaders_and_table_share_one_function():
    from mer_classic.datasets import _base

    assert _base.groups_or_own is groups_or_own
    notes: list[str] = []
    out = groups_or_own(pd.Series(["Ann", None], index=["x", "y"]), notes=notes)
    assert out.tolist() == ["Ann", "song:y"]
    assert notes == ["1 track(s) without an artist: each is its own group"]


@pytest.mark.slow
def test_cli_train_with_a_missing_artist_is_not_an_error(
    features_df, tmp_path, train_csv
):
    df = features_df.rename(columns={"artist": "Artist"})
    df.loc[3, "Artist"] = np.nan
    out, output = train_csv(df, tmp_path, "--group", "Artist", "--cv", "2")
    note = "1 track(s) without an Artist: each is its own group"
    assert f"note: {note}" in output
    run = json.loads((out / "run.json").read_text())
    assert note in run["data"]["notes"]
    assert note in (out / "report.md").read_text()
