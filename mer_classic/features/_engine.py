"""Private block-wise front end: signal blocks in, frame descriptors and compact
per-frame data out, for the selected feature groups only.

The signal arrives in blocks of any size (:meth:`FrameEngine.push`). A framer
keeps only the samples that the next STFT frame still needs, so frames that
straddle a block edge are the frames of the whole signal (centred, zero padded,
as :func:`~mer_classic.features._dsp.stft_magnitude`). Each batch of frames goes
through one magnitude STFT; the descriptors that depend on one frame only
(spectral shape, mel bands, RMS, chroma) are computed there and either
summarised on the fly (clip mode: running mean and variance, merged per batch)
or kept (segment mode). What a clip-level descriptor needs from the whole clip
is kept compact: raw log-mel (for MFCC and onsets, whose 80 dB floor depends on
the clip's maximum), chroma, RMS, a 32-band mel power, and descriptors computed
from them at :meth:`FrameEngine.finish`.

Extension point: a group whose computation is not built in registers a
:class:`BlockAnalyzer` factory in :data:`ANALYZERS`; it then receives every
:class:`Block` (the frames, their STFT and mel power) and, at the end, the
:class:`ClipData`, and returns its named values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import scipy.ndimage

from mer_classic.features import _dsp
from mer_classic.features._framing import Framer, Moments, SpillStore, zcr
from mer_classic.features.names import FRAME_DESCRIPTORS, PITCH_CLASSES, TONNETZ_AXES

__all__ = [
    "ANALYZERS",
    "Block",
    "BlockAnalyzer",
    "ClipData",
    "EngineOutput",
    "FrameEngine",
    "DEFAULT_BLOCK_FRAMES",
]

#: STFT frames analysed per batch (2048 frames at hop 512 and 22050 Hz ≈ 47 s).
DEFAULT_BLOCK_FRAMES = 2048

# Dissonance weight of each interval class 0..6 semitones (unison .. tritone).
_INTERVAL_DISSONANCE = np.array([0.0, 1.0, 0.6, 0.2, 0.1, 0.25, 0.8])

# What each built-in need serves (groups of names.FEATURE_GROUPS).
_NEEDS_MEL = {"mfcc", "mel", "rhythm", "timbre"}
_NEEDS_MEL_DB = {"mfcc", "rhythm"}
_NEEDS_CHROMA = {"chroma", "tonnetz", "harmony", "key"}
_NEEDS_RMS = {"dynamics"}
_NEEDS_SMALL = {"timbre"}
# frame descriptors computed once the whole clip is seen (from compact data)
_DEFERRED = {"harmonic_change", "dissonance", "onset_strength"}


@dataclass
class Block:
    """One batch of STFT frames, as an analyzer sees it.

    Attributes
    ----------
    start : int
        Index of the first frame in the clip.
    frames : ndarray of shape (n, n_fft), float32
        The (centred, zero-padded) signal frames, not windowed.
    S : ndarray of shape (1 + n_fft // 2, n), float32
        Magnitude STFT (Hann window).
    mel : ndarray of shape (128, n) or None
        Mel power spectrum (when a built-in group needs it).
    sr, n_fft, hop_length : int
        Front-end settings.
    """

    start: int
    frames: np.ndarray
    S: np.ndarray
    mel: np.ndarray | None
    sr: int
    n_fft: int
    hop_length: int


@dataclass
class ClipData:
    """Compact per-frame data of the whole clip, handed to analyzers at the end.

    Arrays are ``None`` when no selected group needed them.
    """

    n_samples: int
    n_frames: int
    sr: int
    n_fft: int
    hop_length: int
    peak: float = 0.0
    onset: np.ndarray | None = None
    chroma: np.ndarray | None = None
    rms: np.ndarray | None = None
    small_mel: np.ndarray | None = None  # 32 bands, half frame rate


class BlockAnalyzer(Protocol):
    """A feature group fed block by block (see :data:`ANALYZERS`)."""

    def update(self, block: Block) -> None:
        """Consume one batch of frames."""

    def finish(self, clip: ClipData) -> dict[str, float]:
        """Return the group's values by feature name."""


#: group name → factory ``(sr, n_fft, hop_length) -> BlockAnalyzer`` for groups
#: that are computed outside the built-in descriptors (e.g. melody groups).
ANALYZERS: dict[str, Callable[[int, int, int], BlockAnalyzer]] = {}


@dataclass
class EngineOutput:
    """What :meth:`FrameEngine.finish` returns.

    Attributes
    ----------
    descriptors : list of str
        Names (FRAME_DESCRIPTORS order) of the frame descriptors computed.
    mean, std : ndarray
        Their clip mean and standard deviation over frames (clip mode).
    frames : ndarray of shape (len(descriptors), n_frames) or None
        The descriptor matrix (segment mode).
    clip : ClipData
        Compact per-frame data for clip-level descriptors.
    extra : dict
        Values returned by the registered analyzers.
    """

    descriptors: list[str]
    mean: np.ndarray
    std: np.ndarray
    frames: np.ndarray | None
    clip: ClipData
    extra: dict[str, float] = field(default_factory=dict)


class FrameEngine:
    """Block-wise frame analysis for a set of feature groups.

    Parameters
    ----------
    sr, n_fft, hop_length : int
        Front-end settings.
    groups : iterable of str
        Selected feature groups.
    keep_frames : bool, default=False
        Keep the frame-descriptor matrix (segment mode) instead of only its
        running mean and standard deviation.
    block_frames : int, default=DEFAULT_BLOCK_FRAMES
        STFT frames analysed per batch.
    analyzers : bool, default=None
        Run the registered analyzers (:data:`ANALYZERS`). By default only in clip
        mode, since segment rows carry frame-level statistics alone; a segment run
        that also wants the clip vector (``predict --segments``) asks for them.
    """

    def __init__(
        self,
        *,
        sr: int,
        n_fft: int,
        hop_length: int,
        groups: Iterable[str],
        keep_frames: bool = False,
        block_frames: int = DEFAULT_BLOCK_FRAMES,
        analyzers: bool | None = None,
    ) -> None:
        self.sr, self.n_fft, self.hop = sr, n_fft, hop_length
        self.groups = set(groups)
        self.keep = keep_frames
        self.block_frames = max(int(block_frames), 1)
        g = self.groups
        self.descriptors = [d for grp, d, _, _ in FRAME_DESCRIPTORS if grp in g]
        self.local = [d for d in self.descriptors if not self._deferred(d)]
        self.need_mel = bool(g & _NEEDS_MEL)
        self.need_mel_db = bool(g & _NEEDS_MEL_DB)
        self.need_chroma = bool(g & _NEEDS_CHROMA)
        self.need_rms = bool(g & _NEEDS_RMS)
        self.need_small = bool(g & _NEEDS_SMALL)
        self.freq = _dsp.fft_frequencies(sr, n_fft)
        self.framer = Framer(n_fft, hop_length)
        self.moments = Moments()
        self.kept: list[np.ndarray] = []
        self.mel_db = SpillStore()
        self.mel_db_max: np.floating | None = None
        self.chroma: list[np.ndarray] = []
        self.rms: list[np.ndarray] = []
        self.small: list[np.ndarray] = []
        self.small_carry: np.ndarray | None = None
        self.contrast_peak: list[np.ndarray] = []
        self.contrast_valley: list[np.ndarray] = []
        self.contrast_valid: np.ndarray | None = None
        self.prev_sn: np.ndarray | None = None
        # one instance per factory (a factory may serve several groups, e.g. the
        # six melody groups share one transcription)
        self.analyzers: dict[Callable[[int, int, int], BlockAnalyzer], BlockAnalyzer]
        self.analyzers = {}
        if (not keep_frames) if analyzers is None else analyzers:
            for name in sorted(g):
                factory = ANALYZERS.get(name)
                if factory is not None and factory not in self.analyzers:
                    self.analyzers[factory] = factory(sr, n_fft, hop_length)

    @staticmethod
    def _deferred(descriptor: str) -> bool:
        return descriptor in _DEFERRED or descriptor.startswith(
            ("mfcc_", "tonnetz_", "spectral_contrast_")
        )

    @property
    def n_samples(self) -> int:
        """Samples received so far."""
        return self.framer.n_samples

    @property
    def peak(self) -> float:
        """Largest absolute sample received so far."""
        return self.framer.peak

    def push(self, y: np.ndarray) -> None:
        """Feed the next piece of the signal."""
        j0, frames = self.framer.push(y)
        self._process(j0, frames, final=False)

    def finish(self) -> EngineOutput:
        """Flush the last frames and compute what needs the whole clip."""
        j0, frames = self.framer.finish()
        self._process(j0, frames, final=True)
        return self._finish()

    # -- per batch ---------------------------------------------------------------
    def _process(self, j0: int, frames: np.ndarray, final: bool) -> None:
        for k in range(0, len(frames), self.block_frames):
            part = frames[k : k + self.block_frames]
            self._batch(j0 + k, part, final)

    def _batch(self, j0: int, frames: np.ndarray, final: bool) -> None:
        S = _dsp.frames_magnitude(frames)
        P = S * S
        mel = _dsp.mel_filterbank(self.sr, self.n_fft) @ P if self.need_mel else None
        rows: dict[str, np.ndarray] = {}
        d = set(self.local)
        if mel is not None and "mel_band_1" in d:
            bands = _dsp.power_to_db(
                mel.reshape(8, -1, mel.shape[1]).sum(axis=1), top_db=None
            )
            for i in range(8):
                rows[f"mel_band_{i + 1}"] = bands[i]
        if "spectral_centroid" in d:
            freq = self.freq
            centroid, bandwidth = _dsp.spectral_centroid_bandwidth(S, freq)
            rows["spectral_centroid"] = centroid
            rows["spectral_bandwidth"] = bandwidth
            rows["spectral_rolloff"] = _dsp.spectral_rolloff(S, freq)
            rows["spectral_flatness"] = _dsp.spectral_flatness(S)
            sn = _dsp.normalize(S, norm=2, axis=0)
            prev = self.prev_sn
            joined = sn if prev is None else np.concatenate([prev, sn], axis=1)
            dots = np.einsum("ij,ij->j", joined[:, 1:], joined[:, :-1])
            flux = np.sqrt(np.maximum(2.0 - 2.0 * dots, 0.0))
            rows["spectral_flux"] = flux if prev is not None else np.r_[0.0, flux]
            self.prev_sn = sn[:, -1:]
            # dB floor relative to the clip maximum: converted at the end
            peak, valley, self.contrast_valid = _dsp.contrast_peaks(S, freq, self.sr)
            self.contrast_peak.append(peak)
            self.contrast_valley.append(valley)
            z = zcr(frames, self.hop)
            edge_rows, edge = self.framer.edge_frames(j0, frames, final)
            if edge_rows.size:
                z[edge_rows] = zcr(edge)
            rows["zcr"] = z
        if "rms" in d or self.need_rms:
            rms = _dsp.rms_from_stft(S, self.n_fft)
            rows["rms"] = rms
            if self.need_rms:
                self.rms.append(rms)
        if self.need_chroma:
            chroma = _dsp.normalize(
                _dsp.chroma_filterbank(self.sr, self.n_fft) @ P, norm=np.inf, axis=0
            )
            self.chroma.append(chroma)
            for i, pc in enumerate(PITCH_CLASSES):
                rows[f"chroma_{pc}"] = chroma[i]
        if mel is not None and self.need_mel_db:
            raw = 10.0 * np.log10(np.maximum(1e-10, mel))
            top = raw.max() if raw.size else None
            if top is not None:
                self.mel_db_max = (
                    top if self.mel_db_max is None else max(self.mel_db_max, top)
                )
            self.mel_db.append(raw)
        if mel is not None and self.need_small:
            self._add_small(mel.reshape(32, 4, -1).sum(axis=1))
        if self.local:
            F = np.vstack([np.asarray(rows[n], dtype=np.float64) for n in self.local])
            if self.keep:
                self.kept.append(F)
            else:
                self.moments.add(F)
        if self.analyzers:
            block = Block(j0, frames, S, mel, self.sr, self.n_fft, self.hop)
            for a in self.analyzers.values():
                a.update(block)

    def _add_small(self, small: np.ndarray) -> None:
        """Keep the 32-band mel power at half the frame rate (mean of frame pairs
        0-1, 2-3, ...), carrying an unpaired last frame to the next batch."""
        if self.small_carry is not None:
            small = np.concatenate([self.small_carry, small], axis=1)
            self.small_carry = None
        if small.shape[1] % 2:
            self.small_carry = small[:, -1:]
            small = small[:, :-1]
        if small.shape[1]:
            self.small.append(small.reshape(32, -1, 2).mean(axis=2))

    # -- whole clip --------------------------------------------------------------
    def _finish(self) -> EngineOutput:
        n_frames = self.framer.next
        clip = ClipData(
            n_samples=self.framer.n_samples,
            n_frames=n_frames,
            sr=self.sr,
            n_fft=self.n_fft,
            hop_length=self.hop,
            peak=self.framer.peak,
        )
        deferred: dict[str, np.ndarray] = {}
        if self.need_mel_db:
            mfcc, onset = self._mfcc_and_onset(n_frames)
            clip.onset = onset
            deferred["onset_strength"] = onset
            for i in range(mfcc.shape[0]):
                deferred[f"mfcc_{i + 1:02d}"] = mfcc[i]
            if "mfcc" in self.groups:
                mfcc_d = _dsp.delta(mfcc)
                for i in range(mfcc.shape[0]):
                    deferred[f"mfcc_delta_{i + 1:02d}"] = mfcc_d[i]
        if self.need_chroma:
            chroma = np.concatenate(self.chroma, axis=1)
            self.chroma = []
            clip.chroma = chroma
            if self.groups & {"tonnetz", "harmony"}:
                tonnetz = _dsp.tonnetz_from_chroma(chroma)
                for i, ax in enumerate(TONNETZ_AXES):
                    deferred[f"tonnetz_{ax}"] = tonnetz[i]
                ton_s = scipy.ndimage.uniform_filter1d(
                    tonnetz, size=5, axis=1, mode="nearest"
                )
                hcdf = np.zeros(n_frames)
                hcdf[1:] = np.sqrt(np.sum(np.diff(ton_s, axis=1) ** 2, axis=0))
                deferred["harmonic_change"] = hcdf
                deferred["dissonance"] = _dissonance(chroma)
        if self.contrast_valid is not None:
            contrast = _dsp.contrast_from_peaks(
                np.concatenate(self.contrast_peak, axis=1),
                np.concatenate(self.contrast_valley, axis=1),
                self.contrast_valid,
            )
            self.contrast_peak, self.contrast_valley = [], []
            for i in range(contrast.shape[0]):
                deferred[f"spectral_contrast_{i + 1}"] = contrast[i]
        if self.need_rms:
            clip.rms = np.concatenate(self.rms)
            self.rms = []
        if self.need_small:
            if not self.small and self.small_carry is not None:  # a one-frame clip
                self.small = [self.small_carry]
            clip.small_mel = np.concatenate(self.small, axis=1)
            self.small = []
        late = [d for d in self.descriptors if d not in self.local]
        if self.keep:
            local = np.concatenate(self.kept, axis=1) if self.kept else None
            self.kept = []
            rows = []
            li = 0
            for d in self.descriptors:
                if d in deferred:
                    rows.append(np.asarray(deferred[d], dtype=np.float64))
                else:
                    assert local is not None
                    rows.append(local[li])
                    li += 1
            F = np.vstack(rows) if rows else np.zeros((0, n_frames))
            mean, std = F.mean(axis=1), F.std(axis=1)
        else:
            F = None
            lmean, lstd = self.moments.result(len(self.local))
            by_name = {d: (lmean[i], lstd[i]) for i, d in enumerate(self.local)}
            for d in late:
                x = np.asarray(deferred[d], dtype=np.float64)
                by_name[d] = (x.mean(), x.std())
            mean = np.array([by_name[d][0] for d in self.descriptors], dtype=float)
            std = np.array([by_name[d][1] for d in self.descriptors], dtype=float)
        extra: dict[str, float] = {}
        for a in self.analyzers.values():
            extra.update(a.finish(clip))
        return EngineOutput(list(self.descriptors), mean, std, F, clip, extra)

    def _mfcc_and_onset(self, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
        """MFCCs and onset envelope from the stored raw log-mel, 80 dB floor applied."""
        floor = None if self.mel_db_max is None else self.mel_db_max - 80.0
        mfcc_parts: list[np.ndarray] = []
        env_parts: list[np.ndarray] = []
        prev: np.ndarray | None = None
        for raw in self.mel_db.drain():
            db = raw if floor is None else np.maximum(raw, floor)
            if "mfcc" in self.groups:
                mfcc_parts.append(_dsp.mfcc_from_mel_db(db))
            joined = db if prev is None else np.concatenate([prev, db], axis=1)
            env_parts.append(
                np.mean(np.maximum(0.0, joined[:, 1:] - joined[:, :-1]), axis=0)
            )
            prev = db[:, -1:]
        lag = 1 + self.n_fft // (2 * self.hop)
        env = np.concatenate([np.zeros(lag, dtype=np.float32), *env_parts])[:n_frames]
        mfcc = (
            np.concatenate(mfcc_parts, axis=1)
            if mfcc_parts
            else np.zeros((0, n_frames), dtype=np.float32)
        )
        return mfcc, env


def _dissonance(chroma: np.ndarray) -> np.ndarray:
    c1 = _dsp.normalize(chroma, norm=1, axis=0)
    out = np.zeros(chroma.shape[1])
    for k in range(1, 7):
        w = _INTERVAL_DISSONANCE[k] * (0.5 if k == 6 else 1.0)  # tritone counted twice
        out += w * np.sum(c1 * np.roll(c1, -k, axis=0), axis=0)
    return out
