"""MELODIA-style pitch contours, melody and notes for the reference features.

The front end of the 4Q authors' novel features (Panda, Malheiro & Paiva,
"Novel audio features for music emotion recognition", IEEE TAFFC 2018) is
MELODIA (Salamon & Gómez, "Melody extraction from polyphonic music signals
using pitch contour characteristics", IEEE TASLP 2012): pitch *contours* are
built from the salience peaks, characterised, filtered (voicing, octave errors,
pitch outliers) and the melody is the most salient remaining contour of each
frame. This module follows those steps on top of the numpy salience of
:mod:`mer_classic.features._pitch`:

1. salience candidates per frame (:func:`~mer_classic.features._pitch.salience_peaks`
   on an STFT of ``window`` seconds and ``hop`` seconds, magnitude high-passed
   as by the high-pass half of MELODIA's equal-loudness filter);
2. peak filtering: a candidate is *strong* (MELODIA's S+) when its salience is
   at least ``frame_ratio`` of its frame's strongest and above the clip's mean
   minus ``dist_sigma`` standard deviations of those candidates; every other
   candidate is *weak* (S-);
3. contour tracking: from the strongest unused strong candidate, a contour is
   followed forward and backward to the candidate closest in pitch within
   ``max_slope`` cents per second; weak candidates may bridge up to ``max_gap``
   seconds (trailing weak frames are trimmed); contours shorter than
   ``min_contour`` seconds are dropped;
4. melody: contours whose mean salience is under the mean minus ``voicing``
   standard deviations of the contour means are unvoiced; of two contours an
   octave apart in the same frames, the one farther from the smoothed melody
   pitch mean goes, as do contours more than an octave from it; each frame's
   melody is the remaining contour with the highest total salience;
5. notes: inside each melody contour, the pitch smoothed over ``smooth`` seconds
   (which removes vibrato) is *stable* where it moves less than ``stable_slope``
   cents per second; stable runs of ``min_note`` seconds or more are notes, the
   frames between two notes of one contour are a *transition* (a glissando when
   it moves far enough, see :mod:`mer_classic.features._ref_expressive`).

Pitch is in cents above MIDI 0 (8.18 Hz): 6900 is A4, 6000 is C4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mer_classic.features import _dsp
from mer_classic.features._pitch import salience_peaks

__all__ = [
    "Contours",
    "NoteSet",
    "MelodyFrontEnd",
    "stft_params",
    "salience_candidates",
    "track_contours",
    "select_melody",
    "segment_notes",
    "melody_front_end",
]

WINDOW = 0.0464  #: STFT window (s), MELODIA's 2048 samples at 44.1 kHz
HOP = 0.0116  #: STFT hop (s)
_N_CANDIDATES = 10


@dataclass(frozen=True)
class Contours:
    """Pitch contours of a clip.

    Attributes
    ----------
    start : ndarray of int, shape (n_contours,)
        First frame of each contour.
    pitch : list of ndarray
        Pitch (cents) of each contour frame.
    salience : list of ndarray
        Salience of each contour frame.
    n_frames : int
        Frames in the clip.
    frame_rate : float
        Frames per second.
    """

    start: np.ndarray
    pitch: list[np.ndarray]
    salience: list[np.ndarray]
    n_frames: int
    frame_rate: float

    def __len__(self) -> int:
        return len(self.start)

    @property
    def stop(self) -> np.ndarray:
        """One past the last frame of each contour."""
        return self.start + np.array([len(p) for p in self.pitch], dtype=np.int64)

    def layers(self, keep: np.ndarray | None = None) -> np.ndarray:
        """Number of contours sounding in each frame (``keep``: a mask of contours)."""
        d = np.zeros(self.n_frames + 1, dtype=np.int64)
        start, stop = self.start, self.stop
        if keep is not None:
            start, stop = start[keep], stop[keep]
        np.add.at(d, start, 1)
        np.add.at(d, stop, -1)
        return np.cumsum(d[:-1])


@dataclass(frozen=True)
class NoteSet:
    """Notes of the melody and the transitions between notes of one contour.

    Frame indices refer to the melody track.

    Attributes
    ----------
    start, stop : ndarray of int, shape (n_notes,)
        First frame and one past the last frame of each note.
    pitch : ndarray of shape (n_notes,)
        Median pitch of each note (cents).
    contour : ndarray of int, shape (n_notes,)
        Melody contour of each note.
    trans_start, trans_stop : ndarray of int, shape (n_transitions,)
        Frames between note ``i`` and note ``i + 1`` when both lie in one contour
        (``trans_note`` gives ``i``).
    trans_note : ndarray of int, shape (n_transitions,)
        Index of the note before each transition.
    frame_rate : float
        Frames per second.
    """

    start: np.ndarray
    stop: np.ndarray
    pitch: np.ndarray
    contour: np.ndarray
    trans_start: np.ndarray
    trans_stop: np.ndarray
    trans_note: np.ndarray
    frame_rate: float

    def __len__(self) -> int:
        return len(self.start)

    @property
    def duration(self) -> np.ndarray:
        """Note durations (s)."""
        return (self.stop - self.start) / self.frame_rate


@dataclass(frozen=True)
class MelodyFrontEnd:
    """Everything the reference features need from one clip.

    Attributes
    ----------
    contours : Contours
        All pitch contours (the musical layers).
    melody : ndarray of shape (n_frames,)
        Melody pitch (cents), 0 where unvoiced.
    melody_salience : ndarray of shape (n_frames,)
        Salience of the melody, 0 where unvoiced.
    melody_contour : ndarray of int, shape (n_frames,)
        Index of the melody contour of each frame, -1 where unvoiced.
    notes : NoteSet
        Notes of the melody.
    frame_rate : float
        Frames per second.
    """

    contours: Contours
    melody: np.ndarray
    melody_salience: np.ndarray
    melody_contour: np.ndarray
    notes: NoteSet
    frame_rate: float


def stft_params(sr: float, window: float = WINDOW, hop: float = HOP) -> tuple[int, int]:
    """``(n_fft, hop_length)``: the power of two nearest ``window`` s, ``hop`` s."""
    n_fft = int(2 ** round(np.log2(max(window * sr, 16.0))))
    return n_fft, max(1, int(round(hop * sr)))


def _equal_loudness(sr: float, n_fft: int) -> np.ndarray:
    """Gain of a 2nd-order Butterworth high-pass at 150 Hz on the STFT bins.

    The high-pass half of the equal-loudness filter MELODIA applies first (the
    ReplayGain filter); it keeps low accompaniment from outvoting the melody.
    """
    f = np.maximum(_dsp.fft_frequencies(sr, n_fft), 1.0)
    return (1.0 / np.sqrt(1.0 + (150.0 / f) ** 4)).astype(np.float32)


def salience_candidates(
    S: np.ndarray, sr: float, n_fft: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Salience peaks of a magnitude STFT, strongest first.

    ``S`` (bins x frames) is high-passed first (:func:`_equal_loudness`).

    Returns
    -------
    cents, sal : ndarray of shape (n_frames, 10)
        Candidate pitches (cents above MIDI 0) and saliences (0: none).
    mean : ndarray of shape (n_frames,)
        Mean salience of each frame over all bins (for peakiness).
    """
    midi, sal, mean = salience_peaks(
        S * _equal_loudness(sr, n_fft)[:, None],
        sr,
        n_fft,
        n_candidates=_N_CANDIDATES,
        n_harmonics=10,
        max_freq=5000.0,
    )
    return midi * 100.0, sal, mean


def track_contours(
    cents: np.ndarray,
    sal: np.ndarray,
    frame_rate: float,
    *,
    frame_ratio: float = 0.9,
    dist_sigma: float = 0.9,
    max_slope: float = 27.5625e3,
    max_gap: float = 0.1,
    min_contour: float = 0.1,
) -> Contours:
    """Pitch contours from salience candidates (MELODIA's contour creation).

    Parameters
    ----------
    cents, sal : ndarray of shape (n_frames, n_candidates)
        Candidate pitches (cents) and saliences (0: no candidate).
    frame_rate : float
        Frames per second.
    frame_ratio : float, default=0.9
        Strong candidates have at least this fraction of their frame's maximum.
    dist_sigma : float, default=0.9
        ... and are above the mean minus this many standard deviations of the
        candidates that passed ``frame_ratio``.
    max_slope : float, default=27562.5
        Largest pitch change between frames, in cents per second (MELODIA's
        27.5625 cents per millisecond).
    max_gap : float, default=0.1
        Longest run of weak candidates inside a contour (s).
    min_contour : float, default=0.1
        Shorter contours are dropped (s).

    Returns
    -------
    Contours
    """
    n, k = sal.shape
    valid = sal > 0
    best = sal.max(axis=1, keepdims=True) if n else np.zeros((0, 1))
    strong = valid & (sal >= frame_ratio * best)
    if np.any(strong):
        v = sal[strong]
        strong &= sal >= v.mean() - dist_sigma * v.std()
    state = np.where(strong, 1, np.where(valid, 2, 0)).astype(np.int8)
    jump = max_slope / frame_rate
    gap_max = max(0, int(round(max_gap * frame_rate)))
    min_len = max(1, int(round(min_contour * frame_rate)))
    st = state.tolist()
    pc = cents.tolist()
    sl = sal.tolist()
    t_idx, k_idx = np.nonzero(strong)
    order = np.argsort(-sal[t_idx, k_idx], kind="stable")
    starts: list[int] = []
    pitches: list[np.ndarray] = []
    saliences: list[np.ndarray] = []
    for o in order.tolist():
        t0, j0 = int(t_idx[o]), int(k_idx[o])
        if st[t0][j0] != 1:
            continue
        st[t0][j0] = 0
        sides = []
        for step in (1, -1):
            cur = pc[t0][j0]
            t = t0
            gap = 0
            taken: list[tuple[int, int, int]] = []  # (frame, cand, was_state)
            while 0 <= t + step < n:
                row_s, row_p = st[t + step], pc[t + step]
                pick, weak, dist, wdist = -1, -1, jump, jump
                for j in range(k):
                    if row_s[j]:
                        d = abs(row_p[j] - cur)
                        if row_s[j] == 1:
                            if d <= dist:
                                pick, dist = j, d
                        elif d <= wdist:
                            weak, wdist = j, d
                if pick < 0:
                    pick = weak
                if pick < 0:
                    break
                was = row_s[pick]
                gap = 0 if was == 1 else gap + 1
                if gap > gap_max:
                    break
                t += step
                row_s[pick] = 0
                taken.append((t, pick, was))
                cur = row_p[pick]
            while taken and taken[-1][2] == 2:  # trim trailing weak frames
                t, j, was = taken.pop()
                st[t][j] = was
            sides.append(taken)
        fwd, bwd = sides
        cells = bwd[::-1] + [(t0, j0, 1)] + fwd
        if len(cells) < min_len:
            for t, j, was in cells:  # a dropped contour frees its weak frames
                if was == 2:
                    st[t][j] = 2
            continue
        starts.append(cells[0][0])
        pitches.append(np.array([pc[t][j] for t, j, _ in cells]))
        saliences.append(np.array([sl[t][j] for t, j, _ in cells]))
    return Contours(
        start=np.array(starts, dtype=np.int64),
        pitch=pitches,
        salience=saliences,
        n_frames=n,
        frame_rate=frame_rate,
    )


def _moving_average(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average with edge-normalised weights."""
    if width <= 1 or len(x) == 0:
        return x.astype(float)
    kernel = np.ones(width)
    num = np.convolve(x, kernel, mode="same")
    den = np.convolve(np.ones(len(x)), kernel, mode="same")
    return num / den


def select_melody(
    contours: Contours,
    *,
    voicing: float = 0.2,
    smooth: float = 5.0,
    n_iter: int = 2,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Melody from the contours (MELODIA's voicing and contour selection).

    Parameters
    ----------
    contours : Contours
        From :func:`track_contours`.
    voicing : float, default=0.2
        Contours with a mean salience below the mean minus ``voicing`` standard
        deviations of the contour means are unvoiced.
    smooth : float, default=5.0
        Width (s) of the moving average giving the melody pitch mean.
    n_iter : int, default=2
        Rounds of octave-error and outlier removal.

    Returns
    -------
    melody : ndarray of shape (n_frames,)
        Pitch (cents), 0 where unvoiced.
    salience : ndarray of shape (n_frames,)
        Salience of the melody frames (0 where unvoiced).
    contour : ndarray of int, shape (n_frames,)
        Melody contour index per frame, -1 where unvoiced.
    """
    n = contours.n_frames
    melody, msal = np.zeros(n), np.zeros(n)
    which = np.full(n, -1, dtype=np.int64)
    m = len(contours)
    if m == 0:
        return melody, msal, which
    start, stop = contours.start, contours.stop
    mean_sal = np.array([s.mean() for s in contours.salience])
    total = np.array([s.sum() for s in contours.salience])
    mean_pitch = np.array([p.mean() for p in contours.pitch])
    keep = mean_sal >= mean_sal.mean() - voicing * mean_sal.std()
    width = max(1, int(round(smooth * contours.frame_rate)))
    for _ in range(max(0, n_iter)):
        if not np.any(keep):
            break
        # melody pitch mean: salience-weighted contour pitch per frame, smoothed
        num, den = np.zeros(n), np.zeros(n)
        for i in np.flatnonzero(keep):
            num[start[i] : stop[i]] += contours.pitch[i] * contours.salience[i]
            den[start[i] : stop[i]] += contours.salience[i]
        has = den > 0
        p = np.interp(np.arange(n), np.flatnonzero(has), num[has] / den[has])
        p = _moving_average(p, width)
        dist = np.array(
            [abs(mean_pitch[i] - p[start[i] : stop[i]].mean()) for i in range(m)]
        )
        idx = np.flatnonzero(keep)
        a, b = np.meshgrid(idx, idx, indexing="ij")
        upper = a < b
        a, b = a[upper], b[upper]
        overlap = (np.minimum(stop[a], stop[b]) - np.maximum(start[a], start[b])) > 0
        octave = np.abs(np.abs(mean_pitch[a] - mean_pitch[b]) - 1200.0) < 50.0
        pair = overlap & octave
        drop = np.where(dist[a[pair]] > dist[b[pair]], a[pair], b[pair])
        keep[drop] = False
        keep &= dist <= 1200.0
    order = np.argsort(total)  # weakest first: stronger contours overwrite
    for i in order[keep[order]]:
        sl = slice(start[i], stop[i])
        better = total[i] >= np.where(which[sl] >= 0, total[which[sl]], -1.0)
        seg = np.arange(start[i], stop[i])[better]
        which[seg] = i
        melody[seg] = contours.pitch[i][seg - start[i]]
        msal[seg] = contours.salience[i][seg - start[i]]
    return melody, msal, which


def segment_notes(
    melody: np.ndarray,
    contour: np.ndarray,
    frame_rate: float,
    *,
    smooth: float = 0.15,
    stable_slope: float = 500.0,
    min_note: float = 0.1,
) -> NoteSet:
    """Notes and transitions of a melody track.

    Parameters
    ----------
    melody : ndarray of shape (n_frames,)
        Pitch (cents), 0 where unvoiced.
    contour : ndarray of int, shape (n_frames,)
        Melody contour per frame (-1 unvoiced); a note never spans two contours.
    frame_rate : float
        Frames per second.
    smooth : float, default=0.15
        Moving-average width (s) applied before measuring the pitch slope
        (about one vibrato cycle, so vibrato stays inside its note).
    stable_slope : float, default=500.0
        A frame is stable when the smoothed pitch moves less than this
        (cents per second).
    min_note : float, default=0.1
        Shorter stable runs are not notes (s).

    Returns
    -------
    NoteSet
    """
    n = len(melody)
    width = max(1, int(round(smooth * frame_rate)))
    min_len = max(1, int(round(min_note * frame_rate)))
    seg_id = np.where(melody > 0, contour, -1)
    new = np.ones(n, dtype=bool)
    new[1:] = seg_id[1:] != seg_id[:-1]
    seg_starts = np.flatnonzero(new)
    seg_stops = np.append(seg_starts[1:], n)
    starts: list[int] = []
    stops: list[int] = []
    pitch: list[float] = []
    owner: list[int] = []
    t_start: list[int] = []
    t_stop: list[int] = []
    t_note: list[int] = []
    for a, b in zip(seg_starts.tolist(), seg_stops.tolist(), strict=False):
        if seg_id[a] < 0 or b - a < min_len:
            continue
        p = melody[a:b]
        ps = _moving_average(p, width)
        slope = np.abs(np.gradient(ps)) * frame_rate if b - a > 1 else np.zeros(1)
        stable = slope < stable_slope
        d = np.diff(np.concatenate([[0], stable.astype(np.int8), [0]]))
        rs, re_ = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
        long = (re_ - rs) >= min_len
        prev = -1
        for s, e in zip(rs[long].tolist(), re_[long].tolist(), strict=False):
            if prev >= 0:
                t_start.append(stops[-1])
                t_stop.append(a + s)
                t_note.append(len(starts) - 1)
            starts.append(a + s)
            stops.append(a + e)
            pitch.append(float(np.median(p[s:e])))
            owner.append(int(seg_id[a]))
            prev = e
    return NoteSet(
        start=np.array(starts, dtype=np.int64),
        stop=np.array(stops, dtype=np.int64),
        pitch=np.array(pitch, dtype=float),
        contour=np.array(owner, dtype=np.int64),
        trans_start=np.array(t_start, dtype=np.int64),
        trans_stop=np.array(t_stop, dtype=np.int64),
        trans_note=np.array(t_note, dtype=np.int64),
        frame_rate=frame_rate,
    )


def melody_front_end(
    S: np.ndarray, sr: float, n_fft: int, hop_length: int
) -> MelodyFrontEnd:
    """Contours, melody and notes of a magnitude STFT.

    Parameters
    ----------
    S : ndarray of shape (1 + n_fft // 2, n_frames)
        Magnitude STFT.
    sr : float
        Sample rate (Hz).
    n_fft, hop_length : int
        STFT parameters of ``S``.

    Returns
    -------
    MelodyFrontEnd
    """
    fr = sr / hop_length
    cents, sal, _ = salience_candidates(S, sr, n_fft)
    contours = track_contours(cents, sal, fr)
    melody, msal, which = select_melody(contours)
    notes = segment_notes(melody, which, fr)
    return MelodyFrontEnd(
        contours=contours,
        melody=melody,
        melody_salience=msal,
        melody_contour=which,
        notes=notes,
        frame_rate=fr,
    )
