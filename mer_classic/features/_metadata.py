"""Join a metadata table (artist, title …) onto tracks by track id, for ``--metadata``.

The joined columns are carried like a tracks CSV's label and artists: they are written
before the features and are never features themselves. Columns whose joined values
all read as numbers (or booleans) are left out, because ``train`` takes every numeric
column of its table as a feature, and a year or a count of mood tags is not something
the model can compute from audio at prediction time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from mer_classic._table import read_csv
from mer_classic.exceptions import DataError, ParameterError
from mer_classic.features._inputs import Track
from mer_classic.features._names import ALL_FEATURE_NAMES, ALL_SEGMENT_FEATURE_NAMES

__all__ = ["join_metadata"]

logger = logging.getLogger(__name__)

_RESERVED = frozenset(
    {"track_id", "time", *ALL_FEATURE_NAMES, *ALL_SEGMENT_FEATURE_NAMES}
)


def _keys(t: Track) -> tuple[str, ...]:
    """What a metadata id may equal: the track id, the file stem, the file name."""
    return (t.track_id, t.path.stem, t.path.name)


def _shown(values: Sequence[str], n: int = 3) -> str:
    return ", ".join(repr(v) for v in list(values)[:n]) + (
        " …" if len(values) > n else ""
    )


def _detect_id_column(df: pd.DataFrame, tracks: Sequence[Track], name: str) -> str:
    """The column whose values match the most tracks (by id, stem or file name)."""
    scores: dict[str, tuple[int, int]] = {}
    for col in df.columns:
        values = set(df[col].str.strip())
        by_any = sum(any(k in values for k in _keys(t)) for t in tracks)
        by_id = sum(t.track_id in values for t in tracks)
        if by_any:
            scores[str(col)] = (by_any, by_id)
    if not scores:
        raise DataError(
            f"no column of metadata {name} holds the track ids (file stems such as "
            f"{_shown([t.track_id for t in tracks])}); pass --metadata-id COLUMN "
            f"(columns: {', '.join(map(str, df.columns))})"
        )
    best = max(scores.values())
    tied = [c for c, s in scores.items() if s == best]
    if len(tied) > 1:
        raise DataError(
            f"several columns of metadata {name} match the track ids equally well "
            f"({', '.join(map(repr, tied))}); choose one with --metadata-id"
        )
    return tied[0]


def _reads_as_number(values: pd.Series) -> bool:
    """Whether pandas would read these (non-empty) values back as a numeric column."""
    text = values.str.strip()
    text = text[text != ""]
    if text.empty:
        return False
    if text.str.lower().isin(["true", "false"]).all():
        return True
    return bool(pd.to_numeric(text, errors="coerce").notna().all())


def join_metadata(
    tracks: Sequence[Track],
    metadata: str | os.PathLike[str],
    *,
    id_column: str | None = None,
    keep_numeric: Sequence[str] = (),
) -> list[str]:
    """Add a metadata table's text columns to each track's ``meta``, by track id.

    Parameters
    ----------
    tracks : sequence of Track
        Updated in place.
    metadata : path-like
        CSV file with one row per track.
    id_column : str or None, default=None
        The column holding track ids. None detects it: the column whose values
        match the most track ids, file stems or file names (e.g. 4Q's ``Song``).
    keep_numeric : sequence of str, default=()
        Numeric columns to join all the same (``--metadata-columns``), e.g.
        valence/arousal annotations to be the target of a regression ``evaluate``.
        ``train`` takes every numeric column that is not its target as a feature,
        so keep only what is meant as a target.

    Returns
    -------
    list of str
        Notes: which columns were joined (and on which column), how many tracks
        found no metadata, and which columns were left out and why.

    Raises
    ------
    DataError
        When the table cannot be read, no column holds the track ids, or no track
        matches.
    ParameterError
        When ``id_column`` or a name in ``keep_numeric`` is not a column of the
        table, or that name is the id column.

    Examples
    --------
    >>> import tempfile, os
    >>> from pathlib import Path
    >>> f = os.path.join(tempfile.mkdtemp(), "meta.csv")
    >>> _ = open(f, "w").write("Song,Artist,Year\\na,Ann,1999\\nb,Bob,2001\\n")
    >>> ts = [Track("a", Path("Q1/a.mp3")), Track("c", Path("Q2/c.mp3"))]
    >>> notes = join_metadata(ts, f)
    >>> ts[0].meta, ts[1].meta
    ({'Artist': 'Ann'}, {})
    """

    path = Path(metadata)
    name = repr(str(path))
    df = read_csv(path, what="metadata file", dtype=str, keep_default_na=False)
    df.columns = [str(c) for c in df.columns]
    if id_column is not None:
        if id_column not in df.columns:
            raise ParameterError(
                f"--metadata-id {id_column!r} is not a column of metadata {name} "
                f"(columns: {', '.join(df.columns)})"
            )
        how = f"its {id_column!r} column"
    else:
        id_column = _detect_id_column(df, tracks, name)
        how = f"its {id_column!r} column (detected: it holds the track ids)"
    keep = list(dict.fromkeys(keep_numeric))
    unknown = [c for c in keep if c not in df.columns]
    if unknown:
        raise ParameterError(
            f"--metadata-columns {', '.join(map(repr, unknown))}: not a column of "
            f"metadata {name} (columns: {', '.join(df.columns)})"
        )
    if id_column in keep:
        raise ParameterError(
            f"--metadata-columns {id_column!r} is the id column of metadata {name}; "
            "name the annotation columns to keep"
        )
    ids = df[id_column].str.strip()
    repeated = sorted(set(ids[ids.duplicated() & (ids != "")]))
    first = ~ids.duplicated()
    row_of = dict(zip(ids[first], df.index[first], strict=True))
    matched: dict[int, int] = {}  # track position -> metadata row
    for i, t in enumerate(tracks):
        row = next((row_of[k] for k in _keys(t) if k in row_of), None)
        if row is not None:
            matched[i] = row
    if not matched:
        raise DataError(
            f"none of the {len(tracks)} track id(s) ({_shown([t.track_id for t in tracks])}) "
            f"is in column {id_column!r} of metadata {name} (values such as "
            f"{_shown(list(ids[ids != '']))}); check the file or --metadata-id"
        )
    rows = df.loc[list(matched.values())]
    present = {k for t in tracks for k in t.meta}
    joined, numeric, clashing, empty = [], [], [], []
    for col in df.columns:
        if col == id_column:
            continue
        if col in present or col in _RESERVED:
            clashing.append(col)
        elif (rows[col].str.strip() == "").all():
            empty.append(col)
        elif _reads_as_number(rows[col]) and col not in keep:
            numeric.append(col)
        else:
            joined.append(col)
    for i, row in matched.items():
        tracks[i].meta.update({c: df.at[row, c] for c in joined})
    notes = [
        f"metadata: joined {', '.join(joined) or 'no column'} from {path.name} on "
        f"{how}; {len(matched)} of {len(tracks)} track(s) matched"
    ]
    missing = [t.track_id for i, t in enumerate(tracks) if i not in matched]
    if missing:
        notes.append(
            f"metadata: {len(missing)} track(s) found no row in {path.name} "
            f"(e.g. {_shown(missing)}); their metadata columns are empty"
        )
    if repeated:
        notes.append(
            f"metadata: {len(repeated)} id(s) appear in several rows of {path.name} "
            f"(e.g. {_shown(repeated)}); the first row of each is used"
        )
    if numeric:
        notes.append(
            f"metadata: not joined: {', '.join(numeric)} (numeric: `train` would take "
            "them as features, but they are not computed from audio; name the ones "
            "meant as targets with --metadata-columns)"
        )
    kept = [c for c in joined if c in keep]
    if kept:
        notes.append(
            f"metadata: kept numeric {', '.join(kept)} (--metadata-columns); `train` "
            "takes every numeric column but its target as a feature"
        )
    if clashing:
        notes.append(
            f"metadata: not joined: {', '.join(clashing)} (the table already has "
            "such a column)"
        )
    if empty:
        notes.append(
            f"metadata: not joined: {', '.join(empty)} (no value for these tracks)"
        )
    for note in notes:
        logger.info(note)
    return notes
