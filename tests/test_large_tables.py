"""Tests for mer_classic._large_tables: large-table plans, subsampled grid search, float32."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import StackingClassifier, StackingRegressor
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import SGDClassifier
from sklearn.multioutput import MultiOutputRegressor

import mer_classic._large_tables as scaling
from mer_classic._large_tables import (
    SubsampledGridSearch,
    downcast_float32,
    plan_for_size,
    read_csv_chunked,
)
from mer_classic._table import load_table
from mer_classic.exceptions import DataError, ParameterError
from mer_classic.models import make_pipeline, model_names, param_grid
from mer_classic.training import train

BIG = 300_000


@pytest.mark.parametrize("task", ["classify", "regress"])
def test_small_tables_keep_the_registry_pipeline(task):
    for name in model_names(task):
        plan = plan_for_size(name, task, 5_000)
        assert not plan.changed and plan.notes == []
        assert plan.grid == param_grid(name, task)
        ref = make_pipeline(name, task)
        assert [s for s, _ in plan.pipeline.steps] == [s for s, _ in ref.steps]
        assert type(plan.pipeline.named_steps["model"]) is type(
            ref.named_steps["model"]
        )


def test_large_svm_becomes_nystroem_plus_linear_svm_with_a_subsampled_grid():
    plan = plan_for_size("svm", "classify", BIG)
    assert plan.switched and plan.float32 and plan.grid is None
    assert plan.grid_rows == scaling.GRID_ROWS
    search = plan.pipeline
    assert isinstance(search, SubsampledGridSearch)
    inner = search.estimator.named_steps["model"]
    assert isinstance(inner.named_steps["kernel"], Nystroem)
    assert isinstance(inner.named_steps["svm"], SGDClassifier)
    assert inner.named_steps["svm"].loss == "hinge"
    # every grid key is a real parameter of the pipeline
    for key, values in search.param_grid.items():
        clone(search.estimator).set_params(**{key: values[0]})
    assert any("Nystroem" in n for n in plan.notes)
    assert any("subsample of 10000 rows" in n for n in plan.notes)


@pytest.mark.parametrize(
    ("model", "task", "kind"),
    [
        ("stacking", "classify", StackingClassifier),
        ("stacking", "regress", StackingRegressor),
    ],
)
def test_large_stacking_becomes_linear_time_stacking(model, task, kind):
    plan = plan_for_size(model, task, BIG, grid=False)
    est = plan.pipeline.named_steps["model"]
    assert isinstance(est, kind)
    names = [n for n, _ in est.estimators]
    assert "hgb" in names and not any(n in ("rf", "dtree") for n in names)
    assert plan.grid is None and plan.grid_rows is None  # no grid asked


def test_large_multi_target_svr_keeps_the_per_target_wrapper():
    plan = plan_for_size("svr", "regress", BIG, n_targets=2, grid_rows=BIG)
    est = plan.pipeline.named_steps["model"]
    assert isinstance(est, MultiOutputRegressor)
    assert all(k.startswith("model__estimator__") for k in plan.grid)
    for key, values in plan.grid.items():
        clone(plan.pipeline).set_params(**{key: values[0]})


def test_linear_time_models_are_kept_but_tuned_on_a_subsample():
    plan = plan_for_size("gboost", "classify", BIG)
    assert not plan.switched and plan.float32 and plan.grid_rows == scaling.GRID_ROWS
    assert plan.pipeline.param_grid == param_grid("gboost", "classify")


def test_refuse_gives_advice_and_keep_only_warns(caplog):
    with pytest.raises(ParameterError, match=r"300000 rows.*use --model gboost"):
        plan_for_size("svm", "classify", BIG, on_large="refuse")
    plan_for_size("gboost", "classify", BIG, on_large="refuse")  # not quadratic: fine
    plan = plan_for_size("svr", "regress", BIG, on_large="keep", grid=False)
    assert not plan.switched and "quadratic" in plan.notes[0]
    assert "may take hours" in caplog.text


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"on_large": "maybe"}, "on_large must be one of"),
        ({"large_rows": 0}, "large_rows must be a positive int"),
        ({"grid_rows": -1}, "grid_rows must be a positive int"),
    ],
)
def test_bad_plan_arguments(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        plan_for_size("svm", "classify", 10, **kwargs)


def test_subsampled_search_is_stratified_and_refits_on_every_row():
    rng = np.random.default_rng(0)
    y = np.array(["a"] * 900 + ["b"] * 90 + ["c"] * 10)
    X = rng.normal(size=(1000, 3))
    search = SubsampledGridSearch(
        estimator=DummyClassifier(),
        param_grid={"strategy": ["prior", "most_frequent"]},
        max_rows=100,
        cv=3,
        random_state=1,
    )
    idx = search._subsample(y)
    counts = pd.Series(y[idx]).value_counts()
    assert len(idx) == len(set(idx)) and abs(len(idx) - 100) <= 3
    assert counts["a"] == 90 and counts["b"] == 9 and counts["c"] >= 3  # >= cv members
    search.fit(X, y)
    assert search.n_search_rows_ == len(idx)
    # the refitted model saw all 1000 rows: its class prior is the full data's
    np.testing.assert_allclose(search.best_estimator_.class_prior_, [0.9, 0.09, 0.01])
    assert list(search.classes_) == ["a", "b", "c"]
    assert search.predict_proba(X[:2]).shape == (2, 3)
    assert set(search.best_params_) == {"strategy"}


def test_subsampled_search_estimator_contract():
    search = SubsampledGridSearch(
        estimator=DummyRegressor(),
        param_grid={"strategy": ["mean", "median"]},
        max_rows=50,
    )
    assert clone(search).get_params()["max_rows"] == 50
    assert search.set_params(max_rows=60) is search and search.max_rows == 60
    assert not hasattr(search, "predict_proba")  # the regressor has none
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        search.predict(np.zeros((1, 2)))
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(200, 2)), rng.normal(size=200)
    assert search.fit(X, y) is search and search.n_search_rows_ == 60
    with pytest.raises(ParameterError, match="max_rows must be an int >= 2"):
        clone(search).set_params(max_rows=1).fit(X, y)
    with pytest.raises(ParameterError, match="needs an estimator and a grid"):
        SubsampledGridSearch().fit(X, y)


def test_downcast_float32_only_where_lossless():
    rng = np.random.default_rng(2)
    df = pd.DataFrame(
        {
            "danceability": np.round(rng.uniform(size=500), 3),
            "loudness": np.round(rng.normal(-8, 3, size=500), 3),
            "stamp": 1.7e9 + rng.uniform(0, 10, size=500),  # big offset, small spread
            "key": rng.integers(0, 12, size=500),
            "name": ["x"] * 500,
        }
    )
    out, cast = downcast_float32(df)
    assert cast == ["danceability", "loudness"]
    assert out["danceability"].dtype == np.float32 and out["stamp"].dtype == np.float64
    assert out["key"].dtype == df["key"].dtype and out["name"].equals(df["name"])
    np.testing.assert_allclose(out["loudness"], df["loudness"], rtol=1e-6)
    assert df["danceability"].dtype == np.float64  # the input is not modified


def test_read_csv_chunked_matches_pandas(tmp_path):
    rng = np.random.default_rng(3)
    df = pd.DataFrame(
        {
            "id": np.arange(1000),
            "energy": np.round(rng.uniform(size=1000), 4),
            "mood": rng.choice(["Happy", "Sad"], size=1000),
        }
    )
    csv = tmp_path / "t.csv"
    df.to_csv(csv, index=False)
    got = read_csv_chunked(csv, chunksize=128)
    assert got["energy"].dtype == np.float32 and got["id"].dtype == np.int64
    np.testing.assert_allclose(got["energy"], df["energy"], rtol=1e-6)
    assert got["mood"].tolist() == df["mood"].tolist()
    plain = read_csv_chunked(csv, chunksize=128, float32=False)
    pd.testing.assert_frame_equal(plain, pd.read_csv(csv))


def test_read_csv_chunked_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_csv_chunked(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="is empty"):
        read_csv_chunked(empty)
    with pytest.raises(ParameterError, match="chunksize"):
        read_csv_chunked(empty, chunksize=0)


@pytest.fixture
def moods_table():
    rng = np.random.default_rng(4)
    n = 240
    label = np.array(["happy", "sad", "calm", "energetic"] * (n // 4))
    centre = {"happy": (1, 1), "sad": (-1, -1), "calm": (-1, 1), "energetic": (1, -1)}
    c = np.array([centre[v] for v in label], dtype=float)
    df = pd.DataFrame(
        {
            "track_id": [f"t{i}" for i in range(n)],
            "f1": c[:, 0] + 0.6 * rng.normal(size=n),
            "f2": c[:, 1] + 0.6 * rng.normal(size=n),
            "f3": rng.normal(size=n),
            "mood": label,
        }
    )
    return load_table(df, target="mood", id="track_id")


@pytest.mark.slow
def test_train_uses_the_plan_and_saves_a_plain_pipeline(moods_table, monkeypatch):
    real = scaling.plan_for_size
    import mer_classic.training as training_module

    monkeypatch.setattr(  # training imports plan_for_size at its top
        training_module,
        "plan_for_size",
        lambda *a, **k: real(*a, **{**k, "grid_rows": 150}),
    )
    res = train(moods_table, model="svm", cv=3, seed=0, large_rows=100, grid=True)
    sc = res.settings["scaling"]
    assert sc["switched"] and sc["float32"] and sc["grid_rows"] == 150
    assert any("Nystroem" in n for n in sc["notes"])
    # the subsampled search is unwrapped: the saved model is the refitted pipeline
    assert type(res.estimator).__name__ == "Pipeline"
    assert set(res.best_params) == {"model__kernel__gamma", "model__svm__alpha"}
    assert (
        res.estimator.get_params()["model__svm__alpha"]
        == res.best_params["model__svm__alpha"]
    )
    assert res.metrics["f1_macro"] > 0.6  # the stand-in still learns the four quadrants


def test_train_refuses_when_asked(moods_table):
    with pytest.raises(ParameterError, match="quadratic"):
        train(moods_table, model="stacking", large_rows=100, on_large="refuse")
