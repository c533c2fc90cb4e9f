"""The ``predict`` command from audio: predictions, curve table and curve figure.

:func:`run_predict_audio` is what ``mer-classic predict AUDIO...`` runs: it predicts
with :func:`mer_classic.predict.predict_audio_detailed`, then writes the per-track
table and, with ``segments``, the curve table and its figure
(:func:`mer_classic.report.plot_curves`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mer_classic._io import check_writable, refuse_existing
from mer_classic._persistence._ranges import count_out_of_range, out_of_range_note
from mer_classic.exceptions import ConfigError, ParameterError
from mer_classic.workflows._output import check_format, table_text, write_table

if TYPE_CHECKING:  # pragma: no cover
    from mer_classic.predict import AudioPredictions

__all__ = ["run_predict", "run_predict_audio", "run_predict_table", "segments_paths"]


def segments_paths(out: Path, fmt: str) -> tuple[Path, Path]:
    """``<out stem>.segments.<fmt>`` and ``<out stem>.segments.png`` beside ``out``."""
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    return out.with_name(f"{stem}.segments.{fmt}"), out.with_name(
        f"{stem}.segments.png"
    )


def run_predict_audio(
    *,
    model_path: str | os.PathLike[str],
    inputs: Iterable[str | os.PathLike[str]],
    out: str | os.PathLike[str] | None = None,
    fmt: str = "csv",
    segments: bool = False,
    force: bool = False,
    n_jobs: int = 1,
    quiet: bool = True,
    smooth: float = 0.0,
) -> tuple[str, AudioPredictions]:
    """Predict audio files and write the outputs; what ``mer-classic predict AUDIO...`` runs.

    Parameters
    ----------
    model_path : path-like
        Run folder or ``model.joblib``.
    inputs : iterable of path-like
        Audio files or folders.
    out : path-like or None, default=None
        Per-track predictions file; None returns the text for stdout. With
        ``segments``, ``<out stem>.segments.<fmt>`` and ``<out stem>.segments.png`` are
        written beside it.
    fmt : {'csv', 'json'}, default='csv'
        Output format.
    segments : bool, default=False
        Also write the per-0.5 s curve (needs ``out``).
    force : bool, default=False
        Replace existing output files.
    n_jobs : int, default=1
        Worker processes.
    quiet : bool, default=True
        Hide progress bars.
    smooth : float, default=0.0
        With ``segments``: centred moving average (seconds) over each track's
        segment curves (:func:`mer_classic.dynamic._align.smooth_curves`); the label (or
        quadrant) of a segment is then that of the smoothed values.

    Returns
    -------
    text : str
        The predictions (when ``out`` is None) or a summary of what was written.
    result : AudioPredictions
        Everything predicted, including the per-file errors.
    """
    from mer_classic._persistence._files import load_model
    from mer_classic.predict import predict_audio_detailed
    from mer_classic.report import plot_curves
    from mer_classic.report._plots import MAX_CURVE_PLOTS

    check_format(fmt)
    if smooth < 0:
        raise ParameterError(f"--smooth must be >= 0 seconds; got {smooth}")
    if segments and out is None:
        raise ConfigError(
            "--segments writes a curve file and a figure; give --out FILE for them to sit beside"
        )
    targets: list[Path] = []
    if out is not None:
        out = Path(out)
        targets.append(out)
        if segments:
            targets += list(segments_paths(out, fmt))
        refuse_existing(*targets, force=force)
        check_writable(out)
    model = load_model(model_path)
    res = predict_audio_detailed(
        model, list(inputs), segments=segments, n_jobs=n_jobs, quiet=quiet
    )
    if out is None:
        return table_text(res.tracks, fmt), res
    write_table(res.tracks, out, fmt)
    lines = [f"wrote {len(res.tracks)} prediction(s) to {out}"]
    note = out_of_range_note(count_out_of_range(res.tracks), len(res.tracks))
    if note:  # one line per batch (per track with segments, never per segment)
        lines.append(f"  note: {note}")
    if segments and res.segments is not None:
        seg_file, png = segments_paths(out, fmt)
        if smooth > 0:
            res.segments = _smoothed(res.segments, model, smooth)
        write_table(res.segments, seg_file, fmt)
        plot_curves(res.segments, model, png)
        lines.append(
            f"wrote {len(res.segments)} segment row(s) to {seg_file} and {png}"
            + (f" (smoothed over {smooth:g} s)" if smooth > 0 else "")
        )
        n_tracks = res.segments.index.get_level_values("track_id").nunique()
        if n_tracks > MAX_CURVE_PLOTS:
            lines.append(
                f"  note: the figure shows the first {MAX_CURVE_PLOTS} of {n_tracks} "
                f"tracks ({n_tracks - MAX_CURVE_PLOTS} left out); every track's curve "
                f"is in {seg_file}"
            )
    return "\n".join(lines), res


def _smoothed(seg: Any, model: Any, window: float) -> Any:
    """Segment curves smoothed within each track; labels/quadrants follow the values."""
    import numpy as np

    from mer_classic.dynamic._align import smooth_curves
    from mer_classic.labels import find_va_columns, quadrants_of_labels, va_to_quadrant

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


def run_predict(
    *,
    model_path: str | os.PathLike[str],
    audio: Iterable[str | os.PathLike[str]] = (),
    data: str | os.PathLike[str] | None = None,
    id_col: str | None = None,
    out: str | os.PathLike[str] | None = None,
    fmt: str = "csv",
    segments: bool = False,
    force: bool = False,
    n_jobs: int = 1,
    quiet: bool = True,
    smooth: float = 0.0,
) -> tuple[str, list[str]]:
    """What ``mer-classic predict`` runs: a feature table (``data``) or ``audio`` files.

    Returns
    -------
    text : str
        The predictions (when ``out`` is None) or a summary of what was written.
    problems : list of str
        One line per audio file that could not be used (empty for a table).
    """
    if data is not None:
        text = run_predict_table(
            model_path=model_path,
            data=data,
            id_col=id_col,
            out=out,
            fmt=fmt,
            force=force,
        )
        return text, []
    text, result = run_predict_audio(
        model_path=model_path,
        inputs=audio,
        out=out,
        fmt=fmt,
        segments=segments,
        force=force,
        n_jobs=n_jobs,
        quiet=quiet,
        smooth=smooth,
    )
    problems = [f"  {row.path}: {row.reason}" for row in result.errors.itertuples()]
    if problems:
        problems.insert(0, f"{len(result.errors)} file(s) could not be used:")
    return text, problems


def run_predict_table(
    *,
    model_path: str | os.PathLike[str],
    data: str | os.PathLike[str],
    id_col: str | None = None,
    out: str | os.PathLike[str] | None = None,
    fmt: str = "csv",
    force: bool = False,
) -> str:
    """Predict a feature table; write ``out`` (CSV/JSON) or return the text for stdout.

    What ``mer-classic predict --data`` runs (see also :func:`run_predict`).
    """
    from mer_classic._persistence._files import load_model
    from mer_classic._table import read_csv

    check_format(fmt)  # before any work
    if out is not None:
        refuse_existing(out, force=force)
        check_writable(out)
    model = load_model(model_path)
    trained_id = (model.metadata.get("settings") or {}).get("id")
    df = read_csv(data, text_columns=(id_col, trained_id))
    if id_col is not None:
        if id_col not in df.columns:
            raise ConfigError(f"id column {id_col!r} not found in {str(data)!r}")
        df = df.set_index(id_col)
    preds = model.predict_frame(df)
    if out is None:
        return table_text(preds, fmt)
    write_table(preds, out, fmt)
    note = out_of_range_note(count_out_of_range(preds), len(preds), unit="row")
    return f"wrote {len(preds)} prediction(s) to {out}" + (
        f"\n  note: {note}" if note else ""
    )
