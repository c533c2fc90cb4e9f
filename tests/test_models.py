"""Registry contract: every model builds a pipeline that fits the 12-row frame.

A failure names the offending model; see mer_classic/models.py (``_SPECS``) for how an
entry is declared.
"""

from __future__ import annotations

import numpy as np
import pytest
from imblearn.pipeline import Pipeline
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid

from mer_classic.exceptions import ParameterError
from mer_classic.models import MODELS, get_spec, make_pipeline, param_grid

ALL = [(task, name) for task in MODELS for name in sorted(MODELS[task])]


def test_required_names_present():
    assert {"svm", "dtree", "rf", "knn", "logreg", "gboost", "stacking"} <= set(
        MODELS["classify"]
    )
    assert {"svr", "rf", "stacking"} <= set(MODELS["regress"])


def test_svm_grid_covers_the_issue():
    g = param_grid("svm")
    assert set(g["model__C"]) >= {1, 10, 100, 1000}
    assert set(g["model__gamma"]) >= {1, 0.1, 0.01, 0.001}
    assert g["model__kernel"] == ["rbf"]


@pytest.mark.parametrize(("task", "name"), ALL, ids=[f"{t}-{n}" for t, n in ALL])
@pytest.mark.slow
def test_contract(task, name, features_df):
    X = features_df[["f1", "f2", "f3"]]
    n_targets = 2 if task == "regress" else 1
    y = (
        features_df["label"]
        if task == "classify"
        else features_df[["valence", "arousal"]]
    )
    pipe = make_pipeline(name, task, n_targets=n_targets, random_state=0)
    assert isinstance(pipe, Pipeline), f"{task}/{name} must build an imblearn Pipeline"
    steps = [s for s, _ in pipe.steps]
    assert steps[:2] == ["impute", "scale"] and steps[-1] == "model", (
        f"{task}/{name}: {steps}"
    )
    assert ("smote" in steps) == (task == "classify"), f"{task}/{name}: SMOTE placement"
    grid = param_grid(name, task, n_targets=n_targets)
    # every grid point is a valid parameter of the pipeline
    first = next(iter(ParameterGrid(grid)))
    pipe.set_params(**first)
    fitted = clone(pipe).set_params(**first).fit(X, y)
    pred = fitted.predict(X)
    assert len(pred) == len(X), f"{task}/{name} predicted {len(pred)} rows"
    if task == "regress":
        assert np.asarray(pred).shape == (12, 2), (
            f"{task}/{name} must predict both targets"
        )
        assert np.isfinite(pred).all()
    else:
        assert set(pred) <= {"happy", "sad"}


def test_unknown_model_and_task():
    with pytest.raises(ParameterError, match="unknown model 'svr' for task 'classify'"):
        get_spec("svr", "classify")
    with pytest.raises(ParameterError, match="task must be"):
        get_spec("svm", "cluster")


def test_smote_off():
    assert "smote" not in [s for s, _ in make_pipeline("svm", smote=False).steps]
