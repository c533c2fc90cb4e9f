"""Contract test over the feature-group registry (``mer_classic.features.groups``).

Every group in ``GROUPS`` must: produce its declared columns in order, give finite
values on real and on silent audio, give the same values block-wise as on the
whole signal, and cost nothing when it is not selected (its hooks are not called,
and the front-end parts only it needs are not computed). A failure names the group
and points to a reference module.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mer_classic.features import FeatureSettings, _dsp, extract_file
from mer_classic.features._audio import clip_features
from mer_classic.features._engine import FrameEngine
from mer_classic.features._names import (
    FEATURE_GROUPS,
    feature_names,
    segment_feature_names,
)
from mer_classic.features.groups import GROUPS, NEEDS, FeatureGroup

SR = 22050
REAL = (
    Path(__file__).resolve().parents[1]
    / "mer_classic"
    / "data"
    / "brahms_hungarian_dance_5_excerpt.ogg"
)
IDS = [g.name for g in GROUPS]


def _hint(g: type[FeatureGroup], what: str) -> str:
    return (
        f"feature group {g.name!r} ({g.__module__}): {what}; see "
        "mer_classic/features/groups/mfcc.py (frame descriptors) or dynamics.py "
        "(frame + clip columns) for an example"
    )


def _music(seconds: float = 4.0) -> np.ndarray:
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * SR)) / SR
    y = np.zeros_like(t)
    for k, f0 in enumerate((220.0, 277.2, 329.6, 440.0, 392.0)):
        env = np.exp(-3 * ((t - 0.5 * k) % 2.5))
        for h in (1, 2, 3):
            y += env * np.sin(2 * np.pi * f0 * h * t) / (h * 3)
    y += 0.01 * rng.standard_normal(len(t))
    return (0.4 * y / np.max(np.abs(y))).astype(np.float32)


def _engine(groups, **kw) -> FrameEngine:
    return FrameEngine(sr=SR, n_fft=2048, hop_length=512, groups=groups, **kw)


@pytest.fixture(scope="module")
def real_clip() -> np.ndarray:
    from mer_classic.features import load_audio

    return load_audio(REAL, sr=SR, duration=8.0)


def test_registry_names_are_unique_and_needs_known() -> None:
    assert len(set(IDS)) == len(IDS)
    cols = [c for g in GROUPS for c in FEATURE_GROUPS[g.name]]
    assert len(set(cols)) == len(cols)
    for g in GROUPS:
        assert g.needs <= NEEDS, _hint(g, f"unknown needs {set(g.needs - NEEDS)}")
        assert g.descriptors or g.columns, _hint(g, "declares no column")


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
@pytest.mark.slow
def test_declared_columns_come_out_in_order(group: type[FeatureGroup]) -> None:
    declared = tuple(
        f"{d.name}_{s}" for d in group.descriptors for s in d.stats
    ) + tuple(c.name for c in group.columns)
    assert FEATURE_GROUPS[group.name] == declared, _hint(group, "registry columns")
    # each hook returns exactly what the group declares
    eng = _engine([group])
    eng.push(_music())
    out = eng.finish()
    assert out.descriptors == [d.name for d in group.descriptors], _hint(
        group, "frame descriptors"
    )
    assert list(out.extra) == [c.name for c in group.columns], _hint(
        group, f"values() returned {list(out.extra)}"
    )
    s = FeatureSettings(features=(group.name,))
    v = clip_features(_music(), s)
    assert v.shape == (len(feature_names(group.name)),), _hint(group, "clip vector")


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
def test_values_are_finite_on_real_audio(
    group: type[FeatureGroup], real_clip: np.ndarray
) -> None:
    v = clip_features(real_clip, FeatureSettings(features=(group.name,)))
    bad = [
        n
        for n, x in zip(feature_names(group.name), v, strict=True)
        if not np.isfinite(x)
    ]
    assert not bad, _hint(group, f"non-finite on real audio: {bad}")


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
def test_values_are_finite_on_silent_audio(group: type[FeatureGroup]) -> None:
    """The engine itself on digital silence (extract_file refuses silent files
    before any group sees them, but a group must not produce NaN)."""
    eng = _engine([group])
    with np.errstate(divide="ignore", invalid="ignore"):
        eng.push(np.zeros(3 * SR, dtype=np.float32))
        out = eng.finish()
    values = [*out.mean, *out.std, *out.extra.values()]
    assert np.all(np.isfinite(values)), _hint(group, "non-finite on silence")


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
@pytest.mark.slow
def test_blockwise_equals_whole_signal(group: type[FeatureGroup]) -> None:
    y = _music(6.0)
    s = FeatureSettings(features=(group.name,))
    whole = clip_features(y, s, block_frames=100_000)
    blocks = clip_features(y, s, block_frames=37)
    np.testing.assert_allclose(
        blocks, whole, rtol=1e-4, atol=1e-6, err_msg=_hint(group, "clip, blocks")
    )
    if group.descriptors:
        seg = FeatureSettings(features=(group.name,), segment=0.5)
        from mer_classic.features._audio import segment_features

        t0, w = segment_features(y, seg, block_frames=100_000)
        t1, b = segment_features(y, seg, block_frames=37)
        assert b.shape == (len(t0), len(segment_feature_names(group.name)))
        np.testing.assert_allclose(
            b, w, rtol=1e-4, atol=1e-6, err_msg=_hint(group, "segments, blocks")
        )


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
@pytest.mark.slow
def test_unselected_group_costs_nothing(
    group: type[FeatureGroup], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hooks of an unselected group are never called, nor its shared analyses."""

    def boom(*args, **kwargs):
        raise AssertionError(_hint(group, "ran although not selected"))

    for hook in ("__init__", "block", "mel_db", "frames", "values"):
        monkeypatch.setattr(group, hook, boom)
    others = [g for g in GROUPS if g is not group]
    for cls in group.shared:
        if not any(cls in g.shared for g in others):
            monkeypatch.setattr(cls, "__init__", boom)
    eng = _engine(others)
    eng.push(_music(3.0))
    eng.finish()


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
def test_front_end_parts_follow_needs(
    group: type[FeatureGroup], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Selected alone, a group gets exactly the front end it declares."""
    calls: dict[str, int] = {"mel": 0, "chroma": 0}
    mel, chroma = _dsp.mel_filterbank, _dsp.chroma_filterbank

    def count(key, f):
        def wrapped(*a, **k):
            calls[key] += 1
            return f(*a, **k)

        return wrapped

    monkeypatch.setattr(_dsp, "mel_filterbank", count("mel", mel))
    monkeypatch.setattr(_dsp, "chroma_filterbank", count("chroma", chroma))
    eng = _engine([group])
    eng.push(_music(3.0))
    eng.finish()
    wants_mel = bool(group.needs & {"mel", "mel_db"})
    wants_chroma = bool(group.needs & {"chroma", "clip_chroma"})
    assert (calls["mel"] > 0) == wants_mel, _hint(group, f"mel computed {calls}")
    assert (calls["chroma"] > 0) == wants_chroma, _hint(group, f"chroma {calls}")


def test_shared_melody_front_end_runs_at_clip_level_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Segment rows carry no melody columns, so the transcription is skipped."""
    from mer_classic.features.groups._melody import MelodyFront

    def boom(*a, **k):
        raise AssertionError("MelodyFront ran in segment mode")

    monkeypatch.setattr(MelodyFront, "update", boom)
    times, values = extract_file(
        REAL, FeatureSettings(features="all", segment=0.5, duration=3.0)
    )
    assert values.shape[1] == len(segment_feature_names("all"))
