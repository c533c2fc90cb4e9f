"""The README's example figures match what ``benchmarks/readme_examples.py`` recorded.

The script runs the README's own commands and writes
``reports/benchmarks/readme/readme_examples.json``; here the README is parsed and every
figure it quotes from those commands is compared with that file (no extraction or
training here). After a change of the features or models, run the script again and
copy the figures each failing assertion names into the README.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
RECORD = REPO / "reports" / "benchmarks" / "readme" / "readme_examples.json"


@pytest.fixture(scope="module")
def record() -> dict:
    assert RECORD.exists(), (
        f"{RECORD.relative_to(REPO)} is missing: run python benchmarks/readme_examples.py"
    )
    return json.loads(RECORD.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def readme() -> str:
    return " ".join(README.read_text(encoding="utf-8").split())  # one line of words


def _section(text: str, start: str, end: str) -> str:
    i = text.index(start)
    return text[i : text.index(end, i)]


def _find(pattern: str, text: str) -> re.Match:
    m = re.search(pattern, text)
    assert m, f"README has no text matching {pattern!r}"
    return m


def test_record_is_complete(record):
    assert record["script"] == "benchmarks/readme_examples.py"
    qs = record["quick_start"]
    assert qs["command"].startswith("mer-classic train --model stacking")
    assert set(qs) >= {
        "wall_s",
        "cpu_s",
        "accuracy",
        "f1_macro",
        "baseline_majority_accuracy",
        "baseline_majority_f1_macro",
        "baseline_stratified_f1_macro",
    }
    q4 = record["4q"]
    # the 4Q part may be missing only when the script said the data was absent
    assert q4.get("absent") is False or (q4.get("absent") is True and q4.get("reason"))


def test_quick_start_figures(record, readme):
    qs, env = record["quick_start"], record["environment"]
    text = _section(readme, "## Quick start", "## Commands")
    m = _find(
        r"on (\d+) cores it took \*\*(\d+) s\*\* wall time \((\d+) s of CPU", text
    )
    assert int(m.group(1)) == env["cores"]
    assert int(m.group(2)) == round(qs["wall_s"]), "wall time"
    assert int(m.group(3)) == round(qs["cpu_s"]), "CPU time"
    m = _find(r"load average at ([\d.]+)\)", text)
    assert float(m.group(1)) == env["load_average_at_start"]
    m = _find(
        r"of which (\d+) s cross-validation, (\d+) s the final fit and (\d+) s "
        r"permutation importance",
        text,
    )
    t = qs["timings_s"]
    assert int(m.group(1)) == round(t["cross_validation_s"]), "CV seconds"
    assert int(m.group(2)) == round(t["final_fit_s"]), "final fit seconds"
    assert int(m.group(3)) == round(t["permutation_importance_s"]), "importance seconds"
    m = _find(
        r"accuracy of about \*\*(0\.\d{3})\*\* \(F1 macro (0\.\d{3})\) on the (\d+) "
        r"excerpts; dummy predictors on the same folds reach accuracy \*\*(0\.\d{3})\*\* "
        r"\(F1 macro (0\.\d{3})\) by always answering the majority class and F1 macro "
        r"(0\.\d{3}) with stratified random labels",
        text,
    )
    assert float(m.group(1)) == qs["accuracy"], "accuracy"
    assert float(m.group(2)) == qs["f1_macro"], "F1 macro"
    assert int(m.group(3)) == qs["n_rows"]
    assert float(m.group(4)) == qs["baseline_majority_accuracy"], "majority accuracy"
    assert float(m.group(5)) == qs["baseline_majority_f1_macro"], "majority F1"
    assert float(m.group(6)) == qs["baseline_stratified_f1_macro"], "stratified F1"


def test_4q_example_figures(record, readme):
    q4 = record["4q"]
    if q4.get("absent"):
        pytest.skip(f"the script recorded no 4Q run: {q4['reason']}")
    text = _section(readme, "## Predict straight from audio", "### Latency")
    header = ",".join(q4["predict_header"])
    p = q4["predict"]
    cells = [p["track_id"], p["path"], p["label"]]
    cells += [f"{p[c]:.3f}" for c in q4["predict_header"] if c.startswith("proba_")]
    cells.append(p["quadrant"])
    if "out_of_range" in p:  # the training-range check
        cells.append(p["out_of_range"])
        cells += [f"{p[c]:.3f}" for c in ("out_of_range_score", "out_of_range_share")]
    assert f"{header} {','.join(cells)}" in text, "the predict output block"
    cv = q4["cv"]
    m = _find(
        r"accuracy (0\.\d{3}) and F1 macro (0\.\d{3}) over (\d+) clips, grouped by (\w+)",
        text,
    )
    assert float(m.group(1)) == cv["accuracy"], "4Q CV accuracy"
    assert float(m.group(2)) == cv["f1_macro"], "4Q CV F1 macro"
    assert int(m.group(3)) == cv["n_rows"]
    assert m.group(4) == q4["group"] == "Artist"


def test_readme_shows_the_commands_the_script_ran(record, readme):
    """The README's commands are the ones measured (scratch paths and -q aside)."""
    commands = [record["quick_start"]["command"]]
    if not record["4q"].get("absent"):
        commands += record["4q"]["commands"]
    for cmd in commands:
        words = [
            w
            for w in cmd.split()
            if w != "-q" and not w.startswith("$WORK") and w not in ("--cache-dir",)
        ]
        for flag in ("--out", "-o", "--jobs"):  # output and worker options vary
            while flag in words:
                i = words.index(flag)
                del words[i : i + (1 if flag in ("--out", "-o") else 2)]
        verb = " ".join(words[:2])
        assert verb in readme, verb
        for w in words[2:]:
            assert w in readme, f"{w!r} of {cmd!r}"


def test_readme_counts_the_segment_columns_copied_from_the_clip() -> None:
    from mer_classic.features._names import FEATURE_NAMES, SEGMENT_FEATURE_NAMES

    copied = [n for n in FEATURE_NAMES if n not in SEGMENT_FEATURE_NAMES]
    text = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"**{len(copied)} are copied from\n  the whole clip**" in text
    assert f"of which {len(SEGMENT_FEATURE_NAMES)} are computed" in text


def test_readme_model_cost_table_quotes_the_committed_report() -> None:
    root = Path(__file__).parents[1]
    report = root / "reports" / "benchmarks" / "train" / "model_costs.json"
    models = json.loads(report.read_text(encoding="utf-8"))["models"]
    text = (root / "README.md").read_text(encoding="utf-8")
    keys = ["one_fit_s", "fit_vs_ref", "grid_candidates", "train_fits"]
    keys += ["train_estimate_s", "train_vs_ref"]
    for name, row in models.items():
        line = f"| {name} | " + " | ".join(str(row[k]) for k in keys) + " |"
        assert line in text, line
