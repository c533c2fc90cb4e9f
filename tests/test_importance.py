"""Tests for mer_classic.importance (held-out permutation importance)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mer_classic.exceptions import DataError, ParameterError
from mer_classic.importance import add_importance_to_run, permutation_importance_cv
from mer_classic.report import read_importance
from mer_classic.report._files import IMPORTANCE_FILE


@pytest.fixture
def clf_data(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    n = 120
    X = pd.DataFrame(
        {
            "signal": rng.normal(size=n),
            "noise1": rng.normal(size=n),
            "noise2": rng.normal(size=n),
        }
    )
    y = pd.Series(np.where(X["signal"] > 0, "happy", "sad"), name="mood")
    groups = np.repeat(np.arange(30), 4)  # 30 "artists" with 4 tracks each
    return X, y, groups


def test_signal_feature_ranks_first(clf_data: tuple) -> None:
    X, y, groups = clf_data
    est = make_pipeline(StandardScaler(), LogisticRegression())
    imp = permutation_importance_cv(
        est, X, y, groups, task="classify", cv=3, n_repeats=2
    )
    assert list(imp.columns) == [
        "importance",
        "sd",
        "se",
        "distinguishable",
        "n_columns",
        "members",
        "rank",
        "scoring",
        "unit",
    ]
    assert imp.index[0] == "signal" and imp["rank"].tolist() == [1, 2, 3]
    assert imp.loc["signal", "importance"] > 0.3
    assert abs(imp.loc["noise1", "importance"]) < 0.1
    assert (imp["scoring"] == "f1_macro").all()


def test_groups_are_respected(clf_data: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    """No group appears in both the fitting and the held-out part of a fold."""
    from sklearn.inspection import _permutation_importance as pi

    X, y, groups = clf_data
    seen: list[set[int]] = []
    real = pi.permutation_importance

    def spy(est, Xte, *a, **kw):  # noqa: ANN001, ANN202
        seen.append(set(groups[Xte.index]))
        return real(est, Xte, *a, **kw)

    monkeypatch.setattr("sklearn.inspection.permutation_importance", spy)
    permutation_importance_cv(LogisticRegression(), X, y, groups, cv=3, n_repeats=1)
    assert len(seen) == 3
    assert set.union(*seen) == set(groups)
    assert all(a.isdisjoint(b) for i, a in enumerate(seen) for b in seen[i + 1 :])


def test_regression_multi_target(rng: np.random.Generator) -> None:
    X = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)})
    y = pd.DataFrame({"valence": 2 * X["a"], "arousal": X["a"] - 0.1 * X["b"]})
    imp = permutation_importance_cv(
        LinearRegression(), X, y, task="regress", cv=4, n_repeats=2, max_rows=10
    )
    assert imp.index.tolist() == ["a", "b"] and imp.loc["a", "scoring"] == "r2"


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"task": "cluster"}, "task must be"),
        ({"cv": 1}, "cv must be an int >= 2"),
        ({"n_repeats": 0}, "n_repeats must be a positive int"),
    ],
)
def test_bad_parameters(clf_data: tuple, kw: dict, match: str) -> None:
    X, y, _ = clf_data
    with pytest.raises(ParameterError, match=match):
        permutation_importance_cv(LogisticRegression(), X, y, **kw)


def test_length_mismatch(clf_data: tuple) -> None:
    X, y, _ = clf_data
    with pytest.raises(DataError, match="X has 120 rows but y has 10"):
        permutation_importance_cv(LogisticRegression(), X, y[:10])


@pytest.mark.slow
def test_run_folder_round_trip(tmp_path: Path) -> None:
    from mer_classic._workflows import TrainSettings, resolve_training_table, run_train

    run = tmp_path / "run"
    run_train(
        TrainSettings(
            model="logreg",
            data=None,
            target=(),
            task="classify",
            grid=False,
            cv=3,
            out=run,
            quiet=True,
            importance=False,
        )
    )
    assert read_importance(run) is None
    t = resolve_training_table(
        None, target=[], task="classify", group=None, id_col=None, exclude=[]
    )
    imp = add_importance_to_run(run, t.X, t.y, t.groups, n_repeats=1)
    back = read_importance(run)
    assert back is not None and back.index.tolist() == imp.index.tolist()
    assert set(imp.index) == set(t.X.columns)
    assert (run / "importance.png").exists()
    with pytest.raises(DataError, match="X lacks 1 of the model's feature column"):
        add_importance_to_run(run, t.X.drop(columns=[t.X.columns[0]]), t.y)
    (run / IMPORTANCE_FILE).write_text("feature,other\nx,1\n")
    assert read_importance(run) is None


def test_group_units_shuffle_a_feature_group_together(rng: np.random.Generator):
    from mer_classic.features._names import FEATURE_GROUPS
    from mer_classic.importance import feature_units

    mfcc = list(FEATURE_GROUPS["mfcc"])[:4]
    rhythm = list(FEATURE_GROUPS["rhythm"])[:2]
    n = 120
    X = pd.DataFrame(rng.normal(size=(n, 7)), columns=mfcc + rhythm + ["extra"])
    y = pd.Series(np.where(X[mfcc[0]] + X[mfcc[1]] > 0, "a", "b"))
    assert feature_units(list(X.columns)) == {
        "mfcc": mfcc,
        "rhythm": rhythm,
        "extra": ["extra"],
    }
    imp = permutation_importance_cv(
        LogisticRegression(), X, y, cv=3, n_repeats=2, by="group"
    )
    assert list(imp.index)[0] == "mfcc"
    assert imp.loc["mfcc", "n_columns"] == 4
    assert imp.loc["mfcc", "members"] == " ".join(mfcc)
    assert bool(imp.loc["mfcc", "distinguishable"])
    assert not imp.loc[["rhythm", "extra"], "distinguishable"].any()
    assert (imp["unit"] == "group").all()


def test_cluster_units_join_correlated_columns(rng: np.random.Generator):
    from mer_classic.importance import feature_units

    a = rng.normal(size=200)
    X = pd.DataFrame(
        {
            "a": a,
            "a2": a + 0.05 * rng.normal(size=200),
            "b": rng.normal(size=200),
        }
    )
    assert feature_units(list(X.columns), "cluster", X) == {
        "a + 1 more": ["a", "a2"],
        "b": ["b"],
    }


def test_nothing_distinguishable_is_said(rng: np.random.Generator):
    n = 90
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["x", "y", "z"])
    y = pd.Series(rng.choice(["a", "b"], size=n))
    imp = permutation_importance_cv(
        LogisticRegression(), X, y, cv=3, n_repeats=2, by="group"
    )
    assert not imp["distinguishable"].any()
    assert "distinguishable from zero" in imp.attrs["note"]


def test_bad_unit_is_refused():
    from mer_classic.importance import feature_units

    with pytest.raises(ParameterError, match="importance unit must be one of"):
        feature_units(["a"], "column")
