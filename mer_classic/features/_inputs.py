"""What an extraction reads: inputs → tracks with unique ids, and the output checks.

Folders are searched recursively by extension; tracks CSVs give ``audio_path`` (and
carried metadata); explicit files are taken as they are. Entries that cannot be
audio files (symbolic-link loops, broken links, FIFOs, sockets, devices) are kept as
tracks, so the worker lists them in the errors table with a reason, without ever
opening them (see :func:`mer_classic.features._decode.check_audio_file`).
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mer_classic._io import check_writable, refuse_existing
from mer_classic._table._read import checked_read
from mer_classic.exceptions import ConfigError, DataError
from mer_classic.features._decode import AUDIO_EXTENSIONS

__all__ = [
    "META_COLUMNS",
    "Track",
    "Inputs",
    "CsvSource",
    "find_inputs",
    "discover_tracks",
    "unique_track_ids",
    "distinct_tracks",
    "check_output",
    "check_output_not_input",
]

logger = logging.getLogger(__name__)

#: Tracks-CSV columns carried into the feature table (labels, grouping, names).
#: Numeric attributes are deliberately not carried, so they never leak into X.
META_COLUMNS: tuple[str, ...] = (
    "label",
    "quadrant",
    "mood",
    "artists",
    "artist",
    "name",
    "title",
    "album",
    "isrc",
    "playlist",
    "source",
    "genre",
    "genres",
)


@dataclass
class Track:
    """One input file: its id, path and carried metadata."""

    track_id: str
    path: Path
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class CsvSource:
    """A tracks CSV among the inputs: how many rows it had and how many had no audio."""

    path: Path
    n_rows: int
    n_skipped: int


@dataclass
class Inputs:
    """Everything :func:`find_inputs` found.

    Attributes
    ----------
    tracks : list of Track
        One per distinct file, with unique ids.
    n_skipped : int
        Tracks-CSV rows without an ``audio_path``.
    csvs : list of CsvSource
        The tracks CSVs read.
    n_renamed : int
        Tracks whose id is not the plain file stem because stems collided.
    notes : list of str
        One line per thing the user should know (renamed ids, skipped rows).
    """

    tracks: list[Track]
    n_skipped: int = 0
    csvs: list[CsvSource] = field(default_factory=list)
    n_renamed: int = 0
    notes: list[str] = field(default_factory=list)


def _is_loop(p: Path) -> bool:
    try:
        os.stat(p)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _audio_files(folder: Path) -> list[Path]:
    """Regular audio files under ``folder``, plus entries that only look like one.

    Not followed: symbolic links to folders (as :meth:`Path.rglob`). Kept so they are
    reported rather than skipped silently: an entry with an audio extension that is not
    a regular file (FIFO, socket, device, broken link) and any symbolic-link loop.
    """
    found = []
    for p in folder.rglob("*"):
        if p.suffix.lower() in AUDIO_EXTENSIONS:
            try:
                is_dir = stat.S_ISDIR(os.stat(p).st_mode)
            except OSError:
                is_dir = False  # a loop or a broken link: reported by the worker
            if not is_dir:
                found.append(p)
        elif p.is_symlink() and _is_loop(p):
            found.append(p)
    return sorted(found)


def _tracks_from_csv(csv: Path) -> tuple[list[Track], CsvSource]:
    import pandas as pd

    try:
        df = pd.read_csv(csv, dtype=str, keep_default_na=False)
    except Exception as exc:
        raise DataError(f"cannot read tracks CSV {csv}: {exc}") from exc
    df = checked_read(df, csv, what="tracks CSV")
    if "audio_path" not in df.columns:
        raise DataError(
            f"tracks CSV {csv} has no 'audio_path' column (columns: "
            f"{', '.join(map(str, df.columns))}); run `mer-classic fetch` or add one"
        )
    keep = [c for c in META_COLUMNS if c in df.columns]
    tracks: list[Track] = []
    skipped = 0
    for row in df.to_dict("records"):
        raw = str(row["audio_path"]).strip()
        if not raw:
            skipped += 1
            continue
        path = Path(raw)
        beside = csv.parent / path
        if not path.is_absolute() and (beside.exists() or not path.exists()):
            path = beside  # fetch writes audio_path relative to the CSV
        tid = str(row.get("track_id") or "").strip() or path.stem
        tracks.append(Track(tid, path, {c: row[c] for c in keep}))
    if skipped:
        logger.info(
            "%s: %d rows have no audio_path (no preview); skipped", csv, skipped
        )
    return tracks, CsvSource(csv, len(df), skipped)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):  # a loop cannot be resolved
        return a.absolute() == b.absolute()


def _drop_repeats(tracks: list[Track]) -> list[Track]:
    """Drop a file listed twice under the same id (by two inputs, say)."""
    seen: dict[str, list[Path]] = {}
    out: list[Track] = []
    for t in tracks:
        paths = seen.setdefault(t.track_id, [])
        if any(_same_file(p, t.path) for p in paths):
            continue
        paths.append(t.path)
        out.append(t)
    return out


#: Ever more specific ids for tracks whose ids collide: the file name (keeps the
#: extension), the parent folder + id, parent + file name, and the whole path.
_ID_LEVELS: tuple[Callable[[Track, str], str], ...] = (
    lambda t, base: base,
    lambda t, base: f"{base}{t.path.suffix}",
    lambda t, base: f"{t.path.parent.name}/{base}",
    lambda t, base: f"{t.path.parent.name}/{base}{t.path.suffix}",
    lambda t, base: f"{t.path.parent.as_posix()}/{base}{t.path.suffix}",
)


def unique_track_ids(tracks: list[Track]) -> int:
    """Make the track ids unique in place; return how many ids changed.

    An id that collides with no other stays as it is (the file stem, or the tracks
    CSV's ``track_id``). Colliding ids get more specific, together, one level at a
    time until all differ: ``tone.wav``/``tone.flac`` for one folder's ``tone.wav``
    and ``tone.flac``; ``a/same``/``b/same`` for ``a/same.wav`` and ``b/same.wav``;
    then the parent folder with the extension, then the whole path.

    Examples
    --------
    >>> from pathlib import Path
    >>> ts = [Track("tone", Path("A/tone.wav")), Track("tone", Path("A/tone.flac")),
    ...       Track("x", Path("A/x.wav"))]
    >>> unique_track_ids(ts), [t.track_id for t in ts]
    (2, ['tone.wav', 'tone.flac', 'x'])
    """
    bases = [t.track_id for t in tracks]
    levels = [0] * len(tracks)
    last = len(_ID_LEVELS) - 1
    ids = list(bases)
    for _ in range(len(_ID_LEVELS) + 1):
        ids = [
            _ID_LEVELS[lv](t, b) for t, b, lv in zip(tracks, bases, levels, strict=True)
        ]
        counts = Counter(ids)
        clash = [i for i, x in enumerate(ids) if counts[x] > 1]
        if not clash or all(levels[i] == last for i in clash):
            break
        for i in clash:
            levels[i] = min(levels[i] + 1, last)
    counts = Counter(ids)  # a last resort the levels above cannot reach in practice
    seen: Counter[str] = Counter()
    for i, x in enumerate(ids):
        if counts[x] > 1:
            seen[x] += 1
            ids[i] = f"{x}#{seen[x]}"
    changed = 0
    for t, new in zip(tracks, ids, strict=True):
        changed += new != t.track_id
        t.track_id = new
    return changed


def distinct_tracks(tracks: list[Track]) -> tuple[list[Track], int]:
    """Drop files listed twice under one id, then make ids unique.

    Returns the tracks and how many ids were disambiguated
    (see :func:`unique_track_ids`).
    """
    tracks = _drop_repeats(tracks)
    return tracks, unique_track_ids(tracks)


def _input_kind(p: Path) -> str:
    """``"folder"``, ``"file"``, ``"missing"`` or ``"other"`` (a loop, FIFO, device…)."""
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        return "other" if p.is_symlink() else "missing"
    except OSError:
        return "other"
    if stat.S_ISDIR(mode):
        return "folder"
    return "file" if stat.S_ISREG(mode) else "other"


def find_inputs(
    inputs: Iterable[str | os.PathLike[str]], *, label_from_folder: bool = False
) -> Inputs:
    """Expand files, folders (recursive, by extension) and tracks CSVs into tracks.

    Parameters
    ----------
    inputs : iterable of path-like
        Audio files, folders, or CSV files with an ``audio_path`` column (optional
        ``track_id``; ``label``/``artists`` and other :data:`META_COLUMNS` are kept).
    label_from_folder : bool, default=False
        Set ``label`` to each audio file's parent folder name (e.g. ``Q1``).

    Returns
    -------
    Inputs

    Raises
    ------
    DataError
        When an input does not exist or nothing was found.
    """
    tracks: list[Track] = []
    found = Inputs(tracks=tracks)
    for item in inputs:
        p = Path(item)
        kind = _input_kind(p)
        if kind == "folder":
            files = _audio_files(p)
            if not files:
                logger.warning("no audio files under %s", p)
            tracks += [Track(f.stem, f) for f in files]
        elif kind == "missing":
            what = "tracks CSV" if p.suffix.lower() == ".csv" else "input"
            raise DataError(
                f"{what} not found: {p}; give audio files, folders or a tracks CSV"
            )
        elif p.suffix.lower() == ".csv" and kind == "file":
            more, source = _tracks_from_csv(p)
            tracks += more
            found.csvs.append(source)
            found.n_skipped += source.n_skipped
        else:  # an audio file, or something the worker refuses with a reason
            tracks.append(Track(p.stem, p))
    if label_from_folder:
        for t in tracks:
            t.meta["label"] = t.path.parent.name
    if not tracks and not found.n_skipped:
        raise DataError(
            "no audio files found in the inputs; supported extensions: "
            + ", ".join(sorted(AUDIO_EXTENSIONS))
        )
    found.tracks = tracks = _drop_repeats(tracks)
    before = [t.track_id for t in tracks]
    found.n_renamed = unique_track_ids(tracks)
    if found.n_renamed:
        example = next(
            t for t, b in zip(tracks, before, strict=True) if t.track_id != b
        )
        found.notes.append(
            f"{found.n_renamed} track id(s) were disambiguated because they collide "
            f"(same file stem): the id keeps the extension or the folder, e.g. "
            f"{str(example.path)!r} → {example.track_id!r}"
        )
        logger.info(found.notes[-1])
    return found


def discover_tracks(
    inputs: Iterable[str | os.PathLike[str]], *, label_from_folder: bool = False
) -> tuple[list[Track], int]:
    """Expand inputs into tracks (see :func:`find_inputs`).

    Returns
    -------
    tracks : list of Track
        One per distinct file, with unique ids.
    n_skipped : int
        Tracks-CSV rows without an audio path.
    """
    found = find_inputs(inputs, label_from_folder=label_from_folder)
    return found.tracks, found.n_skipped


def _resolved(p: str | os.PathLike[str]) -> Path:
    try:
        return Path(p).resolve()
    except (OSError, RuntimeError):
        return Path(p).absolute()


def check_output_not_input(
    outputs: Sequence[str | os.PathLike[str]],
    inputs: Iterable[str | os.PathLike[str]],
) -> None:
    """Refuse, whatever ``--force`` says, to write over a file the run reads.

    Raises
    ------
    ConfigError
        Naming the output and the input it would replace.
    """
    read = {_resolved(p): p for p in inputs}
    for out in outputs:
        hit = read.get(_resolved(out))
        if hit is not None:
            raise ConfigError(
                f"output {str(out)!r} is one of the inputs ({str(hit)!r}); extract "
                "would replace what it reads, even with --force. Choose another --out"
            )


def check_output(
    out: str | os.PathLike[str],
    *,
    sidecars: Sequence[str | os.PathLike[str]] = (),
    inputs: Iterable[str | os.PathLike[str]] = (),
    force: bool = False,
) -> None:
    """Check an extraction's output before any work starts.

    Refuses an output (or a sidecar) that is one of the inputs (always), an existing
    output without ``force``, a folder, and a location that cannot be written.

    Raises
    ------
    ConfigError
        Saying which check failed and what to do.
    """

    out = Path(out)
    check_output_not_input([out, *sidecars], inputs)
    if out.is_dir():
        raise ConfigError(
            f"output {str(out)!r} is a folder; --out needs a CSV file name "
            "(e.g. features.csv)"
        )
    refuse_existing(out, force=force)
    check_writable(out)
