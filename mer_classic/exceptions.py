"""Exceptions raised by mer-classic.

Every error the library raises on purpose derives from :class:`MerClassicError`,
so callers can catch them all at once; errors about bad values also derive from
:class:`ValueError` so scikit-learn style callers still catch them.
"""

from __future__ import annotations

import errno
import os

__all__ = [
    "MerClassicError",
    "ConfigError",
    "DataError",
    "ParameterError",
    "FetchError",
    "RateLimitError",
    "ApiError",
    "FetchInterrupted",
    "ModelFileError",
    "AudioError",
    "NoSpaceError",
    "VersionMismatchWarning",
    "MissingGlyphWarning",
]


class MerClassicError(Exception):
    """Root of every mer-classic error."""


class ConfigError(MerClassicError):
    """A setting, path or credential is missing or wrong."""


class DataError(MerClassicError, ValueError):
    """Input data (a table, a dataset folder, labels) cannot be used as given."""


class ParameterError(MerClassicError, ValueError):
    """A parameter has a value outside its allowed range."""


class FetchError(MerClassicError):
    """Talking to a web API (Spotify) failed in a way the user must act on."""


class RateLimitError(FetchError):
    """The API asked us to wait longer than allowed; state was saved for --resume.

    Attributes
    ----------
    retry_after : float
        Seconds the server asked to wait.
    """

    def __init__(self, message: str, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ApiError(FetchError):
    """The Web API answered an HTTP error that retrying cannot fix (403, 404, 400 ...).

    Attributes
    ----------
    status : int
        HTTP status code.
    endpoint : str
        Short name of the endpoint that answered (``"playlist_items"`` ...).
    """

    def __init__(self, message: str, *, status: int, endpoint: str) -> None:
        super().__init__(message)
        self.status = status
        self.endpoint = endpoint


class FetchInterrupted(FetchError, KeyboardInterrupt):
    """A crawl was interrupted (Ctrl-C); its progress was saved for ``--resume``.

    It is both a :class:`FetchError` (the CLI prints its message, which says how
    to continue) and a :class:`KeyboardInterrupt` (code that stops on Ctrl-C still
    stops).

    Attributes
    ----------
    out : str
        The output folder holding the saved crawl.
    """

    def __init__(self, message: str, *, out: str = "") -> None:
        super().__init__(message)
        self.out = out


class ModelFileError(MerClassicError):
    """A model file is missing, corrupted, or not a mer-classic model."""


class AudioError(MerClassicError):
    """An audio file cannot be decoded or is unusable (empty, silent, too short)."""


class NoSpaceError(ConfigError, OSError):
    """The disk filled up (``ENOSPC``) while writing ``path``; nothing was replaced.

    Raised by the atomic writers of :mod:`mer_classic._io`, which remove their
    temporary and leave the previous file or folder as it was. It is also an
    :class:`OSError` with ``errno == errno.ENOSPC`` and ``filename == path``, so code
    that handles a full disk the usual way keeps working.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    def __str__(self) -> str:
        return f"no space left on device writing {self.filename}; nothing was replaced"

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return type(self), (str(self.filename),)


class VersionMismatchWarning(UserWarning):
    """The model was saved with other versions of mer-classic, scikit-learn or imbalanced-learn.

    Raised as a warning by :func:`mer_classic.load_model`.
    """


class MissingGlyphWarning(UserWarning):
    """Figure text (e.g. CJK labels) has characters no installed font can draw.

    Warned once per figure by :mod:`mer_classic.report` instead of matplotlib's
    warning per missing glyph; the characters show as boxes.
    """
