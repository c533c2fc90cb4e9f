"""Checks of a training table whose result would mislead without a word.

- :func:`target_copies`: numeric feature columns that are near-copies of the target
  (another listener rating, the target under another name): the model scores well
  by reading the answer.
- :func:`group_like_columns`: artist/album/song/film-like columns of a table that is
  split without ``--group``, so tracks of one artist sit on both sides of a fold.

Both return plain text warnings; :func:`mer_classic.training.train` stores them in
the table's metadata and the ``train`` command prints each one once.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "COPY_RHO",
    "COPY_SCORE",
    "GROUP_LIKE",
    "describe_copy",
    "group_like_columns",
    "target_copies",
]

#: |Spearman ρ| between a feature and a regression target that counts as a copy
COPY_RHO = 0.95
#: out-of-fold score of one column alone (R², or balanced accuracy for classes)
#: that counts as "predicts the target almost perfectly"
COPY_SCORE = 0.85
#: words that mark a column whose values group tracks (name tokens, any case)
GROUP_LIKE = (
    "artist",
    "artists",
    "album",
    "song",
    "group",
    "film",
    "movie",
    "composer",
    "performer",
    "band",
    "singer",
    "work",
)
#: rows a one-column check uses at most (a seeded sample of bigger tables)
_MAX_ROWS = 5000
#: quantile bins of the one-column predictor
_BINS = 10


def group_like_columns(
    columns: Sequence[str], *, skip: Sequence[str | None] = ()
) -> list[str]:
    """Columns whose name says they group tracks (artist, album, song, film ...).

    Examples
    --------
    >>> group_like_columns(["track_id", "Artist Name", "album_id", "tempo", "label"])
    ['Artist Name', 'album_id']
    """
    skipped = {s for s in skip if s is not None}
    out = []
    for col in columns:
        if col in skipped:
            continue
        tokens = [t for t in re.split(r"[^a-z]+", str(col).lower()) if t]
        if any(t in GROUP_LIKE for t in tokens):
            out.append(str(col))
    return out


def target_copies(
    X: pd.DataFrame,
    y: pd.Series | pd.DataFrame,
    *,
    task: str,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Feature columns that are near-copies of a target.

    A column is flagged when ``|Spearman ρ| >= COPY_RHO`` with a regression target,
    or when the column *alone* predicts the target out of fold with a score of at
    least :data:`COPY_SCORE` (R² for regression, balanced accuracy for classes), by
    a step function over its quantile bins (any monotone or stepwise relation),
    fitted and scored on 3 folds.

    Returns
    -------
    list of dict
        ``column``, ``target``, ``rho`` (regression, else None) and ``score`` (the
        one-column out-of-fold score), strongest first.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = pd.Series(rng.normal(size=80), name="Valence")
    >>> X = pd.DataFrame({"copy": -y + 0.01 * rng.normal(size=80),
    ...                   "noise": rng.normal(size=80)})
    >>> [c["column"] for c in target_copies(X, y, task="regress")]
    ['copy']
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    if len(X) > _MAX_ROWS:
        X = X.sample(_MAX_ROWS, random_state=seed)
        y = y.loc[X.index]
    ys = y.to_frame() if isinstance(y, pd.Series) else y
    found: list[dict[str, Any]] = []
    n = len(X)
    varied = [c for c in X.columns if X[c].nunique(dropna=True) >= 2]
    if not varied or n < 6:
        return found
    Xa = X[varied].to_numpy(dtype=float, copy=True)
    med = np.nanmedian(Xa, axis=0)
    Xa = np.where(np.isnan(Xa), med, Xa)
    for target in ys.columns:
        t = ys[target]
        if task == "classify":
            classes, codes = np.unique(t.astype(str).to_numpy(), return_inverse=True)
            k = int(min(3, np.bincount(codes).min()))
            if k < 2 or len(classes) < 2:
                continue
            folds: Any = StratifiedKFold(k, shuffle=True, random_state=seed)
            truth = codes
            rho = np.full(len(varied), np.nan)
        else:
            if t.nunique() < 3:
                continue
            folds = KFold(3, shuffle=True, random_state=seed)
            truth = t.to_numpy(dtype=float)
            with warnings.catch_warnings():  # constant columns: nan
                warnings.simplefilter("ignore")
                rho = X[varied].corrwith(t, method="spearman").to_numpy()
        splits = list(folds.split(np.zeros((n, 1)), truth))
        scores = _one_column_scores(Xa, truth, splits, classify=task == "classify")
        for j, col in enumerate(varied):
            r = float(rho[j]) if np.isfinite(rho[j]) else None
            if scores[j] >= COPY_SCORE or (r is not None and abs(r) >= COPY_RHO):
                found.append(
                    {
                        "column": str(col),
                        "target": str(target),
                        "rho": r,
                        "score": float(scores[j]),
                    }
                )
    return sorted(found, key=lambda c: -c["score"])


def _one_column_scores(
    Xa: np.ndarray, truth: np.ndarray, splits: list[Any], *, classify: bool
) -> np.ndarray:
    """Out-of-fold score of each column alone: a step function over quantile bins.

    Each training fold cuts a column into (at most) :data:`_BINS` quantile bins and
    predicts a bin's majority class or mean; the held-out rows get their bin's
    value. Scores: balanced accuracy (classes) or R² (values), one per column.
    """
    n, p = Xa.shape
    pred = np.empty((n, p), dtype=truth.dtype)
    for tr, te in splits:
        nb = int(max(2, min(_BINS, len(tr) // 10)))
        edges = np.quantile(Xa[tr], np.linspace(0, 1, nb + 1)[1:-1], axis=0)
        ytr = truth[tr]
        for j in range(p):
            btr = np.searchsorted(edges[:, j], Xa[tr, j], side="right")
            bte = np.searchsorted(edges[:, j], Xa[te, j], side="right")
            if classify:
                kk = int(truth.max()) + 1
                counts = np.bincount(btr * kk + ytr, minlength=nb * kk).reshape(nb, kk)
                lab = counts.argmax(axis=1)
                lab[counts.sum(axis=1) == 0] = np.bincount(ytr).argmax()
                pred[te, j] = lab[bte]
            else:
                cnt = np.bincount(btr, minlength=nb)
                sums = np.bincount(btr, weights=ytr, minlength=nb)
                mean = np.where(cnt > 0, sums / np.maximum(cnt, 1), ytr.mean())
                pred[te, j] = mean[bte]
    if classify:
        hits = pred == truth[:, None]
        recalls = [hits[truth == k].mean(axis=0) for k in np.unique(truth)]
        return np.mean(recalls, axis=0)
    ss = ((truth - truth.mean()) ** 2).sum()
    return 1.0 - ((pred - truth[:, None]) ** 2).sum(axis=0) / ss


def describe_copy(copy: dict[str, Any], task: str) -> str:
    """One warning sentence for a :func:`target_copies` entry."""
    what = "R²" if task == "regress" else "balanced accuracy"
    rho = f"Spearman ρ {copy['rho']:+.3f}, " if copy.get("rho") is not None else ""
    return (
        f"feature {copy['column']!r} is a near-copy of the target {copy['target']!r} "
        f"({rho}alone it predicts it with out-of-fold {what} {copy['score']:.2f}): "
        f"if it is another rating or label, not an audio feature, pass --exclude "
        f"{copy['column']}"
    )
