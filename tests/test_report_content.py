"""What the reports say: evaluation runs, quadrant macro-F1, readable settings, figures.

Figures are checked through what is handed to matplotlib: each figure is caught just
before ``plt.close`` and its axes, legend and title are inspected.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from mer_classic.cli.main import main
from sklearn.metrics import f1_score

from mer_classic.report import _plots
from mer_classic.training import score_predictions

MOODS = ["happy", "energetic", "sad", "calm"]  # happy and energetic are both Q1


def _mood_table(rng: np.random.Generator, n: int, artists: int) -> pd.DataFrame:
    label = np.array(MOODS * (n // 4))
    shift = np.array([MOODS.index(lab) for lab in label], dtype=float)
    return pd.DataFrame(
        {
            "track_id": [f"t{i:03d}" for i in range(n)],
            "artist": [f"a{i % artists}" for i in range(n)],
            "f1": rng.normal(size=n) + shift,
            "f2": rng.normal(size=n) - shift,
            "f3": rng.normal(size=n),
            "label": label,
        }
    )


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A logreg trained on moods, evaluated on another table through the CLI."""
    d = tmp_path_factory.mktemp("ev")
    rng = np.random.default_rng(3)
    train_csv, other_csv = d / "train.csv", d / "other.csv"
    _mood_table(rng, 40, 10).to_csv(train_csv, index=False)
    _mood_table(rng, 24, 6).to_csv(other_csv, index=False)
    runner = CliRunner()
    run = d / "run"
    res = runner.invoke(
        main,
        [
            "train",
            "--model",
            "logreg",
            "--data",
            str(train_csv),
            "--target",
            "label",
            "--group",
            "artist",
            "--id",
            "track_id",
            "--cv",
            "3",
            "--repeats",
            "2",
            "-q",
            "--out",
            str(run),
        ],
    )
    assert res.exit_code == 0, res.output
    ev = d / "ev"
    res = runner.invoke(
        main,
        [
            "evaluate",
            "--model",
            str(run),
            "--data",
            str(other_csv),
            "--target",
            "label",
            "--id",
            "track_id",
            "-q",
            "--out",
            str(ev),
        ],
    )
    assert res.exit_code == 0, res.output
    return {"run": run, "ev": ev, "other": other_csv, "train": train_csv}


@pytest.mark.parametrize("name", ["report.md", "index.html"])
@pytest.mark.slow
def test_evaluation_report_states_what_was_measured(evaluation, name):
    text = (evaluation["ev"] / name).read_text(encoding="utf-8")
    for word in ("out-of-fold", "not grouped", "inner grid search", "Repetitions"):
        assert word.lower() not in text.lower(), word
    for training_only in ("StratifiedGroupKFold", "nested", "outer fold"):
        assert training_only not in text, training_only
    # the model: its run folder, training data and date
    assert str(evaluation["run"]) in text
    assert str(evaluation["train"]) in text
    created = json.loads((evaluation["run"] / "run.json").read_text())["created"]
    assert created in text
    # the external table and the label mapping
    assert str(evaluation["other"]) in text
    assert "Label mapping" in text
    assert "Model classes: calm, energetic, happy, sad" in text
    # the metrics on that table
    m = json.loads((evaluation["ev"] / "metrics.json").read_text())
    assert f"{m['accuracy']:.3f}" in text


def test_evaluation_run_json_keeps_no_training_settings(evaluation):
    run = json.loads((evaluation["ev"] / "run.json").read_text())
    assert set(run["settings"]) == {"model", "task", "target", "model_path"}
    assert "best_params" not in run and "timings" not in run
    assert run["model"]["trained_rows"] == 40
    assert run["label_mapping"]["quadrants"]["energetic"] == "Q1"


def test_quadrant_macro_f1_averages_only_present_quadrants():
    y_true = pd.Series(["happy", "energetic", "sad", "calm", "happy", "sad"])
    y_pred = ["energetic", "happy", "sad", "sad", "happy", "calm"]
    q = score_predictions("classify", y_true, y_pred)["quadrant"]
    qt = ["Q1", "Q1", "Q3", "Q4", "Q1", "Q3"]
    qp = ["Q1", "Q1", "Q3", "Q3", "Q1", "Q4"]
    present = ["Q1", "Q3", "Q4"]
    assert q["absent"] == ["Q2"]
    assert q["f1_macro"] == pytest.approx(
        f1_score(qt, qp, labels=present, average="macro")
    )
    # the old figure averaged Q2 in with F1 0
    old = f1_score(qt, qp, labels=[*present, "Q2"], average="macro", zero_division=0)
    assert q["f1_macro"] > old
    assert q["labels"] == ["Q1", "Q2", "Q3", "Q4"]  # the matrix keeps all four


@pytest.mark.parametrize("name", ["report.md", "index.html"])
def test_reports_list_absent_quadrants(evaluation, name):
    m = json.loads((evaluation["ev"] / "metrics.json").read_text())
    assert m["quadrant"]["absent"] == ["Q2"]
    text = (evaluation["ev"] / name).read_text(encoding="utf-8")
    assert "absent from both truth and predictions: Q2" in text
    train_text = (evaluation["run"] / name).read_text(encoding="utf-8")
    assert "absent from both truth and predictions: Q2" in train_text


def test_training_report_keeps_its_honest_text(evaluation):
    text = (evaluation["run"] / "report.md").read_text(encoding="utf-8")
    assert "Splits grouped by `artist`" in text
    assert "inner grid search" in text and "Repetitions (2" in text


def _settings_table(html: str) -> str:
    m = re.search(r"<h3>Settings</h3>(<table.*?</table>)", html, re.S)
    assert m, "no settings table"
    return m.group(1)


def test_html_settings_are_readable_rows(evaluation):
    html = (evaluation["run"] / "index.html").read_text(encoding="utf-8")
    table = _settings_table(html)
    for raw in ("{", "}", "[", "None", "&#x27;switched"):
        assert raw not in table, raw
    assert "<td>scaling: switched</td><td>no</td>" in table
    assert "<td>scheduler</td><td>not set</td>" in table
    md = (evaluation["run"] / "report.md").read_text(encoding="utf-8")
    assert "{'switched'" not in md and "| scaling: switched | no |" in md


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every matplotlib figure the code closes, kept open for inspection."""
    from matplotlib.figure import Figure

    plt = _plots.pyplot()
    real_close = plt.close
    caught: list = []

    def close(fig=None):
        if isinstance(fig, Figure):
            caught.append(fig)
        else:
            real_close(fig)

    monkeypatch.setattr(plt, "close", close)
    yield caught
    for fig in caught:
        real_close(fig)


@pytest.mark.slow
def test_va_plane_is_coloured_by_true_quadrant(tmp_path, figures):
    from mer_classic._table import load_table
    from mer_classic.report import render_report, write_run
    from mer_classic.training import train

    rng = np.random.default_rng(0)
    n = 40
    df = pd.DataFrame(
        {
            "f1": rng.normal(size=n),
            "f2": rng.normal(size=n),
            "valence": rng.uniform(1, 9, size=n),
            "arousal": rng.uniform(1, 9, size=n),
        }
    )
    t = load_table(df, target=["valence", "arousal"], task="regress")
    res = train(t, model="ridge", task="regress", cv=3, grid=False)
    write_run(res, tmp_path / "r")
    figures.clear()
    render_report(tmp_path / "r")
    va = [f for f in figures if f.axes and "valence–arousal" in f.axes[0].get_title()]
    assert len(va) == 1
    ax = va[0].axes[0]
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "true quadrant"
    truth = pd.read_csv(tmp_path / "r" / "predictions.csv")
    from mer_classic.labels import va_to_quadrant

    expected = set(va_to_quadrant(truth["true_valence"], truth["true_arousal"], "1-9"))
    assert {t.get_text() for t in legend.get_texts()} == expected
    # the points are the predictions, grouped by their true quadrant
    n_points = sum(len(c.get_offsets()) for c in ax.collections)
    assert n_points == n


def test_multi_target_importance_plot_names_its_targets(tmp_path, figures):
    from mer_classic.report._sections import importance_section

    imp = pd.DataFrame(
        {"importance": [0.3, 0.1], "sd": [0.01, 0.02], "scoring": "r2"},
        index=pd.Index(["a", "b"], name="feature"),
    )
    imp.to_csv(tmp_path / "importance.csv")
    run = {"data": {"target": ["valence", "arousal"]}}
    importance_section(tmp_path, {}, run)
    title = figures[-1].axes[0].get_title()
    assert "valence + arousal" in title and "mean score over targets" in title
    importance_section(tmp_path, {}, {"data": {"target": "label"}})
    assert (
        figures[-1].axes[0].get_title().startswith("Permutation importance for label")
    )


class _Model:
    def __init__(self, task: str, targets=(), scale=None) -> None:
        self.task = task
        self.targets = list(targets)
        self.metadata = {"scale": scale}


def _curves(cols: dict[str, list[np.ndarray]]) -> pd.DataFrame:
    frames = []
    for k, tid in enumerate(["a", "b", "c"]):
        t = np.arange(6) * 0.5
        frames.append(
            pd.DataFrame(
                {c: v[k] for c, v in cols.items()},
                index=pd.MultiIndex.from_product(
                    [[tid], t], names=["track_id", "time"]
                ),
            )
        )
    return pd.concat(frames)


@pytest.mark.parametrize("task", ["classify", "regress"])
def test_segment_curves_share_y_range_and_keep_legend_off_curves(
    tmp_path, figures, task
):
    rng = np.random.default_rng(1)
    if task == "classify":
        p = [rng.dirichlet([1, 1], size=6) * s for s in (1.0, 0.3, 0.6)]
        curves = _curves(
            {"proba_x": [a[:, 0] for a in p], "proba_y": [a[:, 1] for a in p]}
        )
        curves["label"] = "x"
        model = _Model("classify")
    else:
        curves = _curves(
            {
                "valence": [rng.uniform(lo, lo + 1, 6) for lo in (1, 4, 7)],
                "arousal": [rng.uniform(lo, lo + 1, 6) for lo in (2, 5, 3)],
            }
        )
        model = _Model("regress", ["valence", "arousal"], scale="1-9")
    _plots.plot_curves(curves, model, tmp_path / "c.png")
    fig = figures[-1]
    axes = fig.axes
    assert len(axes) == 3
    assert len({ax.get_ylim() for ax in axes}) == 1  # one y-range for all panels
    lo, hi = axes[0].get_ylim()
    cols = [c for c in curves.columns if c != "label"]
    assert lo <= curves[cols].min().min() and hi >= curves[cols].max().max()
    legends = [ax.get_legend() for ax in axes if ax.get_legend() is not None]
    assert len(legends) == 1
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = legends[0].get_window_extent(renderer)
    for ax in axes:  # the legend is right of every panel, so over no curve
        assert box.x0 >= ax.get_window_extent(renderer).x1
    assert box.x1 <= fig.bbox.x1 + 1  # and still inside the saved image


def test_evaluation_reports_a_baseline(evaluation):
    m = json.loads((evaluation["ev"] / "metrics.json").read_text())
    base = m["baseline"]
    assert set(base) >= {"majority", "stratified", "folds"}
    # the other table has 6 rows of each mood: majority accuracy is 1/4
    assert base["majority"]["accuracy"] == pytest.approx(0.25)
    assert "evaluated table itself" in base["folds"]
    for name in ("report.md", "index.html"):
        text = (evaluation["ev"] / name).read_text(encoding="utf-8")
        assert "majority class" in text and "stratified random" in text, name


def test_progress_draws_no_frames_off_a_terminal(capsys):
    from mer_classic._progress import progress

    assert list(progress(range(3), total=3, desc="work")) == [0, 1, 2]
    assert capsys.readouterr().err == ""


def test_evaluate_of_one_block_draws_no_bar(evaluation, monkeypatch):
    from mer_classic import _progress
    from mer_classic.report import _write

    shown = []
    real = _progress.progress

    def spy(it, **kw):
        shown.append(kw)
        return real(it, **kw)

    monkeypatch.setattr(_write, "progress", spy)  # the evaluation loop's import
    res = CliRunner().invoke(
        main,
        ["evaluate", "--model", str(evaluation["run"]), "--data"]
        + [str(evaluation["other"]), "--target", "label", "--id", "track_id"]
        + ["--out", str(evaluation["ev"].parent / "ev2")],
    )
    assert res.exit_code == 0, res.output
    assert shown and all(kw["quiet"] for kw in shown if kw.get("desc") == "evaluate")


def test_evaluate_keys_rows_by_track_id_like_predict(evaluation, tmp_path):
    out = tmp_path / "ev-noid"
    res = CliRunner().invoke(
        main,
        ["evaluate", "--model", str(evaluation["run"]), "--data"]
        + [str(evaluation["other"]), "--target", "label", "-q", "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    preds = pd.read_csv(out / "predictions.csv")
    assert preds.columns[0] == "track_id"
    assert preds["track_id"].iloc[0] == "t000"
