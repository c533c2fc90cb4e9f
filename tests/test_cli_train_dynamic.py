"""``train-dynamic`` and the refusing ``train --dynamic`` alias (issue 18 section 3)."""

from __future__ import annotations

from click.testing import CliRunner
from mer_classic.cli.main import main


def test_train_dynamic_help_lists_only_the_options_it_honours():
    res = CliRunner().invoke(main, ["train-dynamic", "--help"])
    assert res.exit_code == 0, res.output
    for option in ("--data", "--annotations", "--smooth", "--cv", "--repeats"):
        assert option in res.output
    for option in ("--test", "--group", "--scheduler", "--importance", "--smote"):
        assert option not in res.output


def test_train_dynamic_alias_refuses_options_it_cannot_honour(tmp_path):
    res = CliRunner().invoke(
        main,
        [
            "train",
            "--dynamic",
            "--test",
            "t.csv",
            "--group",
            "artist",
            "--no-importance",
            "--out",
            str(tmp_path / "run"),
        ],
    )
    assert res.exit_code == 2
    assert res.output.endswith(
        "Error: --dynamic does not use --group, --test, --importance; drop them, or "
        "run `mer-classic train-dynamic --help` for the options it honours\n"
    )
    assert not (tmp_path / "run").exists()


def test_train_dynamic_requires_data_and_annotations():
    res = CliRunner().invoke(main, ["train-dynamic", "--annotations", "a.csv"])
    assert res.exit_code == 2
    assert "Missing option '--data'" in res.output


def test_train_dynamic_refuses_a_classifier_name():
    res = CliRunner().invoke(
        main, ["train-dynamic", "--model", "svm", "--data", "d", "--annotations", "a"]
    )
    assert res.exit_code == 2
    assert "'svm' is not one of" in res.output


def test_train_dynamic_alias_takes_task_regress_but_refuses_task_classify():
    regress = CliRunner().invoke(
        main, ["train", "--dynamic", "--task", "regress", "--model", "svr"]
    )
    assert regress.exit_code == 1 and "--dynamic needs --data" in regress.output
    classify = CliRunner().invoke(main, ["train", "--dynamic", "--task", "classify"])
    assert classify.exit_code == 2
    assert "Error: --dynamic does not use --task;" in classify.output


def test_train_dynamic_and_the_alias_print_the_same_summary(tmp_path):
    from tests.test_dynamic import _synthetic

    X, ann = _synthetic(6)
    X.reset_index().to_csv(tmp_path / "seg.csv", index=False)
    ann.to_csv(tmp_path / "ann.csv", index=False)
    common = ["--model", "ridge", "--no-grid", "--cv", "3", "--quiet"]
    common += ["--data", str(tmp_path / "seg.csv")]
    common += ["--annotations", str(tmp_path / "ann.csv")]
    runs = {}
    for name, head in (("new", ["train-dynamic"]), ("alias", ["train", "--dynamic"])):
        out = tmp_path / name
        res = CliRunner().invoke(main, [*head, *common, "--out", str(out)])
        assert res.exit_code == 0, res.output
        runs[name] = res.output.replace(str(out), "RUN")
        assert (out / "model.joblib").exists()
    assert runs["new"] == runs["alias"]
    assert "songs held out" in runs["new"]
