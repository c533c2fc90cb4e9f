"""Note segmentation of a frame-wise melody (pitch track → notes).

A voiced run of the melody is cut into notes where the pitch leaves the current
note's running mean by more than ``split`` semitones for at least ``min_dev``
seconds (so vibrato of up to ±``split`` semitones stays one note, and a glide
ends up as short pieces). Pieces shorter than ``min_note`` seconds are dropped
(they are kept in the frame track, where glissando is measured).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.ndimage

from mer_classic.features._pitch import PitchTrack, _runs

__all__ = ["Notes", "segment_notes"]


@dataclass(frozen=True)
class Notes:
    """Notes of a melody; frame indices refer to the :class:`PitchTrack`.

    Attributes
    ----------
    start, stop : ndarray of int, shape (n_notes,)
        First frame and one past the last frame of each note.
    pitch : ndarray of shape (n_notes,)
        Median pitch of each note (fractional MIDI number).
    intensity : ndarray of shape (n_notes,)
        Mean melody salience of each note in dB.
    frame_rate : float
        Frames per second.
    """

    start: np.ndarray
    stop: np.ndarray
    pitch: np.ndarray
    intensity: np.ndarray
    frame_rate: float

    def __len__(self) -> int:
        return len(self.start)

    @property
    def onset(self) -> np.ndarray:
        """Note onsets in seconds."""
        return self.start / self.frame_rate

    @property
    def duration(self) -> np.ndarray:
        """Note durations in seconds."""
        return (self.stop - self.start) / self.frame_rate


def salience_db(salience: np.ndarray) -> np.ndarray:
    """Salience in dB (20 log10), floored at -100 dB."""
    return 20.0 * np.log10(np.maximum(salience, 1e-5))


def segment_notes(
    track: PitchTrack,
    *,
    split: float = 0.75,
    min_dev: float = 0.07,
    min_note: float = 0.1,
) -> Notes:
    """Cut the voiced melody into notes.

    Parameters
    ----------
    track : PitchTrack
        Frame-wise melody.
    split : float, default=0.75
        Deviation (semitones) from the running note mean that starts a new note.
    min_dev : float, default=0.07
        The deviation must last this long (seconds) to start a new note.
    min_note : float, default=0.1
        Shorter notes are dropped.

    Returns
    -------
    Notes
    """
    fr = track.frame_rate
    f0 = track.midi
    voiced = f0 > 0
    smooth = scipy.ndimage.median_filter(f0, size=3, mode="nearest")
    smooth = np.where(voiced & (smooth > 0), smooth, f0)
    need = max(1, int(round(min_dev * fr)))
    min_len = max(1, int(round(min_note * fr)))
    bounds: list[tuple[int, int]] = []
    for a, b in _runs(voiced):
        p = smooth[a:b].tolist()
        start, total, count, dev_start, n_dev = a, p[0], 1, -1, 0
        for i in range(1, len(p)):
            if abs(p[i] - total / count) > split:
                if n_dev == 0:
                    dev_start = i
                n_dev += 1
                if n_dev >= need:
                    bounds.append((start, a + dev_start))
                    start = a + dev_start
                    seg = p[dev_start : i + 1]
                    total, count, n_dev = sum(seg), len(seg), 0
                continue
            n_dev = 0
            total += p[i]
            count += 1
        bounds.append((start, b))
    kept = [(s, e) for s, e in bounds if e - s >= min_len]
    start = np.array([s for s, _ in kept], dtype=np.int64)
    stop = np.array([e for _, e in kept], dtype=np.int64)
    db = salience_db(track.salience)
    pitch = np.array([np.median(smooth[s:e]) for s, e in kept], dtype=np.float64)
    inten = np.array([db[s:e].mean() for s, e in kept], dtype=np.float64)
    return Notes(start=start, stop=stop, pitch=pitch, intensity=inten, frame_rate=fr)
