"""The engine's state does not grow with the clip's duration (issue 21).

Not a timed test: it compares the peak of Python-traced memory (tracemalloc sees
numpy's buffers) of one analysis of 1 minute and of 4 minutes of generated audio,
fed in 10 s blocks as a file decode would. The disk-backed stores (raw log-mel,
contrast peaks, segment-mode frame rows) keep at most their ``limit`` in memory;
here every store spills at 64 KB, so what is measured is everything else. Before
the streaming of deferred descriptors (whole-clip MFCC, contrast, chroma, HPSS
and melody-path matrices) the 4-minute peak was 3.3 MB above the 1-minute one
in both modes.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from mer_classic.features import _framing
from mer_classic.features._audio import FeatureSettings, _run

SR = 22050


def _blocks(minutes: float):
    """Decaying harmonic notes plus noise, 10 s at a time."""
    rng = np.random.default_rng(0)
    notes = 220.0 * 2 ** (rng.integers(0, 24, size=4096) / 12)
    block = 10 * SR
    for start in range(0, int(minutes * 60 * SR), block):
        t = (start + np.arange(block)) / SR
        f0 = notes[(t // 0.5).astype(int) % len(notes)]
        y = np.exp(-4 * (t % 0.5)) * (
            np.sin(2 * np.pi * f0 * t) + 0.4 * np.sin(4 * np.pi * f0 * t)
        )
        yield (0.3 * y + 0.02 * rng.standard_normal(block)).astype(np.float32)


def _peak_mb(minutes: float, settings: FeatureSettings, keep: bool) -> float:
    tracemalloc.start()
    try:
        out = _run(_blocks(minutes), settings, keep=keep, block_frames=2048)
        if getattr(out, "frame_chunks", None) is not None:
            for _ in out.frame_chunks():
                pass
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("segment", [None, 0.5], ids=["clip", "segments"])
def test_engine_peak_does_not_grow_with_duration(monkeypatch, segment):
    init = _framing.SpillStore.__init__

    def small(self, limit=2**30, **kw):
        init(self, limit=min(limit, 2**16), **kw)

    monkeypatch.setattr(_framing.SpillStore, "__init__", small)
    s = FeatureSettings(segment=segment)
    keep = segment is not None
    one = _peak_mb(1, s, keep)
    four = _peak_mb(4, s, keep)
    # 3 more minutes are ~7750 frames: 1.5 MB is ~200 bytes per frame, far less
    # than one whole-clip float64 matrix of the 83 frame descriptors (664 bytes)
    assert four - one < 1.5, f"peak {one:.1f} MB at 1 min, {four:.1f} MB at 4 min"


def _notes_series(n_notes: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    n = 50 * n_notes
    t = np.arange(n) / 43.07
    series = 6000.0 + 30.0 * np.sin(2 * np.pi * 6.0 * t) + rng.normal(0, 3, n)
    starts = np.arange(0, n - 40, 50)[:n_notes]
    stops = starts + rng.integers(4, 48, size=len(starts))
    return series, starts, stops


def test_vibrato_search_memory_does_not_grow_with_the_number_of_notes():
    """The per-note FFTs run in bounded batches: a 2-hour clip has ~10,000 notes.

    Before, all notes of one FFT size were one (notes, 512) float64 matrix plus
    its spectrum: 20,000 notes peaked at 198 MB traced (2,000: 20 MB); now 11 and
    10 MB. On an 80-minute file this was 63 MB of extra peak RSS.
    """
    from mer_classic.features._expressive import _modulations

    def peak(n_notes: int) -> float:
        series, starts, stops = _notes_series(n_notes)
        tracemalloc.start()
        try:
            _modulations(series, starts, stops, 43.07)
            return tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()

    small, large = peak(2000), peak(20000)
    # the outputs and the series themselves grow (~60 bytes per note): 20,000
    # notes may add about 1 MB, never the 100+ MB of one whole-clip matrix
    assert large - small < 4, f"{small:.1f} MB for 2,000 notes, {large:.1f} for 20,000"


def test_vibrato_search_in_batches_equals_one_batch(monkeypatch):
    from mer_classic.features import _expressive

    series, starts, stops = _notes_series(3000, seed=1)
    batched = _expressive._modulations(series, starts, stops, 43.07)
    monkeypatch.setattr(_expressive, "_BATCH", 10**9)
    whole = _expressive._modulations(series, starts, stops, 43.07)
    assert batched[0].any(), "the synthetic 6 Hz vibrato should be found"
    for a, b in zip(batched, whole, strict=True):
        np.testing.assert_array_equal(a, b)
