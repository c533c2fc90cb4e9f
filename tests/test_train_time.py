"""Time a user can plan: importance in the timings, a cap on wide tables, ids kept."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic.exceptions import ParameterError
from mer_classic.importance import MAX_FEATURES, permutation_importance_cv


def _wide(n: int = 40, p: int = 30, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    label = np.where(X[:, 0] + 0.3 * rng.normal(size=n) > 0, "hi", "lo")
    df = pd.DataFrame(X, columns=[f"c{j:03d}" for j in range(p)])
    df.insert(0, "track_id", [f"t{i:03d}" for i in range(n)])
    df["label"] = label
    return df


@pytest.mark.slow
def test_importance_capped_on_a_wide_table_and_said_so(tmp_path, train_csv):
    out, output = train_csv(
        _wide(), tmp_path, "--cv", "3", "--importance-max-features", "7"
    )
    imp = pd.read_csv(out / "importance.csv", index_col=0)
    assert len(imp) == 7  # a subset of the 30 features was measured
    run = json.loads((out / "run.json").read_text())
    info = run["importance"]
    assert (info["n_features"], info["n_measured"], info["max_features"]) == (30, 7, 7)
    note = info["note"]
    assert "random subset of 7 of the 30 features" in note
    assert f"note: {note}" in output
    assert note in (out / "report.md").read_text()
    assert note in (out / "index.html").read_text()


@pytest.mark.slow
def test_importance_subset_is_seeded_and_matches_full_measure():
    df = _wide(p=12)
    X = df.drop(columns=["track_id", "label"])
    from sklearn.linear_model import LogisticRegression

    kw = dict(task="classify", cv=3, seed=5)
    a = permutation_importance_cv(
        LogisticRegression(), X, df["label"], max_features=4, **kw
    )
    b = permutation_importance_cv(
        LogisticRegression(), X, df["label"], max_features=4, **kw
    )
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["n_measured"] == 4 and a.attrs["n_features"] == 12
    full = permutation_importance_cv(
        LogisticRegression(), X, df["label"], max_features=None, **kw
    )
    assert "note" not in full.attrs and len(full) == 12
    # the informative column dominates in both, when it is measured
    if "c000" in a.index:
        assert a.index[0] == "c000"
    assert full.index[0] == "c000"
    with pytest.raises(ParameterError, match="max_features must be a positive int"):
        permutation_importance_cv(LogisticRegression(), X, df["label"], max_features=0)


def test_cli_help_states_the_library_default():
    res = CliRunner().invoke(main, ["train", "--help"])
    assert f"Default: {MAX_FEATURES}." in " ".join(res.output.split())


@pytest.mark.slow
def test_importance_is_in_the_timings_table(tmp_path, train_csv):
    out, _ = train_csv(_wide(p=6), tmp_path, "--cv", "3")
    run = json.loads((out / "run.json").read_text())
    assert run["timings"]["permutation_importance_s"] > 0
    assert "| permutation\\_importance\\_s |" in (out / "report.md").read_text()
    assert "<td>permutation_importance_s</td>" in (out / "index.html").read_text()
    assert "note" not in run["importance"]  # 6 features: all measured


def test_importance_shows_a_progress_bar_like_the_cv(monkeypatch):
    import mer_classic._progress as prog

    seen: list[tuple[str, bool]] = []
    real = prog.progress

    def spy(it, **kw):
        seen.append((kw.get("desc", ""), kw.get("quiet", False)))
        return real(it, **{**kw, "quiet": True})

    import mer_classic.importance as importance_module

    monkeypatch.setattr(importance_module, "progress", spy)
    df = _wide(p=4)
    from sklearn.linear_model import LogisticRegression

    permutation_importance_cv(
        LogisticRegression(),
        df.drop(columns=["track_id", "label"]),
        df["label"],
        cv=3,
        quiet=False,
    )
    assert ("permutation importance", False) in seen


def test_predict_frame_keeps_the_track_id_as_index(tmp_path, train_csv):
    out, _ = train_csv(_wide(p=6), tmp_path, "--cv", "3", "--no-importance")
    from mer_classic._persistence._files import load_model

    model = load_model(out)
    df = _wide(p=6, seed=1)  # as pd.read_csv gives it: track_id is a column
    pred = model.predict_frame(df)
    assert pred.index.name == "track_id"
    assert pred.index.tolist() == df["track_id"].tolist()
    # an index the caller set is kept as it is
    assert (
        model.predict_frame(df.set_index("track_id")).index.tolist()
        == pred.index.tolist()
    )
    # and the CLI's table prediction prints the ids, not row numbers
    data = tmp_path / "new.csv"
    df.to_csv(data, index=False)
    res = CliRunner().invoke(
        main, ["predict", "--model", str(out), "--data", str(data)]
    )
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("track_id,") and lines[1].startswith("t000,")


def test_wide_subset_fast_path_gives_the_same_numbers(monkeypatch):
    """Shuffling after column-wise steps (selector, imputer, scaler) is exact."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import mer_classic.importance as importance
    from mer_classic.features._transformers import ColumnSelector

    df = _wide(n=60, p=15, seed=3)
    X = df.drop(columns=["track_id", "label"])
    X.iloc[::7, 2] = np.nan
    pipe = make_pipeline(
        ColumnSelector(), SimpleImputer(), StandardScaler(), LogisticRegression()
    )
    kw = dict(task="classify", cv=3, seed=1, max_features=5)
    seen = []
    real = importance._columnwise_split
    monkeypatch.setattr(
        importance,
        "_columnwise_split",
        lambda est, X: seen.append(real(est, X)) or seen[-1],
    )
    fast = permutation_importance_cv(pipe, X, df["label"], **kw)
    assert seen and all(s is not None for s in seen)  # the fast path was taken
    monkeypatch.setattr(importance, "_columnwise_split", lambda est, X: None)
    slow = permutation_importance_cv(pipe, X, df["label"], **kw)
    pd.testing.assert_frame_equal(fast, slow)
