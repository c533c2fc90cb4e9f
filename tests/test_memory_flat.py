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
