"""Handcrafted audio descriptors from one decode and one STFT/mel front end.

The front end (mono signal at ``sr`` → magnitude STFT → power → 128-band mel →
log-mel) is computed once per clip; every descriptor group reuses it. See
``docs/features.md`` (generated from :mod:`mer_classic.features.names`) for the
meaning of each column.

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
from dataclasses import asdict, dataclass

import numpy as np
import scipy.ndimage
import scipy.signal

from mer_classic.exceptions import AudioError, ParameterError
from mer_classic.features import _dsp
from mer_classic.features._decode import load_audio
from mer_classic.features.melody import melody_features
from mer_classic.features.names import (
    FEATURE_NAMES,
    FEATURES_VERSION,
    FRAME_DESCRIPTORS,
    SEGMENT_FEATURE_NAMES,
)

__all__ = ["FeatureSettings", "clip_features", "segment_features", "extract_file"]

#: Peak amplitude under which a clip counts as silent (-100 dBFS).
SILENCE_PEAK = 1e-5

# Krumhansl-Kessler probe-tone profiles (C major / C minor).
_KK_MAJOR = np.array(
    [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]
)
_KK_MINOR = np.array(
    [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]
)
_TRIADS = np.stack(
    [np.roll(np.isin(np.arange(12), (0, 4, 7)).astype(float), k) for k in range(12)]
    + [np.roll(np.isin(np.arange(12), (0, 3, 7)).astype(float), k) for k in range(12)]
)
_TRIADS = (_TRIADS - _TRIADS.mean(axis=1, keepdims=True)) / np.linalg.norm(
    _TRIADS - _TRIADS.mean(axis=1, keepdims=True), axis=1, keepdims=True
)
# Dissonance weight of each interval class 0..6 semitones (unison .. tritone).
_INTERVAL_DISSONANCE = np.array([0.0, 1.0, 0.6, 0.2, 0.1, 0.25, 0.8])


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
    """

    sr: int = 22050
    offset: float | None = None
    duration: float | None = None
    segment: float | None = None
    window: float = 1.0
    n_fft: int = 2048
    hop_length: int = 512

    def validate(self) -> FeatureSettings:
        """Raise :class:`ParameterError` on an out-of-range setting; return self."""
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
        return self

    def to_dict(self) -> dict[str, object]:
        """Settings as a JSON-able dict, with the feature version."""
        return {**asdict(self), "features_version": FEATURES_VERSION}


def _frame_matrix(
    y: np.ndarray, s: FeatureSettings
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Frame-level descriptors (rows in FRAME_DESCRIPTORS order) + front-end parts."""
    sr, n_fft, hop = s.sr, s.n_fft, s.hop_length
    S = _dsp.stft_magnitude(y, n_fft, hop)
    n_frames = S.shape[1]
    P = S * S
    freq = _dsp.fft_frequencies(sr, n_fft)
    mel = _dsp.mel_filterbank(sr, n_fft) @ P
    mel_db = _dsp.power_to_db(mel)
    mfcc = _dsp.mfcc_from_mel_db(mel_db)
    mfcc_d = _dsp.delta(mfcc)
    bands = _dsp.power_to_db(mel.reshape(8, -1, n_frames).sum(axis=1), top_db=None)
    centroid = _dsp.spectral_centroid(S, freq)
    bandwidth = _dsp.spectral_bandwidth(S, freq, centroid)
    rolloff = _dsp.spectral_rolloff(S, freq)
    flatness = _dsp.spectral_flatness(S)
    sn = _dsp.normalize(S, norm=2, axis=0)
    flux = np.zeros(n_frames)
    # ||a - b||^2 = 2 - 2 a.b for unit vectors
    dots = np.einsum("ij,ij->j", sn[:, 1:], sn[:, :-1])
    flux[1:] = np.sqrt(np.maximum(2.0 - 2.0 * dots, 0.0))
    contrast = _dsp.spectral_contrast(S, freq, sr)
    zcr = _dsp.zero_crossing_rate(y, n_frames, n_fft, hop)
    rms = _dsp.rms_from_stft(S, n_fft)
    chroma = _dsp.normalize(_dsp.chroma_filterbank(sr, n_fft) @ P, norm=np.inf, axis=0)
    tonnetz = _dsp.tonnetz_from_chroma(chroma)
    ton_s = scipy.ndimage.uniform_filter1d(tonnetz, size=5, axis=1, mode="nearest")
    hcdf = np.zeros(n_frames)
    hcdf[1:] = np.sqrt(np.sum(np.diff(ton_s, axis=1) ** 2, axis=0))
    c1 = _dsp.normalize(chroma, norm=1, axis=0)
    dissonance = np.zeros(n_frames)
    for k in range(1, 7):
        w = _INTERVAL_DISSONANCE[k] * (
            0.5 if k == 6 else 1.0
        )  # tritone pairs counted twice
        dissonance += w * np.sum(c1 * np.roll(c1, -k, axis=0), axis=0)
    onset = _dsp.onset_strength_from_mel_db(mel_db, n_fft, hop)
    rows = [
        mfcc,
        mfcc_d,
        bands,
        centroid[None],
        bandwidth[None],
        rolloff[None],
        flatness[None],
        flux[None],
        contrast,
        zcr[None],
        rms[None],
        chroma,
        tonnetz,
        hcdf[None],
        dissonance[None],
        onset[None],
    ]
    F = np.vstack([np.asarray(r, dtype=np.float64) for r in rows])
    assert F.shape[0] == len(FRAME_DESCRIPTORS)
    return F, {"mel": mel, "chroma": chroma, "onset": onset, "rms": rms, "S": S}


def _frame_stats(F: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    out: list[float] = []
    for i, (_, _, _, stats) in enumerate(FRAME_DESCRIPTORS):
        for stat in stats:
            out.append(mean[i] if stat == "mean" else std[i])
    return np.asarray(out, dtype=np.float64)


def _key_correlations(chroma_mean: np.ndarray) -> np.ndarray:
    """Pearson correlation with the KK profiles: shape (2, 12) = (major/minor, tonic)."""
    c = chroma_mean - chroma_mean.mean()
    if not np.any(c):
        return np.zeros((2, 12))
    out = np.empty((2, 12))
    for i, profile in enumerate((_KK_MAJOR, _KK_MINOR)):
        prof = np.stack([np.roll(profile, k) for k in range(12)])
        prof = prof - prof.mean(axis=1, keepdims=True)
        out[i] = prof @ c / (np.linalg.norm(prof, axis=1) * np.linalg.norm(c))
    return out


def _key_strengths(chroma_mean: np.ndarray) -> tuple[float, float]:
    """Best Krumhansl-Kessler correlation over the 12 major and the 12 minor keys."""
    r = _key_correlations(chroma_mean)
    return float(r[0].max()), float(r[1].max())


def _triad_correlations(chroma: np.ndarray) -> np.ndarray:
    """Correlation of chroma columns with 12 major then 12 minor triad templates."""
    c = chroma - chroma.mean(axis=0, keepdims=True)
    norm = np.linalg.norm(c, axis=0)
    c = c / np.where(norm > 0, norm, 1.0)
    return _TRIADS @ c


def _mode_strengths(chroma: np.ndarray) -> tuple[float, float]:
    """Clip mode (best major minus best minor triad fit of the mean chroma) and
    the fraction of ~0.5 s-smoothed frames whose best-fitting triad is major.

    Triad templates, unlike key profiles, tell a C major triad from E minor.
    """
    r = _triad_correlations(chroma.mean(axis=1, keepdims=True))[:, 0]
    mode = float(r[:12].max() - r[12:].max())
    smooth = scipy.ndimage.uniform_filter1d(chroma, size=21, axis=1, mode="nearest")
    rf = _triad_correlations(smooth)
    voiced = np.ptp(smooth, axis=0) > 1e-3
    if not np.any(voiced):
        return mode, 0.5
    major = rf[:12, voiced].max(axis=0) > rf[12:, voiced].max(axis=0)
    return mode, float(np.mean(major))


def _rhythm(
    onset: np.ndarray, s: FeatureSettings, n_seconds: float
) -> dict[str, float]:
    sr, hop = s.sr, s.hop_length
    win = max(int(8.0 * sr / hop), 2)  # librosa.feature.tempo: ac_size=8 s
    tg = _dsp.tempogram(onset, win)
    tempo, lag = _dsp.tempo_from_tempogram(tg.mean(axis=1), sr, hop)
    pulse = float(np.mean(tg[lag])) if lag < tg.shape[0] else 0.0
    mean_onset = float(onset.mean())
    if lag > 0 and len(onset) > lag and mean_onset > 0:
        n_full = (len(onset) // lag) * lag
        phases = onset[:n_full].reshape(-1, lag).mean(axis=0)
        beat_strength = float(phases.max() / mean_onset)
    else:
        beat_strength = 1.0
    height = mean_onset + 0.5 * float(onset.std())
    peaks, _ = scipy.signal.find_peaks(
        onset, height=height, distance=max(1, int(0.05 * sr / hop))
    )
    return {
        "tempo": tempo,
        "pulse_clarity": pulse,
        "beat_strength": beat_strength,
        "onset_rate": len(peaks) / max(n_seconds, 1e-9),
    }


def _clip_scalars(
    parts: dict[str, np.ndarray], s: FeatureSettings, n_seconds: float
) -> dict[str, float]:
    out = _rhythm(parts["onset"], s, n_seconds)
    chroma = parts["chroma"]
    major, minor = _key_strengths(chroma.mean(axis=1))
    mode, major_ratio = _mode_strengths(chroma)
    out.update(
        key_clarity=max(major, minor),
        key_major_strength=major,
        key_minor_strength=minor,
        mode=mode,
        mode_major_ratio=major_ratio,
    )
    rms = parts["rms"]
    rms_db = 20 * np.log10(np.maximum(rms, 1e-5))
    out.update(
        loudness_db=float(10 * np.log10(max(np.mean(rms**2), 1e-10))),
        low_energy_ratio=float(np.mean(rms < rms.mean())),
        dynamic_range_db=float(np.percentile(rms_db, 95) - np.percentile(rms_db, 10)),
    )
    # HPSS proxy: median filters on a 32-band, half-frame-rate mel power spectrum
    mel = parts["mel"]
    n2 = (mel.shape[1] // 2) * 2 or mel.shape[1]
    small = mel.reshape(32, 4, -1).sum(axis=1)
    if n2 >= 2:
        small = small[:, :n2].reshape(32, -1, 2 if n2 > 1 else 1).mean(axis=2)
    harm = scipy.ndimage.median_filter(small, size=(1, 9), mode="reflect")
    perc = scipy.ndimage.median_filter(small, size=(9, 1), mode="reflect")
    mask = harm**2 / np.maximum(harm**2 + perc**2, 1e-20)
    e_h = float(np.sum(small * mask))
    e_p = float(np.sum(small * (1 - mask)))
    out["harmonic_ratio_db"] = float(10 * np.log10((e_h + 1e-10) / (e_p + 1e-10)))
    return out


def _check_signal(y: np.ndarray, s: FeatureSettings, name: str) -> None:
    if len(y) < s.n_fft:
        raise AudioError(
            f"{name} is too short: {len(y) / s.sr:.3f} s; at least one analysis frame "
            f"({s.n_fft / s.sr:.3f} s at {s.sr} Hz) is needed"
        )
    if float(np.max(np.abs(y))) < SILENCE_PEAK:
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


def clip_features(
    y: np.ndarray, settings: FeatureSettings | None = None, *, name: str = "signal"
) -> np.ndarray:
    """Clip-level feature vector of a mono signal, ordered as ``FEATURE_NAMES``.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono audio at ``settings.sr``.
    settings : FeatureSettings, default=None
        Front-end settings (defaults when None).
    name : str, default="signal"
        Name used in error messages.

    Returns
    -------
    ndarray of shape (len(FEATURE_NAMES),)

    Raises
    ------
    AudioError
        If the signal is shorter than one frame, silent, or gives non-finite values.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(22050 * 2) / 22050
    >>> v = clip_features(0.5 * np.sin(2 * np.pi * 440 * t))
    >>> v.shape == (len(FEATURE_NAMES),)
    True
    """
    s = (settings or FeatureSettings()).validate()
    y = np.asarray(y, dtype=np.float32)
    _check_signal(y, s, name)
    F, parts = _frame_matrix(y, s)
    frame_part = _frame_stats(F, F.mean(axis=1), F.std(axis=1))
    scalars = _clip_scalars(parts, s, len(y) / s.sr)
    scalars.update(
        melody_features(
            None, s.sr, S=parts["S"], n_fft=s.n_fft, hop_length=s.hop_length
        )
    )
    values = np.concatenate(
        [frame_part, [scalars[n] for n in FEATURE_NAMES[len(frame_part) :]]]
    )
    return _finite_or_raise(values, FEATURE_NAMES, name)


def segment_features(
    y: np.ndarray, settings: FeatureSettings, *, name: str = "signal"
) -> tuple[np.ndarray, np.ndarray]:
    """Segment-level features: times (s) and a (n_rows, n_features) matrix.

    Times are relative to the start of ``y`` (add the file offset for file time);
    columns are ``SEGMENT_FEATURE_NAMES``.
    """
    s = settings.validate()
    if s.segment is None:
        raise ParameterError(
            "segment_features needs settings.segment (seconds); got None"
        )
    y = np.asarray(y, dtype=np.float32)
    _check_signal(y, s, name)
    F, _ = _frame_matrix(y, s)
    n_frames = F.shape[1]
    frame_t = np.arange(n_frames) * s.hop_length / s.sr
    duration = len(y) / s.sr
    times = np.arange(0.0, duration - 1e-9, s.segment)
    lo = np.searchsorted(frame_t, times - s.window / 2, side="left")
    hi = np.searchsorted(frame_t, times + s.window / 2, side="right")
    hi = np.maximum(hi, lo + 1).clip(max=n_frames)
    lo = np.minimum(lo, hi - 1)
    c1 = np.concatenate([np.zeros((F.shape[0], 1)), np.cumsum(F, axis=1)], axis=1)
    c2 = np.concatenate([np.zeros((F.shape[0], 1)), np.cumsum(F * F, axis=1)], axis=1)
    cnt = (hi - lo)[None, :]
    mean = (c1[:, hi] - c1[:, lo]) / cnt
    var = np.maximum((c2[:, hi] - c2[:, lo]) / cnt - mean**2, 0.0)
    std = np.sqrt(var)
    rows = np.stack([_frame_stats(F, mean[:, j], std[:, j]) for j in range(len(times))])
    return times, _finite_or_raise(rows, SEGMENT_FEATURE_NAMES, name)


def extract_file(
    path: str | os.PathLike[str], settings: FeatureSettings | None = None
) -> tuple[np.ndarray | None, np.ndarray]:
    """Decode one file and compute its features.

    Returns
    -------
    times : ndarray or None
        Segment times in file seconds (``offset`` included), or None at clip level.
    values : ndarray
        ``(n_features,)`` at clip level, ``(n_rows, n_segment_features)`` otherwise.
    """
    s = (settings or FeatureSettings()).validate()
    y = load_audio(path, sr=s.sr, offset=s.offset, duration=s.duration)
    name = os.path.basename(os.fspath(path))
    if s.segment is None:
        return None, clip_features(y, s, name=name)
    times, values = segment_features(y, s, name=name)
    return np.round(times + (s.offset or 0.0), 6), values
