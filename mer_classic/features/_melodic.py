"""Melodic, texture, note-dynamics and note-rhythm descriptors of a transcription.

Each function maps a :class:`~mer_classic.features._pitch.PitchTrack` and/or
:class:`~mer_classic.features._notes.Notes` to an ordered dict whose keys are the
group's names in :data:`~mer_classic.features._melody_names.MELODY_GROUPS`.
Values are finite; 0 wherever a value cannot be measured.
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage

from mer_classic.features._melody_names import MELODY_GROUPS
from mer_classic.features._notes import Notes, salience_db
from mer_classic.features._pitch import PitchTrack

__all__ = ["melodic", "texture", "note_dynamics", "note_rhythm", "intervals"]


def _ordered(group: str, values: dict[str, float]) -> dict[str, float]:
    return {n: float(values[n]) for n in MELODY_GROUPS[group]}


def _std(x: np.ndarray) -> float:
    return float(np.std(x)) if len(x) > 1 else 0.0


def melodic(track: PitchTrack, notes: Notes) -> dict[str, float]:
    """Pitch, interval, contour, register and note-duration statistics."""
    f0 = track.midi[track.voiced]
    out = dict.fromkeys(MELODY_GROUPS["melodic"], 0.0)
    out["melody_voiced_ratio"] = float(np.mean(track.voiced)) if len(f0) else 0.0
    if len(f0):
        out["melody_pitch_mean"] = float(f0.mean())
        out["melody_pitch_std"] = _std(f0)
        lo, hi = np.percentile(f0, [5, 95])
        out["melody_pitch_range"] = float(hi - lo)
    if len(notes):
        out["note_duration_mean"] = float(notes.duration.mean())
        out["note_duration_std"] = _std(notes.duration)
    if len(notes) >= 2:
        iv = np.diff(notes.pitch)
        a = np.abs(iv)
        out["melody_interval_mean"] = float(a.mean())
        out["melody_interval_std"] = _std(iv)
        out["melody_step_ratio"] = float(np.mean((a >= 0.5) & (a < 2.5)))
        out["melody_leap_ratio"] = float(np.mean(a >= 4.5))
        out["melody_repeat_ratio"] = float(np.mean(a < 0.5))
        out["melody_contour_up_ratio"] = float(np.mean(iv >= 0.5))
        total = float(a.sum())
        out["melody_contour_direction"] = float(iv.sum()) / total if total else 0.0
        moving = np.sign(iv[a >= 0.5])
        if len(moving) >= 2:
            out["melody_contour_turns"] = float(np.mean(moving[1:] != moving[:-1]))
        t = notes.onset
        if np.ptp(t) > 0:
            out["melody_contour_slope"] = float(np.polyfit(t, notes.pitch, 1)[0])
    return _ordered("melodic", out)


def texture(track: PitchTrack) -> dict[str, float]:
    """Number of simultaneous pitch layers and how it changes."""
    layers = track.layers
    out = dict.fromkeys(MELODY_GROUPS["texture"], 0.0)
    if len(layers) == 0:
        return _ordered("texture", out)
    out["texture_layers_mean"] = float(layers.mean())
    out["texture_layers_std"] = _std(layers)
    out["texture_ratio_1"] = float(np.mean(layers == 1))
    out["texture_ratio_2"] = float(np.mean(layers == 2))
    out["texture_ratio_3plus"] = float(np.mean(layers >= 3))
    fr = track.frame_rate
    size = max(1, int(round(0.25 * fr)))
    smooth = scipy.ndimage.median_filter(layers, size=size, mode="nearest")
    seconds = len(layers) / fr
    out["texture_change_rate"] = float(np.count_nonzero(np.diff(smooth))) / seconds
    win = max(1, int(round(2.0 * fr)))
    n_win = len(layers) // win
    if n_win >= 2:
        out["texture_variation"] = _std(
            layers[: n_win * win].reshape(n_win, win).mean(axis=1)
        )
    return _ordered("texture", out)


def note_dynamics(
    track: PitchTrack, notes: Notes, *, min_note: float = 0.2, change_db: float = 3.0
) -> dict[str, float]:
    """Note-intensity statistics and crescendo/decrescendo ratios."""
    out = dict.fromkeys(MELODY_GROUPS["note_dynamics"], 0.0)
    if len(notes) == 0:
        return _ordered("note_dynamics", out)
    out["note_intensity_mean"] = float(notes.intensity.mean())
    out["note_intensity_std"] = _std(notes.intensity)
    if len(notes) >= 2:
        out["note_intensity_change"] = float(np.abs(np.diff(notes.intensity)).mean())
    db = salience_db(track.salience)
    long = notes.duration >= min_note
    if np.any(long):
        rises = []
        for s, e in zip(notes.start[long], notes.stop[long], strict=True):
            t = np.arange(e - s) / track.frame_rate
            slope = np.polyfit(t, db[s:e], 1)[0]
            rises.append(slope * (t[-1] if len(t) > 1 else 0.0))
        r = np.asarray(rises)
        out["note_crescendo_ratio"] = float(np.mean(r >= change_db))
        out["note_decrescendo_ratio"] = float(np.mean(r <= -change_db))
    return _ordered("note_dynamics", out)


def note_rhythm(track: PitchTrack, notes: Notes) -> dict[str, float]:
    """Note-onset rate and inter-onset regularity of the melody."""
    out = dict.fromkeys(MELODY_GROUPS["note_rhythm"], 0.0)
    seconds = len(track.midi) / track.frame_rate
    if seconds > 0:
        out["note_onset_rate"] = len(notes) / seconds
    if len(notes) >= 2:
        ioi = np.diff(notes.onset)
        out["note_ioi_mean"] = float(ioi.mean())
        out["note_ioi_cv"] = _std(ioi) / float(ioi.mean())
        if len(ioi) >= 2:
            pair = np.abs(np.diff(ioi)) / ((ioi[1:] + ioi[:-1]) / 2.0)
            out["note_npvi"] = 100.0 * float(pair.mean())
    return _ordered("note_rhythm", out)


def _balance(minor: int, major: int) -> float:
    return (minor - major) / (minor + major) if minor + major else 0.0


def intervals(notes: Notes) -> dict[str, float]:
    """Distribution of the melodic intervals between successive notes.

    Note pitches are rounded to semitones; the fractions are over the moving
    intervals (a repeated pitch is not an interval here: ``melody_repeat_ratio``
    counts those), by size 1 .. 12 semitones and wider than an octave, plus the
    minor/major balance of seconds, thirds and sixths.
    """
    out = dict.fromkeys(MELODY_GROUPS["intervals"], 0.0)
    if len(notes) >= 2:
        a = np.abs(np.diff(np.round(notes.pitch))).astype(int)
        moving = a[a > 0]
        if len(moving):
            counts = np.bincount(np.minimum(moving, 13), minlength=14)
            for k in range(1, 13):
                out[f"interval_{k:02d}_ratio"] = counts[k] / len(moving)
            out["interval_over_octave_ratio"] = counts[13] / len(moving)
            out["interval_second_balance"] = _balance(counts[1], counts[2])
            out["interval_third_balance"] = _balance(counts[3], counts[4])
            out["interval_sixth_balance"] = _balance(counts[8], counts[9])
    return _ordered("intervals", out)
