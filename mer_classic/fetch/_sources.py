"""Where labelled tracks come from: playlists and track tables.

- :class:`PlaylistSource`: ``LABEL=ID_OR_URL`` (``--playlist``) or one row of a
  playlists file (``--playlists``: ``label,playlist`` rows);
- :class:`TracksFileSource`: a CSV of track ids/URIs/URLs with a label column
  (``--tracks``), e.g. a playlist export or a Kaggle-style table such as
  ``data_moods.csv`` (``id`` + ``mood`` columns).

Spotify ids are 22 base-62 characters; URIs (``spotify:playlist:ID``) and
``open.spotify.com`` URLs (with ``?si=`` or ``/intl-xx/``) are accepted too.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from mer_classic._io import unescape_formula
from mer_classic.exceptions import DataError, ParameterError

__all__ = [
    "PlaylistSource",
    "TracksFileSource",
    "TrackRow",
    "is_spotify_id",
    "parse_spotify_id",
    "parse_playlist_option",
    "read_playlists_file",
    "read_tracks_file",
    "ID_COLUMNS",
    "LABEL_COLUMNS",
]

_ID_RE = re.compile(r"[0-9A-Za-z]{22}")
_URI_RE = re.compile(r"^spotify:(?:user:[^:]+:)?(?P<kind>[a-z]+):(?P<id>[0-9A-Za-z]+)$")
_URL_RE = re.compile(
    r"^(?:https?://)?open\.spotify\.com/(?:intl-[a-zA-Z-]+/)?(?:user/[^/]+/)?"
    r"(?P<kind>[a-z]+)/(?P<id>[0-9A-Za-z]+)/?(?:[?#].*)?$"
)

#: accepted names of the track-id column of a ``--tracks`` table (first match wins)
ID_COLUMNS = (
    "track_id",
    "id",
    "spotify_id",
    "track_uri",
    "uri",
    "spotify_uri",
    "track_url",
    "url",
    "spotify_url",
)
#: accepted names of the label column of a ``--tracks`` table (first match wins)
LABEL_COLUMNS = ("label", "mood", "emotion", "class", "quadrant", "labels", "category")
_TABLE_SUFFIXES = (".csv", ".tsv", ".txt")


def is_spotify_id(value: object) -> bool:
    """Tell whether ``value`` is a bare Spotify id: 22 base-62 characters.

    Every track id used as a file name (``audio/<track_id>.mp3``) passes this
    check first, whatever its source (a table, a playlist page, a track answer),
    so an id can never be a path such as ``../x`` or ``/tmp/x``.

    Examples
    --------
    >>> is_spotify_id("4uLU6hMCjMI75M1A2tKUQC"), is_spotify_id("../../../../tmp/y")
    (True, False)
    >>> is_spotify_id("4uLU6hMCjMI75M1A2tKUQC.mp3"), is_spotify_id(None)
    (False, False)
    """
    return isinstance(value, str) and _ID_RE.fullmatch(value) is not None


def parse_spotify_id(value: str, kind: str = "track") -> str:
    """Return the 22-character id in a Spotify id, URI or open.spotify.com URL.

    Parameters
    ----------
    value : str
        ``"4uLU6hMCjMI75M1A2tKUQC"``, ``"spotify:track:4uLU…"`` or
        ``"https://open.spotify.com/track/4uLU…?si=…"``.
    kind : {"track", "playlist"}, default="track"
        The kind of object expected.

    Returns
    -------
    str

    Raises
    ------
    DataError
        If ``value`` is none of the above, or names another kind of object.

    Examples
    --------
    >>> parse_spotify_id("https://open.spotify.com/playlist/37i9dQZF1DX3Ogo9pFvBkY?si=x",
    ...                  "playlist")
    '37i9dQZF1DX3Ogo9pFvBkY'
    >>> parse_spotify_id("spotify:track:4uLU6hMCjMI75M1A2tKUQC")
    '4uLU6hMCjMI75M1A2tKUQC'
    """
    text = str(value).strip()
    match = _URI_RE.match(text) or _URL_RE.match(text)
    if match:
        if match.group("kind") != kind:
            raise DataError(
                f"expected a Spotify {kind}; got a {match.group('kind')} link: {text!r}"
            )
        text = match.group("id")
    if not is_spotify_id(text):
        raise DataError(
            f"not a Spotify {kind} id, URI or URL: {value!r}; expected 22 "
            "letters/digits "
            f"(e.g. spotify:{kind}:<id> or https://open.spotify.com/{kind}/<id>)"
        )
    return text


@dataclass(frozen=True)
class PlaylistSource:
    """A playlist whose tracks all get one label.

    Parameters
    ----------
    label : str
        The label given to every track of the playlist.
    playlist_id : str
        The playlist's 22-character id.
    """

    label: str
    playlist_id: str

    @property
    def key(self) -> str:
        """Stable name of the source (``playlist:<id>``), used in outputs and state."""
        return f"playlist:{self.playlist_id}"

    def fingerprint(self) -> dict[str, str]:
        """Describe the source for the crawl-configuration fingerprint."""
        return {"type": "playlist", "label": self.label, "id": self.playlist_id}


@dataclass
class TrackRow:
    """One valid row of a ``--tracks`` table."""

    track_id: str
    label: str
    line: int
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class TracksFileSource:
    """Labelled track ids read from a table (see :func:`read_tracks_file`).

    Attributes
    ----------
    path : Path
    rows : list of TrackRow
        Valid rows in file order.
    invalid : list of tuple
        ``(line, value, reason)`` for rows that were skipped.
    sha256 : str
        Digest of the file's bytes.
    """

    path: Path
    rows: list[TrackRow]
    invalid: list[tuple[int, str, str]]
    sha256: str

    @property
    def key(self) -> str:
        """Stable name of the source (``tracks:<file name>``)."""
        return f"tracks:{self.path.name}"

    def fingerprint(self) -> dict[str, str]:
        """Describe the source for the crawl-configuration fingerprint."""
        return {"type": "tracks", "file": self.path.name, "sha256": self.sha256}


def parse_playlist_option(spec: str) -> PlaylistSource:
    """Parse ``LABEL=ID_OR_URL`` (the ``--playlist`` option).

    Examples
    --------
    >>> parse_playlist_option("calm=spotify:playlist:37i9dQZF1DX3Ogo9pFvBkY")
    PlaylistSource(label='calm', playlist_id='37i9dQZF1DX3Ogo9pFvBkY')
    """
    label, sep, ref = str(spec).partition("=")
    if not sep or not label.strip() or not ref.strip():
        raise ParameterError(
            f"--playlist must look like LABEL=PLAYLIST_ID_OR_URL; got {spec!r} "
            "(e.g. calm=https://open.spotify.com/playlist/<id>)"
        )
    return PlaylistSource(label.strip(), parse_spotify_id(ref, "playlist"))


def _check_table_path(path: Path, what: str) -> None:
    if not path.is_file():
        raise DataError(f"{what} file not found: {path}")
    if path.suffix.lower() not in _TABLE_SUFFIXES:
        raise DataError(
            f"unknown {what} file format {path.suffix or '(no extension)'!r} "
            f"for {path}; "
            "expected a text table (.csv, .tsv or .txt; export spreadsheets as CSV)"
        )


def _read_text(path: Path) -> tuple[str, str]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}); "
            "save it as UTF-8 CSV"
        ) from exc
    return text, hashlib.sha256(raw).hexdigest()


def read_playlists_file(path: str | os.PathLike[str]) -> list[PlaylistSource]:
    """Read a playlists file: one ``label,playlist`` pair per line.

    Fields may be separated by a comma, a tab, a semicolon or ``=``; an optional
    header line (e.g. ``label,playlist``), blank lines and ``#`` comments are
    skipped.

    Raises
    ------
    DataError
        For an unknown file format, a malformed line (its number is given) or
        a file without any playlist.
    """
    path = Path(path)
    _check_table_path(path, "playlists")
    text, _ = _read_text(path)
    sources: list[PlaylistSource] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts = [p.strip() for p in re.split(r"[,\t;=]", stripped, maxsplit=1)]
        if len(parts) != 2 or not all(parts):
            raise DataError(
                f"{path}, line {number}: expected 'label,playlist'; got {stripped!r}"
            )
        label, ref = parts
        try:
            playlist_id = parse_spotify_id(ref, "playlist")
        except DataError as exc:
            if not sources and number == _first_content_line(text):
                continue  # header line
            raise DataError(f"{path}, line {number}: {exc}") from exc
        sources.append(PlaylistSource(label, playlist_id))
    if not sources:
        raise DataError(
            f"no playlists in {path}; expected lines like 'calm,<playlist>'"
        )
    return sources


def _first_content_line(text: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.strip().startswith("#"):
            return number
    return 0


def _pick(
    columns: list[str],
    wanted: str | None,
    candidates: tuple[str, ...],
    what: str,
    path: Path,
) -> str:
    lower = {c.strip().lower(): c for c in columns}
    if wanted is not None:
        if wanted in columns:
            return wanted
        if wanted.lower() in lower:
            return lower[wanted.lower()]
        raise DataError(f"{path} has no column {wanted!r}; columns are {columns}")
    for name in candidates:
        if name in lower:
            return lower[name]
    raise DataError(
        f"{path} has no {what} column; columns are {columns}; expected one of "
        f"{list(candidates)} (or pass the column name explicitly)"
    )


def read_tracks_file(
    path: str | os.PathLike[str],
    *,
    id_column: str | None = None,
    label_column: str | None = None,
) -> TracksFileSource:
    """Read a table of labelled tracks (``--tracks``).

    Parameters
    ----------
    path : path
        A ``.csv``/``.tsv``/``.txt`` table with a header line. The delimiter
        (comma, semicolon or tab) is detected.
    id_column, label_column : str, optional
        Column names; by default the first of :data:`ID_COLUMNS` /
        :data:`LABEL_COLUMNS` present (case-insensitive).

    Returns
    -------
    TracksFileSource
        Rows with a bad id or an empty label are listed in ``invalid``.

    Raises
    ------
    DataError
        Unknown format, missing columns, or no valid row at all.
    """
    path = Path(path)
    _check_table_path(path, "tracks")
    text, digest = _read_text(path)
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            sample, delimiters=",;\t"
        )
    except csv.Error:
        dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    columns = list(reader.fieldnames or [])
    if not columns:
        raise DataError(
            f"{path} is empty; expected a header line such as 'track_id,label'"
        )
    id_col = _pick(columns, id_column, ID_COLUMNS, "track id", path)
    label_col = _pick(columns, label_column, LABEL_COLUMNS, "label", path)
    rows: list[TrackRow] = []
    invalid: list[tuple[int, str, str]] = []
    for number, record in enumerate(reader, start=2):
        value = (record.get(id_col) or "").strip()
        label = unescape_formula((record.get(label_col) or "").strip())
        try:
            track_id = parse_spotify_id(value, "track")
        except DataError:
            invalid.append((number, value, "invalid_id"))
            continue
        if not label:
            invalid.append((number, value, "no_label"))
            continue
        extra = {
            k.strip().lower(): unescape_formula((v or "").strip())
            for k, v in record.items()
            if k is not None and k not in (id_col, label_col)
        }
        rows.append(TrackRow(track_id, label, number, extra))
    if not rows:
        detail = (
            f"; first problem: line {invalid[0][0]} {invalid[0][2]} {invalid[0][1]!r}"
            if invalid
            else ""
        )
        raise DataError(
            f"no usable rows in {path} (column {id_col!r}/{label_col!r}){detail}"
        )
    return TracksFileSource(path=path, rows=rows, invalid=invalid, sha256=digest)
