"""The ``predict`` command: predictions from a feature table or from audio files.

A :class:`PredictSettings` (validated once, on construction) goes in, a
:class:`PredictRun` (what was predicted and written) comes out; the command's text is
formatted by the CLI (``cli/_summaries.py``). :func:`run_predict_audio` predicts with
:func:`mer_classic.predict.predict_audio_detailed`, then writes the per-track table
and, with ``segments``, the curve table and its figure
(:func:`mer_classic.report.plot_curves`); :func:`run_predict_table` predicts a feature
table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_classic._io import check_writable, refuse_existing
from mer_classic._persistence._files import load_model
from mer_classic._persistence._ranges import count_out_of_range, out_of_range_note
from mer_classic._table import read_csv
from mer_classic._workflows._output import check_format, write_table
from mer_classic.dynamic._align import smooth_curves
from mer_classic.exceptions import ConfigError, ParameterError
from mer_classic.labels import find_va_columns, quadrants_of_labels, va_to_quadrant
from mer_classic.predict import AudioPredictions, predict_audio_detailed
from mer_classic.report import _plots, plot_curves

__all__ = [
    "PredictRun",
    "PredictSettings",
    "run_predict",
    "run_predict_audio",
    "run_predict_table",
    "segments_paths",
]


def segments_paths(out: Path, fmt: str) -> tuple[Path, Path]:
    """``<out stem>.segments.<fmt>`` and ``<out stem>.segments.png`` beside ``out``."""
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    return out.with_name(f"{stem}.segments.{fmt}"), out.with_name(
        f"{stem}.segments.png"
    )


@dataclass(frozen=True)
class PredictSettings:
    """Everything ``mer-classic predict`` needs, validated once on construction.

    Parameters
    ----------
    model_path : path-like
        Run folder or ``model.joblib``.
    audio : sequence of path-like, default=()
        Audio files or folders (give these or ``data``).
    data : path-like or None, default=None
        Feature table (CSV) to predict instead of ``audio``.
    id_col : str or None, default=None
        Track id column of ``data``.
    out : path-like or None, default=None
        Predictions file; None: the CLI prints the table. With ``segments``,
        ``<out stem>.segments.<fmt>`` and ``<out stem>.segments.png`` are written
        beside it.
    fmt : {'csv', 'json'}, default='csv'
        Output format.
    segments : bool, default=False
        Audio only: also write the per-0.5 s curve (needs ``out``).
    smooth : float, default=0.0
        With ``segments``: centred moving average (seconds) over each track's
        segment curves (:func:`mer_classic.dynamic._align.smooth_curves`); the label
        (or quadrant) of a segment is then that of the smoothed values.
    force : bool, default=False
        Replace existing output files.
    n_jobs : int, default=1
        Worker processes for audio extraction (``--jobs``).
    quiet : bool, default=True
        Hide progress bars.

    Raises
    ------
    ParameterError
        On an unknown ``fmt``, a negative ``smooth``, both or neither of ``audio``
        and ``data``, ``segments`` with ``data`` or without ``out``, ``smooth``
        without ``segments`` (the CLI shows these as usage errors, exit code 2).
    """

    model_path: str | os.PathLike[str]
    audio: tuple[str | os.PathLike[str], ...] = ()
    data: str | os.PathLike[str] | None = None
    id_col: str | None = None
    out: Path | None = None
    fmt: str = "csv"
    segments: bool = False
    smooth: float = 0.0
    force: bool = False
    n_jobs: int = 1
    quiet: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "audio", tuple(self.audio or ()))
        if self.out is not None:
            object.__setattr__(self, "out", Path(self.out))
        check_format(self.fmt)
        if self.smooth < 0:
            raise ParameterError(f"--smooth must be >= 0 seconds; got {self.smooth}")
        if self.data is not None and self.audio:
            raise ParameterError("give either AUDIO files/folders or --data, not both")
        if self.data is None and not self.audio:
            raise ParameterError("give AUDIO files/folders or --data FILE.csv")
        if self.segments and self.data is not None:
            raise ParameterError("--segments needs AUDIO files (not --data)")
        if self.segments and self.out is None:
            raise ParameterError(
                "--segments needs --out FILE (the curve is written beside it)"
            )
        if self.smooth and not self.segments:
            raise ParameterError("--smooth is only used with --segments")


@dataclass
class PredictRun:
    """What :func:`run_predict` did: the material of the command's output.

    ``predictions`` has one row per track (audio) or per table row; ``audio`` is
    everything the audio batch produced (None for a table), its ``errors`` the files
    that could not be used. ``out`` is None when nothing was written (the CLI prints
    the table). With segments, ``segments_file`` and ``figure`` were written;
    ``curve_tracks`` tracks have a curve, of which the figure shows
    ``curve_tracks_shown``.
    """

    settings: PredictSettings
    predictions: pd.DataFrame
    audio: AudioPredictions | None = None
    out: Path | None = None
    n_out_of_range: int | None = None
    segments_file: Path | None = None
    figure: Path | None = None
    curve_tracks: int = 0
    curve_tracks_shown: int = 0

    @property
    def range_note(self) -> str | None:
        """The one line about rows far outside the training range, or None."""
        unit = "row" if self.audio is None else "clip"
        return out_of_range_note(self.n_out_of_range, len(self.predictions), unit=unit)

    @property
    def failed(self) -> list[tuple[Any, Any]]:
        """``(path, reason)`` of each audio file that could not be used."""
        if self.audio is None:
            return []
        return [(row.path, row.reason) for row in self.audio.errors.itertuples()]


def run_predict(settings: PredictSettings) -> PredictRun:
    """What ``mer-classic predict`` runs: a feature table (``data``) or ``audio`` files."""
    if settings.data is not None:
        return run_predict_table(settings)
    return run_predict_audio(settings)


def run_predict_audio(settings: PredictSettings) -> PredictRun:
    """Predict audio files and write the outputs; what ``mer-classic predict AUDIO...`` runs."""
    s = settings
    out = s.out
    if out is not None:
        targets = [out]
        if s.segments:
            targets += list(segments_paths(out, s.fmt))
        refuse_existing(*targets, force=s.force)
        check_writable(out)
    model = load_model(s.model_path)
    res = predict_audio_detailed(
        model, list(s.audio), segments=s.segments, n_jobs=s.n_jobs, quiet=s.quiet
    )
    run = PredictRun(
        settings=s,
        predictions=res.tracks,
        audio=res,
        n_out_of_range=count_out_of_range(res.tracks),
    )
    if out is None:
        return run
    write_table(res.tracks, out, s.fmt)
    run.out = out
    if s.segments and res.segments is not None:
        seg_file, png = segments_paths(out, s.fmt)
        if s.smooth > 0:
            res.segments = _smoothed(res.segments, model, s.smooth)
        write_table(res.segments, seg_file, s.fmt)
        plot_curves(res.segments, model, png)
        run.segments_file, run.figure = seg_file, png
        run.curve_tracks = res.segments.index.get_level_values("track_id").nunique()
        run.curve_tracks_shown = min(run.curve_tracks, _plots.MAX_CURVE_PLOTS)
    return run


def _smoothed(seg: Any, model: Any, window: float) -> Any:
    """Segment curves smoothed within each track; labels/quadrants follow the values."""
    seg = seg.copy()
    if model.task == "classify":
        cols = [c for c in seg.columns if str(c).startswith("proba_")]
    else:
        cols = [c for c in model.targets if c in seg.columns]
    if not cols:
        return seg
    seg[cols] = smooth_curves(seg[cols], window)
    if model.task == "classify":
        names = np.array([c[len("proba_") :] for c in cols], dtype=object)
        seg["label"] = names[seg[cols].to_numpy(dtype=float).argmax(axis=1)]
        if "quadrant" in seg.columns:
            q = quadrants_of_labels(seg["label"])
            if q is not None:
                seg["quadrant"] = q
    elif "quadrant" in seg.columns:
        va = find_va_columns(cols)
        scale = model.metadata.get("scale")
        if va is not None and scale:
            seg["quadrant"] = va_to_quadrant(seg[va[0]], seg[va[1]], scale)
    return seg


def run_predict_table(settings: PredictSettings) -> PredictRun:
    """Predict a feature table; write ``out`` (CSV/JSON) when given.

    What ``mer-classic predict --data`` runs (see also :func:`run_predict`).
    """
    s = settings
    if s.out is not None:
        refuse_existing(s.out, force=s.force)
        check_writable(s.out)
    model = load_model(s.model_path)
    trained_id = (model.metadata.get("settings") or {}).get("id")
    df = read_csv(s.data, text_columns=(s.id_col, trained_id))
    if s.id_col is not None:
        if s.id_col not in df.columns:
            raise ConfigError(f"id column {s.id_col!r} not found in {str(s.data)!r}")
        df = df.set_index(s.id_col)
    preds = model.predict_frame(df)
    run = PredictRun(
        settings=s, predictions=preds, n_out_of_range=count_out_of_range(preds)
    )
    if s.out is not None:
        write_table(preds, s.out, s.fmt)
        run.out = s.out
    return run
