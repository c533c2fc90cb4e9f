"""Dynamic (2 Hz) valence/arousal: align segment features, song-held-out CV, metrics.

Per-frame annotations (DEAM, emoMusic, PMEmo: one value every 0.5 s from 15 s on)
are matched to segment-level features (``extract_features(..., segment=0.5)``: one
row per 0.5 s step, indexed by ``track_id`` and ``time``). Cross-validation holds
out whole songs (:class:`~sklearn.model_selection.GroupKFold` over track ids), so
frames of one song never sit on both sides of a split.

Two metric families are reported because papers mix them:

- *pooled*: RMSE and Pearson r over all frames of all songs at once;
- *per song*: RMSE and r computed within each song, then averaged over songs
  (r is undefined for a song whose annotation or prediction is constant; such
  songs are left out of the r average and counted).

Both are given on the dataset's own scale and rescaled to 0..1 (r does not
change under rescaling; RMSE is divided by the width of the scale).
"""

from __future__ import annotations

from mer_classic.dynamic._cv import DynamicResult, cross_validate_dynamic
from mer_classic.dynamic._io import read_dynamic_annotations
from mer_classic.dynamic._metrics import aggregate_dynamic, compare_with_static
from mer_classic.dynamic._run import run_dynamic

__all__ = [
    "DynamicResult",
    "read_dynamic_annotations",
    "aggregate_dynamic",
    "compare_with_static",
    "cross_validate_dynamic",
    "run_dynamic",
]
