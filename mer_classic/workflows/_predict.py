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
from typing import TYPE_CHECKING

from mer_classic._io import check_writable, refuse_existing
from mer_classic.exceptions import ConfigError
from mer_classic.workflows._output import check_format, table_text, write_table

if TYPE_CHECKING:  # pragma: no cover
    from mer_classic.predict import AudioPredictions

__all__ = ["run_predict", "run_predict_audio", "segments_paths"]


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

    Returns
    -------
    text : str
        The predictions (when ``out`` is None) or a summary of what was written.
    result : AudioPredictions
        Everything predicted, including the per-file errors.
    """
    from mer_classic.persistence import load_model
    from mer_classic.predict import predict_audio_detailed
    from mer_classic.report import plot_curves

    check_format(fmt)
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
    if segments and res.segments is not None:
        seg_file, png = segments_paths(out, fmt)
        write_table(res.segments, seg_file, fmt)
        plot_curves(res.segments, model, png)
        lines.append(
            f"wrote {len(res.segments)} segment row(s) to {seg_file} and {png}"
        )
    return "\n".join(lines), res


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
        from mer_classic.workflows._train import run_predict_table

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
    )
    problems = [f"  {row.path}: {row.reason}" for row in result.errors.itertuples()]
    if problems:
        problems.insert(0, f"{len(result.errors)} file(s) could not be used:")
    return text, problems
