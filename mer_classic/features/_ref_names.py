"""Names, meanings and reference counterparts of the reference-replicating columns.

Kept free of numpy. Each row is ``(column, reference name, meaning)``; the
reference name is the 4Q authors' column (Panda, Malheiro & Paiva, IEEE TAFFC
2018) that the column replicates by definition, or ``""`` for a companion
column without a published counterpart in the top-100 set. Every value is 0
when it cannot be measured (no notes, no vibrato notes ...).
"""

from __future__ import annotations

__all__ = ["REF_COLUMNS", "REFERENCE_NAME", "VOICE_COLUMNS"]

_E = "ORIGINAL-EXPRESSIVE_TECHNIQUES-"
_T = "ORIGINAL-TEXTURE-"
_STAT_REF = {
    "mean": "Mean",
    "std": "Std",
    "min": "Min",
    "max": "Max",
    "skew": "Skewness",
    "kurt": "Kurtosis",
}
_STAT_WORD = {
    "mean": "mean",
    "std": "standard deviation",
    "min": "minimum",
    "max": "maximum",
    "skew": "skewness",
    "kurt": "kurtosis (non-excess)",
}
_VIB = {
    "rate": ("Vibrato Rate", "vibrato rate (Hz)"),
    "extent": ("Vibrato Extent", "vibrato semi-extent (cents)"),
    "length": ("Vibrato Length", "duration of the vibrato notes (s)"),
    "base": ("Vibrato Base Freq", "pitch of the vibrato notes (cents above MIDI 0)"),
}

REF_COLUMNS: list[tuple[str, str, str]] = []
for _key, (_ref, _what) in _VIB.items():
    for _stat, _sref in _STAT_REF.items():
        REF_COLUMNS.append(
            (
                f"ref_vibrato_{_key}_{_stat}",
                f"{_E}{_ref} ({_sref})",
                f"{_STAT_WORD[_stat].capitalize()} over the vibrato notes of the "
                f"{_what}.",
            )
        )
REF_COLUMNS += [
    (
        "ref_vibrato_ratio",
        f"{_E}Vibrato to Non Vibrato Notes Ratio",
        "Number of vibrato notes over the number of other notes.",
    ),
    (
        "ref_vibrato_high_coverage",
        f"{_E}Vibrato Higher Notes Coverage (C4+)",
        "Share of the vibrato notes at or above C4.",
    ),
]
for _stat in ("mean", "std", "min", "max"):
    REF_COLUMNS.append(
        (
            f"ref_tremolo_pitch_{_stat}",
            f"{_E}Tremolo Notes in Cents ({_STAT_REF[_stat]})",
            f"{_STAT_WORD[_stat].capitalize()} pitch of the tremolo notes "
            "(intensity modulated at 3-12 Hz), cents above MIDI 0.",
        )
    )
REF_COLUMNS += [
    (
        "ref_tremolo_high_coverage",
        f"{_E}Tremolo Higher Notes Coverage (C4+)",
        "Share of the tremolo notes at or above C4.",
    ),
    (
        "ref_glissando_up_ratio",
        f"{_E}Glissando Direction (Up)",
        "Share of the glissandi that go up.",
    ),
    (
        "ref_glissando_extent_std",
        f"{_E}Glissando Extent (Std)",
        "Standard deviation of the glissando extents (cents).",
    ),
    (
        "ref_glissando_length_std",
        f"{_E}Glissando Length (Std)",
        "Standard deviation of the glissando durations (s).",
    ),
    (
        "ref_glissando_slope_std",
        f"{_E}Glissando Slope (Std)",
        "Standard deviation of the glissando slopes (cents per second).",
    ),
    (
        "ref_glissando_ratio",
        "",
        "Glissandi per note.",
    ),
    (
        "ref_articulation_other_duration_mean",
        f"{_E}ART-Other Notes Duration (Mean)",
        "Mean duration (s) of the notes that are neither legato nor staccato.",
    ),
    (
        "ref_articulation_other_duration_std",
        "",
        "Standard deviation of the durations (s) of those notes.",
    ),
    ("ref_note_count", "", "Number of melody notes."),
    (
        "ref_layers_mean",
        f"{_T}Musical Layers (Mean)",
        "Mean over frames of the number of musical layers: the frame's salient "
        "pitches (harmonic-summation salience peaks at least 0.3 times the "
        "frame's strongest and -20 dB of the clip's loud frames, octave and "
        "twelfth ghosts removed, count median-filtered over 9 frames).",
    ),
    (
        "ref_layers_std",
        f"{_T}Musical Layers (Std)",
        "Standard deviation over frames of the number of musical layers.",
    ),
    (
        "ref_layers_max",
        f"{_T}Musical Layers (Max)",
        "Largest number of musical layers of a frame.",
    ),
    (
        "ref_layers_mono_ratio",
        f"{_T}ML1-Monophonic Texture (Percentage)",
        "Share of the frames with exactly one musical layer (monophonic texture).",
    ),
]
_TRANS_REF = {
    (0, 1): "State Transitions ML0 -> ML1 (Per Sec)",
    (1, 0): f"{_T}State Transitions ML1 -> ML0 (Per Sec)",
    (1, 2): f"{_T}State Transitions ML1 -> ML2 (Per Sec)",
    (2, 1): "",
    (2, 3): f"{_T}State Transitions ML2 -> ML3 (Per Sec)",
}
for (_a, _b), _ref in _TRANS_REF.items():
    REF_COLUMNS.append(
        (
            f"ref_layers_{_a}_to_{_b}_rate",
            _ref if _ref.startswith(_T) else "",
            f"Frames where the layer count goes from {_a} to {_b}, per second "
            "of the clip.",
        )
    )
REF_COLUMNS += [
    (
        "ref_voice_layers_0_to_1_rate",
        "VOICE-TEXTURE-" + _TRANS_REF[(0, 1)],
        "Transitions from 0 to 1 layer per second on the separated voice "
        "(REPET-SIM soft mask): how often the voice starts.",
    ),
    (
        "ref_voice_layers_mean",
        "",
        "Mean number of pitch contours of the separated voice.",
    ),
    (
        "ref_creak_skew",
        "ORIGINAL-VAT-Probability of Creaky Voice (Skewness)",
        "Skewness over frames of the 400-1600 Hz spectral flatness, an "
        "aperiodicity cue standing in for the creaky-voice probability.",
    ),
]

#: column → reference name (only the columns with a published counterpart)
REFERENCE_NAME: dict[str, str] = {c: r for c, r, _ in REF_COLUMNS if r}

#: the columns computed from the separated voice (the rest come from the mix)
VOICE_COLUMNS: frozenset[str] = frozenset(
    {"ref_voice_layers_0_to_1_rate", "ref_voice_layers_mean"}
)
