from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

from mer_classic.exceptions import DataError, ModelFileError
from mer_classic.persistence import VersionMismatchWarning, load_model, save_model
from mer_classic.table import load_table
from mer_classic.training import train


@pytest.fixture
def saved(tmp_path, features_df):
    t = load_table(features_df, target="label", group="artist", id="track_id")
    res = train(t, model="logreg", cv=2, grid=False, seed=0)
    d = tmp_path / "run"
    save_model(
        res.estimator,
        d,
        {
            "model": "logreg",
            "task": "classify",
            "target": "label",
            "classes": res.classes,
            "feature_names": res.feature_names,
        },
    )
    features_df.to_csv(tmp_path / "feats.csv", index=False)
    return d, res, t


def test_predictions_identical_in_a_fresh_process(saved, tmp_path):
    d, res, t = saved
    expected = res.estimator.predict(t.X).tolist()
    code = (
        "import json, sys, pandas as pd, mer_classic\n"
        f"m = mer_classic.load_model({str(d)!r})\n"
        f"df = pd.read_csv({str(tmp_path / 'feats.csv')!r})\n"
        "print(json.dumps({'pred': m.predict(df).tolist(),"
        " 'proba': m.predict_proba(df).round(12).tolist()}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    got = json.loads(out.stdout)
    assert got["pred"] == expected
    np.testing.assert_allclose(
        got["proba"], res.estimator.predict_proba(t.X), atol=1e-9
    )


def test_plain_joblib_load_works_too(saved):
    import joblib

    d, res, t = saved
    assert (
        joblib.load(d / "model.joblib").predict(t.X).tolist()
        == res.estimator.predict(t.X).tolist()
    )


def test_extra_columns_ignored_missing_refused(saved, features_df):
    d, _, _ = saved
    m = load_model(d)
    assert len(m.predict(features_df.assign(extra=1.0))) == 12
    with pytest.raises(DataError, match=r"missing: f2"):
        m.predict(features_df.drop(columns=["f2"]))


def test_corrupted_file_refused(saved):
    d, _, _ = saved
    with open(d / "model.joblib", "ab") as fh:
        fh.write(b"garbage")
    with pytest.raises(ModelFileError, match="does not match the sha256"):
        load_model(d)


def test_not_our_model(tmp_path):
    (tmp_path / "model.joblib").write_bytes(b"x")
    with pytest.raises(ModelFileError, match="has no model.json"):
        load_model(tmp_path / "model.joblib")
    (tmp_path / "model.json").write_text('{"format": "other"}')
    with pytest.raises(ModelFileError, match="not a mer-classic model description"):
        load_model(tmp_path)
    (tmp_path / "model.json").write_text("{nope")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_model(tmp_path)
    with pytest.raises(ModelFileError, match="no model at"):
        load_model(tmp_path / "missing")


def test_version_mismatch_warns(saved):
    d, _, _ = saved
    meta = json.loads((d / "model.json").read_text())
    meta["versions"]["sklearn"] = "0.0.1"
    (d / "model.json").write_text(json.dumps(meta))
    with pytest.warns(VersionMismatchWarning, match=r"sklearn 0\.0\.1"):
        load_model(d)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_model(d, check_versions=False)


def test_saved_model_is_predict_only(saved, tmp_path):
    """SMOTE acts in fit only; the saved pipeline drops it so loading skips imblearn."""
    d, res, t = saved
    code = (
        "import sys, pandas as pd, mer_classic\n"
        f"m = mer_classic.load_model({str(d)!r})\n"
        f"m.predict(pd.read_csv({str(tmp_path / 'feats.csv')!r}))\n"
        "print([s for s, _ in m.pipeline.steps], 'imblearn' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['columns', 'impute', 'scale', 'model'] False"


def test_model_without_probabilities_says_which_models_have_them(tmp_path, features_df):
    t = load_table(features_df, target="label", group="artist", id="track_id")
    res = train(t, model="svm", cv=2, grid=False, seed=0)
    meta = {
        "model": "svm",
        "task": "classify",
        "target": "label",
        "classes": res.classes,
        "feature_names": res.feature_names,
    }
    save_model(res.estimator, tmp_path / "svm", meta)
    model = load_model(tmp_path / "svm")
    X = features_df[res.feature_names]
    assert len(model.predict(X)) == len(X)  # labels still work
    with pytest.raises(DataError) as err:
        model.predict_proba(X)
    msg = str(err.value)
    assert "'svm' gives no probabilities" in msg
    assert "logreg" in msg and "stacking" in msg and "svm," not in msg
    frame = model.predict_frame(X)  # the frame simply has no proba_ columns
    assert not [c for c in frame.columns if c.startswith("proba_")]
