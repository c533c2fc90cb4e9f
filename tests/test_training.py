from __future__ import annotations

import numpy as np
import pytest

from mer_classic._table import load_table
from mer_classic._workflows import resolve_training_table
from mer_classic.exceptions import DataError, ParameterError
from mer_classic.training import score_predictions, train


@pytest.fixture(scope="module")
def soundtracks_table():
    return resolve_training_table(
        None, target=[], task="classify", group=None, id_col=None, exclude=[]
    )


def test_bundled_default_table_has_no_rating_leak(soundtracks_table):
    t = soundtracks_table
    assert len(t) == 110 and t.meta["group"] == "film"
    assert not {"Valence", "Energy", "Tension", "Happy", "Sad"} & set(t.X.columns)
    assert set(t.y) == {"Q1", "Q2", "Q3", "Q4"}


@pytest.mark.slow
def test_train_classify_reports_outer_scores_not_grid_scores(soundtracks_table):
    res = train(soundtracks_table, model="logreg", cv=3, seed=0)
    m = res.metrics
    # the headline is recomputed from the out-of-fold predictions
    from mer_classic._metrics import classification_metrics

    again = classification_metrics(soundtracks_table.y, res.cv.predictions)
    assert m["f1_macro"] == pytest.approx(again["f1_macro"])
    assert set(m) >= {
        "accuracy",
        "f1_macro",
        "f1_weighted",
        "mcc",
        "per_class",
        "quadrant",
    }
    assert res.best_params and "model__C" in res.best_params
    assert res.settings["splitter"] == "StratifiedGroupKFold"
    assert 0.0 <= m["f1_macro"] <= 1.0
    assert res.classes == ["Q1", "Q2", "Q3", "Q4"]


def test_train_regress_multi_target_and_derived_quadrants():
    t = resolve_training_table(
        None, target=[], task="regress", group=None, id_col=None, exclude=[]
    )
    res = train(t, model="ridge", task="regress", cv=3, seed=0, grid=False)
    m = res.metrics
    assert set(m["targets"]) == {"Valence", "Energy"}
    assert m["scale"] == "1-9"
    assert m["quadrant"]["derived_from"] == {
        "valence": "Valence",
        "arousal": "Energy",
        "scale": "1-9",
    }
    # energy is the easy axis on this set (published finding for film music)
    assert m["targets"]["Energy"]["r2"] > m["targets"]["Valence"]["r2"]
    assert res.estimator.predict(t.X).shape == (110, 2)


@pytest.mark.slow
def test_seed_reproduces(features_df):
    t = load_table(features_df, target="label", group="artist")
    a = train(t, model="rf", cv=2, seed=3, grid=False)
    b = train(t, model="rf", cv=2, seed=3, grid=False)
    assert a.cv.predictions.tolist() == b.cv.predictions.tolist()


def test_task_mismatch_is_a_parameter_error(features_df):
    t = load_table(features_df, target="label")
    with pytest.raises(ParameterError, match="unknown model 'svr'"):
        train(t, model="svr", task="classify")


def test_too_small_class_named(features_df):
    df = features_df.copy()
    df.loc[[0, 2, 4], "label"] = "calm"
    t = load_table(df, target="label")
    with pytest.raises(DataError, match="'calm' has 3"):
        train(t, model="logreg", cv=5, grid=False)


def test_score_predictions_moods_get_quadrants():
    m = score_predictions(
        "classify", np.array(["happy", "sad"]), np.array(["happy", "calm"])
    )
    assert m["quadrant"]["labels"] == ["Q1", "Q2", "Q3", "Q4"]
    assert m["quadrant"]["accuracy"] == 0.5
