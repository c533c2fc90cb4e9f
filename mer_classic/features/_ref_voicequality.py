"""Frame-wise creaky-voice measure (stand-in for the creaky-voice probability).

The reference feature ``ORIGINAL-VAT-Probability of Creaky Voice (Skewness)``
is the skewness, over frames, of the creaky-voice probability of the Kane-Drugman
detector (Kane, Drugman & Gobl 2013; ``detect_creaky_voice`` in COVAREP): every
10 ms, an artificial neural network trained on speech turns cues of irregular,
low-rate glottal pulses into a probability. Its cues are the H2-H1 difference
and the residual peak prominence of the linear-prediction residual (Kane &
Drugman), and Ishi et al.'s (2008) power-peak rise/fall, intra-frame
periodicity and inter-pulse similarity, with energy and zero-crossing
contours. None of that is replicated here (no LP residual, no glottal pulses,
no trained network).

What is approximated: the *aperiodicity* those cues detect. The frame measure
is the spectral flatness of the 400-1600 Hz band of the magnitude STFT (1 for
noise-like, aperiodic frames, near 0 for clearly harmonic ones); its skewness
over the non-silent frames is the column. The band was chosen coarsely on the
dev clips among 60-1000, 200-800, 400-1600 and 1000-4000 Hz (|ρ| with the
reference 0.26, 0.55, 0.64, 0.54 on 150 clips); the log flatness, a 9-frame
median and only the frames with a musical layer were tried on the 300 dev
clips and left (|ρ| 0.47, 0.60, 0.59 against 0.60).
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
