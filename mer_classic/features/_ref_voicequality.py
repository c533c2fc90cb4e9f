"""Frame-wise creaky-voice measure (stand-in for the Voice Analysis Toolbox).

The reference feature is the skewness, over frames, of the creaky-voice
probability of Kane, Drugman & Gobl (2013, COVAREP), a classifier over
LP-residual cues of irregular, low-rate glottal pulses. Here the frame measure
is the spectral flatness of the 400-1600 Hz band of the magnitude STFT (1 for
noise-like, aperiodic frames, near 0 for clearly harmonic ones), a cue of the
same aperiodicity; its skewness over the non-silent frames is the column. The
band was chosen coarsely on the dev clips among 60-1000, 200-800, 400-1600 and
1000-4000 Hz (|ρ| with the reference 0.26, 0.55, 0.64, 0.54 on 150 clips).
"""

from __future__ import annotations

import numpy as np

from mer_classic.features import _dsp

__all__ = ["creak_frames", "creak_values"]

BAND = (400.0, 1600.0)  #: Hz


def creak_frames(S: np.ndarray, sr: float, n_fft: int) -> np.ndarray:
    """Spectral flatness of the low band per frame (NaN in silent frames).

    Parameters
    ----------
    S : ndarray of shape (1 + n_fft // 2, n_frames)
        Magnitude STFT.
    sr : float
        Sample rate (Hz).
    n_fft : int
        FFT length of ``S``.

    Returns
    -------
    ndarray of shape (n_frames,)
    """
    freq = _dsp.fft_frequencies(sr, n_fft)
    band = (freq >= BAND[0]) & (freq <= BAND[1])
    P = np.asarray(S[band], dtype=np.float64) ** 2
    energy = P.mean(axis=0)
    gmean = np.exp(np.mean(np.log(P + 1e-20), axis=0))
    flat = gmean / np.maximum(energy, 1e-20)
    live = energy > 1e-6 * max(float(energy.max()) if energy.size else 0.0, 1e-20)
    return np.where(live, flat, np.nan)


def creak_values(frames: np.ndarray) -> dict[str, float]:
    """``ref_creak_skew``: skewness of the frame measure over the live frames."""
    x = np.asarray(frames, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 3:
        return {"ref_creak_skew": 0.0}
    d = x - x.mean()
    m2 = float(np.mean(d**2))
    skew = float(np.mean(d**3) / m2**1.5) if m2 > 0 else 0.0
    return {"ref_creak_skew": skew}
