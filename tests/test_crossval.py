from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mer_classic._crossval import cross_validate_model, make_splitter, validate_folds
from mer_classic._metrics import (
    classification_metrics,
    regression_metrics,
    summarize_repeats,
)
from mer_classic.exceptions import DataError, ParameterError
from mer_classic.models import make_pipeline, param_grid


def _artist_data(n_artists=20, per_artist=5, seed=0):
    """Each artist has one label and a tight feature cluster: memorising artists pays
    off only when an artist sits on both sides of a split."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=5, size=(n_artists, 4))
    labels = np.array(["a", "b"] * (n_artists // 2))
    rng.shuffle(labels)
    X = np.repeat(centres, per_artist, axis=0) + rng.normal(
        scale=0.1, size=(n_artists * per_artist, 4)
    )
    y = pd.Series(np.repeat(labels, per_artist), name="label")
    groups = pd.Series(np.repeat([f"artist{i}" for i in range(n_artists)], per_artist))
    return pd.DataFrame(X, columns=list("wxyz")), y, groups


def test_grouped_cv_is_not_fooled_by_artist_memorisation():
    X, y, g = _artist_data()
    pipe = make_pipeline("knn", random_state=0).set_params(model__n_neighbors=1)
    ungrouped = cross_validate_model(pipe, X, y, None, cv=5, seed=0)
    grouped = cross_validate_model(pipe, X, y, g, cv=5, seed=0)
    acc_u = ungrouped.repeat_metrics[0]["accuracy"]
    acc_g = grouped.repeat_metrics[0]["accuracy"]
    assert acc_u > 0.95  # leaks: same-artist neighbour in the training fold
    assert acc_g < 0.8  # labels of unseen artists are random → near chance


def test_splitter_never_splits_a_group():
    X, y, g = _artist_data()
    for train, test in make_splitter("classify", 5, grouped=True, seed=1).split(
        X, y, g
    ):
        assert not set(g.iloc[train]) & set(g.iloc[test])


def test_out_of_fold_predictions_cover_every_row_once():
    X, y, g = _artist_data()
    res = cross_validate_model(make_pipeline("logreg"), X, y, g, cv=4, seed=0)
    assert res.predictions.index.equals(y.index)
    assert res.predictions.notna().all()
    assert res.probabilities.shape == (len(y), 2)
    np.testing.assert_allclose(res.probabilities.sum(axis=1), 1.0)


@pytest.mark.slow
def test_nested_grid_records_fold_choices_and_repeats():
    X, y, g = _artist_data()
    res = cross_validate_model(
        make_pipeline("logreg"),
        X,
        y,
        g,
        cv=3,
        grid=param_grid("logreg"),
        repeats=2,
        seed=0,
    )
    assert len(res.fold_params) == 3 and all("model__C" in p for p in res.fold_params)
    assert len(res.repeat_metrics) == 2
    s = summarize_repeats(res.repeat_metrics, ["f1_macro"])
    assert s["f1_macro"]["sd"] >= 0 and len(s["f1_macro"]["values"]) == 2


@pytest.mark.slow
def test_same_seed_same_result():
    X, y, g = _artist_data()
    a = cross_validate_model(make_pipeline("rf", random_state=1), X, y, g, cv=3, seed=5)
    b = cross_validate_model(make_pipeline("rf", random_state=1), X, y, g, cv=3, seed=5)
    assert a.predictions.tolist() == b.predictions.tolist()


def test_check_cv_names_small_class():
    y = pd.Series(["a"] * 10 + ["b"] * 2)
    with pytest.raises(DataError, match="'b' has 2"):
        validate_folds(y, None, 5, "classify")
    with pytest.raises(DataError, match="only 2 distinct groups"):
        validate_folds(
            pd.Series(["a", "b"] * 5), pd.Series(["g1", "g2"] * 5), 3, "classify"
        )
    with pytest.raises(ParameterError, match="at least 2"):
        validate_folds(y, None, 1, "classify")


def test_classification_metrics_values():
    m = classification_metrics(["x", "x", "y", "y", "z"], ["x", "y", "y", "y", "x"])
    assert m["accuracy"] == pytest.approx(0.6)
    assert m["per_class"]["y"] == {
        "precision": pytest.approx(2 / 3),
        "recall": 1.0,
        "f1": pytest.approx(0.8),
        "support": 2,
    }
    assert m["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]


def test_regression_metrics_values():
    yt = pd.DataFrame({"v": [1.0, 2, 3, 4], "a": [4.0, 3, 2, 1]})
    yp = np.array([[1.0, 4], [2, 3], [3, 2], [5, 1]])
    m = regression_metrics(yt, yp)
    assert m["targets"]["v"]["rmse"] == pytest.approx(0.5)
    assert m["targets"]["a"]["r2"] == pytest.approx(1.0)
    assert m["targets"]["a"]["pearson_r"] == pytest.approx(1.0)
