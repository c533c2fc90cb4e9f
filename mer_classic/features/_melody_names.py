"""Registry of the melody-based feature groups (name, group, one-line meaning).

Kept free of numpy so :mod:`mer_classic.features._names` stays light. Every value
is 0 when it cannot be measured (no melody, fewer than two notes, no vibrato ...);
the meaning of each row says what its 0 means when that is not obvious.
"""

from __future__ import annotations

__all__ = ["MELODY_DESCRIPTORS", "MELODY_GROUPS"]

_NO_NOTES = " 0 without notes."

_INTERVAL_NAMES = (
    "minor second",
    "major second",
    "minor third",
    "major third",
    "perfect fourth",
    "tritone",
    "perfect fifth",
    "minor sixth",
    "major sixth",
    "minor seventh",
    "major seventh",
    "octave",
)

#: (group, name, meaning), in output order.
MELODY_DESCRIPTORS: list[tuple[str, str, str]] = [
    # melodic
    (
        "melodic",
        "melody_voiced_ratio",
        "Fraction of frames with a predominant melody (salience-based, voiced).",
    ),
    (
        "melodic",
        "melody_pitch_mean",
        "Melodic register: mean pitch of the voiced melody frames (MIDI number; "
        "0 without melody).",
    ),
    (
        "melodic",
        "melody_pitch_std",
        "Spread of the register: standard deviation of melody pitch (semitones).",
    ),
    (
        "melodic",
        "melody_pitch_range",
        "Pitch range: 95th minus 5th percentile of melody pitch (semitones).",
    ),
    (
        "melodic",
        "melody_interval_mean",
        "Mean absolute interval between successive notes (semitones)." + _NO_NOTES,
    ),
    (
        "melodic",
        "melody_interval_std",
        "Standard deviation of the signed intervals between successive notes.",
    ),
    (
        "melodic",
        "melody_step_ratio",
        "Fraction of intervals that are steps (1-2 semitones).",
    ),
    (
        "melodic",
        "melody_leap_ratio",
        "Fraction of intervals that are leaps (5 semitones or more).",
    ),
    (
        "melodic",
        "melody_repeat_ratio",
        "Fraction of intervals that repeat the pitch (under half a semitone).",
    ),
    (
        "melodic",
        "melody_contour_direction",
        "Contour direction: sum of signed over sum of absolute intervals "
        "(-1 falling .. 1 rising).",
    ),
    (
        "melodic",
        "melody_contour_up_ratio",
        "Fraction of intervals that rise by half a semitone or more.",
    ),
    (
        "melodic",
        "melody_contour_turns",
        "Contour shape: fraction of successive moving intervals that reverse "
        "direction (0 arch/line .. 1 zigzag).",
    ),
    (
        "melodic",
        "melody_contour_slope",
        "Overall contour: least-squares slope of note pitch over time "
        "(semitones per second).",
    ),
    (
        "melodic",
        "note_duration_mean",
        "Mean note duration (s)." + _NO_NOTES,
    ),
    (
        "melodic",
        "note_duration_std",
        "Standard deviation of note durations (s).",
    ),
    # expressive techniques
    (
        "expressive",
        "articulation_legato_ratio",
        "Fraction of note transitions with no gap (next note within 50 ms).",
    ),
    (
        "expressive",
        "articulation_staccato_ratio",
        "Fraction of note transitions where the note lasts under 0.6 of its "
        "inter-onset interval.",
    ),
    (
        "expressive",
        "articulation_index",
        "Mean note duration over inter-onset interval (1 legato .. 0 detached).",
    ),
    (
        "expressive",
        "vibrato_coverage",
        "Fraction of note time (notes of 0.25 s or more) with vibrato "
        "(4-8 Hz pitch modulation of 20 cents or more).",
    ),
    (
        "expressive",
        "vibrato_rate",
        "Mean vibrato rate of the vibrato notes (Hz; 0 without vibrato).",
    ),
    (
        "expressive",
        "vibrato_extent",
        "Mean vibrato extent, peak to peak (cents; 0 without vibrato).",
    ),
    (
        "expressive",
        "tremolo_coverage",
        "Fraction of note time (notes of 0.25 s or more) with tremolo "
        "(4-8 Hz intensity modulation of 2 dB or more).",
    ),
    (
        "expressive",
        "tremolo_rate",
        "Mean tremolo rate of the tremolo notes (Hz; 0 without tremolo).",
    ),
    (
        "expressive",
        "tremolo_extent",
        "Mean tremolo depth, peak to peak (dB; 0 without tremolo).",
    ),
    (
        "expressive",
        "glissando_ratio",
        "Fraction of voiced melody time inside glides (continuous pitch change of "
        "1 semitone or more at 2-60 semitones/s).",
    ),
    (
        "expressive",
        "glissando_extent",
        "Mean pitch change of the glides (semitones; 0 without glides).",
    ),
    (
        "expressive",
        "glissando_direction",
        "Rising minus falling glides over all glides (-1 .. 1; 0 without glides).",
    ),
    # texture
    (
        "texture",
        "texture_layers_mean",
        "Mean number of simultaneous salient pitch layers per frame "
        "(multi-pitch salience).",
    ),
    (
        "texture",
        "texture_layers_std",
        "Standard deviation of the number of layers per frame.",
    ),
    (
        "texture",
        "texture_ratio_1",
        "Fraction of frames with exactly one layer.",
    ),
    (
        "texture",
        "texture_ratio_2",
        "Fraction of frames with exactly two layers.",
    ),
    (
        "texture",
        "texture_ratio_3plus",
        "Fraction of frames with three layers or more.",
    ),
    (
        "texture",
        "texture_change_rate",
        "Changes of the layer count (smoothed over 0.25 s) per second.",
    ),
    (
        "texture",
        "texture_variation",
        "Texture change over the clip: standard deviation of the mean layer "
        "count of successive 2 s windows.",
    ),
    # note dynamics
    (
        "note_dynamics",
        "note_intensity_mean",
        "Mean note intensity (melody salience, dB)." + _NO_NOTES,
    ),
    (
        "note_dynamics",
        "note_intensity_std",
        "Standard deviation of note intensities (dB).",
    ),
    (
        "note_dynamics",
        "note_intensity_change",
        "Mean absolute intensity change between successive notes (dB).",
    ),
    (
        "note_dynamics",
        "note_crescendo_ratio",
        "Fraction of notes (0.2 s or more) whose intensity rises by 3 dB or more.",
    ),
    (
        "note_dynamics",
        "note_decrescendo_ratio",
        "Fraction of notes (0.2 s or more) whose intensity falls by 3 dB or more.",
    ),
    # note rhythm
    (
        "note_rhythm",
        "note_onset_rate",
        "Melody note onsets per second of audio.",
    ),
    (
        "note_rhythm",
        "note_ioi_mean",
        "Mean inter-onset interval of successive melody notes (s).",
    ),
    (
        "note_rhythm",
        "note_ioi_cv",
        "Inter-onset regularity: coefficient of variation of the note "
        "inter-onset intervals (0 perfectly regular).",
    ),
    (
        "note_rhythm",
        "note_npvi",
        "Normalised pairwise variability index of the note inter-onset intervals "
        "(0 .. 200; 0 isochronous).",
    ),
    # melodic interval distribution
    *(
        (
            "intervals",
            f"interval_{k:02d}_ratio",
            f"Fraction of the moving intervals between successive notes that span "
            f"{k} semitone{'s' if k > 1 else ''} ({_INTERVAL_NAMES[k - 1]}; note "
            "pitches rounded to semitones, repeated pitches not counted)." + _NO_NOTES,
        )
        for k in range(1, 13)
    ),
    (
        "intervals",
        "interval_over_octave_ratio",
        "Fraction of the moving intervals between successive notes wider than an "
        "octave." + _NO_NOTES,
    ),
    (
        "intervals",
        "interval_second_balance",
        "Minor against major seconds: (m2 - M2) / (m2 + M2) over the note intervals "
        "(-1 only major .. 1 only minor; 0 without either).",
    ),
    (
        "intervals",
        "interval_third_balance",
        "Minor against major thirds: (m3 - M3) / (m3 + M3) over the note intervals "
        "(-1 only major .. 1 only minor; 0 without either).",
    ),
    (
        "intervals",
        "interval_sixth_balance",
        "Minor against major sixths: (m6 - M6) / (m6 + M6) over the note intervals "
        "(-1 only major .. 1 only minor; 0 without either).",
    ),
]


def _groups() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for group, name, _ in MELODY_DESCRIPTORS:
        out.setdefault(group, []).append(name)
    return {g: tuple(v) for g, v in out.items()}


#: Group name → feature names, in output order.
MELODY_GROUPS: dict[str, tuple[str, ...]] = _groups()
