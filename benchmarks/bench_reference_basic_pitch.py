"""Does a learned multi-pitch transcriber (basic-pitch) match the reference better?

Issue 19 asks that the pitch front end be chosen by the reference correlation.
This script runs Spotify's basic-pitch (Apache-2.0, ICASSP 2022 model shipped in
its wheel; run here with onnxruntime) on the 4Q-dev clips and derives from its
outputs (per-frame note activations of 88 keys at 22050/256 = 86.1 frames/s,
onset activations, a 3-bins-per-semitone contour activation and its note events)
the reference columns with the definitions of the shipped ``reference`` group:

- *texture*: musical layers per frame = number of simultaneously active notes
  (several coarse variants, see ``LAYER_VARIANTS``), fed to
  :func:`mer_classic.features._ref_texture.texture_values`;
- *expressive*: a predominant melody (per frame the highest, or the most salient,
  active note, refined to the peak of the contour activation within one semitone
  by parabolic interpolation), split into contours and fed to the shipped note
  segmentation and expressive detectors exactly as
  ``bench_reference_essentia.py`` does with essentia's melody;
- *notes*: basic-pitch's own note events (the top or most salient note of each
  frame, its frames refined by the contour activation) as the notes;
- *contours*: the contour activation's peaks as the salience candidates of the
  shipped MELODIA-style chain (contour tracking, melody selection, notes,
  detectors, and the shipped layer counter), i.e. only the salience differs.

The voice column runs basic-pitch a second time, on the shipped REPET-SIM voice
(its soft mask on the complex STFT, inverted). The creak column has no
basic-pitch counterpart. Everything runs with one BLAS / onnxruntime thread.

It prints |Spearman rho| of every reference novel feature against the authors'
values beside the shipped numpy column (``metrics.json`` of the fidelity
report). basic-pitch is optional: without it the script says so and exits 0.

Usage::

    PYTHONPATH=<site with basic-pitch + onnxruntime> \\
    python benchmarks/bench_reference_basic_pitch.py [--data ../shared/data/4q-dev]
        [--cache /tmp/mer-basic-pitch] [--out reports/benchmarks/reference_fidelity]

Writes ``basic_pitch_front_end.md`` and ``basic_pitch_front_end.json`` beside the
fidelity report (correlations only; no research data).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.ndimage import median_filter
from scipy.stats import spearmanr

from mer_classic.features._ref_expressive import expressive_values
from mer_classic.features._ref_melody import (
    NoteSet,
    segment_notes,
    select_melody,
    track_contours,
)
from mer_classic.features._ref_names import REFERENCE_NAME
from mer_classic.features._ref_texture import mix_layers, texture_values

REPO = Path(__file__).resolve().parents[1]
SR = 22050  #: basic-pitch's sample rate
HOP = 256  #: basic-pitch's frame hop (samples)
FR = SR / HOP  #: frames per second
MIDI0 = 21  #: MIDI number of the lowest key (A0)
MELODIA_KEYS = (12, 72)  #: keys of MELODIA's salience range, A1 (55 Hz) - A6 (1760 Hz)
#: the onnx model's outputs (as basic-pitch's ``Model.predict`` maps them)
OUTPUTS = {
    "note": "StatefulPartitionedCall:1",
    "onset": "StatefulPartitionedCall:2",
    "contour": "StatefulPartitionedCall:0",
}


def _session():  # noqa: ANN202
    """An onnxruntime session of basic-pitch's ICASSP 2022 model, one thread."""
    import basic_pitch
    import onnxruntime as ort

    path = Path(basic_pitch.__file__).parent / "saved_models/icassp_2022/nmp.onnx"
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def run_model(y: np.ndarray, session) -> dict[str, np.ndarray]:  # noqa: ANN001
    """basic-pitch's activations of a 22050 Hz signal, as its ``run_inference``."""
    from basic_pitch.constants import AUDIO_N_SAMPLES
    from basic_pitch.inference import unwrap_output, window_audio_file

    n_olap = 30  # basic-pitch's run_inference: 30 overlapping frames
    olap = n_olap * HOP
    x = np.concatenate([np.zeros(olap // 2, np.float32), y.astype(np.float32)])
    name = session.get_inputs()[0].name
    outs: dict[str, list[np.ndarray]] = {k: [] for k in OUTPUTS}
    for w, _ in window_audio_file(x, AUDIO_N_SAMPLES - olap):
        res = session.run(list(OUTPUTS.values()), {name: w[None]})
        for k, v in zip(OUTPUTS, res, strict=True):
            outs[k].append(v)
    return {
        k: unwrap_output(np.concatenate(v), len(y), n_olap) for k, v in outs.items()
    }


def _read_cache(path: Path) -> dict[str, np.ndarray]:
    """A cached npz, its float16 activations widened back to float32."""
    d = np.load(path)
    return {
        k: d[k].astype(np.float32) if d[k].dtype == np.float16 else d[k]
        for k in d.files
    }


def model_output(path: Path, cache: Path, session) -> dict[str, np.ndarray]:  # noqa: ANN001
    """basic-pitch's note / onset / contour activations, frame RMS and notes, cached."""
    c = cache / f"{path.stem}.npz"
    if not c.exists():
        import librosa

        y, _ = librosa.load(str(path), sr=SR, mono=True)
        t0 = time.perf_counter()
        out = run_model(y, session)
        seconds = time.perf_counter() - t0
        n = len(out["note"])
        rms = librosa.feature.rms(y=y, frame_length=1024, hop_length=HOP)[0]
        rms = np.pad(rms, (0, max(0, n - len(rms))))[:n]
        np.savez_compressed(
            c,
            note=out["note"].astype(np.float16),
            onset=out["onset"].astype(np.float16),
            contour=out["contour"].astype(np.float16),
            rms=rms.astype(np.float32),
            seconds=seconds,
            duration=len(y) / SR,
        )
    res = _read_cache(c)
    ce = cache / f"{path.stem}.events.npz"
    if not ce.exists():
        t0 = time.perf_counter()
        ev = note_events(res)
        np.savez(ce, events=ev, seconds=time.perf_counter() - t0)
    de = np.load(ce)
    res["events"], res["events_seconds"] = de["events"], de["seconds"]
    return res


def separate_voice(y: np.ndarray) -> np.ndarray:
    """The shipped REPET-SIM voice (``_ref_voice.voice_magnitude``) as a signal.

    The soft mask of the reference group's voice magnitude (same STFT, bins up to
    5 kHz) applied to the complex STFT of the mix and inverted.
    """
    import librosa

    from mer_classic.features._ref_melody import stft_params
    from mer_classic.features._ref_voice import voice_magnitude

    n_fft, hop = stft_params(SR)
    D = librosa.stft(y, n_fft=n_fft, hop_length=hop, center=True, pad_mode="constant")
    S = np.abs(D)
    n_bins = int(np.searchsorted(librosa.fft_frequencies(sr=SR, n_fft=n_fft), 5000.0))
    V = voice_magnitude(S, SR / hop, n_bins=n_bins + 2)
    mask = V / np.maximum(S, 1e-9)
    return librosa.istft(mask * D, hop_length=hop, n_fft=n_fft, length=len(y))


def voice_output(path: Path, cache: Path, session) -> dict[str, np.ndarray]:  # noqa: ANN001
    """basic-pitch's activations and note events of the separated voice, cached."""
    c = cache / f"{path.stem}.voice.npz"
    if not c.exists():
        import librosa

        y, _ = librosa.load(str(path), sr=SR, mono=True)
        t0 = time.perf_counter()
        yv = separate_voice(y)
        t1 = time.perf_counter()
        out = run_model(yv, session)
        t2 = time.perf_counter()
        np.savez_compressed(
            c,
            note=out["note"].astype(np.float16),
            onset=out["onset"].astype(np.float16),
            separation_seconds=t1 - t0,
            seconds=t2 - t1,
        )
    res = _read_cache(c)
    ce = cache / f"{path.stem}.voice.events.npy"
    if not ce.exists():
        np.save(ce, note_events(res))
    res["events"] = np.load(ce)
    return res


def note_events(out: dict[str, np.ndarray]) -> np.ndarray:
    """basic-pitch's note events with its defaults: (start, stop, key) frames.

    ``output_to_notes_polyphonic`` with onset 0.5, frame 0.3, shortest note
    127.7 ms (11 frames) and the melodia trick, as ``basic_pitch.inference.predict``.
    """
    from basic_pitch.note_creation import output_to_notes_polyphonic

    ev = output_to_notes_polyphonic(
        out["note"].astype(np.float32),
        out["onset"].astype(np.float32),
        onset_thresh=0.5,
        frame_thresh=0.3,
        min_note_len=11,
        infer_onsets=True,
        max_freq=None,
        min_freq=None,
        melodia_trick=True,
    )
    if not ev:
        return np.zeros((0, 3), dtype=np.int64)
    a = np.array([(s, e, p - MIDI0) for s, e, p, _ in ev], dtype=np.int64)
    return a[np.argsort(a[:, 0], kind="stable")]


def event_roll(events: np.ndarray, n: int) -> np.ndarray:
    """Boolean (n_frames, 88) piano roll of note events."""
    roll = np.zeros((n, 88), dtype=bool)
    for s, e, k in events.tolist():
        roll[s:e, k] = True
    return roll


def frame_roll(note: np.ndarray, threshold: float) -> np.ndarray:
    """Keys whose note activation is at least ``threshold`` and a peak over pitch."""
    a = note.astype(np.float32)
    pad = np.pad(a, ((0, 0), (1, 1)))
    peak = (a >= pad[:, :-2]) & (a >= pad[:, 2:])
    return (a >= threshold) & peak


#: layer-count variants: name → (piano-roll source, median-filter frames)
LAYER_VARIANTS = {
    "events": ("events", 1),
    "frames>=0.3": (0.3, 9),
    "frames>=0.5": (0.5, 9),
    "frames>=0.7": (0.7, 9),
}


def layers(out: dict[str, np.ndarray], events: np.ndarray, variant: str) -> np.ndarray:
    """Musical layers per frame: simultaneously active notes."""
    src, smooth = LAYER_VARIANTS[variant]
    n = len(out["note"])
    roll = event_roll(events, n) if src == "events" else frame_roll(out["note"], src)
    count = roll.sum(axis=1)
    if smooth > 1:
        count = median_filter(count, size=smooth, mode="nearest")
    return count.astype(np.int64)


def refine(contour: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Pitch (cents above MIDI 0) of each frame's key from the contour activation.

    The contour peak within one semitone of the key (3 bins per semitone, bin
    ``3 k`` is key ``k``), parabolically interpolated; 0 where ``key`` is -1.
    """
    n = len(key)
    cents = np.zeros(n)
    on = np.flatnonzero(key >= 0)
    if not len(on):
        return cents
    c = contour[on].astype(np.float64)
    centre = 3 * key[on]
    offs = np.arange(-3, 4)
    idx = np.clip(centre[:, None] + offs[None, :], 0, c.shape[1] - 1)
    vals = np.take_along_axis(c, idx, axis=1)
    b = idx[np.arange(len(on)), vals.argmax(axis=1)]
    left = c[np.arange(len(on)), np.clip(b - 1, 0, c.shape[1] - 1)]
    mid = c[np.arange(len(on)), b]
    right = c[np.arange(len(on)), np.clip(b + 1, 0, c.shape[1] - 1)]
    den = left - 2 * mid + right
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(np.abs(den) > 1e-9, 0.5 * (left - right) / den, 0.0)
    delta = np.clip(delta, -0.5, 0.5)
    cents[on] = 100.0 * (MIDI0 + (b + delta) / 3.0)
    return cents


def melody_keys(out: dict[str, np.ndarray], roll: np.ndarray, pick: str) -> np.ndarray:
    """Melody key per frame of a piano roll (-1: none): top or most salient key.

    ``pick`` ``top`` / ``salient``; ``salient55`` keeps only MELODIA's salience
    range (55-1760 Hz, keys A1-A6) before picking the most salient key.
    """
    if pick == "salient55":
        roll = roll.copy()
        roll[:, : MELODIA_KEYS[0]] = False
        roll[:, MELODIA_KEYS[1] + 1 :] = False
    any_on = roll.any(axis=1)
    if pick == "top":
        k = 87 - np.argmax(roll[:, ::-1], axis=1)
    else:
        k = np.argmax(np.where(roll, out["note"].astype(np.float32), -1.0), axis=1)
    return np.where(any_on, k, -1)


def expressive_from_melody(
    cents: np.ndarray, intensity: np.ndarray
) -> dict[str, float]:
    """The shipped notes and detectors on an external melody (as with essentia)."""
    voiced = cents > 0
    jump = np.zeros(len(cents), bool)
    jump[1:] = np.abs(np.diff(cents)) > 100
    new = voiced & (~np.r_[False, voiced[:-1]] | jump)
    contour = np.where(voiced, np.cumsum(new) - 1, -1)
    notes = segment_notes(cents, contour, FR)
    return expressive_values(notes, cents, np.where(voiced, intensity, 0.0))


def expressive_from_events(
    cents: np.ndarray, owner: np.ndarray, intensity: np.ndarray
) -> dict[str, float]:
    """The shipped detectors on basic-pitch's own notes.

    A note is a run of melody frames owned by one note event (shorter than 0.1 s
    dropped, as the shipped segmentation); notes that follow each other without
    an unvoiced frame share a contour, and the frames between them are the
    transition (where a glissando is looked for).
    """
    n = len(cents)
    new = np.ones(n, dtype=bool)
    new[1:] = owner[1:] != owner[:-1]
    starts = np.flatnonzero(new)
    stops = np.append(starts[1:], n)
    keep = [
        (a, b)
        for a, b in zip(starts.tolist(), stops.tolist(), strict=False)
        if owner[a] >= 0 and (b - a) >= round(0.1 * FR)
    ]
    st = np.array([a for a, _ in keep], dtype=np.int64)
    sp = np.array([b for _, b in keep], dtype=np.int64)
    pitch = np.array([float(np.median(cents[a:b])) for a, b in keep])
    voiced = owner >= 0
    run = np.cumsum(np.r_[True, voiced[1:] != voiced[:-1]])  # voiced-run id
    contour = run[st] if len(st) else np.zeros(0, np.int64)
    same = np.flatnonzero(contour[1:] == contour[:-1]) if len(st) > 1 else []
    notes = NoteSet(
        start=st,
        stop=sp,
        pitch=pitch,
        contour=contour.astype(np.int64),
        trans_start=sp[same] if len(same) else np.zeros(0, np.int64),
        trans_stop=st[np.asarray(same) + 1] if len(same) else np.zeros(0, np.int64),
        trans_note=np.asarray(same, dtype=np.int64),
        frame_rate=FR,
    )
    return expressive_values(notes, cents, np.where(voiced, intensity, 0.0))


def contour_candidates(
    contour: np.ndarray, lo_bin: int = 0, n: int = 10
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """basic-pitch's contour activation as salience candidates, strongest first.

    The ``n`` strongest peaks over pitch (bins from ``lo_bin`` on), their pitch
    parabolically interpolated (cents above MIDI 0), in the format of
    :func:`mer_classic.features._ref_melody.salience_candidates`; with the frame's
    mean activation (for the layer counter's peakiness).
    """
    c = contour.astype(np.float64)
    pad = np.pad(c, ((0, 0), (1, 1)), constant_values=-1.0)
    peak = (c > pad[:, :-2]) & (c >= pad[:, 2:])
    peak[:, :lo_bin] = False
    score = np.where(peak, c, -1.0)
    order = np.argsort(-score, axis=1)[:, :n]
    rows = np.arange(len(c))[:, None]
    sal = np.maximum(score[rows, order], 0.0)
    left = pad[rows, order]
    right = pad[rows, order + 2]
    mid = c[rows, order]
    den = left - 2 * mid + right
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(np.abs(den) > 1e-9, 0.5 * (left - right) / den, 0.0)
    cents = 100.0 * (MIDI0 + (order + np.clip(delta, -0.5, 0.5)) / 3.0)
    cents = np.where(sal > 0, cents, 0.0)
    return cents, sal, c.mean(axis=1)


def expressive_from_candidates(cents: np.ndarray, sal: np.ndarray) -> dict[str, float]:
    """The shipped MELODIA-style chain (as ``_ref_features.mix_values``) on candidates."""
    contours = track_contours(cents, sal, FR)
    melody, msal, which = select_melody(contours)
    notes = segment_notes(melody, which, FR)
    return expressive_values(notes, melody, msal)


#: melody variants: name → (piano-roll source, pick, intensity)
MELODY_VARIANTS = {
    "frames>=0.3/top/rms": (0.3, "top", "rms"),
    "frames>=0.3/salient/rms": (0.3, "salient", "rms"),
    "frames>=0.3/salient55/rms": (0.3, "salient55", "rms"),
    "events/top/rms": ("events", "top", "rms"),
    "events/salient/rms": ("events", "salient", "rms"),
    "events/salient55/rms": ("events", "salient55", "rms"),
    "events/salient/activation": ("events", "salient", "activation"),
}


def clip_columns(out: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Every variant's reference columns of one clip: variant → column → value."""
    n = len(out["note"])
    events = out["events"]
    res: dict[str, dict[str, float]] = {}
    for v in LAYER_VARIANTS:
        res[f"layers:{v}"] = texture_values(layers(out, events, v), FR)
    ev_roll = event_roll(events, n)
    owner_of = np.full((n, 88), -1, dtype=np.int64)
    for i, (s, e, k) in enumerate(events.tolist()):
        owner_of[s:e, k] = i
    for v, (src, pick, inten) in MELODY_VARIANTS.items():
        roll = ev_roll if src == "events" else frame_roll(out["note"], src)
        key = melody_keys(out, roll, pick)
        cents = refine(out["contour"], key)
        if inten == "rms":
            intensity = out["rms"].astype(np.float64)
        else:
            act = out["note"].astype(np.float64)
            intensity = act[np.arange(n), np.maximum(key, 0)]
        res[f"melody:{v}"] = expressive_from_melody(cents, intensity)
        if src == "events":
            owner = np.where(key >= 0, owner_of[np.arange(n), np.maximum(key, 0)], -1)
            res[f"notes:{v}"] = expressive_from_events(cents, owner, intensity)
    # basic-pitch's contour activation as the salience of the shipped chain
    for name, lo in (("contours:all", 0), ("contours:55Hz+", 3 * MELODIA_KEYS[0])):
        cents, sal, mean = contour_candidates(out["contour"], lo)
        res[name] = expressive_from_candidates(cents, sal)
        if lo == 0:
            res["layers:contour-peaks"] = texture_values(
                mix_layers(cents, sal, mean), FR
            )
    return res


def family(col: str) -> str:
    """Family of a reference column (for the per-family medians)."""
    for key in ("vibrato", "tremolo", "glissando", "articulation", "voice", "creak"):
        if key in col:
            return key
    return "texture"


def measure_cost(paths: list[Path], session, repeats: int = 2) -> dict[str, float]:  # noqa: ANN001
    """Median seconds per clip: decode, basic-pitch (model, notes, columns), ours."""
    from threadpoolctl import threadpool_limits

    from mer_classic.features._decode import load_audio
    from mer_classic.features._ref_features import reference_features

    t: dict[str, list[float]] = {
        k: []
        for k in (
            "decode",
            "bp_model",
            "bp_notes",
            "bp_columns",
            "bp_voice",
            "reference",
        )
    }
    with threadpool_limits(1):
        for _ in range(repeats):
            for p in paths:  # interleaved, so a load change hits both alike
                t0 = time.perf_counter()
                y = load_audio(p, sr=SR)
                t1 = time.perf_counter()
                out = run_model(y, session)
                t2 = time.perf_counter()
                import librosa

                n = len(out["note"])
                rms = librosa.feature.rms(y=y, frame_length=1024, hop_length=HOP)[0]
                out["rms"] = np.pad(rms, (0, max(0, n - len(rms))))[:n]
                out["events"] = note_events(out)
                t3 = time.perf_counter()
                clip_columns(out)
                t4 = time.perf_counter()
                vo = run_model(separate_voice(y), session)
                vo["events"] = note_events(vo)
                texture_values(layers(vo, vo["events"], "events"), FR)
                t4v = time.perf_counter()
                reference_features(y, SR)
                t5 = time.perf_counter()
                for k, a, b in (
                    ("decode", t0, t1),
                    ("bp_model", t1, t2),
                    ("bp_notes", t2, t3),
                    ("bp_columns", t3, t4),
                    ("bp_voice", t4, t4v),
                    ("reference", t4v, t5),
                ):
                    t[k].append(b - a)
    return {k: float(np.median(v)) for k, v in t.items()}


def main() -> None:
    """Run with one BLAS / OpenMP thread (the machine is shared; fair timing)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        _main()


def _main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared/data/4q-dev")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/mer-basic-pitch"))
    ap.add_argument(
        "--out", type=Path, default=REPO / "reports/benchmarks/reference_fidelity"
    )
    ap.add_argument("--cost-clips", type=int, default=12)
    a = ap.parse_args()
    try:
        import basic_pitch  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        print(
            "basic-pitch / onnxruntime are not installed "
            "(pip install basic-pitch onnxruntime): nothing to compare"
        )
        return
    ref_csv = a.data / "reference-features" / "top100_features_dev.csv"
    if not ref_csv.exists():
        print(f"no reference features at {ref_csv}: nothing to compare")
        return
    ref = pd.read_csv(ref_csv, dtype={"SongID": str}).set_index("SongID")
    a.cache.mkdir(parents=True, exist_ok=True)
    files = sorted(p for q in "1234" for p in (a.data / f"Q{q}").glob("*.mp3"))
    session = _session()
    per: dict[str, dict[str, dict[str, float]]] = {}
    model_s, notes_s, dur, sep_s = [], [], [], []
    for p in files:
        out = model_output(p, a.cache, session)
        model_s.append(float(out["seconds"]))
        notes_s.append(float(out["events_seconds"]))
        dur.append(float(out["duration"]))
        for variant, cols in clip_columns(out).items():
            per.setdefault(variant, {})[p.stem] = cols
        vo = voice_output(p, a.cache, session)
        sep_s.append(float(vo["separation_seconds"]))
        for v in LAYER_VARIANTS:
            tv = texture_values(layers(vo, vo["events"], v), FR)
            per.setdefault(f"voice:{v}", {})[p.stem] = {
                "ref_voice_" + k[len("ref_") :]: x for k, x in tv.items()
            }
    frames = {v: pd.DataFrame(rows).T for v, rows in per.items()}
    common = frames[next(iter(frames))].index.intersection(ref.index)

    numpy_rho = {}
    fidelity_json = a.out / "metrics.json"
    if fidelity_json.exists():
        for r in json.loads(fidelity_json.read_text()).get("features", []):
            if isinstance(r, dict) and "reference" in r:
                numpy_rho[r["reference"]] = r.get("rho_paired")

    def rho(df: pd.DataFrame, col: str, rname: str) -> float | None:
        if col not in df or rname not in ref:
            return None
        r = spearmanr(df.loc[common, col], ref.loc[common, rname]).statistic
        return round(abs(float(np.nan_to_num(r))), 3)

    # every variant's |rho| per reference feature
    by_variant: dict[str, dict[str, float | None]] = {}
    for v, df in frames.items():
        by_variant[v] = {rn: rho(df, c, rn) for c, rn in REFERENCE_NAME.items()}

    def fam_median(v: str, fams: set[str]) -> float:
        vals = [
            r
            for c, rn in REFERENCE_NAME.items()
            if rn in ref and family(c) in fams and (r := by_variant[v][rn]) is not None
        ]
        return float(np.median(vals)) if vals else float("nan")

    # one variant per side, chosen by its median over that side's columns
    tex = [v for v in frames if v.startswith("layers:")]
    expr = [v for v in frames if v.startswith(("melody:", "notes:", "contours:"))]
    expr_fams = {"vibrato", "tremolo", "glissando", "articulation"}
    best_tex = max(tex, key=lambda v: fam_median(v, {"texture"}))
    best_expr = max(expr, key=lambda v: fam_median(v, expr_fams))
    table = []
    for col, rname in REFERENCE_NAME.items():
        if rname not in ref:
            continue
        fam = family(col)
        chosen = {"texture": best_tex, "voice": "voice:" + best_tex[len("layers:") :]}
        chosen = chosen.get(fam, best_expr)
        bp = by_variant[chosen][rname] if fam != "creak" else None
        pool = {"texture": tex, "voice": [v for v in frames if v.startswith("voice:")]}
        pool = pool.get(fam, expr)
        table.append(
            {
                "reference": rname,
                "column": col,
                "family": fam,
                "rho_numpy": numpy_rho.get(rname),
                "rho_basic_pitch": bp,
                "variant": chosen if bp is not None else None,
                "rho_basic_pitch_best_variant": max(
                    ((r, v) for v in pool if (r := by_variant[v][rname]) is not None),
                    default=(None, None),
                )
                if fam != "creak"
                else (None, None),
            }
        )

    def med(vals: list) -> float:
        vals = [v for v in vals if v is not None]
        return float(np.median(vals)) if vals else float("nan")

    fams = ["texture", "vibrato", "tremolo", "glissando", "articulation", "voice"]
    fam_rows = []
    for f in fams + ["creak"]:
        rows = [t for t in table if t["family"] == f]
        fam_rows.append(
            {
                "family": f,
                "n": len(rows),
                "median_numpy": med([t["rho_numpy"] for t in rows]),
                "median_basic_pitch": med([t["rho_basic_pitch"] for t in rows]),
            }
        )
    med_np = med([t["rho_numpy"] for t in table])
    med_bp = med([t["rho_basic_pitch"] for t in table])
    med_np27 = med([t["rho_numpy"] for t in table if t["rho_basic_pitch"] is not None])
    better = {
        r["family"]
        for r in fam_rows
        if not np.isnan(r["median_basic_pitch"])
        and r["median_basic_pitch"] > r["median_numpy"]
    }
    hybrid = [
        t["rho_basic_pitch"] if t["family"] in better else t["rho_numpy"] for t in table
    ]
    cost_paths = files[:: max(1, len(files) // a.cost_clips)][: a.cost_clips]
    cost = measure_cost(cost_paths, session)
    load = os.getloadavg()

    def fmt(v) -> str:  # noqa: ANN001
        return "" if v is None else format(v, ".2f")

    lines = [
        "# Reference columns on basic-pitch's multi-pitch transcription "
        "(benchmarks/bench_reference_basic_pitch.py)",
        "",
        f"{len(common)} 4Q-dev clips. |Spearman rho| with the authors' values. "
        "*numpy*: the shipped `reference` column (rho paired of the fidelity report, "
        "`metrics.json`). *basic-pitch*: the same column definition on basic-pitch "
        "0.4.0 (ICASSP 2022 model, onnxruntime): texture from its layers variant "
        f"`{best_tex}`, expressive columns from its melody variant `{best_expr}` "
        "(each chosen by the median |rho| of its side over the variants below, on "
        "these same clips). Voice: basic-pitch on the shipped REPET-SIM voice "
        "(its soft mask applied to the complex STFT and inverted), layers as for "
        "the texture. The creak column has no basic-pitch counterpart.",
        "",
        "| reference feature | our column | rho numpy | rho basic-pitch "
        "| best variant (rho) |",
        "|---|---|---|---|---|",
    ]
    for t in table:
        br, bv = t["rho_basic_pitch_best_variant"]
        lines.append(
            f"| {t['reference']} | `{t['column']}` | {fmt(t['rho_numpy'])} | "
            f"{fmt(t['rho_basic_pitch'])} | "
            + (f"`{bv}` ({br:.2f})" if bv else "")
            + " |"
        )
    lines += [
        "",
        f"Median over the 29: numpy **{med_np:.2f}**. basic-pitch over the "
        f"{sum(t['rho_basic_pitch'] is not None for t in table)} it covers "
        f"**{med_bp:.2f}** (numpy on those: {med_np27:.2f}). Per family "
        "(median |rho|):",
        "",
        "| family | n | numpy | basic-pitch |",
        "|---|---|---|---|",
    ]
    for r in fam_rows:
        lines.append(
            f"| {r['family']} | {r['n']} | {r['median_numpy']:.2f} | "
            f"{fmt(None if np.isnan(r['median_basic_pitch']) else r['median_basic_pitch'])} |"
        )
    lines += [
        "",
        f"Mixed (basic-pitch columns for the families where its median is higher: "
        f"{', '.join(sorted(better)) or 'none'}; numpy elsewhere): median "
        f"{med(hybrid):.2f}, minimum {min(h for h in hybrid if h is not None):.2f}.",
        "",
        "Variants (median |rho| per family; *layers*: musical layers per frame = "
        "notes active in the frame, from basic-pitch's note events or from keys "
        "whose frame activation is at least the threshold and a peak over pitch, "
        "median-filtered over 9 frames; *melody*: per frame the top or most salient "
        "active key, refined by the contour activation, then the shipped note "
        "segmentation; *notes*: the melody frames grouped by the note event that "
        "owns them; intensity for tremolo: frame RMS or the key's activation; "
        "*contours*: the contour activation's 10 strongest peaks per frame (all, "
        "or from 55 Hz up) as the salience candidates of the shipped contour "
        "tracking, melody selection, notes and detectors; *layers:contour-peaks*: "
        "the shipped layer counter (`mix_layers`) on those candidates; *voice*: "
        "the layer variants on the separated voice):",
        "",
        "| variant | " + " | ".join(fams) + " |",
        "|---|" + "---|" * len(fams),
    ]
    for v in frames:
        lines.append(
            f"| `{v}` | "
            + " | ".join(
                fmt(None if np.isnan(m := fam_median(v, {f})) else m) for f in fams
            )
            + " |"
        )
    total = float(np.sum(dur))
    lines += [
        "",
        f"Cost ({len(cost_paths)} clips x 2, interleaved, one thread, medians per clip; "
        f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} at the end): "
        f"decode {cost['decode']:.3f} s, basic-pitch model {cost['bp_model']:.3f} s "
        f"+ note events {cost['bp_notes']:.3f} s + columns {cost['bp_columns']:.3f} s "
        f"(+ voice: separation, model, notes {cost['bp_voice']:.3f} s), "
        f"shipped reference group (`reference_features`, mix + voice) "
        f"{cost['reference']:.3f} s. Over all {len(files)} clips "
        f"({total / len(files):.1f} s of audio each) the cached model run took "
        f"{np.median(model_s):.3f} s per clip (median), note events "
        f"{np.median(notes_s):.3f} s, the voice separation (for the voice column) "
        f"{np.median(sep_s):.3f} s and a second model run on the voice.",
        "",
        "Command: `PYTHONPATH=<site with basic-pitch 0.4.0 + onnxruntime> python "
        "benchmarks/bench_reference_basic_pitch.py --cache <folder>` (caches the "
        "model outputs as npz under --cache).",
    ]
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "basic_pitch_front_end.md").write_text("\n".join(lines) + "\n")
    (a.out / "basic_pitch_front_end.json").write_text(
        json.dumps(
            {
                "n_clips": len(common),
                "layers_variant": best_tex,
                "melody_variant": best_expr,
                "median_numpy": med_np,
                "median_basic_pitch": med_bp,
                "median_numpy_on_covered": med_np27,
                "median_mixed": med(hybrid),
                "mixed_families": sorted(better),
                "families": fam_rows,
                "features": table,
                "variants": by_variant,
                "cost_seconds_per_clip": cost,
                "load_average": load,
            },
            indent=1,
        )
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
