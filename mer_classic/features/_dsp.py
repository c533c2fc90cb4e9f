"""Private numpy/scipy signal front end (no numba).

Each function reproduces the librosa 0.11 function it is named after, with the
same defaults, so the descriptors are librosa's (``tests/test_features.py``
checks them against librosa on real recordings). They are re-implemented here
only because librosa's import and first calls JIT-compile numba code, which costs
seconds in a fresh process (issue 7: cold-process prediction). Filter banks are
memoised per ``(sr, n_fft)``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.signal

__all__ = [
    "stft_magnitude",
    "frames_magnitude",
    "fft_frequencies",
    "mel_filterbank",
    "chroma_filterbank",
    "power_to_db",
    "normalize",
    "spectral_centroid_bandwidth",
    "spectral_rolloff",
    "spectral_flatness",
    "spectral_contrast",
    "contrast_peaks",
    "contrast_from_peaks",
    "rms_from_stft",
    "zero_crossing_rate",
    "mfcc_from_mel_db",
    "delta",
    "tonnetz_from_chroma",
    "onset_strength_from_mel_db",
    "tempogram",
    "tempogram_mean",
    "tempo_frequencies",
    "tempo_from_tempogram",
]

_TINY = np.finfo(np.float32).tiny


def fft_frequencies(sr: float, n_fft: int) -> np.ndarray:
    """Centre frequency (Hz) of each rfft bin (``librosa.fft_frequencies``)."""
    return np.fft.rfftfreq(n_fft, 1.0 / sr)


@functools.lru_cache(maxsize=8)
def _hann(n_fft: int) -> np.ndarray:
    return scipy.signal.get_window("hann", n_fft, fftbins=True).astype(np.float32)


def stft_magnitude(
    y: np.ndarray, n_fft: int = 2048, hop_length: int = 512
) -> np.ndarray:
    """Magnitude STFT as ``np.abs(librosa.stft(y))`` (centred, zero padding, Hann)."""
    y = np.asarray(y, dtype=np.float32)
    pad = n_fft // 2
    y_pad = np.pad(y, (pad, pad), mode="constant")
    n_frames = 1 + (len(y_pad) - n_fft) // hop_length
    frames = np.lib.stride_tricks.sliding_window_view(y_pad, n_fft)[::hop_length][
        :n_frames
    ]
    return frames_magnitude(frames)


def frames_magnitude(frames: np.ndarray) -> np.ndarray:
    """Magnitude spectra (bins x frames, float32) of Hann-windowed signal frames."""
    spec = scipy.fft.rfft(frames * _hann(frames.shape[1]), axis=1)
    return np.abs(spec).T.astype(np.float32, copy=False)


def _hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    f = np.asarray(f, dtype=float)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    log_t = f >= min_log_hz
    mels = np.where(
        log_t,
        min_log_mel + np.log(np.maximum(f, min_log_hz) / min_log_hz) / logstep,
        mels,
    )
    return mels


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=float)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(
        m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m
    )


@functools.lru_cache(maxsize=8)
def mel_filterbank(sr: float, n_fft: int, n_mels: int = 128) -> np.ndarray:
    """Slaney mel filter bank as ``librosa.filters.mel(sr=sr, n_fft=n_fft)``."""
    fftfreqs = fft_frequencies(sr, n_fft)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2.0), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels])
    weights *= enorm[:, None]
    weights.setflags(write=False)
    return weights.astype(np.float32)


@functools.lru_cache(maxsize=8)
def chroma_filterbank(sr: float, n_fft: int, n_chroma: int = 12) -> np.ndarray:
    """Chroma filter bank, as ``librosa.filters.chroma(sr=sr, n_fft=n_fft)``."""
    frequencies = np.linspace(0, sr, n_fft, endpoint=False)[1:]
    a440 = 440.0 / 16  # librosa hz_to_octs with tuning=0: octaves above A0
    frqbins = n_chroma * np.log2(frequencies / a440)
    frqbins = np.concatenate(([frqbins[0] - 1.5 * n_chroma], frqbins))
    binwidthbins = np.concatenate((np.maximum(frqbins[1:] - frqbins[:-1], 1.0), [1]))
    d = np.subtract.outer(frqbins, np.arange(0, n_chroma, dtype="d")).T
    n_chroma2 = np.round(float(n_chroma) / 2)
    d = np.remainder(d + n_chroma2 + 10 * n_chroma, n_chroma) - n_chroma2
    wts = np.exp(-0.5 * (2 * d / np.tile(binwidthbins, (n_chroma, 1))) ** 2)
    wts = normalize(wts, norm=2.0, axis=0)
    wts *= np.tile(
        np.exp(-0.5 * (((frqbins / n_chroma - 5.0) / 2.0) ** 2)), (n_chroma, 1)
    )
    wts = np.roll(wts, -3 * (n_chroma // 12), axis=0)
    out = np.ascontiguousarray(wts[:, : int(1 + n_fft / 2)], dtype=np.float32)
    out.setflags(write=False)
    return out


def normalize(x: np.ndarray, norm: float = np.inf, axis: int = 0) -> np.ndarray:
    """Scale slices to unit ``norm`` (``librosa.util.normalize``; tiny slices kept)."""
    if norm == np.inf:
        length = np.max(np.abs(x), axis=axis, keepdims=True)
    elif norm == 1:
        length = np.sum(np.abs(x), axis=axis, keepdims=True)
    elif norm == 2:
        length = np.sqrt(np.sum(x * x, axis=axis, keepdims=True))
    else:
        length = np.sum(np.abs(x) ** norm, axis=axis, keepdims=True) ** (1.0 / norm)
    length = np.where(length < _TINY, 1.0, length).astype(x.dtype, copy=False)
    return x / length


def power_to_db(
    s: np.ndarray, amin: float = 1e-10, top_db: float | None = 80.0
) -> np.ndarray:
    """``librosa.power_to_db(s, ref=1.0, amin=amin, top_db=top_db)``."""
    log_spec = 10.0 * np.log10(np.maximum(amin, s))
    if top_db is not None and log_spec.size:
        log_spec = np.maximum(log_spec, log_spec.max() - top_db)
    return log_spec


def spectral_centroid_bandwidth(
    S: np.ndarray, freq: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame spectral centroid and 2nd-order bandwidth in Hz.

    As ``librosa.feature.spectral_centroid`` and ``spectral_bandwidth``. The
    magnitude sum and the first two frequency moments of every frame come from one
    ``(3, bins) @ S`` product (``sum(p * (f - c)**2) = sum(p * f**2) - c**2`` for
    unit-sum ``p``), so ``S`` is read, and widened to float64, once.
    """
    total, first, second = np.vstack([np.ones_like(freq), freq, freq**2]) @ S
    has = total >= _TINY
    den = np.where(has, total, 1.0)
    centroid = first / den
    out = np.sqrt(np.maximum(second / den - centroid**2, 0.0))
    if not np.all(has):  # near-silent frames keep librosa's unnormalised weights
        dev = (freq[:, None] - centroid[None, ~has]) ** 2
        out[~has] = np.sqrt(np.sum(dev * S[:, ~has], axis=0))
    return centroid, out


def spectral_rolloff(
    S: np.ndarray, freq: np.ndarray, roll_percent: float = 0.85
) -> np.ndarray:
    """Frequency below which ``roll_percent`` of the magnitude lies, per frame."""
    total = np.cumsum(S, axis=0)
    threshold = roll_percent * total[-1]
    idx = np.argmax(total >= threshold[None, :], axis=0)
    return freq[idx]


def spectral_flatness(S: np.ndarray, amin: float = 1e-10) -> np.ndarray:
    """Wiener entropy of the power spectrum (``librosa.feature.spectral_flatness``)."""
    p = np.maximum(amin, S * S)
    gmean = np.exp(np.mean(np.log(p), axis=0, dtype=np.float64))
    return gmean / np.mean(p, axis=0, dtype=np.float64)


def spectral_contrast(
    S: np.ndarray, freq: np.ndarray, sr: float, fmin: float = 200.0, n_bands: int = 6
) -> np.ndarray:
    """Octave-band peak/valley contrast in dB (``librosa.feature.spectral_contrast``).

    Bands that start above the Nyquist frequency (analysis rates below 12.8 kHz)
    are returned as 0 instead of raising.
    """
    peak, valley, valid = contrast_peaks(S, freq, sr, fmin, n_bands)
    return contrast_from_peaks(peak, valley, valid)


def contrast_from_peaks(
    peak: np.ndarray, valley: np.ndarray, valid: np.ndarray
) -> np.ndarray:
    """Contrast in dB from :func:`contrast_peaks` of the *whole* signal.

    The 80 dB floor of each dB conversion is relative to the maximum over all
    frames, so peaks and valleys of a long signal are collected first.
    """
    contrast = power_to_db(peak) - power_to_db(valley)
    contrast[~valid] = 0.0
    return contrast


def contrast_peaks(
    S: np.ndarray, freq: np.ndarray, sr: float, fmin: float = 200.0, n_bands: int = 6
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame peak and valley energy of each octave band, and the valid bands.

    Bands that start above the Nyquist frequency (analysis rates below 12.8 kHz)
    are marked invalid (their contrast is 0).
    """
    octa = np.zeros(n_bands + 2)
    octa[1:] = fmin * (2.0 ** np.arange(0, n_bands + 1))
    valley = np.zeros((n_bands + 1, S.shape[1]))
    peak = np.zeros_like(valley)
    valid = np.ones(n_bands + 1, dtype=bool)
    for k, (f_low, f_high) in enumerate(zip(octa[:-1], octa[1:], strict=True)):
        band = np.logical_and(freq >= f_low, freq <= f_high)
        idx = np.flatnonzero(band)
        if f_low >= 0.5 * sr or idx.size == 0:
            valid[k] = False
            continue
        if k > 0:
            band[idx[0] - 1] = True
        if k == n_bands:
            band[idx[-1] + 1 :] = True
        sub = S[band]
        if k < n_bands:
            sub = sub[:-1]
        n_q = max(int(np.rint(0.02 * np.sum(band))), 1)
        srt = np.sort(sub, axis=0)
        valley[k] = np.mean(srt[:n_q], axis=0)
        peak[k] = np.mean(srt[-n_q:], axis=0)
    return peak, valley, valid


def rms_from_stft(S: np.ndarray, n_fft: int) -> np.ndarray:
    """Per-frame RMS from the magnitude STFT (``librosa.feature.rms(S=S)``)."""
    x = S.astype(np.float64) ** 2
    x[0] *= 0.5
    if n_fft % 2 == 0:
        x[-1] *= 0.5
    return np.sqrt(2 * np.sum(x, axis=0) / n_fft**2)


def zero_crossing_rate(
    y: np.ndarray, n_frames: int, frame_length: int = 2048, hop_length: int = 512
) -> np.ndarray:
    """Fraction of sign changes per frame (``librosa.feature.zero_crossing_rate``)."""
    pad = frame_length // 2
    y_pad = np.pad(y, (pad, pad), mode="edge")
    y_pad = np.where(np.abs(y_pad) <= 1e-10, 0.0, y_pad)
    sign = np.signbit(y_pad)
    cross = np.empty(len(y_pad), dtype=np.float32)
    cross[0] = 0.0
    cross[1:] = sign[1:] != sign[:-1]
    c = np.concatenate(([0.0], np.cumsum(cross, dtype=np.float64)))
    starts = np.arange(n_frames) * hop_length
    ends = np.minimum(starts + frame_length, len(y_pad))
    # the first sample of a frame is not a crossing within the frame
    counts = c[ends] - c[np.minimum(starts + 1, len(y_pad))]
    return counts / frame_length


def mfcc_from_mel_db(mel_db: np.ndarray, n_mfcc: int = 20) -> np.ndarray:
    """MFCCs (DCT-II, orthonormal) of a log-power mel spectrogram."""
    return scipy.fft.dct(mel_db, axis=0, type=2, norm="ortho")[:n_mfcc]


def delta(x: np.ndarray, width: int = 9) -> np.ndarray:
    """First-order Savitzky-Golay derivative over time (``librosa.feature.delta``)."""
    if x.shape[1] >= width:
        return scipy.signal.savgol_filter(
            x, width, polyorder=1, deriv=1, axis=1, mode="interp"
        )
    if x.shape[1] > 1:
        return np.gradient(x, axis=1)
    return np.zeros_like(x)


def tonnetz_from_chroma(chroma: np.ndarray) -> np.ndarray:
    """Tonal centroid features from chroma (``librosa.feature.tonnetz(chroma=...)``)."""
    dim_map = np.linspace(0, 12, num=chroma.shape[0], endpoint=False)
    scale = np.asarray([7.0 / 6, 7.0 / 6, 3.0 / 2, 3.0 / 2, 2.0 / 3, 2.0 / 3])
    v = np.multiply.outer(scale, dim_map)
    v[::2] -= 0.5
    r = np.array([1, 1, 1, 1, 0.5, 0.5])
    phi = r[:, None] * np.cos(np.pi * v)
    return phi @ normalize(chroma, norm=1, axis=0)


def onset_strength_from_mel_db(
    mel_db: np.ndarray, n_fft: int = 2048, hop_length: int = 512
) -> np.ndarray:
    """Spectral-flux onset envelope (``librosa.onset.onset_strength(S=mel_db)``)."""
    n = mel_db.shape[1]
    env = np.mean(np.maximum(0.0, mel_db[:, 1:] - mel_db[:, :-1]), axis=0)
    env = np.pad(env, (1 + n_fft // (2 * hop_length), 0), mode="constant")
    return env[:n]


def _tempogram_chunks(
    onset_env: np.ndarray, win_length: int, chunk: int
) -> Iterator[np.ndarray]:
    """Columns of :func:`tempogram` as rows, ``chunk`` analysis windows at a time.

    Each window of the (linear-ramp padded) onset envelope is Hann-weighted and
    autocorrelated through the FFT along contiguous rows; each row is normalised by
    its maximum (lag 0).
    """
    n = onset_env.shape[0]
    half = win_length // 2
    padded = np.pad(onset_env, (half, half), mode="linear_ramp", end_values=(0, 0))
    if len(padded) < win_length:
        padded = np.pad(padded, (0, win_length - len(padded)))
    view = np.lib.stride_tricks.sliding_window_view(padded, win_length)[:n]
    window = scipy.signal.get_window("hann", win_length, fftbins=True)
    n_pad = scipy.fft.next_fast_len(2 * win_length - 1, real=True)
    for c0 in range(0, n, chunk):
        spec = scipy.fft.rfft(view[c0 : c0 + chunk] * window, n=n_pad, axis=1)
        ac = scipy.fft.irfft(spec.real**2 + spec.imag**2, n=n_pad, axis=1)
        yield normalize(ac[:, :win_length], norm=np.inf, axis=1)


def tempogram(onset_env: np.ndarray, win_length: int) -> np.ndarray:
    """Local autocorrelation of the onset envelope (``librosa.feature.tempogram``).

    Each column is normalised by its maximum (lag 0), so values lie in [0, 1].
    """
    n = onset_env.shape[0]
    parts = list(_tempogram_chunks(onset_env, win_length, chunk=max(n, 1)))
    return np.concatenate(parts).T if parts else np.zeros((win_length, 0))


def tempogram_mean(
    onset_env: np.ndarray, win_length: int, chunk: int = 1024
) -> np.ndarray:
    """Time average of :func:`tempogram`, computed ``chunk`` columns at a time.

    Memory stays bounded for long signals (the full tempogram of a 20-minute
    file is ~150 MB, its FFT buffers several times that).
    """
    total = np.zeros(win_length)
    for rows in _tempogram_chunks(onset_env, win_length, chunk):
        total += rows.sum(axis=0)
    return total / max(onset_env.shape[0], 1)


def tempo_frequencies(n_bins: int, sr: float, hop_length: int) -> np.ndarray:
    """BPM of each autocorrelation lag (lag 0 is ``inf``)."""
    bin_frequencies = np.zeros(int(n_bins), dtype=float)
    bin_frequencies[0] = np.inf
    bin_frequencies[1:] = 60.0 * sr / (hop_length * np.arange(1.0, n_bins))
    return bin_frequencies


def tempo_from_tempogram(
    tg_mean: np.ndarray,
    sr: float,
    hop_length: int,
    start_bpm: float = 120.0,
    std_bpm: float = 1.0,
    max_tempo: float = 320.0,
) -> tuple[float, int]:
    """Tempo (BPM) and its lag index from a time-averaged tempogram.

    Same log-normal prior as ``librosa.feature.tempo``.
    """
    bpms = tempo_frequencies(len(tg_mean), sr, hop_length)
    with np.errstate(divide="ignore"):
        logprior = -0.5 * ((np.log2(bpms) - np.log2(start_bpm)) / std_bpm) ** 2
    max_idx = int(np.argmax(bpms < max_tempo))
    logprior[:max_idx] = -np.inf
    best = int(np.argmax(np.log1p(1e6 * np.maximum(tg_mean, 0)) + logprior))
    return float(bpms[best]), best
