from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mer_classic import load_model, save_model
from mer_classic.datasets import load_table
from mer_classic.exceptions import DataError, ModelFileError, VersionMismatchWarning
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


@pytest.mark.slow
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


def test_unreadable_or_odd_model_json(saved, tmp_path):
    """A model.json that is a folder, or whose versions are not a mapping, is no traceback."""
    (tmp_path / "model.joblib").write_bytes(b"x")
    (tmp_path / "model.json").mkdir()
    with pytest.raises(ModelFileError, match="cannot read"):
        load_model(tmp_path)
    d, _, _ = saved
    meta = json.loads((d / "model.json").read_text(encoding="utf-8"))
    meta["versions"] = 3
    (d / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.warns(VersionMismatchWarning):
        load_model(d)


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


@pytest.mark.slow
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


def test_every_exception_and_warning_class_lives_in_exceptions():
    import mer_classic._persistence as persistence
    import mer_classic.exceptions as exc

    assert not hasattr(persistence, "VersionMismatchWarning")  # one public home
    assert issubclass(exc.VersionMismatchWarning, UserWarning)
    err = exc.ApiError("forbidden", status=403, endpoint="audio_features")
    assert isinstance(err, exc.FetchError) and (err.status, err.endpoint) == (
        403,
        "audio_features",
    )
    assert {"ApiError", "VersionMismatchWarning"} <= set(exc.__all__)


def _edit_meta(d, **changes):
    meta = json.loads((d / "model.json").read_text())
    meta.update(changes)
    (d / "model.json").write_text(json.dumps(meta))
    return meta


def _replace_pickle(d, obj):
    """Write ``obj`` as model.joblib with a matching sha256 (a consistent tamper)."""
    import hashlib

    import joblib

    joblib.dump(obj, d / "model.joblib")
    digest = hashlib.sha256((d / "model.joblib").read_bytes()).hexdigest()
    _edit_meta(d, sha256=digest)


def test_reversed_classes_in_model_json_refused(saved):
    d, res, _ = saved
    _edit_meta(d, classes=list(reversed(res.classes)))
    with pytest.raises(
        ModelFileError,
        match=r"model.json disagrees with model.joblib on 'classes'.*do not belong together",
    ):
        load_model(d)


def test_reordered_feature_names_refused(saved):
    d, res, _ = saved
    _edit_meta(d, feature_names=list(reversed(res.feature_names)))
    with pytest.raises(
        ModelFileError, match=r"'feature_names': the same columns in another order"
    ):
        load_model(d)
    _edit_meta(d, feature_names=["x", "y"])
    with pytest.raises(ModelFileError, match=r"'feature_names': \['x', 'y'\] vs"):
        load_model(d)


def test_task_and_targets_checked(saved, tmp_path, features_df):
    from mer_classic.models import make_pipeline

    d, _, _ = saved
    _edit_meta(d, task="regress")
    with pytest.raises(ModelFileError, match=r"on 'task': 'regress' vs 'classify'"):
        load_model(d)
    # multi-target regression (one model per target), as train --task regress and the
    # dynamic models save it
    X = features_df[["f1", "f2", "f3"]]
    pipe = make_pipeline("ridge", "regress", n_targets=2).fit(
        X, features_df[["valence", "arousal"]]
    )
    meta = {"model": "ridge", "task": "regress", "target": ["valence", "arousal"]}
    save_model(pipe, tmp_path / "reg", meta)
    m = load_model(tmp_path / "reg")
    assert m.feature_names == ["f1", "f2", "f3"] and m.classes_ is None
    assert m.predict(X).shape == (12, 2)
    _edit_meta(tmp_path / "reg", target=["valence", "arousal", "tension"])
    with pytest.raises(ModelFileError, match=r"on 'target': 3 target\(s\)"):
        load_model(tmp_path / "reg")
    _edit_meta(tmp_path / "reg", target=["valence", "arousal"], task="classify")
    with pytest.raises(ModelFileError, match=r"on 'task'"):
        load_model(tmp_path / "reg")


def test_non_model_object_with_matching_hash_refused(saved):
    d, _, _ = saved
    _replace_pickle(d, {"not": "a model"})
    with pytest.raises(ModelFileError, match=r"holds a builtins.dict, not a fitted"):
        load_model(d)


def test_save_refuses_metadata_that_disagrees(saved, tmp_path):
    _, res, _ = saved
    meta = {"model": "logreg", "task": "classify", "target": "label"}
    with pytest.raises(
        ModelFileError, match=r"metadata disagrees with model.joblib on 'classes'"
    ):
        save_model(res.estimator, tmp_path / "x", {**meta, "classes": ["a", "b"]})
    # classes and feature names are taken from the fitted pipeline when not given
    save_model(res.estimator, tmp_path / "y", meta)
    written = json.loads((tmp_path / "y" / "model.json").read_text())
    assert written["classes"] == res.classes
    assert written["feature_names"] == res.feature_names


def test_cli_refuses_tampered_model_json(saved, tmp_path):
    from click.testing import CliRunner
    from mer_classic.cli.main import main

    d, res, _ = saved
    _edit_meta(d, classes=list(reversed(res.classes)))
    out = CliRunner().invoke(
        main, ["predict", "--model", str(d), "--data", str(tmp_path / "feats.csv")]
    )
    assert out.exit_code == 1
    assert out.output.startswith(
        "Error: model.json disagrees with model.joblib on 'classes': "
    )


def test_version_warning_is_one_line_in_the_cli(saved, tmp_path):
    from click.testing import CliRunner
    from mer_classic.cli.main import main

    d, _, _ = saved
    meta = json.loads((d / "model.json").read_text())
    meta["versions"]["sklearn"] = "0.0.1"
    (d / "model.json").write_text(json.dumps(meta))
    out = CliRunner().invoke(
        main,
        ["predict", "--model", str(d), "--data", str(tmp_path / "feats.csv")],
    )
    assert out.exit_code == 0, out.output
    lines = out.stderr.splitlines()
    assert lines == [lines[0]] and lines[0].startswith(
        "Warning: model saved with other library versions"
    )
    assert "VersionMismatchWarning" not in out.stderr
    with pytest.warns(VersionMismatchWarning):  # the hook is gone after the command
        load_model(d)


def test_plain_joblib_model_selects_its_columns(saved, features_df):
    """joblib.load(model.joblib).predict(df) on a frame with extra/reordered columns."""
    import joblib

    d, res, t = saved
    pipe = joblib.load(d / "model.joblib")
    assert type(pipe.steps[0][1]).__module__ == "mer_classic.features._transformers"
    assert type(pipe.steps[0][1]).__name__ == "ColumnSelector"
    wide = features_df.iloc[:, ::-1].assign(extra=1.0)
    np.testing.assert_array_equal(pipe.predict(wide), res.estimator.predict(t.X))
    np.testing.assert_array_equal(
        pipe.predict_proba(t.X), res.estimator.predict_proba(t.X)
    )
    assert list(pipe.steps[0][1].get_feature_names_out()) == res.feature_names
    with pytest.raises(DataError, match="missing: f2"):
        pipe.predict(features_df.drop(columns=["f2"]))


def test_model_saved_without_selector_still_loads(saved):
    """Model files written before the ColumnSelector step load and predict the same."""
    from mer_classic._persistence import predict_only

    d, res, t = saved
    _replace_pickle(d, predict_only(res.estimator))
    m = load_model(d)
    assert [s for s, _ in m.pipeline.steps] == ["impute", "scale", "model"]
    assert m.feature_names == res.feature_names and m.classes_ == res.classes
    np.testing.assert_array_equal(
        m.predict(t.X.iloc[:, ::-1].assign(extra=0.0)), res.estimator.predict(t.X)
    )


def test_column_selector_contract():
    import pickle

    import pandas as pd
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    from mer_classic.features._transformers import ColumnSelector

    sel = ColumnSelector(columns=["b", "a"])
    assert clone(sel).get_params() == {"columns": ["b", "a"]}
    assert sel.set_params(columns=["a"]).columns == ["a"]
    sel.set_params(columns=["b", "a"])
    with pytest.raises(NotFittedError):
        sel.transform(pd.DataFrame({"a": [1], "b": [2]}))
    df = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0], "c": [5.0, 6.0]})
    assert sel.fit(df) is sel
    again = pickle.loads(pickle.dumps(sel))
    assert again.transform(df).columns.tolist() == ["b", "a"]
    out = ColumnSelector().set_output(transform="pandas").fit_transform(df)
    assert out.columns.tolist() == ["a", "b", "c"]
    with pytest.raises(DataError, match="needs a DataFrame"):
        sel.fit(df.to_numpy())
    with pytest.raises(DataError, match="not in the frame: z"):
        ColumnSelector(columns=["z"]).fit(df)


OLD = Path(__file__).parent / "data" / "model_0_1"
BUNDLED = (
    Path(__file__).resolve().parents[1] / "mer_classic" / "data" / "soundtracks.csv"
)


def _old_model_input() -> tuple[pd.DataFrame, list[str]]:
    df = pd.read_csv(BUNDLED, dtype={"excerpt_id": str}).set_index("excerpt_id")
    expected = pd.read_csv(OLD / "expected.csv", dtype={"excerpt_id": str})
    return df.loc[expected["excerpt_id"]], expected["pred"].tolist()


def test_model_saved_by_0_1_still_loads_and_predicts_the_same():
    """model.joblib written before issue 18 moved ColumnSelector (pickled as
    mer_classic.transformers.ColumnSelector) loads through load_model and predicts
    what it predicted when it was saved."""
    from mer_classic.features import ColumnSelector

    X, expected = _old_model_input()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VersionMismatchWarning)
        m = load_model(OLD / "model")
    assert isinstance(m.pipeline.steps[0][1], ColumnSelector)
    assert m.predict(X).tolist() == expected


def test_classes_pickled_under_0_1_paths_load_in_a_fresh_process():
    """Plain joblib.load (no mer_classic import first) of objects pickled under the
    0.1 module paths gets the classes from their new homes."""
    code = (
        "import joblib\n"
        f"objs = joblib.load({str(OLD / 'steps.joblib')!r})\n"
        "from mer_classic.features import AudioFeatureExtractor, ColumnSelector\n"
        "from mer_classic.models import AdaptiveSMOTE\n"
        "kinds = (AdaptiveSMOTE, AudioFeatureExtractor, ColumnSelector)\n"
        "assert [type(o) for o in objs] == list(kinds), objs\n"
        "assert objs[0].random_state == 0 and objs[2].columns[0] == 'RMS'\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_old_paths_are_aliases_not_public_modules():
    import mer_classic._moved as moved

    pkg = Path(__file__).resolve().parents[1] / "mer_classic"
    for old, new in moved.MOVED.items():
        assert not (pkg / (old.split(".", 1)[1] + ".py")).exists(), old
        alias, home = __import__(old, fromlist=["_"]), __import__(new, fromlist=["_"])
        assert alias is not home
        cls = {"mer_classic.transformers": "ColumnSelector"}.get(old, "AdaptiveSMOTE")
        assert getattr(alias, cls) is getattr(home, cls)
    with pytest.raises(ModuleNotFoundError):
        __import__("mer_classic.not_a_moved_module")
