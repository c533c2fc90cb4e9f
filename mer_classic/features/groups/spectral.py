"""``spectral``: spectral shape (centroid, bandwidth, roll-off, flatness, flux),
octave-band contrast and zero-crossing rate."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from mer_classic.features import _dsp
from mer_classic.features._framing import SpillStore, zcr
from mer_classic.features.groups._base import Block, ClipData, Descriptor, FeatureGroup

__all__ = ["Spectral"]

N_CONTRAST = 7


class Spectral(FeatureGroup):
    """Spectral shape, contrast (deferred: its dB floor needs the clip) and ZCR."""

    name = "spectral"
    descriptors = (
        Descriptor("spectral_centroid", "Spectral centroid (Hz): brightness"),
        Descriptor(
            "spectral_bandwidth", "Spread (Hz) of the spectrum around its centroid"
        ),
        Descriptor(
            "spectral_rolloff", "Frequency (Hz) below which 85% of the magnitude lies"
        ),
        Descriptor("spectral_flatness", "Spectral flatness (0 tonal .. 1 noise-like)"),
        Descriptor(
            "spectral_flux",
            "Change of the L2-normalised spectrum from the previous frame",
        ),
        *(
            Descriptor(
                f"spectral_contrast_{i}",
                f"Peak-valley contrast (dB) in octave band {i} of 7 (from 200 Hz up)",
                deferred=True,
            )
            for i in range(1, N_CONTRAST + 1)
        ),
        Descriptor("zcr", "Zero-crossing rate (fraction of sign changes per frame)"),
    )

    def __init__(self, sr: int, n_fft: int, hop_length: int) -> None:
        super().__init__(sr, n_fft, hop_length)
        self._freq = _dsp.fft_frequencies(sr, n_fft)
        self._prev_sn: np.ndarray | None = None
        # contrast peaks and valleys (float64, on disk past 1 MB) and the maxima
        # of their dB values: the 80 dB floor is relative to the clip maximum
        self._pv = SpillStore(limit=2**20, dtype=np.float64)
        self._top: list[float] = [-np.inf, -np.inf]
        self._valid: np.ndarray | None = None

    def block(self, b: Block) -> dict[str, np.ndarray]:
        """Shape, flux and ZCR rows; keeps the contrast peaks and valleys."""
        S, freq = b.S, self._freq
        rows: dict[str, np.ndarray] = {}
        centroid, bandwidth = _dsp.spectral_centroid_bandwidth(S, freq)
        rows["spectral_centroid"] = centroid
        rows["spectral_bandwidth"] = bandwidth
        rows["spectral_rolloff"] = _dsp.spectral_rolloff(S, freq)
        rows["spectral_flatness"] = _dsp.spectral_flatness(S)
        sn = _dsp.normalize(S, norm=2, axis=0)
        prev = self._prev_sn
        joined = sn if prev is None else np.concatenate([prev, sn], axis=1)
        dots = np.einsum("ij,ij->j", joined[:, 1:], joined[:, :-1])
        flux = np.sqrt(np.maximum(2.0 - 2.0 * dots, 0.0))
        rows["spectral_flux"] = flux if prev is not None else np.r_[0.0, flux]
        self._prev_sn = sn[:, -1:]
        # dB floor relative to the clip maximum: converted at the end
        peak, valley, self._valid = _dsp.contrast_peaks(S, freq, self.sr)
        for i, x in enumerate((peak, valley)):
            if x.size:
                db = _dsp.power_to_db(x, top_db=None)
                self._top[i] = max(self._top[i], float(db.max()))
        self._pv.append(np.concatenate([peak, valley]))
        z = zcr(b.frames, self.hop_length)
        assert b.edge_frames is not None
        edge_rows, edge = b.edge_frames()
        if edge_rows.size:
            z[edge_rows] = zcr(edge)
        rows["zcr"] = z
        return rows

    def frames(self, clip: ClipData) -> Iterator[dict[str, np.ndarray]]:
        """Spectral contrast rows, block by block (as
        :func:`~mer_classic.features._dsp.contrast_from_peaks` on the whole clip)."""
        valid = self._valid
        if valid is None:
            return
        n = len(valid)
        for pv in self._pv.drain():
            p_db, v_db = (
                np.maximum(_dsp.power_to_db(x, top_db=None), top - 80.0)
                for x, top in ((pv[:n], self._top[0]), (pv[n:], self._top[1]))
            )
            contrast = p_db - v_db
            contrast[~valid] = 0.0
            yield {f"spectral_contrast_{i + 1}": contrast[i] for i in range(n)}
