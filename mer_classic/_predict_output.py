"""Writing audio predictions: tables, the segment-curve figure, the predict command.

:func:`run_predict_audio` is what ``mer-classic predict AUDIO...`` runs (it is
re-exported by :mod:`mer_classic.predict`): it predicts with
:func:`mer_classic.predict.predict_audio_detailed`, then writes the per-track table
and, with ``segments``, the curve table and its figure (:func:`plot_curves`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mer_classic.exceptions import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from mer_classic.predict import AudioPredictions

__all__ = [
    "MAX_CURVE_PLOTS",
    "plot_curves",
    "run_predict_audio",
    "segments_paths",
    "write_table",
]

logger = logging.getLogger(__name__)

#: most tracks drawn in one segment-curve figure
MAX_CURVE_PLOTS = 12


def plot_curves(curves: pd.DataFrame, model: Any, path: Path) -> Path:
    """One panel per track: class probabilities or regressed values over time."""
    from mer_classic.plots import pyplot

    plt = pyplot()
    ids = list(dict.fromkeys(curves.index.get_level_values("track_id")))
    if len(ids) > MAX_CURVE_PLOTS:
        logger.info(
            "segment figure shows the first %d of %d tracks", MAX_CURVE_PLOTS, len(ids)
        )
        ids = ids[:MAX_CURVE_PLOTS]
    if model.task == "classify":
        cols = [c for c in curves.columns if c.startswith("proba_")]
        ylabel = "probability"
    else:
        cols = list(model.targets)
        ylabel = "predicted value"
    fig, axes = plt.subplots(
        len(ids), 1, figsize=(8, 2.2 * len(ids) + 0.6), squeeze=False
    )
    for ax, tid in zip(axes[:, 0], ids, strict=True):
        c = curves.xs(tid, level="track_id")
        t = c.index.to_numpy(dtype=float)
        if cols:
            for col in cols:
                ax.plot(
                    t, c[col].to_numpy(dtype=float), label=col.removeprefix("proba_")
                )
        else:  # a classifier without probabilities: the label as a step plot
            labels = sorted(set(curves["label"]))
            ax.step(t, [labels.index(v) for v in c["label"]], where="mid")
            ax.set_yticks(range(len(labels)), labels=labels)
        if model.task == "regress" and "quadrant" in c.columns:
            scale = model.metadata.get("scale")
            if scale:
                from mer_classic.labels import scale_bounds

                lo, hi = scale_bounds(scale)
                ax.axhline((lo + hi) / 2, color="grey", lw=0.8, ls="--")
        ax.set_title(str(tid), fontsize=9, loc="left")
        ax.set_ylabel(ylabel if cols else "label", fontsize=8)
        if cols:
            ax.legend(fontsize=7, loc="upper right", ncol=min(len(cols), 4))
    axes[-1, 0].set_xlabel("time (s)")
    fig.tight_layout()
    from mer_classic._io import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
    return path


def write_table(df: pd.DataFrame, path: Path, fmt: str) -> None:
    """Write ``df`` (index included) as CSV or as JSON records, atomically."""
    from mer_classic._io import write_csv_atomic, write_text_atomic

    if fmt == "json":
        write_text_atomic(
            path, df.reset_index().to_json(orient="records", indent=2) + "\n"
        )
    else:
        write_csv_atomic(df, path)


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
    from mer_classic._io import check_writable, refuse_existing
    from mer_classic.exceptions import ConfigError
    from mer_classic.persistence import load_model
    from mer_classic.predict import predict_audio_detailed

    if fmt not in ("csv", "json"):
        raise ParameterError(f"fmt must be 'csv' or 'json'; got {fmt!r}")
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
        if fmt == "json":
            return res.tracks.reset_index().to_json(orient="records", indent=2), res
        return res.tracks.to_csv(), res
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
