"""The loader template shared by every published-dataset layout.

Every loader is a function ``load_<name>(root) -> Dataset``. It finds the files of
the layout the authors distribute under ``root`` (searching sub-folders, so both
at the folder given or one folder directly inside it, so both the archive's top
folder and the folder above it work, and never deeper), validates them, and fills
one :class:`Dataset`. The helpers here do the searching (:class:`Layout`), the
column checks, the groups and the de-duplication so that every loader behaves and
words its messages the same way.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mer_classic.exceptions import DataError

__all__ = [
    "Dataset",
    "AUDIO_EXTENSIONS",
    "as_root",
    "audio_series",
    "check_range",
    "clean_str",
    "drop_duplicate_ids",
    "Layout",
    "groups_or_own",
    "read_dataset_csv",
    "require_columns",
    "scan_audio",
    "track_ids",
    "va_labels",
]

logger = logging.getLogger(__name__)

#: file endings treated as audio when a loader scans a folder
AUDIO_EXTENSIONS: tuple[str, ...] = (".mp3", ".wav", ".ogg", ".flac", ".m4a", ".aiff")


@dataclass
class Dataset:
    """One published dataset, loaded from its folder as distributed.

    Attributes
    ----------
    name : str
        Registry name of the loader (``"pmemo"``, ``"deam"``...).
    root : pathlib.Path or None
        Folder the data was read from (None for bundled data).
    labels : pandas.DataFrame
        Static labels indexed by ``track_id`` (str). Valence/arousal datasets have
        ``valence`` and ``arousal`` on ``meta["scale"]`` plus a derived ``quadrant``;
        class datasets have ``label`` (and ``quadrant`` when it maps to one).
    audio : pandas.Series or None
        ``track_id`` → path of the audio files that exist on disk (a subset of
        ``labels.index``; empty when the folder holds annotations only). None for
        tables without audio (Spotify attribute tables).
    dynamic : pandas.DataFrame or None
        Long table ``track_id, time, valence, arousal`` (time in seconds, values
        on ``meta["dynamic_scale"]``) when the dataset has per-frame annotations.
    groups : pandas.Series or None
        ``track_id`` → group (artist, song or film; ``meta["group_kind"]``) for
        grouped cross-validation.
    features : pandas.DataFrame or None
        Features the table itself carries (Spotify attributes, Soundtracks'
        librosa means), indexed by ``track_id``.
    meta : dict
        ``scale``, ``dynamic_scale``, ``task`` (``"regress"`` or ``"classify"``),
        ``targets``, ``group_kind``, ``citation``, ``url``, ``terms`` and ``notes``
        (what was removed or assumed while loading).
    """

    name: str
    root: Path | None
    labels: pd.DataFrame
    audio: pd.Series | None = None
    dynamic: pd.DataFrame | None = None
    groups: pd.Series | None = None
    features: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.labels)

    def __repr__(self) -> str:
        n_audio = "-" if self.audio is None else str(len(self.audio))
        n_dyn = "-" if self.dynamic is None else str(self.dynamic["track_id"].nunique())
        return (
            f"Dataset(name={self.name!r}, n={len(self.labels)}, audio={n_audio}, "
            f"dynamic_songs={n_dyn}, task={self.meta.get('task')!r}, "
            f"scale={self.meta.get('scale')!r})"
        )

    @property
    def n_audio(self) -> int:
        """Number of tracks whose audio file exists (0 when there is no audio)."""
        return 0 if self.audio is None else len(self.audio)

    def with_audio(self) -> Dataset:
        """Return a copy restricted to the tracks whose audio file exists.

        Raises
        ------
        DataError
            When no audio file was found.
        """
        if self.audio is None or len(self.audio) == 0:
            raise DataError(
                f"dataset {self.name!r} at {self.root} has no audio files; "
                f"{self.meta.get('audio_hint', 'download the audio into the folder')}"
            )
        ids = self.labels.index.intersection(self.audio.index)
        dyn = self.dynamic
        if dyn is not None:
            dyn = dyn[dyn["track_id"].isin(ids)].reset_index(drop=True)
        return Dataset(
            name=self.name,
            root=self.root,
            labels=self.labels.loc[ids],
            audio=self.audio.loc[ids],
            dynamic=dyn,
            groups=None if self.groups is None else self.groups.loc[ids],
            features=None if self.features is None else self.features.loc[ids],
            meta=dict(self.meta),
        )


# --------------------------------------------------------------------------- helpers
def as_root(root: str | os.PathLike[str] | None, name: str) -> Path:
    """The dataset folder as a Path, or a :class:`DataError` when it is missing."""
    if root is None:
        raise DataError(
            f"{name}: no dataset folder given; pass the folder as distributed"
        )
    path = Path(root).expanduser()
    if not path.exists():
        raise DataError(
            f"{name}: dataset folder {str(path)!r} does not exist; pass the folder "
            "you unpacked the dataset into"
        )
    return path


#: a layout entry: one relative path, or several that must all exist (the first is returned)
RelPath = str | tuple[str, ...]


def _rel_parts(rel: RelPath) -> tuple[str, ...]:
    return Path(rel if isinstance(rel, str) else rel[0]).parts


def _exists(path: Path, kind: str) -> bool:
    return path.is_dir() if kind == "dir" else path.is_file()


def _matches(
    folders: Sequence[Path], rel_paths: Sequence[RelPath], kind: str
) -> list[tuple[Path, Path]]:
    """``(path, folder)`` for each layout entry present in one of ``folders``."""
    hits: dict[Path, tuple[Path, Path]] = {}
    for folder in folders:
        for rel in rel_paths:
            rels = (rel,) if isinstance(rel, str) else rel
            if all(_exists(folder / r, kind) for r in rels):
                path = folder / rels[0]
                hits.setdefault(path.resolve(), (path, folder))
    return list(hits.values())


def _subfolders(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir())
    except OSError:  # pragma: no cover - unreadable folder
        return []


def _describe(rel_paths: Sequence[RelPath]) -> str:
    return " or ".join(
        repr(r) if isinstance(r, str) else "+".join(repr(x) for x in r)
        for r in rel_paths
    )


class Layout:
    """Where the files of one dataset sit, found as its published layout says.

    A loader names the paths its layout holds, relative to the dataset folder
    (``annotations/static_annotations.csv`` for PMEmo2019). The dataset folder (the
    *home*) is the folder given, or one folder directly inside it (the archive's
    top folder); nothing deeper is searched, so a stray copy further down (a test
    fixture under ``/tmp``) is never picked up. Two candidates at the same level
    are refused with both named. Every file or folder used is logged at INFO and
    listed in :attr:`files` (loaders put it in ``meta["files"]``).

    Parameters
    ----------
    root : path or None
        What the user passed: the dataset folder, the folder above it, or the
        dataset's main file.
    dataset : str
        Registry name, for messages.
    hint : str, default=""
        What to do when nothing is found (where to download the dataset).

    Examples
    --------
    >>> import tempfile
    >>> tmp = Path(tempfile.mkdtemp())
    >>> (tmp / "release" / "annotations").mkdir(parents=True)
    >>> _ = (tmp / "release" / "annotations" / "labels.csv").write_text("id\\n")
    >>> layout = Layout(tmp, "demo")
    >>> layout.find_home(["annotations/labels.csv"]).relative_to(tmp).as_posix()
    'release/annotations/labels.csv'
    >>> layout.home.name
    'release'
    """

    def __init__(
        self, root: str | os.PathLike[str] | None, dataset: str, *, hint: str = ""
    ) -> None:
        self.root = as_root(root, dataset)
        self.dataset = dataset
        self.hint = hint
        self.home: Path = self.root if self.root.is_dir() else self.root.parent
        self.files: list[Path] = []

    def use(self, path: Path) -> Path:
        """Record (and log) a file or folder the loader reads."""
        if path not in self.files:
            self.files.append(path)
            logger.info("%s: using %s", self.dataset, path)
        return path

    def used(self) -> list[str]:
        """The files and folders used so far, as strings (for ``meta["files"]``)."""
        return [str(p) for p in self.files]

    def find_home(
        self, rel_paths: Sequence[RelPath], *, kind: str = "file", what: str = ""
    ) -> Path:
        """Find the dataset folder: the root, or one folder directly inside it.

        Parameters
        ----------
        rel_paths : sequence of str or tuple of str
            Paths of the layout's main file relative to the dataset folder; a
            tuple means several paths that must all exist (e.g. ``Q1``..``Q4``).
        kind : {"file", "dir"}, default="file"
            What the paths are.
        what : str, default=""
            Name of the thing looked for, in messages.

        Returns
        -------
        pathlib.Path
            The matched path; :attr:`home` is set to its dataset folder.

        Raises
        ------
        DataError
            When nothing matches at the root or one level down, or when several
            candidates match at the same level.
        """
        what = what or _describe(rel_paths)
        if self.root.is_file():
            for rel in sorted(rel_paths, key=lambda r: -len(_rel_parts(r))):
                parts = _rel_parts(rel)
                if kind != "file" or self.root.parts[-len(parts) :] != parts:
                    continue
                home = self.root.parents[len(parts) - 1]
                if _matches([home], [rel], kind):  # the rest of the marker is there
                    self.home = home
                    return self.use(self.root)
            raise DataError(
                f"{self.dataset}: {str(self.root)!r} is not {what}; pass the dataset "
                "folder as distributed"
            )
        for folders in ([self.root], _subfolders(self.root)):
            hits = _matches(folders, rel_paths, kind)
            if len(hits) > 1:
                names = ", ".join(repr(str(p)) for p, _ in hits)
                raise DataError(
                    f"{self.dataset}: {len(hits)} candidates for {what} under "
                    f"{str(self.root)!r}: {names}; pass the one you mean (its "
                    "dataset folder, or the file itself)"
                )
            if hits:
                path, self.home = hits[0]
                return self.use(path)
        raise DataError(
            f"{self.dataset}: no {what} in {str(self.root)!r} or in a folder directly "
            "inside it (deeper folders are not searched); pass the dataset folder "
            "as distributed" + (f"; {self.hint}" if self.hint else "")
        )

    def find(
        self,
        rel_paths: Sequence[RelPath],
        *,
        kind: str = "file",
        required: bool = False,
        beside: bool = False,
        what: str = "",
    ) -> Path | None:
        """Find a further file of the layout in the dataset folder.

        Parameters
        ----------
        rel_paths : sequence of str or tuple of str
            Paths relative to :attr:`home` where the layout puts the file.
        kind : {"file", "dir"}, default="file"
            What the paths are.
        required : bool, default=False
            Raise a :class:`DataError` when it is absent (else return None).
        beside : bool, default=False
            Also look in the folder the user passed when it is the folder above
            :attr:`home` (for archives unpacked side by side, e.g. DEAM's audio).
        what : str, default=""
            Name of the thing looked for, in messages.

        Raises
        ------
        DataError
            When several candidates match, or a required one is absent.
        """
        folders = [self.home]
        if beside and self.root.is_dir() and self.root != self.home:
            folders.append(self.root)
        what = what or _describe(rel_paths)
        hits = _matches(folders, rel_paths, kind)
        if len(hits) > 1:
            names = ", ".join(repr(str(p)) for p, _ in hits)
            raise DataError(
                f"{self.dataset}: {len(hits)} candidates for {what}: {names}; keep "
                "one (remove or rename the others)"
            )
        if hits:
            return self.use(hits[0][0])
        if required:
            raise DataError(
                f"{self.dataset}: no {what} in {str(self.home)!r}"
                + (f"; {self.hint}" if self.hint else "")
            )
        return None


def read_dataset_csv(path: Path, *, dataset: str, **kwargs: Any) -> pd.DataFrame:
    """Read a CSV, strip whitespace from the headers, and wrap parser errors."""
    try:
        df = pd.read_csv(path, **kwargs)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{dataset}: cannot read {str(path)!r}: {exc}") from exc
    df.columns = [str(c).strip() for c in df.columns]
    return df


def require_columns(
    df: pd.DataFrame, columns: Iterable[str], *, path: Path | str, dataset: str
) -> None:
    """Raise a :class:`DataError` naming the ``columns`` that ``df`` lacks."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(
            f"{dataset}: {str(path)!r} lacks column(s) {missing}; found "
            f"{list(df.columns)[:12]}; is this the file as distributed?"
        )


def clean_str(values: Iterable[Any]) -> list[str]:
    """Strip the tabs/spaces some distributions put around every cell."""
    return [str(v).strip() for v in values]


def track_ids(values: Iterable[Any]) -> pd.Index:
    """Track ids as strings ('2' not '2.0')."""
    out = []
    for v in values:
        if isinstance(v, float | np.floating) and float(v).is_integer():
            v = int(v)
        out.append(str(v).strip())
    return pd.Index(out, name="track_id", dtype=object)


def drop_duplicate_ids(
    df: pd.DataFrame, *, dataset: str, notes: list[str], label_cols: Sequence[str] = ()
) -> pd.DataFrame:
    """Drop repeated track ids (index); conflicting labels drop the id entirely."""
    dup = df.index.duplicated(keep="first")
    if not dup.any():
        return df
    n_rows = int(dup.sum())
    conflicting: list[str] = []
    if label_cols:
        nun = df[list(label_cols)].groupby(level=0).nunique(dropna=False).max(axis=1)
        conflicting = [str(i) for i in nun[nun > 1].index]
    out = df[~dup]
    notes.append(
        f"{n_rows} duplicate row(s) of {int(df.index[dup].nunique())} track id(s) "
        "removed "
        "(kept the first)"
    )
    if conflicting:
        out = out.drop(index=conflicting)
        notes.append(
            f"{len(conflicting)} track id(s) with conflicting labels dropped: "
            f"{conflicting[:5]}"
        )
    logger.info("%s: %s", dataset, "; ".join(notes[-2:]))
    return out


def audio_series(
    ids: Iterable[str], candidates: Mapping[str, Path | None], *, dataset: str
) -> pd.Series:
    """``track_id`` → existing audio path, for the ids that have a file."""
    data = {i: str(candidates[i]) for i in ids if candidates.get(i) is not None}
    s = pd.Series(data, dtype=object, name="path")
    s.index = pd.Index(list(data), name="track_id", dtype=object)
    logger.debug("%s: %d audio file(s) found", dataset, len(s))
    return s


def scan_audio(folder: Path | None, *, depth: int = 1) -> dict[str, Path]:
    """Map file stem → audio path for the audio files in ``folder``.

    Files directly in ``folder`` and, for ``depth=1``, in the folders directly
    inside it (e.g. ``clips_45seconds/``); nothing deeper.
    """
    if folder is None or not folder.is_dir():
        return {}
    folders = [folder, *(_subfolders(folder) if depth >= 1 else [])]
    out: dict[str, Path] = {}
    for d in folders:
        for p in sorted(d.iterdir()):
            if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file():
                out.setdefault(p.stem.strip(), p)
    return out


def groups_or_own(
    values: pd.Series, *, notes: list[str], what: str = "artist"
) -> pd.Series:
    """Groups for grouped CV: a track without a value becomes its own group.

    Parameters
    ----------
    values : pandas.Series
        ``track_id`` → group value (artist, film...); NaN, None or blank = missing.
    notes : list of str
        The loader's notes; one is added saying how many tracks had no value.
    what : str, default="artist"
        Name of the group value, for the note.

    Returns
    -------
    pandas.Series
        ``track_id`` → group (str); a missing value gives ``"song:<track_id>"``.

    Examples
    --------
    >>> notes = []
    >>> s = pd.Series(["Ann", None, " "], index=["1", "2", "3"])
    >>> groups_or_own(s, notes=notes).tolist(), notes
    (['Ann', 'song:2', 'song:3'], ['2 track(s) without an artist: each is its own group'])
    """
    out = []
    n_missing = 0
    for i, v in values.items():
        text = "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
        if text.strip():
            out.append(text.strip())
        else:
            out.append(f"song:{i}")
            n_missing += 1
    if n_missing:
        article = "an " if what[:1] in "aeiou" else "a "
        notes.append(
            f"{n_missing} track(s) without {article}{what}: each is its own group"
        )
    return pd.Series(out, index=values.index, name="group", dtype=object)


def va_labels(ids: pd.Index, valence: Any, arousal: Any, scale: str) -> pd.DataFrame:
    """``valence``, ``arousal`` and ``quadrant`` (NaN where either value is missing)."""
    from mer_classic.labels import va_to_quadrant

    labels = pd.DataFrame(
        {
            "valence": np.asarray(valence, dtype=float),
            "arousal": np.asarray(arousal, dtype=float),
        },
        index=ids,
    )
    ok = labels[["valence", "arousal"]].notna().all(axis=1)
    quad = pd.Series(np.nan, index=ids, dtype=object)
    if ok.any():
        quad[ok] = va_to_quadrant(
            labels.loc[ok, "valence"], labels.loc[ok, "arousal"], scale=scale
        )
    labels["quadrant"] = quad
    return labels


def check_range(
    values: pd.Series | np.ndarray, scale: str, *, dataset: str, what: str
) -> None:
    """Raise a :class:`DataError` when ``values`` leave the documented ``scale``."""
    from mer_classic.labels import scale_bounds

    lo, hi = scale_bounds(scale)
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size and (arr.min() < lo - 1e-9 or arr.max() > hi + 1e-9):
        raise DataError(
            f"{dataset}: {what} span [{arr.min():g}, {arr.max():g}], outside the "
            f"documented {scale} scale; is this the original (not rescaled) file?"
        )
