"""Expressive-technique descriptors: articulation, vibrato, tremolo, glissando.

Vibrato and tremolo follow the usual definition (periodic pitch or intensity
modulation of 4-8 Hz inside a note; e.g. Rossignol et al. 1999, Panda et al.
2018): the note's pitch (cents) or intensity (dB) is detrended, and the
strongest periodicity between 2 and 12 Hz is found with a zero-padded FFT; the
note counts when that peak lies in 4-8 Hz, holds at least ``min_share`` of the
detrended signal's power, and the modulation depth passes a floor.

Note: the pitch track comes from the extractor's 93 ms STFT frames, which
smooth a 6 Hz modulation; vibrato extents are about 20 % below the true value.
"""

from __future__ import annotations

import numpy as np

from mer_classic.features._melody_names import MELODY_GROUPS
from mer_classic.features._notes import Notes, salience_db
from mer_classic.features._pitch import PitchTrack, _runs

__all__ = ["expressive", "modulation"]

_N_FFT = 512
_BATCH = 1024  # notes per batched FFT


def _detrend(x: np.ndarray) -> np.ndarray:
    """``x`` minus its least-squares line (a closed-form degree-1 polyfit)."""
    t = np.arange(len(x)) - (len(x) - 1) / 2.0
    xc = x - x.mean()
    return xc - t * (float(t @ xc) / float(t @ t))


def modulation(
    x: np.ndarray, frame_rate: float, *, band: tuple[float, float] = (4.0, 8.0)
) -> tuple[bool, float, float, float]:
    """Periodic modulation of a short frame series.

    Parameters
    ----------
    x : ndarray
        The series (pitch in cents or intensity in dB) over one note.
    frame_rate : float
        Samples per second of ``x``.
    band : tuple of float, default=(4.0, 8.0)
        Rates (Hz) accepted as vibrato/tremolo.

    Returns
    -------
    in_band : bool
        The strongest 2-12 Hz periodicity lies in ``band``.
    rate : float
        Its rate (Hz).
    depth : float
        Peak-to-peak depth of a sinusoid with the detrended signal's power.
    share : float
        Fraction of the detrended signal's power within ±1 Hz of the peak.
    """
    x = np.asarray(x, dtype=float)
    ok, rate, depth, share = _modulations(
        x, np.array([0]), np.array([len(x)]), frame_rate, band=band
    )
    return bool(ok[0]), float(rate[0]), float(depth[0]), float(share[0])


def _modulated(
    notes: Notes,
    series: np.ndarray,
    frame_rate: float,
    *,
    floor: float,
    min_note: float,
    min_share: float,
) -> tuple[float, float, float]:
    """(coverage, mean rate, mean depth) of notes whose series is modulated."""
    long = notes.duration >= min_note
    total = float(notes.duration[long].sum())
    if total <= 0:
        return 0.0, 0.0, 0.0
    starts, stops = notes.start[long], notes.stop[long]
    ok, rate, depth, share = _modulations(series, starts, stops, frame_rate)
    hit = ok & (depth >= floor) & (share >= min_share)
    if not np.any(hit):
        return 0.0, 0.0, 0.0
    covered = float(np.sum(stops[hit] - starts[hit])) / frame_rate
    return covered / total, float(np.mean(rate[hit])), float(np.mean(depth[hit]))


def _modulations(
    series: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
    frame_rate: float,
    band: tuple[float, float] = (4.0, 8.0),
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`modulation` of every ``series[start:stop]`` (in_band, rate, depth, share).

    Series of fewer than 4 values or without power give ``(False, 0, 0, 0)``. Each
    series is zero-padded to ``max(_N_FFT, len)`` points; the series that share an
    FFT size (all but notes of about 12 s and more) share batched FFTs of at most
    ``_BATCH`` notes each, so memory does not grow with the number of notes.
    """
    m = len(starts)
    ok = np.zeros(m, dtype=bool)
    rate, depth, share = np.zeros(m), np.zeros(m), np.zeros(m)
    lens = np.asarray(stops) - np.asarray(starts)
    sizes = np.maximum(lens, _N_FFT)
    for n_fft in np.unique(sizes[lens >= 4]):
        todo = np.flatnonzero((lens >= 4) & (sizes == n_fft))
        freq = np.fft.rfftfreq(int(n_fft), 1.0 / frame_rate)
        search = np.flatnonzero((freq >= 2.0) & (freq <= 12.0))
        if not len(search):
            continue
        # at most ``_BATCH`` notes per FFT: memory stays bounded on long clips
        for b0 in range(0, len(todo), _BATCH):
            idx, r, d, sh = _modulation_batch(
                series, starts, stops, todo[b0 : b0 + _BATCH], int(n_fft), freq, search
            )
            ok[idx] = (band[0] <= r) & (r <= band[1])
            rate[idx], depth[idx], share[idx] = r, d, sh
    return ok, rate, depth, share


def _modulation_batch(
    series: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
    idx: np.ndarray,
    n_fft: int,
    freq: np.ndarray,
    search: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rate, depth and power share of the notes ``idx`` that have power.

    Returns those notes' indices (the others keep the no-modulation defaults) and
    their strongest 2-12 Hz rate, depth (cents) and share of the power within 1 Hz
    of it.
    """
    frames = np.zeros((len(idx), n_fft))
    power = np.zeros(len(idx))
    for row, i in enumerate(idx):
        resid = _detrend(series[starts[i] : stops[i]])
        power[row] = np.mean(resid**2)
        frames[row, : len(resid)] = resid * np.hanning(len(resid))
    live = power > 0
    idx, frames, power = idx[live], frames[live], power[live]
    spec = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    del frames
    # strongest 2-12 Hz bin, refined by a parabola through its log neighbours
    k = search[np.argmax(spec[:, search], axis=1)]
    r = freq[k].copy()
    inner = (k > 0) & (k < spec.shape[1] - 1)
    kk = np.clip(k, 1, spec.shape[1] - 2)
    rows = np.arange(len(idx))
    a, b, c = (np.log(spec[rows, kk + d] + 1e-20) for d in (-1, 0, 1))
    den = a - 2 * b + c
    step = inner & (den < 0)
    r[step] += 0.5 * (a - c)[step] / den[step] * (freq[1] - freq[0])
    near = np.abs(freq[None, :] - r[:, None]) <= 1.0
    high = spec[:, freq > 0.5].sum(axis=1)
    share = (spec * near).sum(axis=1) / np.maximum(high, 1e-20)
    return idx, r, 2.0 * np.sqrt(2.0 * power), share


def _glides(
    track: PitchTrack, *, min_extent: float, slope: tuple[float, float]
) -> tuple[float, float, float]:
    """(fraction of voiced time in glides, mean extent, direction)."""
    f0, fr = track.midi, track.frame_rate
    voiced = track.voiced
    if not np.any(voiced):
        return 0.0, 0.0, 0.0
    d = np.zeros_like(f0)
    both = voiced[1:] & voiced[:-1]
    d[1:] = np.where(both, np.diff(f0), 0.0) * fr  # semitones per second
    extents: list[float] = []
    frames = 0
    for sign in (1.0, -1.0):
        moving = (sign * d >= slope[0]) & (sign * d <= slope[1])
        for a, b in _runs(moving):
            ext = float(f0[b - 1] - f0[max(a - 1, 0)])
            if abs(ext) >= min_extent and b - a >= 2:
                extents.append(ext)
                frames += b - a
    if not extents:
        return 0.0, 0.0, 0.0
    e = np.asarray(extents)
    return (
        frames / float(np.count_nonzero(voiced)),
        float(np.abs(e).mean()),
        (int(np.sum(e > 0)) - int(np.sum(e < 0))) / len(e),
    )


def expressive(
    track: PitchTrack,
    notes: Notes,
    *,
    min_note: float = 0.25,
    min_share: float = 0.4,
    vibrato_cents: float = 20.0,
    tremolo_db: float = 2.0,
    glide_semitones: float = 1.0,
    glide_slope: tuple[float, float] = (2.0, 60.0),
    legato_gap: float = 0.05,
    staccato: float = 0.6,
) -> dict[str, float]:
    """Articulation, vibrato, tremolo and glissando descriptors.

    Parameters
    ----------
    track : PitchTrack
        Frame-wise melody.
    notes : Notes
        Its notes.
    min_note : float, default=0.25
        Notes shorter than this (s) are not tested for vibrato/tremolo.
    min_share : float, default=0.4
        Minimum share of the detrended power at the modulation peak.
    vibrato_cents, tremolo_db : float, default=20.0, 2.0
        Minimum peak-to-peak depth of a vibrato (cents) / tremolo (dB).
    glide_semitones : float, default=1.0
        Minimum pitch change of a glide.
    glide_slope : tuple of float, default=(2.0, 60.0)
        Accepted glide speeds (semitones per second).
    legato_gap : float, default=0.05
        Longest silence (s) between two notes still counted as legato.
    staccato : float, default=0.6
        A note shorter than this fraction of its inter-onset interval is
        staccato (the 93 ms analysis window lengthens short notes by about
        50 ms, hence more than the textbook half).
    """
    out = dict.fromkeys(MELODY_GROUPS["expressive"], 0.0)
    fr = track.frame_rate
    if len(notes) >= 2:
        ioi = np.diff(notes.start)
        gap = notes.start[1:] - notes.stop[:-1]
        dur = (notes.stop - notes.start)[:-1]
        out["articulation_legato_ratio"] = float(np.mean(gap <= legato_gap * fr))
        out["articulation_staccato_ratio"] = float(np.mean(dur < staccato * ioi))
        out["articulation_index"] = float(np.mean(np.minimum(dur / ioi, 1.0)))
    cents = 100.0 * track.midi
    cov, rate, depth = _modulated(
        notes, cents, fr, floor=vibrato_cents, min_note=min_note, min_share=min_share
    )
    out.update(vibrato_coverage=cov, vibrato_rate=rate, vibrato_extent=depth)
    db = salience_db(track.salience)
    cov, rate, depth = _modulated(
        notes, db, fr, floor=tremolo_db, min_note=min_note, min_share=min_share
    )
    out.update(tremolo_coverage=cov, tremolo_rate=rate, tremolo_extent=depth)
    ratio, extent, direction = _glides(
        track, min_extent=glide_semitones, slope=glide_slope
    )
    out.update(
        glissando_ratio=ratio, glissando_extent=extent, glissando_direction=direction
    )
    return {n: float(out[n]) for n in MELODY_GROUPS["expressive"]}
