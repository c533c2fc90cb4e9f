"""Expressive techniques per note: vibrato, tremolo, glissando, articulation.

Definitions after Panda, Malheiro & Paiva (IEEE TAFFC 2018), on the notes of
:mod:`mer_classic.features._ref_melody`:

- **vibrato**: a note of at least ``min_vibrato`` s whose detrended pitch
  (cents) has its strongest 2-20 Hz periodicity inside ``rate_band`` Hz, holding
  at least ``min_share`` of the detrended power, with a semi-extent (the
  amplitude of that sinusoid) inside ``extent_band`` cents. The thresholds are
  loose on purpose: the reference finds vibrato in about 90 % of the dev clips
  and in about one note in eight; stricter settings (0.25 s, 15 cents, a 0.3
  power share) found it in half the clips and matched it clearly worse. Per
  vibrato note:
  rate (Hz), extent (cents), length (the note's duration, s) and base frequency
  (the note's median pitch, cents above MIDI 0);
- **tremolo**: a note (of 4 frames or more) whose detrended intensity (melody
  salience in dB) has its strongest 2-20 Hz periodicity inside ``tremolo_band``
  Hz with a semi-extent of at least ``min_tremolo_db`` dB. With the defaults
  nearly every note passes, and so it is for the reference: its tremolo-note
  pitch statistics follow the pitch statistics of all notes (a rate band of
  4-8 Hz, or notes of 0.25 s and more only, matched it clearly worse on the
  dev clips);
- **glissando**: a transition between two notes of one contour whose pitch
  moves by at least ``min_glissando`` cents (a semitone); extent (cents between the notes),
  length (the 10 %-90 % crossing time of the move, scaled to 0-100 %), slope
  (extent / length, cents per second) and direction;
- **articulation**: a note followed by a note of the same contour is legato;
  otherwise it is staccato when its duration is at most ``staccato_ratio`` of
  the inter-onset interval, and "other" when it is neither (the last note
  included).
"""

from __future__ import annotations

import numpy as np

from mer_classic.features._ref_melody import NoteSet
from mer_classic.features._ref_stats import describe

__all__ = ["note_modulation", "glissandi", "expressive_values"]

C4 = 6000.0  #: cents above MIDI 0
_N_FFT = 256


def note_modulation(
    series: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
    frame_rate: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Strongest periodic modulation of every ``series[start:stop]``.

    Each piece is detrended (least-squares line), Hann-windowed and zero-padded
    to at least 256 points.

    Returns
    -------
    rate : ndarray
        Frequency (Hz) of the strongest 2-20 Hz spectral peak (parabolic
        refinement); 0 for pieces shorter than 4 frames.
    extent : ndarray
        Amplitude of that sinusoid (units of ``series``).
    share : ndarray
        Fraction of the detrended power within ±1 Hz of the peak.
    """
    m = len(starts)
    rate, extent, share = np.zeros(m), np.zeros(m), np.zeros(m)
    lens = np.asarray(stops) - np.asarray(starts)
    for i in np.flatnonzero(lens >= 4):
        x = np.asarray(series[starts[i] : stops[i]], dtype=float)
        t = np.arange(len(x)) - (len(x) - 1) / 2.0
        xc = x - x.mean()
        resid = xc - t * (float(t @ xc) / float(t @ t))
        w = np.hanning(len(x) + 2)[1:-1]
        n_fft = max(_N_FFT, 1 << int(np.ceil(np.log2(len(x)))))
        X = np.abs(np.fft.rfft(resid * w, n_fft))
        freq = np.fft.rfftfreq(n_fft, 1.0 / frame_rate)
        band = np.flatnonzero((freq >= 2.0) & (freq <= 20.0))
        if len(band) < 3:
            continue
        j = int(band[np.argmax(X[band])])
        if X[j] <= 0:
            continue
        a, b, c = (np.log(X[j - 1] + 1e-12), np.log(X[j]), np.log(X[j + 1] + 1e-12))
        den = a - 2 * b + c
        p = 0.5 * (a - c) / den if den < 0 else 0.0
        p = float(np.clip(p, -0.5, 0.5))
        rate[i] = (j + p) * frame_rate / n_fft
        extent[i] = 2.0 * np.exp(b - 0.25 * (a - c) * p) / w.sum()
        P = X**2
        near = np.abs(freq - rate[i]) <= 1.0
        share[i] = float(P[near].sum() / max(P[1:].sum(), 1e-12))
    return rate, extent, share


def _crossing(f: np.ndarray, k: int, level: float) -> float:
    """Sub-frame time at which ``f`` crosses ``level`` between frames k-1 and k."""
    if k == 0:
        return 0.0
    f0, f1 = f[k - 1], f[k]
    return k - 1 + (level - f0) / (f1 - f0) if f1 != f0 else float(k)


def glissandi(
    notes: NoteSet, melody: np.ndarray, *, min_glissando: float = 100.0
) -> tuple[np.ndarray, np.ndarray]:
    """Glissandi between the notes of one contour.

    Parameters
    ----------
    notes : NoteSet
        Notes and transitions of the melody.
    melody : ndarray of shape (n_frames,)
        Melody pitch (cents).
    min_glissando : float, default=100.0
        Smallest move between the two notes' pitches (cents).

    Returns
    -------
    extent : ndarray
        Signed pitch move of each glissando (cents; > 0 up).
    length : ndarray
        Its duration (s): the 10 %-90 % crossing time of the move over 0.8.
    """
    fr = notes.frame_rate
    ext, length = [], []
    for a, b, i in zip(
        notes.trans_start.tolist(),
        notes.trans_stop.tolist(),
        notes.trans_note.tolist(),
        strict=False,
    ):
        pa, pb = notes.pitch[i], notes.pitch[i + 1]
        d = pb - pa
        if abs(d) < min_glissando:
            continue
        lo = max(notes.start[i], a - (b - a) - 2)
        hi = min(notes.stop[i + 1], b + (b - a) + 2)
        f = (melody[lo:hi] - pa) / d
        above10 = np.flatnonzero(f >= 0.1)
        if not len(above10):
            continue
        t10 = above10[0]
        above90 = np.flatnonzero(f[t10:] >= 0.9)
        if not len(above90):
            continue
        t90 = t10 + above90[0]

        dur = (_crossing(f, t90, 0.9) - _crossing(f, t10, 0.1)) / 0.8 / fr
        ext.append(d)
        length.append(max(dur, 1.0 / fr))
    return np.array(ext), np.array(length)


def expressive_values(
    notes: NoteSet,
    melody: np.ndarray,
    melody_salience: np.ndarray,
    *,
    rate_band: tuple[float, float] = (4.0, 8.0),
    extent_band: tuple[float, float] = (5.0, 300.0),
    min_share: float = 0.15,
    min_vibrato: float = 0.2,
    tremolo_band: tuple[float, float] = (3.0, 12.0),
    min_tremolo_db: float = 0.0,
    min_glissando: float = 100.0,
    staccato_ratio: float = 0.5,
) -> dict[str, float]:
    """Vibrato, tremolo, glissando and articulation values of one clip.

    Parameters
    ----------
    notes : NoteSet
        Notes of the melody.
    melody : ndarray of shape (n_frames,)
        Melody pitch (cents), 0 where unvoiced.
    melody_salience : ndarray of shape (n_frames,)
        Melody salience (intensity), 0 where unvoiced.
    rate_band : tuple of float, default=(4.0, 8.0)
        Vibrato and tremolo rates (Hz).
    extent_band : tuple of float, default=(5.0, 300.0)
        Vibrato semi-extents (cents).
    min_share : float, default=0.15
        Share of the detrended power at the modulation peak.
    min_vibrato : float, default=0.2
        Shortest note tested for vibrato or tremolo (s).
    tremolo_band : tuple of float, default=(3.0, 12.0)
        Tremolo rates (Hz).
    min_tremolo_db : float, default=0.0
        Smallest tremolo semi-extent (dB).
    min_glissando : float, default=100.0
        Smallest glissando extent (cents).
    staccato_ratio : float, default=0.5
        Largest duration / inter-onset ratio of a staccato note.

    Returns
    -------
    dict
        Column name → value (0 where nothing was found).
    """
    fr = notes.frame_rate
    out: dict[str, float] = {}
    dur = notes.duration
    long = dur >= min_vibrato
    s, e = notes.start[long], notes.stop[long]
    base = notes.pitch[long]
    # vibrato
    rate, ext, share = note_modulation(melody, s, e, fr)
    vib = (
        (rate >= rate_band[0])
        & (rate <= rate_band[1])
        & (share >= min_share)
        & (ext >= extent_band[0])
        & (ext <= extent_band[1])
    )
    n_notes = len(notes)
    n_vib = int(vib.sum())
    for name, values in (
        ("rate", rate[vib]),
        ("extent", ext[vib]),
        ("length", dur[long][vib]),
        ("base", base[vib]),
    ):
        for stat, v in describe(values).items():
            out[f"ref_vibrato_{name}_{stat}"] = v
    out["ref_vibrato_ratio"] = n_vib / max(n_notes - n_vib, 1) if n_notes else 0.0
    out["ref_vibrato_high_coverage"] = float(np.mean(base[vib] >= C4)) if n_vib else 0.0
    # tremolo: every note (short ones included) with its intensity modulated
    db = 20.0 * np.log10(np.maximum(melody_salience, 1e-5))
    trate, text, _ = note_modulation(db, notes.start, notes.stop, fr)
    trem = (
        (trate >= tremolo_band[0])
        & (trate <= tremolo_band[1])
        & (text >= min_tremolo_db)
    )
    for stat, v in describe(notes.pitch[trem]).items():
        if stat in ("mean", "min", "max", "std"):
            out[f"ref_tremolo_pitch_{stat}"] = v
    out["ref_tremolo_high_coverage"] = (
        float(np.mean(notes.pitch[trem] >= C4)) if np.any(trem) else 0.0
    )
    # glissando
    g_ext, g_len = glissandi(notes, melody, min_glissando=min_glissando)
    mag = np.abs(g_ext)
    out["ref_glissando_up_ratio"] = float(np.mean(g_ext > 0)) if len(g_ext) else 0.0
    out["ref_glissando_extent_std"] = describe(mag)["std"]
    out["ref_glissando_length_std"] = describe(g_len)["std"]
    out["ref_glissando_slope_std"] = describe(mag / g_len if len(g_len) else mag)["std"]
    out["ref_glissando_ratio"] = len(g_ext) / n_notes if n_notes else 0.0
    # articulation
    other = np.zeros(n_notes, dtype=bool)
    legato = np.zeros(n_notes, dtype=bool)
    legato[notes.trans_note] = True
    if n_notes:
        ioi = np.append(np.diff(notes.start), np.inf) / fr
        other = ~legato & (dur > staccato_ratio * ioi)
        other[-1] = not legato[-1]
    for stat, v in describe(dur[other]).items():
        if stat in ("mean", "std"):
            out[f"ref_articulation_other_duration_{stat}"] = v
    out["ref_note_count"] = float(n_notes)
    return out
