"""Spotify client factory: auth modes, test seams, token cache and request counting.

spotipy does the HTTP work; this module decides *how*:

- the API base URL and the token URL come from ``MER_CLASSIC_SPOTIFY_API_URL`` and
  ``MER_CLASSIC_SPOTIFY_TOKEN_URL`` when set (tests point them at a local server);
- spotipy's urllib3 retries are off (``retries=0``, ``status_retries=0`` and our own
  :class:`requests.Session`), because urllib3 sleeps through a daily-cap
  ``Retry-After`` of hours and then drops the header. The returned
  :class:`~mer_classic.fetch.retry.SpotifyClient` retries itself (see
  :mod:`mer_classic.fetch.retry`): bounded backoff on 5xx and network errors,
  ``Retry-After`` honoured up to ``max_wait`` and a
  :class:`~mer_classic.exceptions.RateLimitError` beyond it, one token refresh on 401;
- tokens are cached in a file under the data folder (never spotipy's ``.cache`` in
  the working directory), written atomically with mode 0600;
- every HTTP request is counted, API and token requests separately.

Secrets (client secret, tokens) are never logged: a filter redacts them from
spotipy's own debug log lines.

:class:`~mer_classic.fetch.retry.ApiError`, :class:`~mer_classic.fetch.retry.SpotifyClient`
and :func:`~mer_classic.fetch.retry.format_wait` live in :mod:`mer_classic.fetch.retry`
and are re-exported here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import spotipy
from spotipy.cache_handler import CacheHandler
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyPKCE

from mer_classic._io import atomic_open
from mer_classic.config import data_dir
from mer_classic.exceptions import ConfigError, ParameterError
from mer_classic.fetch.retry import ApiError, SpotifyClient, format_wait

__all__ = [
    "API_URL",
    "TOKEN_URL",
    "ENV_API_URL",
    "ENV_TOKEN_URL",
    "AUTH_MODES",
    "USER_SCOPE",
    "ApiError",
    "CountingSession",
    "SpotifyClient",
    "api_url",
    "format_wait",
    "token_url",
    "make_client",
]

logger = logging.getLogger(__name__)

API_URL = "https://api.spotify.com/v1/"
TOKEN_URL = "https://accounts.spotify.com/api/token"
ENV_API_URL = "MER_CLASSIC_SPOTIFY_API_URL"
ENV_TOKEN_URL = "MER_CLASSIC_SPOTIFY_TOKEN_URL"
AUTH_MODES = ("client", "user")
#: scopes asked for by ``--auth user`` (read the user's own and collaborative playlists)
USER_SCOPE = "playlist-read-private playlist-read-collaborative"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8888/callback"


def api_url() -> str:
    """Return the Web API base URL (``$MER_CLASSIC_SPOTIFY_API_URL`` or Spotify's).

    Examples
    --------
    >>> import os
    >>> api_url() == (os.environ.get("MER_CLASSIC_SPOTIFY_API_URL") or API_URL)
    True
    """
    url = os.environ.get(ENV_API_URL) or API_URL
    return url if url.endswith("/") else url + "/"


def token_url() -> str:
    """Return the token URL (``$MER_CLASSIC_SPOTIFY_TOKEN_URL`` or Spotify's)."""
    return os.environ.get(ENV_TOKEN_URL) or TOKEN_URL


class CountingSession(requests.Session):
    """A :class:`requests.Session` that counts the requests it sends.

    It mounts plain adapters (``max_retries=0``), so nothing below us retries.
    """

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        adapter = requests.adapters.HTTPAdapter(max_retries=0)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any):  # type: ignore[override]
        """Send a request and count it."""
        self.count += 1
        return super().request(method, url, *args, **kwargs)


class _FileTokenCache(CacheHandler):
    """spotipy token cache in one JSON file, written atomically with mode 0600."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def get_cached_token(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            logger.warning("ignoring unreadable token cache %s", self.path)
            return None

    def save_token_to_cache(self, token_info: dict[str, Any]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_open(self.path, "w") as fh:
                os.chmod(fh.name, 0o600)
                json.dump(token_info, fh)
        except OSError as exc:
            logger.warning("could not write token cache %s: %s", self.path, exc)


class _RedactSecrets(logging.Filter):
    """Redact tokens/secrets from spotipy log lines and quieten handled HTTP errors."""

    _patterns = (
        (re.compile(r"(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 ***"),
        (
            re.compile(
                r"('(?:refresh_token|access_token|code|code_verifier|client_secret)'"
                r":\s*')[^']*'"
            ),
            r"\1***'",
        ),
    )

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        for pattern, repl in self._patterns:
            msg = pattern.sub(repl, msg)
        record.msg, record.args = msg, None
        if record.levelno >= logging.ERROR and msg.startswith(
            ("HTTP Error for", "Max Retries")
        ):
            # SpotifyClient handles these and raises its own, clearer errors.
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


def _install_log_filter() -> None:
    for name in ("spotipy.client", "spotipy.oauth2"):
        log = logging.getLogger(name)
        if not any(isinstance(f, _RedactSecrets) for f in log.filters):
            log.addFilter(_RedactSecrets())


def _cache_path(
    cache_dir: str | os.PathLike[str] | None, auth: str, client_id: str
) -> Path:
    folder = Path(cache_dir) if cache_dir is not None else data_dir()
    digest = hashlib.sha256(client_id.encode()).hexdigest()[:12]
    return folder / ".spotify-token-cache" / f"{auth}-{digest}.json"


def make_client(
    *,
    auth: str = "client",
    client_id: str | None = None,
    client_secret: str | None = None,
    redirect_uri: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    max_wait: float = 300.0,
    max_retries: int = 5,
    backoff_base: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 20.0,
    open_browser: bool = True,
) -> SpotifyClient:
    """Build a :class:`SpotifyClient` for one auth mode.

    Parameters
    ----------
    auth : {"client", "user"}, default="client"
        ``"client"``: client-credentials flow (``SPOTIPY_CLIENT_ID`` and
        ``SPOTIPY_CLIENT_SECRET``). ``"user"``: authorization code with PKCE
        (``SPOTIPY_CLIENT_ID`` and ``SPOTIPY_REDIRECT_URI``), needed to read the
        user's own playlists with a development-mode app.
    client_id, client_secret, redirect_uri : str, optional
        Override the environment variables.
    cache_dir : path, optional
        Folder for the token cache (default: the data folder).
    max_wait, max_retries, backoff_base, sleep
        Retry policy, see :class:`SpotifyClient`.
    timeout : float, default=20
        Seconds to wait for an answer.
    open_browser : bool, default=True
        ``--auth user`` only: open the login page in a browser.

    Returns
    -------
    SpotifyClient

    Raises
    ------
    ConfigError
        If credentials are missing.
    ParameterError
        If ``auth`` or a retry setting is invalid.
    """
    if auth not in AUTH_MODES:
        raise ParameterError(f"auth must be one of {AUTH_MODES}; got {auth!r}")
    if max_wait < 0 or max_retries < 0 or backoff_base < 0:
        raise ParameterError(
            "max_wait, max_retries and backoff_base must be >= 0; got "
            f"{max_wait}, {max_retries}, {backoff_base}"
        )
    client_id = client_id or os.environ.get("SPOTIPY_CLIENT_ID")
    if not client_id:
        raise ConfigError(
            "missing Spotify credentials: set SPOTIPY_CLIENT_ID"
            + (" and SPOTIPY_CLIENT_SECRET" if auth == "client" else "")
            + " (create an app at https://developer.spotify.com/dashboard), or use "
            "--tracks with --offline to build the table without Spotify"
        )
    _install_log_filter()
    token_session = CountingSession()
    cache = _FileTokenCache(_cache_path(cache_dir, auth, client_id))
    manager: SpotifyClientCredentials | SpotifyPKCE
    if auth == "client":
        client_secret = client_secret or os.environ.get("SPOTIPY_CLIENT_SECRET")
        if not client_secret:
            raise ConfigError(
                "missing Spotify credentials: SPOTIPY_CLIENT_SECRET is not set "
                "(app Settings on https://developer.spotify.com/dashboard); or use "
                "--auth user, which needs only the client id"
            )
        manager = SpotifyClientCredentials(
            client_id=client_id,
            client_secret=client_secret,
            requests_session=token_session,
            requests_timeout=timeout,
            cache_handler=cache,
        )
    else:
        redirect_uri = (
            redirect_uri
            or os.environ.get("SPOTIPY_REDIRECT_URI")
            or DEFAULT_REDIRECT_URI
        )
        manager = SpotifyPKCE(
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=USER_SCOPE,
            requests_session=token_session,
            requests_timeout=timeout,
            cache_handler=cache,
            open_browser=open_browser,
        )
    # spotipy reads the token URL from a class attribute: override it per instance.
    manager.OAUTH_TOKEN_URL = token_url()
    api_session = CountingSession()
    sp = spotipy.Spotify(
        auth_manager=manager,
        requests_session=api_session,
        requests_timeout=timeout,
        retries=0,
        status_retries=0,
    )
    sp.prefix = api_url()
    return SpotifyClient(
        sp,
        api_session,
        token_session,
        auth=auth,
        max_wait=max_wait,
        max_retries=max_retries,
        backoff_base=backoff_base,
        sleep=sleep,
    )
