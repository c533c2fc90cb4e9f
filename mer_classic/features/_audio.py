"""Handcrafted audio descriptors from one decode and one STFT/mel front end.

The front end (mono signal at ``sr`` → magnitude STFT → power → 128-band mel →
log-mel) is computed once per clip; every descriptor group reuses it. See
``docs/features.md`` (generated from :mod:`mer_classic.features._names`) for the
meaning of each column.

Only the groups in ``FeatureSettings.features`` are computed (the front-end parts
that no selected group needs are skipped), and columns follow the registry order
(:func:`~mer_classic.features.feature_names`). The signal is analysed in
blocks (:mod:`mer_classic.features._engine`; files are decoded block by block by
:mod:`mer_classic.features._stream`), so a long file's memory does not scale with
its length; the values equal whole-signal analysis up to float rounding.

Segment level: with ``segment=0.5`` a clip yields one row per 0.5 s step. The
row's ``time`` (seconds from the start of the *file*, so ``offset`` is included)
is the **centre** of its analysis window ``[time - window/2, time + window/2]``,
and rows run ``time = offset, offset + 0.5, ...`` up to the clip's end. A 2 Hz
annotation stamped 15.0 s (DEAM/PMEmo ``frameTime``, emoMusic ``sample_15000ms``)
therefore joins the row with ``time == 15.0``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np

from mer_classic.exceptions import AudioError, ParameterError
from mer_classic.features._engine import (
    DEFAULT_BLOCK_FRAMES,
    EngineOutput,
    FrameEngine,
)
from mer_classic.features._names import (
    DEFAULT_FEATURE_GROUPS,
    FEATURES_VERSION,
    clip_columns,
    resolve_feature_groups,
    segment_columns,
)
from mer_classic.features._stream import DEFAULT_BLOCK_SECONDS, iter_audio
from mer_classic.features.groups import GROUP_BY_NAME, GROUPS

__all__ = [
    "FeatureSettings",
    "clip_features",
    "segment_features",
    "extract_file",
    "extract_file_segments",
]

#: Peak amplitude under which a clip counts as silent (-100 dBFS).
SILENCE_PEAK = 1e-5


@dataclass(frozen=True)
class FeatureSettings:
    """Everything that changes the feature values (part of the cache key).

    Parameters
    ----------
    sr : int, default=22050
        Analysis sample rate in Hz (files are resampled to it).
    offset : float or None, default=None
        Start reading this many seconds into each file.
    duration : float or None, default=None
        Read at most this many seconds.
    segment : float or None, default=None
        Step in seconds between segment rows; ``None`` gives one row per clip.
    window : float, default=1.0
        Analysis window (seconds, centred on each row's time) in segment mode.
    n_fft : int, default=2048
        STFT frame length.
    hop_length : int, default=512
        STFT hop.
    features : tuple of str, default=DEFAULT_FEATURE_GROUPS
        Feature groups to compute (names of ``FEATURE_GROUPS``; a comma string,
        ``"all"`` or ``"default"`` are accepted and stored in canonical registry
        order; an unknown group raises ParameterError here, once). Only these
        groups are computed and output.
    """

    sr: int = 22050
    offset: float | None = None
    duration: float | None = None
    segment: float | None = None
    window: float = 1.0
    n_fft: int = 2048
    hop_length: int = 512
    features: tuple[str, ...] = DEFAULT_FEATURE_GROUPS

    def __post_init__(self) -> None:
        # The one place a feature selection is resolved and checked: every
        # FeatureSettings holds valid settings and canonical groups (registry
        # order), so nothing downstream resolves the selection again.
        object.__setattr__(self, "features", resolve_feature_groups(self.features))
        self._check()

    def validate(self) -> FeatureSettings:
        """Return self (settings are checked when they are made).

        Raises
        ------
        ParameterError
            Never here: construction already raised on an out-of-range setting.
        """
        return self

    def _check(self) -> None:
        if not isinstance(self.sr, (int, np.integer)) or not 8000 <= self.sr <= 192000:
            raise ParameterError(
                f"sr must be an int between 8000 and 192000 Hz; got {self.sr!r}"
            )
        for name in ("offset", "duration", "segment"):
            value = getattr(self, name)
            if value is None:
                continue
            ok = isinstance(value, (int, float)) and math.isfinite(value)
            if not ok or value < 0 or (name != "offset" and value == 0):
                raise ParameterError(
                    f"{name} must be a "
                    f"{'non-negative' if name == 'offset' else 'positive'} "
                    f"number of seconds or None; got {value!r}"
                )
        if not isinstance(self.window, (int, float)) or not self.window > 0:
            raise ParameterError(
                f"window must be a positive number of seconds; got {self.window!r}"
            )
        for name in ("n_fft", "hop_length"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 16:
                raise ParameterError(f"{name} must be an int >= 16; got {value!r}")

    def to_dict(self) -> dict[str, object]:
        """Settings as a JSON-able dict, with the feature version."""
        d = asdict(self)
        d["features"] = list(self.features)
        return {**d, "features_version": FEATURES_VERSION}

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Output columns: clip-level, or segment-row names when ``segment`` is set."""
        if self.segment is None:
            return self.clip_feature_names
        return self.segment_feature_names

    @property
    def clip_feature_names(self) -> tuple[str, ...]:
        """Clip-level columns of the selected groups, in registry order."""
        return clip_columns(self.features)

    @property
    def segment_feature_names(self) -> tuple[str, ...]:
        """Segment-row columns (frame-level statistics) of the selected groups."""
        return segment_columns(self.features)


# statistics of every frame descriptor, by name
_STATS = {d.name: d.stats for g in GROUPS for d in g.descriptors}


def _frame_stats(
    descriptors: list[str], mean: np.ndarray, std: np.ndarray
) -> dict[str, float]:
    """``<descriptor>_<stat>`` → value for the frame descriptors computed."""
    out: dict[str, float] = {}
    for i, d in enumerate(descriptors):
        for stat in _STATS[d]:
            out[f"{d}_{stat}"] = float(mean[i] if stat == "mean" else std[i])
    return out


def _check_signal(n_samples: int, peak: float, s: FeatureSettings, name: str) -> None:
    if n_samples < s.n_fft:
        raise AudioError(
            f"{name} is too short: {n_samples / s.sr:.3f} s; at least one analysis "
            f"frame ({s.n_fft / s.sr:.3f} s at {s.sr} Hz) is needed"
        )
    if peak < SILENCE_PEAK:
        raise AudioError(
            f"{name} is silent (peak below -100 dBFS); no features to compute"
        )


def _finite_or_raise(
    values: np.ndarray, names: tuple[str, ...], name: str
) -> np.ndarray:
    bad = ~np.isfinite(values)
    if np.any(bad):
        cols = sorted({names[i % len(names)] for i in np.flatnonzero(bad)})
        raise AudioError(f"{name}: non-finite values in {', '.join(cols[:5])}")
    return values


def _run(
    blocks: Iterable[np.ndarray],
    s: FeatureSettings,
    *,
    keep: bool,
    block_frames: int,
    clip_values: bool | None = None,
) -> EngineOutput:
    engine = FrameEngine(
        sr=s.sr,
        n_fft=s.n_fft,
        hop_length=s.hop_length,
        groups=[GROUP_BY_NAME[g] for g in s.features],  # validated: registry names
        keep_frames=keep,
        block_frames=block_frames,
        clip_values=clip_values,
    )
    with np.errstate(divide="ignore", invalid="ignore"):  # checked after: finite
        for y in blocks:
            engine.push(y)
        return engine.finish()


def _clip_vector(out: EngineOutput, s: FeatureSettings, name: str) -> np.ndarray:
    clip = out.clip
    _check_signal(clip.n_samples, _peak(out), s, name)
    values = _frame_stats(out.descriptors, out.mean, out.std)
    values.update(out.extra)
    names = s.clip_feature_names
    return _finite_or_raise(np.array([values[n] for n in names]), names, name)


def _segment_matrix(
    out: EngineOutput, s: FeatureSettings, name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Segment rows from the engine's frame blocks, window by window: only the
    frames of the windows being computed are in memory."""
    _check_signal(out.clip.n_samples, _peak(out), s, name)
    n_frames = out.clip.n_frames
    assert s.segment is not None
    frame_t = np.arange(n_frames) * s.hop_length / s.sr
    duration = out.clip.n_samples / s.sr
    times = np.arange(0.0, duration - 1e-9, s.segment)
    lo = np.searchsorted(frame_t, times - s.window / 2, side="left")
    hi = np.searchsorted(frame_t, times + s.window / 2, side="right")
    hi = np.maximum(hi, lo + 1).clip(max=n_frames)
    lo = np.minimum(lo, hi - 1)
    names = s.segment_feature_names
    # column k of a row is the mean or the std of descriptor pick[k]
    where = {f"{d}_{st}": (i, st) for i, d in enumerate(out.descriptors)
             for st in _STATS[d]}  # fmt: skip
    pick = np.array([where[n][0] for n in names], dtype=int)
    is_std = np.array([where[n][1] != "mean" for n in names], dtype=bool)
    rows = np.empty((len(times), len(names)))
    chunks = out.frame_chunks() if out.frame_chunks is not None else iter(())
    buf = np.zeros((len(out.descriptors), 0))
    b0 = 0  # frame index of buf[:, 0]
    done = 0  # segments computed
    while done < len(times):
        nxt = next(chunks, None)
        if nxt is not None:
            buf = np.concatenate([buf, nxt], axis=1)
        avail = b0 + buf.shape[1]
        # windows whose frames have all arrived (every window when the clip ended)
        upto = len(times) if nxt is None else int(np.searchsorted(hi, avail, "right"))
        if upto > done:
            l_, h_ = lo[done:upto] - b0, hi[done:upto] - b0
            c1 = np.concatenate(
                [np.zeros((buf.shape[0], 1)), np.cumsum(buf, axis=1)], axis=1
            )
            c2 = np.concatenate(
                [np.zeros((buf.shape[0], 1)), np.cumsum(buf * buf, axis=1)], axis=1
            )
            cnt = (h_ - l_)[None, :]
            mean = (c1[:, h_] - c1[:, l_]) / cnt
            std = np.sqrt(np.maximum((c2[:, h_] - c2[:, l_]) / cnt - mean**2, 0.0))
            rows[done:upto] = np.where(is_std, std[pick].T, mean[pick].T)
            done = upto
            if done < len(times):  # drop the frames no later window reads
                cut = int(lo[done:].min()) - b0
                buf, b0 = buf[:, cut:], b0 + cut
        elif nxt is None:
            break
    return times, _finite_or_raise(rows, names, name)


def _peak(out: EngineOutput) -> float:
    return float(out.clip.peak)


def clip_features(
    y: np.ndarray,
    settings: FeatureSettings | None = None,
    *,
    name: str = "signal",
    block_frames: int = DEFAULT_BLOCK_FRAMES,
) -> np.ndarray:
    """Clip-level feature vector of a mono signal, ordered as ``settings.feature_names``.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono audio at ``settings.sr``.
    settings : FeatureSettings, default=None
        Front-end settings and feature groups (defaults when None).
    name : str, default="signal"
        Name used in error messages.
    block_frames : int, default=DEFAULT_BLOCK_FRAMES
        STFT frames analysed per batch (bounds the working memory; the values do
        not depend on it beyond float rounding).

    Returns
    -------
    ndarray of shape (len(feature_names(settings.features)),)
        With the default groups, ``len(FEATURE_NAMES)`` values.

    Raises
    ------
    AudioError
        If the signal is shorter than one frame, silent, or gives non-finite values.

    Examples
    --------
    >>> import numpy as np
    >>> from mer_classic.features._names import FEATURE_NAMES
    >>> t = np.arange(22050 * 2) / 22050
    >>> v = clip_features(0.5 * np.sin(2 * np.pi * 440 * t))
    >>> v.shape == (len(FEATURE_NAMES),)
    True
    >>> clip_features(0.5 * np.sin(2 * np.pi * 440 * t),
    ...               FeatureSettings(features=("rhythm",))).shape
    (6,)
    """
    s = settings or FeatureSettings()
    y = np.asarray(y, dtype=np.float32)
    _check_signal(len(y), float(np.max(np.abs(y), initial=0.0)), s, name)
    out = _run([y], s, keep=False, block_frames=block_frames)
    return _clip_vector(out, s, name)


def segment_features(
    y: np.ndarray,
    settings: FeatureSettings,
    *,
    name: str = "signal",
    block_frames: int = DEFAULT_BLOCK_FRAMES,
) -> tuple[np.ndarray, np.ndarray]:
    """Segment-level features: times (s) and a (n_rows, n_features) matrix.

    Times are relative to the start of ``y`` (add the file offset for file time);
    columns are ``segment_feature_names(settings.features)`` (the frame-level
    statistics of the selected groups; ``SEGMENT_FEATURE_NAMES`` by default).
    """
    s = settings
    if s.segment is None:
        raise ParameterError(
            "segment_features needs settings.segment (seconds); got None"
        )
    y = np.asarray(y, dtype=np.float32)
    _check_signal(len(y), float(np.max(np.abs(y), initial=0.0)), s, name)
    out = _run([y], s, keep=True, block_frames=block_frames)
    return _segment_matrix(out, s, name)


def _file_blocks(
    path: str | os.PathLike[str], s: FeatureSettings, block_seconds: float
) -> tuple[Iterable[np.ndarray], str]:
    """The block-wise decode of ``path`` for ``s``, and its name for messages."""
    blocks = iter_audio(
        path,
        sr=s.sr,
        offset=s.offset,
        duration=s.duration,
        block_seconds=block_seconds,
    )
    return blocks, os.path.basename(os.fspath(path))


def extract_file(
    path: str | os.PathLike[str],
    settings: FeatureSettings | None = None,
    *,
    block_seconds: float = DEFAULT_BLOCK_SECONDS,
    block_frames: int = DEFAULT_BLOCK_FRAMES,
) -> tuple[np.ndarray | None, np.ndarray]:
    """Decode one file block by block and compute its features.

    Memory stays nearly flat in the file's duration (see ``FrameEngine``; what
    still grows is the melody analysis, well under 1 MB per minute of audio),
    except for formats that libsndfile cannot read, which are decoded whole.

    Parameters
    ----------
    path : path-like
        Audio file.
    settings : FeatureSettings, default=None
        Extraction settings (defaults when None).
    block_seconds : float, default=DEFAULT_BLOCK_SECONDS
        Seconds of audio decoded per block.
    block_frames : int, default=DEFAULT_BLOCK_FRAMES
        STFT frames analysed per batch.

    Returns
    -------
    times : ndarray or None
        Segment times in file seconds (``offset`` included), or None at clip level.
    values : ndarray
        ``(n_features,)`` at clip level, ``(n_rows, n_segment_features)`` otherwise.
    """
    s = settings or FeatureSettings()
    blocks, name = _file_blocks(path, s, block_seconds)
    out = _run(blocks, s, keep=s.segment is not None, block_frames=block_frames)
    if s.segment is None:
        return None, _clip_vector(out, s, name)
    times, values = _segment_matrix(out, s, name)
    return np.round(times + (s.offset or 0.0), 6), values


def extract_file_segments(
    path: str | os.PathLike[str],
    settings: FeatureSettings,
    *,
    clip: bool = False,
    block_seconds: float = DEFAULT_BLOCK_SECONDS,
    block_frames: int = DEFAULT_BLOCK_FRAMES,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Segment rows of one file, and optionally its clip vector, from one analysis.

    The file is decoded block by block (as :func:`extract_file`), so a long file is
    never held in memory whole, and one engine analyses it: the segment rows come
    from its frames and, with ``clip``, the clip vector (for the same groups and
    front end) from the same frames and the groups' clip-level values.

    Parameters
    ----------
    path : path-like
        Audio file.
    settings : FeatureSettings
        Segment settings (``settings.segment`` set).
    clip : bool, default=False
        Also return the clip-level vector, as :func:`extract_file` would give with
        ``settings.segment`` unset (to float rounding).
    block_seconds, block_frames
        As :func:`extract_file`.

    Returns
    -------
    clip_values : ndarray or None
        The clip vector (None without ``clip``).
    times : ndarray
        Segment times in seconds from the start of the decoded signal (``offset``
        not included, as :func:`segment_features`).
    values : ndarray of shape (n_rows, n_segment_features)
    """
    s = settings
    if s.segment is None:
        raise ParameterError(
            "extract_file_segments needs settings.segment (seconds); got None"
        )
    blocks, name = _file_blocks(path, s, block_seconds)
    out = _run(blocks, s, keep=True, block_frames=block_frames, clip_values=clip)
    times, values = _segment_matrix(out, s, name)
    return (_clip_vector(out, s, name) if clip else None), times, values
