"""Tests for mer_classic.report (index.html) (index.html) and the ``report`` command."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from mer_classic.cli.main import main

from mer_classic.report import write_html
from mer_classic.report._page import build_html

REPO = Path(__file__).resolve().parents[1]


class _Page(HTMLParser):
    """Collects tags, attributes and section ids of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[dict[str, str | None]] = []
        self.sections: list[str] = []
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "img":
            self.imgs.append(a)
        if tag == "section" and a.get("id"):
            self.sections.append(str(a["id"]))
        for key in ("src", "href", "data", "poster", "action"):
            if a.get(key):
                self.urls.append(str(a[key]))


def _parse(text: str) -> _Page:
    p = _Page()
    p.feed(text)
    return p


def _train(out: Path, **kw: object) -> Path:
    from mer_classic._workflows import TrainSettings, run_train

    args = dict(
        model="logreg",
        data=None,
        target=[],
        task="classify",
        grid=False,
        cv=3,
        out=out,
        quiet=True,
        importance=False,  # computed in test_importance_section / test_train_computes_it
    )
    args.update(kw)
    run_train(TrainSettings(**args))  # type: ignore[arg-type]
    return out


@pytest.fixture(scope="module")
def clf_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train(tmp_path_factory.mktemp("r") / "clf")


@pytest.fixture(scope="module")
def reg_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train(tmp_path_factory.mktemp("r") / "reg", model="svr", task="regress")


def _assert_self_contained(text: str, page: _Page) -> None:
    assert not [u for u in page.urls if not u.startswith(("data:", "#"))]
    assert "<script" not in text and "<link" not in text
    assert not re.search(r"url\(\s*['\"]?(?!data:)", text)
    assert "@import" not in text


def _assert_images_decode(page: _Page) -> None:
    assert page.imgs
    for img in page.imgs:
        src = str(img["src"])
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000


@pytest.mark.slow
def test_classification_page(clf_run: Path) -> None:
    text = (clf_run / "index.html").read_text(encoding="utf-8")
    page = _parse(text)
    assert page.sections == [
        "settings",
        "honest",
        "classification",
        "baseline",
        "importance",
        "params",
    ]  # the labels already are quadrants: no second "Russell quadrants" section
    files = {img["data-file"] for img in page.imgs}
    assert files == {"confusion_matrix.png", "f1_per_class.png"}
    for f in files:  # every embedded figure is also beside the page
        assert (clf_run / str(f)).exists()
    _assert_images_decode(page)
    _assert_self_contained(text, page)
    # the classification report table lists every class and both averages
    for label in ("Q1", "Q2", "Q3", "Q4", "macro avg", "weighted avg"):
        assert f"<td>{label}</td>" in text
    assert "splits grouped by <code>film</code>" in text
    assert "Duplicates removed" in text and "Repetitions:</b> 1" in text
    assert "Not computed for this run" in text


def test_regression_page(reg_run: Path) -> None:
    text = (reg_run / "index.html").read_text(encoding="utf-8")
    page = _parse(text)
    assert "regression" in page.sections and "classification" not in page.sections
    files = {img["data-file"] for img in page.imgs}
    assert files == {
        "scatter_Valence.png",
        "scatter_Energy.png",
        "va_plane.png",
        "quadrant_confusion_matrix.png",
    }
    _assert_images_decode(page)
    _assert_self_contained(text, page)
    assert "Label scale:</b> 1-9" in text


@pytest.mark.slow
def test_importance_section(clf_run: Path, tmp_path: Path) -> None:
    from mer_classic._workflows import resolve_training_table
    from mer_classic.importance import add_importance_to_run

    run = tmp_path / "run"
    shutil.copytree(clf_run, run)
    t = resolve_training_table(
        None, target=[], task="classify", group=None, id_col=None, exclude=[]
    )
    imp = add_importance_to_run(run, t.X, t.y, t.groups, n_repeats=1)
    text = (run / "index.html").read_text(encoding="utf-8")
    page = _parse(text)
    assert "importance.png" in {img["data-file"] for img in page.imgs}
    assert "Not computed" not in text
    assert f"<td>{imp.index[0]}</td>" in text and "f1_macro" in text


def test_honest_box_warns_without_groups(tmp_path: Path) -> None:
    metrics = {
        "task": "classify",
        "accuracy": 0.5,
        "f1_macro": 0.5,
        "f1_weighted": 0.5,
        "mcc": 0.0,
        "labels": ["a", "b"],
        "per_class": {
            "a": {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2},
            "b": {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2},
        },
        "repeats": {"n": 3, "f1_macro": {"mean": 0.5, "sd": 0.1}},
    }
    run = {
        "kind": "train",
        "settings": {
            "model": "svm",
            "task": "classify",
            "cv": 2,
            "target": "mood",
            "grid": True,
        },
        "data": {"notes": ["removed 5 duplicate row(s) (same id)"]},
    }
    text = build_html(tmp_path, metrics, run, {})
    assert 'class="honest warn"' in text and "<b>none</b>" in text
    assert "removed 5 duplicate row(s)" in text
    assert "3 × CV" in text and "f1_macro 0.500 ± 0.100" in text
    assert "nested CV" in text
    # a figure the caller lists but that is missing is skipped, not a crash
    out = write_html(tmp_path, metrics, run, {"confusion_matrix.png": "Confusion"})
    assert _parse(out.read_text()).imgs[0]["data-file"] == "f1_per_class.png"


def test_text_is_escaped(tmp_path: Path) -> None:
    metrics = {
        "task": "regress",
        "targets": {"v": {"rmse": 1.0, "mae": 1.0, "r2": 0.1, "pearson_r": 0.3}},
    }
    run = {"settings": {"model": "<script>alert(1)</script>"}, "data": {}}
    text = build_html(tmp_path, metrics, run, {})
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_report_command_rebuilds(clf_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(clf_run, run)
    (run / "index.html").unlink()
    (run / "confusion_matrix.png").unlink()
    r = CliRunner().invoke(main, ["report", str(run)])
    assert r.exit_code == 0, r.output
    assert r.output == f"wrote {run / 'report.md'} and {run / 'index.html'}\n"
    assert (run / "confusion_matrix.png").exists()
    assert "confusion_matrix.png" in (run / "index.html").read_text()


@pytest.mark.parametrize("flag", [True, False])
def test_report_command_open(
    clf_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: bool
) -> None:
    """``--open`` hands the rebuilt index.html to the browser; no flag, no browser."""
    import mer_classic._workflows as wf

    run = tmp_path / "run"
    shutil.copytree(clf_run, run)
    launched: list[Path] = []

    def fake_open(page: Path) -> bool:
        launched.append(page)
        return True

    monkeypatch.setattr(wf, "open_page", fake_open)
    r = CliRunner().invoke(main, ["report", str(run), *(["--open"] if flag else [])])
    assert r.exit_code == 0, r.output
    assert r.output == f"wrote {run / 'report.md'} and {run / 'index.html'}\n"
    assert launched == ([run / "index.html"] if flag else [])


def test_report_command_errors(tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert r.exit_code == 1
    assert (
        r.output
        == f"Error: {str(tmp_path)!r} is not a run folder: metrics.json is missing\n"
    )
    r = CliRunner().invoke(main, ["report", str(tmp_path / "nope")])
    assert r.exit_code == 2 and "does not exist" in r.output


def test_page_renders_in_chromium(clf_run: Path, tmp_path: Path) -> None:
    """Headless Chromium loads the page: every image rendered, nothing failed to load."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import screenshot_report
    finally:
        sys.path.pop(0)
    if screenshot_report.find_chromium() is None:
        pytest.skip(
            "chromium is not installed (apt-get install -y chromium); "
            "the browser check is skipped"
        )
    shot = tmp_path / "shot.png"
    try:
        res = screenshot_report.check_page(clf_run / "index.html", shot, height=1200)
    except (subprocess.TimeoutExpired, RuntimeError) as exc:  # pragma: no cover
        pytest.skip(f"chromium could not run here: {exc}")
    assert res["problems"] == []
    n_img = (clf_run / "index.html").read_text().count("<img ")
    assert n_img >= 2  # confusion matrix, per-class F1 (+ importance when computed)
    assert len(res["images"]) == n_img and all(i["w"] > 0 for i in res["images"])
    assert res["resources"] == [] and res["failed"] == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_probe_detects_a_broken_image(tmp_path: Path) -> None:
    """The browser check is not vacuous: a missing file and a remote URL are reported."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import screenshot_report
    finally:
        sys.path.pop(0)
    if screenshot_report.find_chromium() is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    page = tmp_path / "index.html"
    page.write_text(
        "<!DOCTYPE html><html><head></head><body>"
        "<section id='settings'></section><img src='missing.png'>"
        "<img src='http://example.invalid/x.png'></body></html>"
    )
    res = screenshot_report.check_page(page, None)
    probs = " ".join(res["problems"])
    assert "missing.png" in probs and "example.invalid" in probs
    assert "section #honest missing" in probs


@pytest.mark.slow
def test_train_computes_importance_by_default(tmp_path: Path) -> None:
    run = _train(tmp_path / "imp", importance=True)
    text = (run / "index.html").read_text(encoding="utf-8")
    assert "importance.png" in {img["data-file"] for img in _parse(text).imgs}
    imp = pd.read_csv(run / "importance.csv")
    assert len(imp) == 25 and imp["rank"].tolist() == list(range(1, 26))
