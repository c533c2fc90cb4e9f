"""Matplotlib figures for reports and prediction curves (Agg backend, imported lazily)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mer_classic._io import atomic_path
from mer_classic.labels import scale_bounds
from mer_classic.report._fonts import label_fonts

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "MAX_CURVE_PLOTS",
    "plot_confusion",
    "plot_curves",
    "plot_dynamic_curves",
    "plot_scatter",
    "plot_va_plane",
    "pyplot",
]

logger = logging.getLogger(__name__)


def pyplot() -> Any:
    """Return :mod:`matplotlib.pyplot` on the non-interactive Agg backend.

    Import matplotlib through this function only, and only when a figure is drawn,
    so that ``import mer_classic`` stays fast and no window ever opens.
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(
    matrix: Sequence[Sequence[int]], labels: Sequence[str], path: Path, title: str
) -> Path:
    """Heatmap of a confusion matrix (rows true, columns predicted), counts and row %.

    Labels the default font cannot draw (e.g. CJK) get a font that can
    (:func:`~mer_classic.report._fonts.label_fonts`), or one warning.
    """

    with label_fonts([*labels, title]):
        return _plot_confusion(matrix, labels, path, title)


def _plot_confusion(
    matrix: Sequence[Sequence[int]], labels: Sequence[str], path: Path, title: str
) -> Path:
    plt = pyplot()
    cm = np.asarray(matrix, dtype=float)
    rows = cm.sum(axis=1, keepdims=True)
    pct = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    size = max(4.0, 0.9 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size * 0.85))
    im = ax.imshow(pct, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels=labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels=labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(
                j,
                i,
                f"{int(cm[i, j])}\n{pct[i, j]:.0%}",
                ha="center",
                va="center",
                color="white" if pct[i, j] > 0.5 else "black",
                fontsize=9,
            )
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="row share")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_scatter(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    name: str,
    path: Path,
    *,
    where: str = "out-of-fold",
) -> Path:
    """Predicted vs true values with the identity line (``where`` names the rows)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.scatter(y_true, y_pred, s=14, alpha=0.7)
    lo = float(np.nanmin([np.nanmin(y_true), np.nanmin(y_pred)]))
    hi = float(np.nanmax([np.nanmax(y_true), np.nanmax(y_pred)]))
    ax.plot([lo, hi], [lo, hi], color="grey", lw=1, ls="--")
    ax.set_xlabel(f"true {name}")
    ax.set_ylabel(f"predicted {name} ({where})")
    ax.set_title(name)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_va_plane(
    valence: np.ndarray,
    arousal: np.ndarray,
    mid: float,
    path: Path,
    title: str,
    labels: Sequence[str] | None = None,
    *,
    legend_title: str | None = None,
) -> Path:
    """Points on the valence-arousal plane with the four Russell quadrants marked.

    With ``labels`` (e.g. the true quadrant of each point) the points are coloured by
    label and the legend is titled ``legend_title``.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 5))
    if labels is None:
        ax.scatter(valence, arousal, s=14, alpha=0.7)
    else:
        labs = np.asarray(labels)
        for lab in sorted(set(labs)):
            m = labs == lab
            ax.scatter(valence[m], arousal[m], s=14, alpha=0.7, label=str(lab))
        ax.legend(fontsize=8, title=legend_title, title_fontsize=8)
    ax.axvline(mid, color="grey", lw=1)
    ax.axhline(mid, color="grey", lw=1)
    for q, (x, y) in {"Q1": (1, 1), "Q2": (0, 1), "Q3": (0, 0), "Q4": (1, 0)}.items():
        ax.text(
            x,
            y,
            q,
            transform=ax.transAxes,
            ha="right" if x else "left",
            va="top" if y else "bottom",
            fontsize=11,
            color="dimgrey",
        )
    ax.set_xlabel("valence")
    ax.set_ylabel("arousal")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


#: most tracks drawn in one segment-curve figure
MAX_CURVE_PLOTS = 12


def plot_curves(curves: pd.DataFrame, model: Any, path: Path) -> Path:
    """One panel per track: class probabilities or regressed values over time."""
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
    ylim = _curve_ylim(curves.loc[ids], cols, model)
    fig, axes = plt.subplots(
        len(ids), 1, figsize=(9, 2.2 * len(ids) + 0.6), squeeze=False
    )
    for ax, tid in zip(axes[:, 0], ids, strict=True):
        c = curves.xs(tid, level="track_id")
        t = c.index.to_numpy(dtype=float)
        if cols:
            for col in cols:
                ax.plot(
                    t, c[col].to_numpy(dtype=float), label=col.removeprefix("proba_")
                )
            ax.set_ylim(*ylim)  # one y-range for every panel, so they compare
        else:  # a classifier without probabilities: the label as a step plot
            labels = sorted(set(curves["label"]))
            ax.step(t, [labels.index(v) for v in c["label"]], where="mid")
            ax.set_yticks(range(len(labels)), labels=labels)
            ax.set_ylim(-0.5, len(labels) - 0.5)
        if model.task == "regress" and "quadrant" in c.columns:
            scale = model.metadata.get("scale")
            if scale:
                lo, hi = scale_bounds(scale)
                ax.axhline((lo + hi) / 2, color="grey", lw=0.8, ls="--")
        ax.set_title(str(tid), fontsize=9, loc="left")
        ax.set_ylabel(ylabel if cols else "label", fontsize=8)
    axes[-1, 0].set_xlabel("time (s)")
    if cols:  # one legend, right of the panels, never over a curve
        axes[0, 0].legend(
            fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0
        )
    fig.tight_layout()

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
    return path


def _curve_ylim(
    curves: pd.DataFrame, cols: list[str], model: Any
) -> tuple[float, float]:
    """The y-range shared by every panel: [0, 1] for probabilities, else the data's."""
    if model.task == "classify":
        return (0.0, 1.0)
    vals = curves[cols].to_numpy(dtype=float) if cols else np.zeros(1)
    lo, hi = float(np.nanmin(vals)), float(np.nanmax(vals))
    scale = model.metadata.get("scale")
    if scale:
        s_lo, s_hi = scale_bounds(scale)
        lo, hi = min(lo, s_lo), max(hi, s_hi)
    pad = 0.05 * (hi - lo) if hi > lo else 0.5
    return (lo - pad, hi + pad)


def plot_dynamic_curves(
    preds: pd.DataFrame, songs: list[str], targets: list[str], path: Path
) -> Path:
    """One panel per song: annotated (solid) and predicted (dashed) curves over time.

    ``preds`` is a dynamic run's ``predictions.csv`` (``track_id``, ``time``,
    ``<target>_true``, ``<target>_pred``).
    """
    plt = pyplot()
    fig, axes = plt.subplots(
        len(songs), 1, figsize=(9, 2.0 * len(songs) + 0.6), squeeze=False
    )
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, song in zip(axes[:, 0], songs, strict=True):
        c = preds[preds["track_id"].astype(str) == song].sort_values("time")
        t = c["time"].to_numpy(dtype=float)
        for k, name in enumerate(targets):
            col = colours[k % len(colours)]
            if f"{name}_true" in c:
                ax.plot(t, c[f"{name}_true"], color=col, label=f"{name} annotated")
            if f"{name}_pred" in c:
                ax.plot(
                    t, c[f"{name}_pred"], color=col, ls="--", label=f"{name} predicted"
                )
        ax.set_title(f"song {song}", fontsize=9)
        ax.set_ylabel("value")
    axes[0, 0].legend(fontsize=7, ncol=2, loc="upper right")
    axes[-1, 0].set_xlabel("time (s)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
