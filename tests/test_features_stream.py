"""Block-wise decoding and analysis: blocks of any size give the whole-file features."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mer_classic.exceptions import AudioError
from mer_classic.features import FeatureSettings, extract_file, load_audio
from mer_classic.features._audio import clip_features, segment_features
from mer_classic.features._engine import FrameEngine
from mer_classic.features._names import FEATURE_NAMES
from mer_classic.features._stream import iter_audio
from mer_classic.features.groups import (
    GROUP_BY_NAME,
    Block,
    ClipData,
    Column,
    FeatureGroup,
)

SR = 22050


def _music(seconds: float, sr: int = SR, seed: int = 0) -> np.ndarray:
    """Notes with onsets, vibrato-free partials and a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    y = np.zeros_like(t)
    for k, f0 in enumerate((220.0, 277.2, 329.6, 440.0, 392.0, 293.7)):
        env = np.exp(-3 * ((t - 0.45 * k) % 2.7))
        for h in (1, 2, 3):
            y += env * np.sin(2 * np.pi * f0 * h * t) / (h * 3)
    y += 0.01 * rng.standard_normal(len(t))
    return (0.4 * y / np.max(np.abs(y))).astype(np.float32)


def _close(a: np.ndarray, b: np.ndarray) -> None:
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("block_frames", [1, 37, 500])
@pytest.mark.slow
def test_blockwise_clip_equals_one_block(block_frames: int) -> None:
    y = _music(8.0)
    whole = clip_features(y, block_frames=100_000)
    _close(clip_features(y, block_frames=block_frames), whole)


def test_signal_pushed_in_odd_pieces_equals_one_push() -> None:
    y = _music(6.0, seed=1)
    s = FeatureSettings()
    whole = clip_features(y, s)
    engine = FrameEngine(
        sr=s.sr, n_fft=s.n_fft, hop_length=s.hop_length,
        groups=[GROUP_BY_NAME[g] for g in s.features], block_frames=64,
    )  # fmt: skip
    rng = np.random.default_rng(0)
    i = 0
    while i < len(y):  # pieces shorter than a hop, and longer than a frame
        n = int(rng.integers(1, 9000))
        engine.push(y[i : i + n])
        i += n
    out = engine.finish()
    assert out.clip.n_frames == 1 + len(y) // s.hop_length
    from mer_classic.features._audio import _clip_vector

    _close(_clip_vector(out, s, "x"), whole)


def test_segment_rows_blockwise_equal_whole() -> None:
    y = _music(7.0, seed=2)
    s = FeatureSettings(segment=0.5)
    t1, v1 = segment_features(y, s, block_frames=100_000)
    t2, v2 = segment_features(y, s, block_frames=29)
    np.testing.assert_array_equal(t1, t2)
    _close(v2, v1)


@pytest.mark.parametrize(
    ("native_sr", "channels", "settings"),
    [
        (SR, 1, FeatureSettings()),
        (44100, 2, FeatureSettings()),
        (44100, 2, FeatureSettings(offset=1.3, duration=6.1)),
        (48000, 1, FeatureSettings(segment=0.5, features=("mfcc", "rhythm"))),
    ],
)
@pytest.mark.slow
def test_file_streamed_in_small_blocks_equals_whole_decode(
    tmp_path: Path, native_sr: int, channels: int, settings: FeatureSettings
) -> None:
    y = _music(10.0, sr=native_sr, seed=3)
    x = np.stack([y, 0.5 * y[::-1]], axis=1) if channels == 2 else y
    path = tmp_path / "clip.wav"
    sf.write(path, x, native_sr, subtype="FLOAT")
    s = settings
    # decode: the blocks concatenate to exactly load_audio's signal
    blocks = list(iter_audio(path, sr=s.sr, offset=s.offset, duration=s.duration,
                             block_seconds=0.7))  # fmt: skip
    assert len(blocks) > 5
    whole = load_audio(path, sr=s.sr, offset=s.offset, duration=s.duration)
    np.testing.assert_array_equal(np.concatenate(blocks), whole)
    # features: several decode blocks and analysis batches = one of each
    t_small, v_small = extract_file(path, s, block_seconds=0.7, block_frames=50)
    t_big, v_big = extract_file(path, s, block_seconds=1e6, block_frames=10**6)
    if s.segment is None:
        ref = clip_features(whole, s)
        assert t_small is None and v_small.shape == (len(s.feature_names),)
    else:
        t_ref, ref = segment_features(whole, s)
        np.testing.assert_array_equal(t_small, np.round(t_ref + (s.offset or 0), 6))
    _close(v_big, ref)
    _close(v_small, ref)


def test_segments_and_clip_from_one_streamed_decode(tmp_path: Path) -> None:
    # what `predict --segments` runs: one block-wise decode feeds both analyses
    from mer_classic.exceptions import ParameterError
    from mer_classic.features._audio import extract_file_segments

    y = _music(9.0, sr=44100, seed=5)
    path = tmp_path / "clip.wav"
    sf.write(path, np.stack([y, y], axis=1), 44100, subtype="FLOAT")
    clip_s = FeatureSettings(offset=0.5, duration=7.0)
    seg_s = FeatureSettings(offset=0.5, duration=7.0, segment=0.5, window=1.0)
    whole = load_audio(path, sr=SR, offset=0.5, duration=7.0)
    clip, times, values = extract_file_segments(
        path, seg_s, clip=True, block_seconds=0.6, block_frames=40
    )
    t_ref, v_ref = segment_features(whole, seg_s)
    np.testing.assert_array_equal(times, t_ref)  # from the start of the signal
    _close(values, v_ref)
    assert clip is not None  # every default group, melody groups included
    _close(clip, clip_features(whole, clip_s))
    none, _, again = extract_file_segments(path, seg_s)
    assert none is None
    _close(again, v_ref)
    with pytest.raises(ParameterError, match="needs settings.segment"):
        extract_file_segments(path, clip_s)


def test_streamed_errors_are_load_audios(tmp_path: Path) -> None:
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(SR * 2, dtype=np.float32), SR)
    with pytest.raises(AudioError, match="silent"):
        extract_file(silent, block_seconds=0.5)
    short = tmp_path / "short.wav"
    sf.write(short, _music(0.05), SR)
    with pytest.raises(AudioError, match="too short"):
        extract_file(short)
    with pytest.raises(AudioError, match="after offset"):
        extract_file(short, FeatureSettings(offset=5.0))
    nan = tmp_path / "nan.wav"
    y = _music(3.0)
    y[SR * 2] = np.nan
    sf.write(nan, y, SR, subtype="FLOAT")
    with pytest.raises(AudioError, match="NaN"):
        extract_file(nan, block_seconds=0.5)
    with pytest.raises(AudioError, match="file not found"):
        extract_file(tmp_path / "missing.wav")


def test_a_group_sees_every_frame_once() -> None:
    """The extension point for new groups: blocks cover the clip, then values()."""
    seen: list[tuple[int, int]] = []

    class Counter(FeatureGroup):
        name = "counter"
        columns = (Column("n", "frames seen"),)

        def block(self, b: Block) -> dict[str, np.ndarray]:
            assert b.S.shape[1] == len(b.frames)
            seen.append((b.start, len(b.frames)))
            return {}

        def values(self, clip: ClipData) -> dict[str, float]:
            return {"n": float(clip.n_frames)}

    y = _music(4.0)
    engine = FrameEngine(
        sr=SR, n_fft=2048, hop_length=512, groups=(Counter,), block_frames=30
    )
    for i in range(0, len(y), 5000):
        engine.push(y[i : i + 5000])
    out = engine.finish()
    starts = [s for s, _ in seen]
    assert starts == sorted(starts) and starts[0] == 0
    assert sum(n for _, n in seen) == out.clip.n_frames == out.extra["n"]
    assert all(a + n == b for (a, n), (b, _) in zip(seen, seen[1:], strict=False))


def test_default_clip_has_all_features() -> None:
    assert clip_features(_music(3.0)).shape == (len(FEATURE_NAMES),)


def test_clip_wide_db_floors_do_not_depend_on_blocks() -> None:
    """MFCC, onsets and spectral contrast use an 80 dB floor relative to the clip's
    maximum: a quiet first half must not be floored by its own block's maximum."""
    rng = np.random.default_rng(5)
    quiet = 1e-8 * rng.standard_normal(4 * SR)
    loud = _music(4.0, seed=5)
    y = np.concatenate([quiet, loud]).astype(np.float32)
    whole = clip_features(y, block_frames=100_000)
    _close(clip_features(y, block_frames=37), whole)
    t1, v1 = segment_features(y, FeatureSettings(segment=0.5), block_frames=100_000)
    _, v2 = segment_features(y, FeatureSettings(segment=0.5), block_frames=37)
    _close(v2, v1)
