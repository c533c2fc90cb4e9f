"""Where a dataset's files sit: the published layout, at the root or one level down.

Every loader names the paths its layout holds relative to the dataset folder, and
:class:`Layout` finds that folder at the path the user gave or in a folder directly
inside it. Nothing deeper is searched (a stray copy deep inside ``/tmp`` is never
loaded), two candidates at the same level are refused with both named, and every
file used is logged at INFO and listed for the dataset's ``meta["files"]``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from mer_classic.config import AUDIO_EXTENSIONS
from mer_classic.exceptions import DataError

__all__ = ["AUDIO_EXTENSIONS", "Layout", "RelPath", "as_root", "scan_audio"]

logger = logging.getLogger(__name__)

# AUDIO_EXTENSIONS (re-exported) is the extractor's list (mer_classic.config), so a
# loader scanning a folder never skips a file the extractor can decode.


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
