"""Tests for the melody-based feature groups (mer_classic.features.melody)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from mer_classic.features import _dsp, load_audio
from mer_classic.features._expressive import modulation
from mer_classic.features._names import FEATURE_DESCRIPTIONS, FEATURE_GROUPS
from mer_classic.features._pitch import salience_peaks
from mer_classic.features.melody import (
    MELODY_DESCRIPTORS,
    MELODY_GROUPS,
    expressive_features,
    interval_features,
    melodic_features,
    melody_features,
    note_dynamics_features,
    note_rhythm_features,
    texture_features,
    transcribe,
)

SR = 22050
REPO = Path(__file__).resolve().parents[1]
TRUMPET = (
    REPO.parent
    / "shared"
    / "data"
    / "librosa-example-music"
    / "audio"
    / "sorohanro_-_solo-trumpet-06.ogg"
)


def melody(
    midis: list[float],
    note: float = 0.4,
    gap: float = 0.0,
    *,
    vibrato_cents: float = 0.0,
    vibrato_hz: float = 6.0,
    tremolo_db: float = 0.0,
) -> np.ndarray:
    """Harmonic tones (7 partials) of the given MIDI notes, one after another."""
    out = []
    for m in midis:
        t = np.arange(int(note * SR)) / SR
        f = 440.0 * 2 ** (
            (m - 69) / 12 + vibrato_cents / 1200 * np.sin(2 * np.pi * vibrato_hz * t)
        )
        phase = 2 * np.pi * np.cumsum(f) / SR
        env = np.minimum(1.0, np.minimum(t / 0.01, (note - t) / 0.01))
        env = env * 10 ** (tremolo_db / 40 * np.sin(2 * np.pi * 6 * t))
        out.append(env * sum(0.3 / h * np.sin(h * phase) for h in range(1, 8)))
        out.append(np.zeros(int(gap * SR)))
    return np.concatenate(out).astype(np.float32)


SCALE = [57, 59, 60, 62, 64, 62, 60, 59]  # A3 B3 C4 D4 E4 D4 C4 B3


def test_synthetic_melody_known_notes() -> None:
    tr = transcribe(melody(SCALE), SR)
    assert len(tr.notes) == len(SCALE)
    assert np.allclose(tr.notes.pitch, SCALE, atol=0.1)
    f = melodic_features(None, SR, transcription=tr)
    assert f["melody_pitch_range"] == pytest.approx(7.0, abs=0.5)
    assert f["melody_step_ratio"] == 1.0
    assert f["melody_interval_mean"] == pytest.approx(
        np.mean(np.abs(np.diff(SCALE))), abs=0.1
    )
    assert f["note_duration_mean"] == pytest.approx(0.4, abs=0.06)


def test_monophonic_recording_pitch_range_matches_pyin() -> None:
    """Known range of a solo trumpet, established independently by librosa.pyin."""
    if not TRUMPET.exists():
        pytest.skip(f"real recording {TRUMPET} is absent (see README: Data)")
    import librosa

    y = load_audio(TRUMPET, sr=SR)
    f0, voiced, _ = librosa.pyin(
        y, fmin=55, fmax=1760, sr=SR, frame_length=2048, hop_length=512
    )
    ref = librosa.hz_to_midi(f0[voiced])
    lo, hi = np.percentile(ref, [5, 95])
    tr = transcribe(y, SR)
    est = tr.track.midi[tr.track.voiced]
    elo, ehi = np.percentile(est, [5, 95])
    assert abs(elo - lo) < 1.0 and abs(ehi - hi) < 1.0
    f = melodic_features(None, SR, transcription=tr)
    assert f["melody_pitch_range"] == pytest.approx(hi - lo, abs=1.0)


def test_vibrato_rate_on_synthetic_6hz_tone() -> None:
    f = expressive_features(melody([69], note=3.0, vibrato_cents=50), SR)
    assert f["vibrato_rate"] == pytest.approx(6.0, abs=0.5)
    assert f["vibrato_coverage"] > 0.9
    assert 50 <= f["vibrato_extent"] <= 120  # true peak to peak: 100 cents
    plain = expressive_features(melody([69], note=3.0), SR)
    assert plain["vibrato_coverage"] == 0.0 and plain["vibrato_rate"] == 0.0


def test_tremolo_on_synthetic_tone() -> None:
    f = expressive_features(melody([69], note=3.0, tremolo_db=8), SR)
    assert f["tremolo_rate"] == pytest.approx(6.0, abs=0.5)
    assert f["tremolo_coverage"] > 0.9


def test_modulation_detects_rate_of_a_sinusoid() -> None:
    fr = SR / 512
    t = np.arange(40) / fr
    ok, rate, depth, share = modulation(30 * np.sin(2 * np.pi * 5 * t) + 3 * t, fr)
    assert ok and rate == pytest.approx(5.0, abs=0.3)
    assert depth == pytest.approx(60, rel=0.2)
    assert share > 0.5
    assert modulation(np.ones(3), fr) == (False, 0.0, 0.0, 0.0)  # too short
    assert modulation(np.ones(40), fr)[0] is False  # flat


def test_legato_and_staccato_have_opposite_articulation() -> None:
    legato = expressive_features(melody(SCALE, note=0.4), SR)
    staccato = expressive_features(melody(SCALE, note=0.12, gap=0.28), SR)
    assert legato["articulation_legato_ratio"] > 0.8
    assert legato["articulation_staccato_ratio"] < 0.2
    assert staccato["articulation_legato_ratio"] < 0.2
    assert staccato["articulation_staccato_ratio"] > 0.8
    assert legato["articulation_index"] > staccato["articulation_index"] + 0.3


def test_glissando_direction() -> None:
    t = np.arange(int(1.5 * SR)) / SR
    midi = np.concatenate([np.full(SR // 2, 60.0), np.linspace(60, 67, SR // 2)])
    midi = np.concatenate([midi, np.full(len(t) - len(midi), 67.0)])
    phase = 2 * np.pi * np.cumsum(440 * 2 ** ((midi - 69) / 12)) / SR
    y = sum(0.3 / h * np.sin(h * phase) for h in range(1, 8)).astype(np.float32)
    up = expressive_features(y, SR)
    down = expressive_features(y[::-1].copy(), SR)
    assert up["glissando_direction"] == 1.0 and down["glissando_direction"] == -1.0
    assert up["glissando_extent"] == pytest.approx(7.0, abs=1.5)
    flat = expressive_features(melody([60, 67], note=0.75), SR)
    assert flat["glissando_ratio"] < up["glissando_ratio"]


def test_texture_counts_layers() -> None:
    t = np.arange(3 * SR) / SR

    def voices(midis: list[int]) -> np.ndarray:
        y = np.zeros_like(t)
        for m in midis:
            f = 440 * 2 ** ((m - 69) / 12)
            y += sum(0.2 / h * np.sin(2 * np.pi * f * h * t) for h in range(1, 6))
        return y.astype(np.float32)

    one = texture_features(voices([64]), SR)
    three = texture_features(voices([48, 64, 71]), SR)
    assert one["texture_ratio_1"] > 0.9
    assert three["texture_layers_mean"] > one["texture_layers_mean"] + 0.8
    assert three["texture_ratio_3plus"] > 0.5


def test_note_dynamics_crescendo() -> None:
    y = melody([64, 67, 64, 67], note=0.6)
    n = len(y)
    up = note_dynamics_features(y * np.tile(np.geomspace(0.1, 1, n // 4), 4), SR)
    down = note_dynamics_features(y * np.tile(np.geomspace(1, 0.1, n // 4), 4), SR)
    assert up["note_crescendo_ratio"] > 0.7 and up["note_decrescendo_ratio"] == 0
    assert down["note_decrescendo_ratio"] > 0.7 and down["note_crescendo_ratio"] == 0


def test_note_rhythm_regular_vs_irregular() -> None:
    regular = note_rhythm_features(melody(SCALE, note=0.3, gap=0.1), SR)
    assert regular["note_onset_rate"] == pytest.approx(2.5, abs=0.3)
    assert regular["note_ioi_mean"] == pytest.approx(0.4, abs=0.03)
    parts = [melody([m], note=d) for m, d in zip(SCALE, [0.2, 0.6] * 4, strict=True)]
    irregular = note_rhythm_features(np.concatenate(parts), SR)
    assert irregular["note_ioi_cv"] > regular["note_ioi_cv"] + 0.3
    assert irregular["note_npvi"] > regular["note_npvi"] + 40


def test_intervals_histogram_of_known_melodies() -> None:
    # C E G C' G E C: major thirds, minor thirds and fourths, two of each
    arpeggio = interval_features(melody([60, 64, 67, 72, 67, 64, 60]), SR)
    for k, share in ((3, 1 / 3), (4, 1 / 3), (5, 1 / 3), (1, 0), (2, 0), (7, 0)):
        assert arpeggio[f"interval_{k:02d}_ratio"] == pytest.approx(share, abs=1e-9)
    assert arpeggio["interval_third_balance"] == 0.0
    # a diminished arpeggio has minor thirds only, an augmented one major thirds only
    dim = interval_features(melody([60, 63, 66, 63, 60]), SR)
    aug = interval_features(melody([60, 64, 68, 64, 60]), SR)
    assert dim["interval_03_ratio"] == 1.0 and dim["interval_third_balance"] == 1.0
    assert aug["interval_04_ratio"] == 1.0 and aug["interval_third_balance"] == -1.0
    # repeated pitches are not intervals; octave and wider leaps have their own bins
    leaps = interval_features(melody([57, 57, 69, 57, 71], note=0.3, gap=0.1), SR)
    assert leaps["interval_12_ratio"] == pytest.approx(2 / 3)
    assert leaps["interval_over_octave_ratio"] == pytest.approx(1 / 3)
    assert sum(leaps[f"interval_{k:02d}_ratio"] for k in range(1, 12)) == 0.0
    # the histogram sums to one whenever the melody moves
    ratios = [v for n, v in arpeggio.items() if n.endswith("_ratio")]
    assert sum(ratios) == pytest.approx(1.0)
    # minor against major seconds and sixths
    seconds = interval_features(melody([60, 61, 63, 64, 66]), SR)  # 1 2 1 2
    assert seconds["interval_second_balance"] == 0.0
    sixths = interval_features(melody([60, 68, 60, 69, 60, 68]), SR)  # 8 8 9 9 8
    assert sixths["interval_sixth_balance"] == pytest.approx(1 / 5)


@pytest.mark.parametrize(
    ("signal", "has_melody"),
    [
        (np.zeros(2 * SR, dtype=np.float32), False),
        (np.random.default_rng(0).normal(0, 0.1, 3 * SR).astype(np.float32), False),
        (melody([69], note=0.05), True),
        (np.zeros(100, dtype=np.float32), False),
    ],
    ids=["silence", "white-noise", "50ms-tone", "shorter-than-a-frame"],
)
def test_degenerate_inputs_give_finite_documented_defaults(
    signal: np.ndarray, has_melody: bool
) -> None:
    f = melody_features(signal, SR)
    assert list(f) == [name for _, name, _ in MELODY_DESCRIPTORS]
    assert all(math.isfinite(v) for v in f.values())
    if has_melody:
        assert f["melody_pitch_mean"] == pytest.approx(69, abs=0.2)
        assert f["melody_interval_mean"] == 0.0  # one note: no interval
    else:  # documented default: 0 without melody or notes
        assert all(v == 0.0 for v in f.values())


def test_salience_is_chunked_with_the_same_result() -> None:
    y = melody(SCALE)
    S = _dsp.stft_magnitude(y, 2048, 512)
    m1, s1, u1 = salience_peaks(S, SR, 2048)
    m2, s2, u2 = salience_peaks(S, SR, 2048, chunk=37)
    assert np.allclose(m1, m2) and np.allclose(s1, s2) and np.allclose(u1, u2)


def test_groups_return_their_registry_names_in_order() -> None:
    y = melody(SCALE)
    tr = transcribe(y, SR)
    for group, fn in [
        ("melodic", melodic_features),
        ("expressive", expressive_features),
        ("texture", texture_features),
        ("note_dynamics", note_dynamics_features),
        ("note_rhythm", note_rhythm_features),
        ("intervals", interval_features),
    ]:
        assert tuple(fn(None, SR, transcription=tr)) == MELODY_GROUPS[group]
    # the stft given or computed gives the same values
    S = _dsp.stft_magnitude(y, 2048, 512)
    assert melody_features(None, SR, S=S) == melody_features(y, SR)


def test_registry_and_documentation_consistent() -> None:
    names = [n for _, n, _ in MELODY_DESCRIPTORS]
    assert len(set(names)) == len(names)
    from mer_classic.features._names import ALL_FEATURE_NAMES

    # the melody family is one contiguous run of columns, in its declared order
    start = ALL_FEATURE_NAMES.index(names[0])
    assert tuple(ALL_FEATURE_NAMES[start : start + len(names)]) == tuple(names)
    for group, members in MELODY_GROUPS.items():
        assert FEATURE_GROUPS[group] == members
    for name in names:
        assert FEATURE_DESCRIPTIONS[name].endswith(".")
    doc = (REPO / "docs" / "features.md").read_text()
    for name in names:
        assert f"`{name}`" in doc


def test_clip_features_carry_the_melody_groups() -> None:
    from mer_classic.features import FeatureSettings
    from mer_classic.features._audio import clip_features
    from mer_classic.features._names import ALL_FEATURE_NAMES, SEGMENT_FEATURE_NAMES

    y = melody(SCALE)
    values = clip_features(y, FeatureSettings(features="all").validate())
    got = {n: values[ALL_FEATURE_NAMES.index(n)] for _, n, _ in MELODY_DESCRIPTORS}
    assert got == pytest.approx(melody_features(y, SR))
    assert got["melody_pitch_mean"] == pytest.approx(np.mean(SCALE), abs=0.5)
    # segment rows stay frame-level only (the melody groups are clip-level)
    assert not set(got) & set(SEGMENT_FEATURE_NAMES)


def test_melody_groups_fed_block_by_block_equal_the_whole_clip() -> None:
    """The extraction engine feeds the melody analyzer per block of frames."""
    from mer_classic.features import FeatureSettings
    from mer_classic.features._audio import clip_features
    from mer_classic.features._names import feature_names

    y = melody(SCALE * 2, vibrato_cents=40.0)
    s = FeatureSettings(features=("melodic", "expressive", "texture")).validate()
    names = feature_names(s.features)
    whole = dict(zip(names, clip_features(y, s), strict=True))
    blocks = dict(zip(names, clip_features(y, s, block_frames=37), strict=True))
    assert blocks == pytest.approx(whole, rel=1e-6, abs=1e-9)
    ref = melody_features(y, SR)
    assert {n: whole[n] for n in names} == pytest.approx({n: ref[n] for n in names})


def test_one_transcription_serves_every_melody_group(monkeypatch) -> None:
    """Selecting several melody groups transcribes the clip once."""
    import mer_classic.features.groups._melody as stream
    from mer_classic.features import FeatureSettings
    from mer_classic.features._audio import clip_features

    calls = []
    real = stream.segment_notes
    monkeypatch.setattr(stream, "segment_notes", lambda t: calls.append(1) or real(t))
    clip_features(melody(SCALE), FeatureSettings(features="all").validate())
    assert len(calls) == 1
    calls.clear()
    clip_features(melody(SCALE), FeatureSettings(features=("mfcc",)).validate())
    assert calls == []
