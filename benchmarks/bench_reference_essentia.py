"""Which pitch front end limits the expressive reference columns? essentia vs numpy.

Issue 19 asks that the pitch front end be chosen by the reference correlation. This
script runs essentia's ``PredominantPitchMelodia`` (MELODIA, what the 4Q authors
used; default parameters, 44.1 kHz, hop 128, equal-loudness filter) on the 4Q-dev
clips and feeds its melody to mer-classic's own note segmentation and expressive
detectors (:mod:`mer_classic.features._ref_melody`, ``_ref_expressive``): contours
are runs of voiced frames without a jump over 100 cents, and the tremolo intensity
is the frame RMS. It prints |Spearman rho| of every expressive column against the
authors' values, to be read beside ``bench_reference_fidelity.py`` (the numpy
front end). essentia is optional: without it the script says so and exits 0.

Usage::

    python benchmarks/bench_reference_essentia.py [--data ../shared/data/4q-dev]
        [--cache /tmp/mer-essentia-melody] [--out reports/benchmarks/reference_fidelity]

Writes ``essentia_front_end.md`` and ``essentia_front_end.json`` beside the fidelity
report (correlations only; no research data).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from mer_classic.features._ref_expressive import expressive_values
from mer_classic.features._ref_melody import segment_notes
from mer_classic.features._ref_names import REFERENCE_NAME

REPO = Path(__file__).resolve().parents[1]
SR = 44100
HOP = 128
FRAME = 2048


def melody(path: Path, cache: Path) -> dict[str, np.ndarray]:
    """essentia MELODIA f0 (Hz) and frame RMS of one clip, cached as npz."""
    c = cache / f"{path.stem}.npz"
    if not c.exists():
        import essentia.standard as es

        y = es.EqualLoudness()(es.MonoLoader(filename=str(path), sampleRate=SR)())
        f0, _ = es.PredominantPitchMelodia(frameSize=FRAME, hopSize=HOP)(y)
        starts = range(0, max(len(y) - FRAME + 1, 1), HOP)
        rms = np.array(
            [np.sqrt(np.mean(y[j : j + FRAME] ** 2) + 1e-12) for j in starts]
        )
        n = min(len(f0), len(rms))
        np.savez(c, f0=f0[:n], rms=rms[:n])
    d = np.load(c)
    return {"f0": d["f0"], "rms": d["rms"]}


def expressive_from_f0(f0: np.ndarray, rms: np.ndarray) -> dict[str, float]:
    """mer-classic's notes and expressive columns on an external melody."""
    fr = SR / HOP
    cents = np.where(
        f0 > 0, 1200 * np.log2(np.maximum(f0, 1e-9) / 8.175798915643707), 0.0
    )
    voiced = cents > 0
    jump = np.zeros(len(cents), bool)
    jump[1:] = np.abs(np.diff(cents)) > 100
    new = voiced & (~np.r_[False, voiced[:-1]] | jump)
    contour = np.where(voiced, np.cumsum(new) - 1, -1)
    notes = segment_notes(cents, contour, fr)
    return expressive_values(notes, cents, np.where(voiced, rms, 0.0))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared/data/4q-dev")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/mer-essentia-melody"))
    ap.add_argument(
        "--out", type=Path, default=REPO / "reports/benchmarks/reference_fidelity"
    )
    a = ap.parse_args()
    try:
        import essentia.standard  # noqa: F401
    except ImportError:
        print("essentia is not installed (pip install essentia): nothing to compare")
        return
    ref_csv = a.data / "reference-features" / "top100_features_dev.csv"
    if not ref_csv.exists():
        print(f"no reference features at {ref_csv}: nothing to compare")
        return
    ref = pd.read_csv(ref_csv, dtype={"SongID": str}).set_index("SongID")
    a.cache.mkdir(parents=True, exist_ok=True)
    files = sorted(p for q in "1234" for p in (a.data / f"Q{q}").glob("*.mp3"))
    rows = {p.stem: expressive_from_f0(**melody(p, a.cache)) for p in files}
    ours = pd.DataFrame(rows).T
    common = ours.index.intersection(ref.index)
    fidelity_json = a.out / "metrics.json"
    numpy_rho = {}
    if fidelity_json.exists():
        for r in json.loads(fidelity_json.read_text()).get("features", []):
            if isinstance(r, dict) and "reference" in r:
                numpy_rho[r["reference"]] = r.get("rho_paired")
    table = []
    for col, rname in REFERENCE_NAME.items():
        if col in ours and rname in ref:
            rho = spearmanr(ours.loc[common, col], ref.loc[common, rname]).statistic
            table.append(
                {
                    "reference": rname,
                    "column": col,
                    "rho_essentia": round(abs(float(np.nan_to_num(rho))), 3),
                    "rho_numpy": numpy_rho.get(rname),
                }
            )
    med = float(np.median([t["rho_essentia"] for t in table]))
    lines = [
        "# Expressive reference columns on essentia's MELODIA melody "
        "(benchmarks/bench_reference_essentia.py)",
        "",
        f"{len(common)} 4Q-dev clips. Same note segmentation and detectors as the shipped "
        "numpy front end; only the melody differs. |Spearman rho| with the authors' values.",
        "",
        "| reference feature | our column | rho essentia melody | rho numpy melody |",
        "|---|---|---|---|",
    ]
    for t in table:
        lines.append(
            f"| {t['reference']} | `{t['column']}` | {t['rho_essentia']:.2f} | "
            f"{'' if t['rho_numpy'] is None else format(t['rho_numpy'], '.2f')} |"
        )
    lines += [
        "",
        f"Median over these {len(table)} columns (essentia melody): **{med:.2f}**.",
    ]
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "essentia_front_end.md").write_text("\n".join(lines) + "\n")
    (a.out / "essentia_front_end.json").write_text(
        json.dumps({"n_clips": len(common), "median": med, "features": table}, indent=1)
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
