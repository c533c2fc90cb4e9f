"""Feature registry: every feature's stable name, its group and a one-line meaning.

Names are ``<descriptor>_<statistic>`` for frame-level descriptors summarised over
the clip (``spectral_centroid_mean``), or a bare name for clip-level descriptors
(``tempo``). The order of :data:`FEATURE_NAMES` is the column order of
:func:`mer_classic.features.extract_features`; it only ever grows at the end of a
group when :data:`FEATURES_VERSION` is bumped.

Examples
--------
>>> from mer_classic.features._names import FEATURE_NAMES, FEATURE_DESCRIPTIONS
>>> "spectral_centroid_mean" in FEATURE_NAMES
True
>>> FEATURE_DESCRIPTIONS["tempo"]
'Tempo (BPM): onset-autocorrelation peak, log-normal prior around 120 BPM.'
"""

from __future__ import annotations

import functools

from mer_classic.exceptions import ParameterError
from mer_classic.features.groups import GROUPS, clip_column_order

__all__ = [
    "FEATURES_VERSION",
    "FEATURE_NAMES",
    "SEGMENT_FEATURE_NAMES",
    "ALL_FEATURE_NAMES",
    "ALL_SEGMENT_FEATURE_NAMES",
    "FEATURE_GROUPS",
    "FEATURE_DESCRIPTIONS",
    "DEFAULT_FEATURE_GROUPS",
    "feature_names",
    "segment_feature_names",
    "resolve_feature_groups",
    "clip_columns",
    "segment_columns",
    "groups_of_names",
    "feature_table_markdown",
]

#: Bump when any feature's definition changes (it is part of the cache key).
FEATURES_VERSION = "4"

_STATS_MEANING = {
    "mean": "mean over frames",
    "std": "standard deviation over frames",
}


def _build() -> tuple[
    tuple[str, ...], tuple[str, ...], dict[str, tuple[str, ...]], dict[str, str]
]:
    """Names, segment names, groups and meanings, derived from ``GROUPS``."""
    names: list[str] = []
    groups: dict[str, list[str]] = {g.name: [] for g in GROUPS}
    meaning: dict[str, str] = {}
    for group in GROUPS:
        for d in group.descriptors:
            for stat in d.stats:
                name = f"{d.name}_{stat}"
                names.append(name)
                groups[group.name].append(name)
                meaning[name] = f"{d.meaning}; {_STATS_MEANING[stat]}."
    segment = tuple(names)
    for group in clip_column_order():
        for c in group.columns:
            names.append(c.name)
            groups[group.name].append(c.name)
            meaning[c.name] = c.meaning
    return tuple(names), segment, {g: tuple(v) for g, v in groups.items()}, meaning


#: Column names of clip-level features, in output order.
#: Segment-level rows (``segment=...``) carry the frame-level statistics only.
(
    ALL_FEATURE_NAMES,
    ALL_SEGMENT_FEATURE_NAMES,
    FEATURE_GROUPS,
    FEATURE_DESCRIPTIONS,
) = _build()


#: Groups extracted when none are chosen (``--features default``): the measured best
#: set. ``melodic`` is left out: on the 4Q dev folds removing it raised macro-F1
#: (``reports/benchmarks/4q-quality/report.md``); ``--features all`` includes it.
#: Change this one line to change the default everywhere (groups added to the
#: registry are not in it until listed here).
DEFAULT_FEATURE_GROUPS: tuple[str, ...] = (
    "mfcc",
    "mel",
    "spectral",
    "dynamics",
    "chroma",
    "tonnetz",
    "harmony",
    "rhythm",
    "key",
    "timbre",
    "expressive",
    "texture",
    "note_dynamics",
    "note_rhythm",
    "intervals",
)


def resolve_feature_groups(spec: object = None) -> tuple[str, ...]:
    """Canonical group tuple (registry order, no duplicates) from a selection.

    Parameters
    ----------
    spec : None, str or iterable of str, default=None
        ``None`` or ``"default"``: :data:`DEFAULT_FEATURE_GROUPS`; ``"all"``: every
        group of :data:`FEATURE_GROUPS`; otherwise group names, as an iterable or
        one comma-separated string (``"mfcc,spectral"``). ``"all"`` and
        ``"default"`` may also appear inside a list.

    Returns
    -------
    tuple of str
        The selected groups in registry order.

    Raises
    ------
    ParameterError
        On an unknown group name or an empty selection; the message lists the
        valid groups.

    Examples
    --------
    >>> resolve_feature_groups("spectral, mfcc,mfcc")
    ('mfcc', 'spectral')
    >>> resolve_feature_groups("all") == tuple(FEATURE_GROUPS)
    True
    """
    if spec is None:
        items: list[object] = ["default"]
    elif isinstance(spec, str):
        items = [x.strip() for x in spec.split(",")]
    else:
        try:
            items = list(spec)  # type: ignore[call-overload]
        except TypeError:
            items = [spec]
    wanted: set[str] = set()
    bad: list[str] = []
    for item in items:
        if not isinstance(item, str):
            bad.append(repr(item))
            continue
        name = item.strip().lower()
        if name == "all":
            wanted.update(FEATURE_GROUPS)
        elif name == "default":
            wanted.update(DEFAULT_FEATURE_GROUPS)
        elif name in FEATURE_GROUPS:
            wanted.add(name)
        elif name:
            bad.append(repr(item.strip()))
    valid = ", ".join(FEATURE_GROUPS)
    if bad:
        raise ParameterError(
            f"unknown feature group(s) {', '.join(bad)}; valid groups: {valid} "
            "(or 'all', 'default')"
        )
    if not wanted:
        raise ParameterError(
            f"no feature group selected; choose from: {valid} (or 'all', 'default')"
        )
    return tuple(g for g in FEATURE_GROUPS if g in wanted)


@functools.lru_cache(maxsize=64)
def clip_columns(groups: tuple[str, ...]) -> tuple[str, ...]:
    """Clip-level columns of an already resolved selection (canonical tuple).

    :class:`~mer_classic.features.FeatureSettings` holds such a tuple, so
    the engine and the writers look columns up without resolving it again.
    """
    chosen = {n for g in groups for n in FEATURE_GROUPS[g]}
    return tuple(n for n in ALL_FEATURE_NAMES if n in chosen)


@functools.lru_cache(maxsize=64)
def segment_columns(groups: tuple[str, ...]) -> tuple[str, ...]:
    """Segment-row columns of an already resolved selection (canonical tuple)."""
    chosen = set(clip_columns(groups))
    return tuple(n for n in ALL_SEGMENT_FEATURE_NAMES if n in chosen)


def feature_names(groups: object = None) -> tuple[str, ...]:
    """Clip-level column names of the selected groups, in registry order.

    Parameters
    ----------
    groups : None, str or iterable of str, default=None
        A selection as accepted by :func:`resolve_feature_groups`.

    Examples
    --------
    >>> feature_names("rhythm")[-4:]
    ('tempo', 'pulse_clarity', 'beat_strength', 'onset_rate')
    >>> feature_names("all") == ALL_FEATURE_NAMES
    True
    >>> feature_names() == FEATURE_NAMES  # the default groups
    True
    """
    return clip_columns(resolve_feature_groups(groups))


def segment_feature_names(groups: object = None) -> tuple[str, ...]:
    """Segment-row column names (frame-level statistics) of the selected groups.

    Examples
    --------
    >>> segment_feature_names("rhythm")
    ('onset_strength_mean', 'onset_strength_std')
    """
    return segment_columns(resolve_feature_groups(groups))


#: Columns of a default extraction (the groups of :data:`DEFAULT_FEATURE_GROUPS`),
#: in output order; :data:`ALL_FEATURE_NAMES` lists every registered feature.
FEATURE_NAMES: tuple[str, ...] = feature_names(DEFAULT_FEATURE_GROUPS)
#: Segment-row columns of a default extraction (frame-level statistics only).
SEGMENT_FEATURE_NAMES: tuple[str, ...] = segment_feature_names(DEFAULT_FEATURE_GROUPS)


def groups_of_names(names: object) -> tuple[str, ...]:
    """The smallest group selection whose columns include every name in ``names``.

    Names that belong to no group are ignored (the caller checks them).

    Examples
    --------
    >>> groups_of_names(["tempo", "mfcc_01_mean"])
    ('mfcc', 'rhythm')
    """
    wanted = set(names)  # type: ignore[call-overload]
    return tuple(g for g, ns in FEATURE_GROUPS.items() if wanted.intersection(ns))


def feature_table_markdown() -> str:
    """Render the feature registry as a markdown table (``docs/features.md``).

    Returns
    -------
    str
        A markdown document with one row per feature: name, group, meaning.

    Examples
    --------
    >>> feature_table_markdown().splitlines()[0]
    '# Audio features'
    """
    lines = [
        "# Audio features",
        "",
        "Generated by `python -m mer_classic.features` from "
        "the group modules in `mer_classic/features/groups/`; do not edit by hand.",
        "",
        f"{len(ALL_FEATURE_NAMES)} clip-level features "
        f"(feature version {FEATURES_VERSION}); "
        f"segment rows (`segment=0.5`) carry the first {len(ALL_SEGMENT_FEATURE_NAMES)} "
        "(frame-level statistics over the analysis window), indexed "
        "`(track_id, time)` where `time` is the centre of the window in seconds from "
        "the start of the file (a 2 Hz annotation at 15.0 s joins the row at 15.0).",
        "",
        "Front end: mono mixdown 0.5·(L+R), resampling to `sr` (default 22050 Hz) with "
        "soxr, one magnitude STFT (n_fft 2048, hop 512, Hann, centred), one 128-band "
        "Slaney mel spectrum; every descriptor is computed from these. The definitions "
        "follow librosa 0.11 with its defaults (chroma with tuning 0).",
        "",
        "The melodic, expressive, texture, note_dynamics, note_rhythm and intervals "
        "groups "
        "(after Panda, Malheiro & Paiva 2018) come from a predominant melody "
        "and a multi-pitch layer count estimated on the same STFT by harmonic "
        "summation of spectral peaks (10-cent bins, 55-1760 Hz, MELODIA-style "
        "contours and voicing), and from the melody's notes "
        "(`mer_classic.features.melody`). They are clip-level only (segment rows "
        "do not carry them); a value that cannot be measured (no melody, fewer "
        "than two notes, no vibrato ...) is 0.",
        "",
        "| group | count |",
        "|---|---|",
    ]
    lines += [f"| {g} | {len(v)} |" for g, v in FEATURE_GROUPS.items()]
    lines += ["", "| # | name | group | meaning |", "|---|---|---|---|"]
    group_of = {n: g for g, ns in FEATURE_GROUPS.items() for n in ns}
    for i, name in enumerate(ALL_FEATURE_NAMES, 1):
        lines.append(
            f"| {i} | `{name}` | {group_of[name]} | {FEATURE_DESCRIPTIONS[name]} |"
        )
    return "\n".join(lines) + "\n"
