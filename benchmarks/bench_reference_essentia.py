"""Which pitch front end limits the expressive reference columns? essentia vs numpy.

Issue 19 asks that the pitch front end be chosen by the reference correlation. This
script runs essentia's ``PredominantPitchMelodia`` (MELODIA, what the 4Q authors
used; default parameters, 44.1 kHz, hop 128, equal-loudness filter) on the 4Q-dev
clips and feeds its melody to mer-classic's own note segmentation and expressive
detectors (:mod:`mer_classic.features._ref_melody`, ``_ref_expressive``): contours
are runs of voiced frames without a jump over 100 cents, and the tremolo intensity
is the frame RMS. It prints |Spearman rho| of every expressive column against the
authors' values, to be read beside ``bench_reference_fidelity.py`` (the numpy
front end). A third column replaces our detectors too: essentia's own note
segmentation (``PitchContourSegmentation``) and frame-wise vibrato detector
(``Vibrato``, 4-8 Hz, 50-250 cents) on the same melody; a note has vibrato when
any of its frames has; a glissando is a move of at least 100 cents between two
contiguous voiced notes. It tells whether the gap to the reference is in the
melody or in the detectors. essentia is optional: without it the script says so and exits 0.

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
from mer_classic.features._ref_stats import describe

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


def essentia_notes(path: Path, f0: np.ndarray, cache: Path) -> dict[str, np.ndarray]:
    """essentia's notes and frame-wise vibrato on a MELODIA melody, cached."""
    c = cache / f"{path.stem}.notes.npz"
    if not c.exists():
        import essentia.standard as es

        y = es.MonoLoader(filename=str(path), sampleRate=SR)()
        on, du, midi = es.PitchContourSegmentation(hopSize=HOP, sampleRate=SR)(
            f0.astype(np.float32), y
        )
        vf, ve = es.Vibrato(sampleRate=SR / HOP)(f0.astype(np.float32))
        np.savez(c, onset=on, duration=du, midi=midi, vf=vf, ve=ve)
    d = np.load(c)
    return {k: d[k] for k in ("onset", "duration", "midi", "vf", "ve")}


def expressive_from_essentia_detectors(
    f0: np.ndarray, onset, duration, midi, vf, ve
) -> dict[str, float]:
    """Vibrato, tremolo-pitch, glissando and note columns from essentia's detectors."""
    fr = SR / HOP
    out: dict[str, float] = {}
    per: dict[str, list[float]] = {"rate": [], "extent": [], "length": [], "base": []}
    for a, d, m in zip(onset, duration, midi, strict=False):
        s, e = int(round(a * fr)), int(round((a + d) * fr))
        v = vf[s:e] > 0
        if e > s and v.any():
            per["rate"].append(float(vf[s:e][v].mean()))
            per["extent"].append(float(ve[s:e][v].mean()))
            per["length"].append(v.sum() / fr)
            per["base"].append(100.0 * m)
    for name, vals in per.items():
        for stat, v in describe(np.array(vals)).items():
            out[f"ref_vibrato_{name}_{stat}"] = v
    n, n_vib = len(onset), len(per["base"])
    out["ref_vibrato_ratio"] = n_vib / max(n - n_vib, 1) if n else 0.0
    out["ref_vibrato_high_coverage"] = (
        float(np.mean(np.array(per["base"]) >= 6000.0)) if n_vib else 0.0
    )
    pitch = 100.0 * np.asarray(midi, dtype=float)
    for stat, v in describe(pitch).items():
        if stat in ("mean", "min", "max"):
            out[f"ref_tremolo_pitch_{stat}"] = v
    out["ref_tremolo_high_coverage"] = float(np.mean(pitch >= 6000.0)) if n else 0.0
    ext, length = [], []
    for i in range(n - 1):
        end, start = onset[i] + duration[i], onset[i + 1]
        lo, hi = int(end * fr), int(start * fr) + 1
        if start - end > 0.1 or np.any(f0[lo:hi] <= 0):
            continue
        move = pitch[i + 1] - pitch[i]
        if abs(move) >= 100.0:
            ext.append(move)
            length.append(max(start - end, 1.0 / fr))
    g, L = np.array(ext), np.array(length)
    out["ref_glissando_up_ratio"] = float(np.mean(g > 0)) if len(g) else 0.0
    out["ref_glissando_extent_std"] = describe(np.abs(g))["std"]
    out["ref_glissando_length_std"] = describe(L)["std"]
    out["ref_glissando_slope_std"] = describe(np.abs(g) / L if len(L) else g)["std"]
    out["ref_articulation_other_duration_mean"] = float(np.mean(duration)) if n else 0.0
    return out


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
    rows, det = {}, {}
    for p in files:
        m = melody(p, a.cache)
        rows[p.stem] = expressive_from_f0(**m)
        det[p.stem] = expressive_from_essentia_detectors(
            m["f0"], **essentia_notes(p, m["f0"], a.cache)
        )
    ours = pd.DataFrame(rows).T
    theirs = pd.DataFrame(det).T
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
            rho_det = (
                spearmanr(theirs.loc[common, col], ref.loc[common, rname]).statistic
                if col in theirs
                else np.nan
            )
            table.append(
                {
                    "reference": rname,
                    "column": col,
                    "rho_essentia": round(abs(float(np.nan_to_num(rho))), 3),
                    "rho_essentia_detectors": (
                        None if np.isnan(rho_det) else round(abs(float(rho_det)), 3)
                    ),
                    "rho_numpy": numpy_rho.get(rname),
                }
            )
    med = float(np.median([t["rho_essentia"] for t in table]))
    lines = [
        "# Expressive reference columns on essentia's MELODIA melody "
        "(benchmarks/bench_reference_essentia.py)",
        "",
        f"{len(common)} 4Q-dev clips. |Spearman rho| with the authors' values. *essentia "
        "melody*: the shipped note segmentation and detectors on essentia's MELODIA melody "
        "(only the melody differs from the shipped numpy path). *essentia detectors*: "
        "essentia's own note segmentation (PitchContourSegmentation) and vibrato detector "
        "(Vibrato) on that melody. *numpy*: the shipped path (bench_reference_fidelity.py).",
        "",
        "| reference feature | our column | rho essentia melody | rho essentia detectors "
        "| rho numpy |",
        "|---|---|---|---|---|",
    ]

    def fmt(v):
        return "" if v is None else format(v, ".2f")

    for t in table:
        lines.append(
            f"| {t['reference']} | `{t['column']}` | {t['rho_essentia']:.2f} | "
            f"{fmt(t['rho_essentia_detectors'])} | {fmt(t['rho_numpy'])} |"
        )
    det_vals = [t["rho_essentia_detectors"] for t in table]
    med_det = float(np.median([v for v in det_vals if v is not None]))
    lines += [
        "",
        f"Median over these {len(table)} columns: essentia melody **{med:.2f}**, "
        f"essentia detectors **{med_det:.2f}**.",
        "",
        "Command: `python benchmarks/bench_reference_essentia.py` (needs the optional "
        "essentia package; caches under --cache).",
    ]
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "essentia_front_end.md").write_text("\n".join(lines) + "\n")
    (a.out / "essentia_front_end.json").write_text(
        json.dumps(
            {
                "n_clips": len(common),
                "median": med,
                "median_essentia_detectors": med_det,
                "features": table,
            },
            indent=1,
        )
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
