"""Salience-based predominant melody and multi-pitch layers (numpy/scipy only).

A MELODIA-style front end (Salamon & Gómez 2012, "Melody extraction from
polyphonic music signals using pitch contour characteristics", IEEE TASLP) cut
down to what runs on the magnitude STFT the extractor already has:

1. spectral peaks below ``max_freq`` (local maxima of each frame within
   ``peak_db`` dB of the frame's maximum), frequency and amplitude refined by
   parabolic interpolation of the log magnitude;
2. harmonic summation: each peak votes for the fundamentals ``f / h``
   (h = 1 .. ``n_harmonics``) with weight ``amplitude * alpha ** (h - 1)`` into
   10-cent bins from 55 Hz to 1760 Hz, spread by a cos² window of ±1 semitone;
3. per frame, the ``n_candidates`` strongest salience peaks (bin refined by
   parabolic interpolation) are kept; the salience matrix itself is never held
   for more than ``chunk`` frames, so memory stays bounded for long files;
4. the melody is the least-cost path through the candidates (cost: the
   candidate's salience relative to the frame's best, plus a penalty per
   semitone jumped); the path is cut into contours at jumps of more than a
   semitone, and a contour is voiced when its mean log salience is above the
   clip's ``mean - voicing_sigma * std`` over contours, it is peaked enough
   (not noise) and it lasts 100 ms or more;
5. the number of layers in a frame is the number of peaked candidates within
   ``layer_ratio`` of the frame's best, above a tenth of the voicing threshold,
   that are not an octave or a twelfth of a stronger candidate.

Defaults are lighter than MELODIA's (8 instead of 20 harmonics, peaks up to 4 kHz
instead of 5 kHz; 40 dB of peaks as in MELODIA): on the synthetic melodies and
the solo trumpet of ``benchmarks/bench_melody.py`` they give the same pitch
accuracy as 10 harmonics up to 5 kHz at about 75 % of the cost, which keeps
extraction at 3x the naive reference.

Pitch here is in MIDI numbers (69 = A4 = 440 Hz); 0 marks an unvoiced frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.ndimage

__all__ = [
    "PitchTrack",
    "salience_peaks",
    "track_melody",
    "count_layers",
    "pitch_track",
    "pitch_track_from_peaks",
]

F_MIN = 55.0  #: lowest salience bin (Hz), A1
BINS_PER_SEMITONE = 10  #: 10-cent bins
N_BINS = 600  #: five octaves: 55 .. 1760 Hz
_MIDI_MIN = 33.0  # MIDI number of 55 Hz
_COS2 = (
    np.cos(np.linspace(-np.pi / 2, np.pi / 2, 2 * BINS_PER_SEMITONE + 1)) ** 2
).astype(np.float32)


@dataclass(frozen=True)
class PitchTrack:
    """Frame-wise melody and salience summaries of one clip.

    Attributes
    ----------
    midi : ndarray of shape (n_frames,)
        Melody pitch (fractional MIDI number); 0 where unvoiced.
    salience : ndarray of shape (n_frames,)
        Harmonic-sum salience of the melody pitch (0 where unvoiced).
    layers : ndarray of shape (n_frames,)
        Number of simultaneous salient pitches (0 in silence).
    frame_rate : float
        Frames per second.
    """

    midi: np.ndarray
    salience: np.ndarray
    layers: np.ndarray
    frame_rate: float

    @property
    def voiced(self) -> np.ndarray:
        """Boolean mask of the voiced (melody) frames."""
        return self.midi > 0


def _spectral_peaks(
    S: np.ndarray, sr: float, n_fft: int, max_freq: float, peak_db: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frame index, frequency Hz, magnitude) of every spectral peak of a chunk."""
    kmax = min(S.shape[0] - 1, int(max_freq * n_fft / sr) + 1)
    X = np.log(np.maximum(S[: kmax + 1], 1e-10))
    left, mid, right = X[:-2], X[1:-1], X[2:]
    floor = X.max(axis=0) - peak_db / 20.0 * np.log(10.0)
    mask = (mid > left) & (mid >= right) & (mid > floor)
    mask[0] = False  # no peak at the first bin above DC
    k, t = np.nonzero(mask)
    a, b, c = left[k, t], mid[k, t], right[k, t]
    den = a - 2.0 * b + c
    p = np.where(den < 0, 0.5 * (a - c) / np.where(den < 0, den, -1.0), 0.0)
    p = np.clip(p, -0.5, 0.5)
    freq = (k + 1 + p) * sr / n_fft
    mag = np.exp(b - 0.25 * (a - c) * p)
    return t, freq, mag


def _salience_chunk(
    S: np.ndarray,
    sr: float,
    n_fft: int,
    *,
    n_harmonics: int,
    alpha: float,
    max_freq: float,
    peak_db: float,
) -> np.ndarray:
    """Salience (n_frames, N_BINS) of a chunk of magnitude-STFT frames."""
    n_frames = S.shape[1]
    t, freq, mag = _spectral_peaks(S, sr, n_fft, max_freq, peak_db)
    pos0 = 12.0 * BINS_PER_SEMITONE * np.log2(freq / F_MIN)
    base = t * N_BINS
    idx_parts, w_parts = [], []
    for h in range(1, n_harmonics + 1):
        pos = pos0 - 12.0 * BINS_PER_SEMITONE * np.log2(h)
        ok = (pos >= 0) & (pos < N_BINS - 1)
        if not np.any(ok):
            break  # higher harmonics only push f/h lower
        lo = pos[ok].astype(np.int64)
        frac = pos[ok] - lo
        w = mag[ok] * alpha ** (h - 1)
        idx = base[ok] + lo
        idx_parts += [idx, idx + 1]
        w_parts += [w * (1 - frac), w * frac]
    if not idx_parts:
        return np.zeros((n_frames, N_BINS), dtype=np.float32)
    flat = np.bincount(
        np.concatenate(idx_parts),
        np.concatenate(w_parts),
        minlength=n_frames * N_BINS,
    )
    sal = flat.reshape(n_frames, N_BINS).astype(np.float32)
    return scipy.ndimage.convolve1d(sal, _COS2, axis=1, mode="constant")


def salience_peaks(
    S: np.ndarray,
    sr: float,
    n_fft: int,
    *,
    n_candidates: int = 6,
    n_harmonics: int = 8,
    alpha: float = 0.8,
    max_freq: float = 4000.0,
    peak_db: float = 40.0,
    chunk: int = 1024,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The strongest pitch-salience peaks of every frame.

    Parameters
    ----------
    S : ndarray of shape (1 + n_fft // 2, n_frames)
        Magnitude STFT.
    sr : float
        Sample rate (Hz).
    n_fft : int
        FFT length of ``S``.
    n_candidates : int, default=6
        Peaks kept per frame.
    n_harmonics : int, default=8
        Harmonics summed per fundamental.
    alpha : float, default=0.8
        Weight decay per harmonic.
    max_freq : float, default=4000.0
        Spectral peaks above this frequency (Hz) are ignored.
    peak_db : float, default=40.0
        Spectral peaks more than this many dB under the frame maximum are ignored.
    chunk : int, default=1024
        Frames per salience block (bounds memory for long files).

    Returns
    -------
    midi : ndarray of shape (n_frames, n_candidates)
        Candidate pitches as fractional MIDI numbers, strongest first (0: none).
    sal : ndarray of shape (n_frames, n_candidates)
        Their salience (0: none).
    mean : ndarray of shape (n_frames,)
        Mean salience of each frame over all bins.
    """
    n_frames = S.shape[1]
    midi = np.zeros((n_frames, n_candidates))
    sal = np.zeros((n_frames, n_candidates))
    mean = np.zeros(n_frames)
    for start in range(0, n_frames, chunk):
        stop = min(start + chunk, n_frames)
        H = _salience_chunk(
            S[:, start:stop],
            sr,
            n_fft,
            n_harmonics=n_harmonics,
            alpha=alpha,
            max_freq=max_freq,
            peak_db=peak_db,
        )
        mean[start:stop] = H.mean(axis=1)
        mid = H[:, 1:-1]
        is_peak = (mid > H[:, :-2]) & (mid >= H[:, 2:])
        vals = np.where(is_peak, mid, 0.0)
        k = min(n_candidates, vals.shape[1])
        top = np.argpartition(-vals, k - 1, axis=1)[:, :k]
        v = np.take_along_axis(vals, top, axis=1)
        order = np.argsort(-v, axis=1)
        top = np.take_along_axis(top, order, axis=1)
        v = np.take_along_axis(v, order, axis=1)
        # parabolic refinement of the bin
        rows = np.arange(stop - start)[:, None]
        a, b, c = H[rows, top], H[rows, top + 1], H[rows, top + 2]
        den = a - 2 * b + c
        p = np.where(den < 0, 0.5 * (a - c) / np.where(den < 0, den, -1.0), 0.0)
        bins = top + 1 + np.clip(p, -0.5, 0.5)
        ok = v > 0
        midi[start:stop, :k] = np.where(ok, _MIDI_MIN + bins / BINS_PER_SEMITONE, 0)
        sal[start:stop, :k] = np.where(ok, v, 0.0)
    return midi, sal, mean


def _viterbi(
    midi: np.ndarray, sal: np.ndarray, jump_cost: float, chunk: int = 4096
) -> np.ndarray:
    """Index of the chosen candidate per frame (least-cost path).

    The transition costs are built ``chunk`` frames at a time and the back
    pointers kept as int8, so a long clip costs ``k`` bytes per frame here.
    """
    n, k = sal.shape

    def emission(rows: slice) -> np.ndarray:
        sl = sal[rows]
        best = sl.max(axis=1, keepdims=True)
        emit = -np.log(sl / np.where(best > 0, best, 1.0) + 1e-3)
        emit[sl <= 0] = -np.log(1e-3)
        return emit

    back = np.zeros((n, k), dtype=np.int8 if k < 128 else np.int64)
    cost = emission(slice(0, 1))[0].copy()
    cols = np.arange(k)
    for c0 in range(1, n, chunk):
        c1 = min(c0 + chunk, n)
        emit = emission(slice(c0, c1))
        # jump (semitones) between every candidate pair of successive frames
        cur, prev = midi[c0:c1, None, :], midi[c0 - 1 : c1 - 1, :, None]
        d = np.abs(cur - prev)
        none = (cur <= 0) | (prev <= 0)
        trans = jump_cost * np.where(none, 0.0, np.minimum(d, 24.0))
        for i in range(c0, c1):
            tot = cost[:, None] + trans[i - c0]
            arg = tot.argmin(axis=0)
            back[i] = arg
            cost = tot[arg, cols] + emit[i - c0]
    path = np.empty(n, dtype=np.int64)
    path[-1] = int(cost.argmin())
    for i in range(n - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    return path


def _runs(mask: np.ndarray) -> np.ndarray:
    """(start, stop) of each run of True values."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.stack([np.flatnonzero(d == 1), np.flatnonzero(d == -1)], axis=1)


def track_melody(
    midi: np.ndarray,
    sal: np.ndarray,
    frame_rate: float,
    *,
    mean: np.ndarray | None = None,
    jump_cost: float = 0.08,
    voicing_sigma: float = 1.0,
    min_peakiness: float = 2.5,
    min_voiced: float = 0.1,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Predominant melody from salience candidates.

    The least-cost path is cut into contours where it jumps by more than a
    semitone; a contour is voiced when its mean log salience is above the
    clip's ``mean - voicing_sigma * std`` over contours (length-weighted; the
    threshold is at least 6 dB under the mean), its
    mean peakiness (salience over the frame's mean salience) is at least
    ``min_peakiness`` and it lasts ``min_voiced`` seconds or more.

    Parameters
    ----------
    midi, sal : ndarray of shape (n_frames, n_candidates)
        From :func:`salience_peaks`.
    frame_rate : float
        Frames per second.
    mean : ndarray of shape (n_frames,), default=None
        Frame mean salience (from :func:`salience_peaks`); None skips the
        peakiness test.
    jump_cost : float, default=0.08
        Path cost per semitone jumped between frames (a 1-octave jump costs
        about as much as choosing a candidate 2.6 times weaker).
    voicing_sigma : float, default=1.0
        Contour salience threshold, in standard deviations under the mean.
    min_peakiness : float, default=2.5
        White noise gives about 2, pitched sounds 3 to 15.
    min_voiced : float, default=0.1
        Shorter contours are unvoiced (seconds).

    Returns
    -------
    f0 : ndarray of shape (n_frames,)
        Melody pitch (MIDI), 0 where unvoiced.
    f0_sal : ndarray of shape (n_frames,)
        Salience of the melody pitch, 0 where unvoiced.
    threshold : float
        The voicing threshold on salience (inf when nothing was voiced).
    """
    n = midi.shape[0]
    if n == 0 or not np.any(sal > 0):
        return np.zeros(n), np.zeros(n), float("inf")
    path = _viterbi(midi, sal, jump_cost)
    f0 = midi[np.arange(n), path]
    s = sal[np.arange(n), path]
    active = s > 0
    peaky = s / np.maximum(mean, 1e-12) if mean is not None else np.full(n, 1e12)
    # contours: runs of active frames without a jump of more than a semitone
    new = np.ones(n, dtype=bool)
    new[1:] = (np.abs(np.diff(f0)) > 1.0) | (active[1:] != active[:-1])
    starts = np.flatnonzero(new)
    lengths = np.diff(np.append(starts, n))
    logs = np.log(np.maximum(s, 1e-12))
    cmean = np.add.reduceat(logs, starts) / lengths
    cpeak = np.add.reduceat(peaky, starts) / lengths
    cact = active[starts]
    w = lengths[cact] / lengths[cact].sum()
    mu = float(np.sum(w * cmean[cact]))
    sd = float(np.sqrt(np.sum(w * (cmean[cact] - mu) ** 2)))
    log_th = mu - max(voicing_sigma * sd, np.log(2.0))  # never within 6 dB
    min_len = max(1, int(round(min_voiced * frame_rate)))
    keep = cact & (lengths >= min_len) & (cmean >= log_th) & (cpeak >= min_peakiness)
    voiced = np.repeat(keep, lengths)
    return np.where(voiced, f0, 0.0), np.where(voiced, s, 0.0), float(np.exp(log_th))


def count_layers(
    midi: np.ndarray,
    sal: np.ndarray,
    mean: np.ndarray,
    threshold: float,
    *,
    layer_ratio: float = 0.5,
    floor: float = 0.1,
    min_peakiness: float = 2.5,
    tolerance: float = 0.3,
    clip_floor: float = 0.0,
    smooth: int = 1,
) -> np.ndarray:
    """Number of simultaneous salient pitches per frame.

    A candidate counts when its salience is at least ``layer_ratio`` times the
    frame's strongest, ``floor`` times the voicing ``threshold`` and
    ``clip_floor`` times the clip's loud-frame salience (the 95th percentile,
    over frames, of each frame's strongest candidate), its peakiness (over the
    frame ``mean`` salience) is ``min_peakiness`` or more, and it is not within
    ``tolerance`` semitones of the unison, an octave (±12), a twelfth (±19) or
    a double octave (±24) of a stronger counted candidate (harmonic summation
    leaves ghosts there). A median filter over ``smooth`` frames then removes
    flicker of the count shorter than about half its width.

    Parameters
    ----------
    midi, sal : ndarray of shape (n_frames, n_candidates)
        Candidate pitches (MIDI) and saliences, strongest first (0: none).
    mean : ndarray of shape (n_frames,)
        Mean salience of each frame.
    threshold : float
        Voicing threshold of the melody (salience).
    layer_ratio, floor, min_peakiness, tolerance : float
        See above (``tolerance`` in semitones).
    clip_floor : float, default=0.0
        Smallest salience relative to the clip's loud-frame salience (0: off).
    smooth : int, default=1
        Width (frames) of the median filter of the count (1: none).

    Returns
    -------
    ndarray of shape (n_frames,)
        Layer count per frame (float).

    Examples
    --------
    >>> midi = np.array([[60.0, 64.0, 72.0]] * 3)
    >>> sal = np.array([[1.0, 0.8, 0.9]] * 3)
    >>> count_layers(midi, sal, np.full(3, 0.1), 0.0).tolist()  # 72: octave ghost
    [2.0, 2.0, 2.0]
    """
    n, k = sal.shape
    loud = float(np.percentile(sal[:, 0], 95)) if clip_floor > 0 and n else 0.0
    out = np.zeros(n)
    for c0 in range(0, n, 65536):  # frame by frame: bounded memory on long clips
        m, sl, mn = midi[c0 : c0 + 65536], sal[c0 : c0 + 65536], mean[c0 : c0 + 65536]
        best = sl[:, :1]
        peaky = sl / np.maximum(mn, 1e-12)[:, None]
        ok = (sl >= layer_ratio * best) & (sl >= floor * threshold)
        if loud > 0:
            ok &= sl >= clip_floor * loud
        ok &= (sl > 0) & (peaky >= min_peakiness)
        for j in range(1, k):
            for i in range(j):
                d = np.abs(m[:, j] - m[:, i])
                ghost = np.zeros(len(m), dtype=bool)
                for interval in (0.0, 12.0, 19.0, 24.0):
                    ghost |= np.abs(d - interval) <= max(tolerance, 0.0)
                ok[:, j] &= ~(ok[:, i] & ghost)
        out[c0 : c0 + 65536] = ok.sum(axis=1)
    if smooth > 1 and n:
        out = scipy.ndimage.median_filter(out, size=int(smooth), mode="nearest")
    return out


def pitch_track(
    S: np.ndarray,
    sr: float,
    n_fft: int,
    hop_length: int,
    **salience_kwargs: Any,
) -> PitchTrack:
    """Melody, its salience and the layer count of a magnitude STFT.

    ``salience_kwargs`` go to :func:`salience_peaks`.
    """
    midi, sal, mean = salience_peaks(S, sr, n_fft, **salience_kwargs)
    return pitch_track_from_peaks(midi, sal, mean, frame_rate=sr / hop_length)


def pitch_track_from_peaks(
    midi: np.ndarray, sal: np.ndarray, mean: np.ndarray, *, frame_rate: float
) -> PitchTrack:
    """Melody, its salience and the layer count from salience candidates.

    ``midi``, ``sal`` and ``mean`` are what :func:`salience_peaks` returns (for a
    long file, its results on consecutive blocks of frames, concatenated).
    """
    f0, f0_sal, threshold = track_melody(midi, sal, frame_rate, mean=mean)
    layers = count_layers(midi, sal, mean, threshold)
    return PitchTrack(midi=f0, salience=f0_sal, layers=layers, frame_rate=frame_rate)
