"""Spotify client factory: auth modes, test seams, token cache and request counting.

spotipy does the HTTP work; this module decides *how*:

- the API base URL and the token URL come from ``MER_CLASSIC_SPOTIFY_API_URL`` and
  ``MER_CLASSIC_SPOTIFY_TOKEN_URL`` when set (tests point them at a local server);
- spotipy's urllib3 retries are off (``retries=0``, ``status_retries=0`` and our own
  :class:`requests.Session`), because urllib3 sleeps through a daily-cap
  ``Retry-After`` of hours and then drops the header. The returned
  :class:`SpotifyClient` retries itself (its policy is
  :class:`mer_classic.fetch.retry.RetryPolicy`): bounded backoff on 5xx and network
  errors, ``Retry-After`` honoured up to ``max_wait`` and a
  :class:`~mer_classic.exceptions.RateLimitError` beyond it, one token refresh on 401;
- tokens are cached in a file under the data folder (never spotipy's ``.cache`` in
  the working directory), written atomically with mode 0600, with a salted
  fingerprint of the client secret (see :mod:`mer_classic.fetch._token_cache`);
- every HTTP request is counted, API and token requests separately
  (:class:`~mer_classic.fetch.session.CountingSession`).

Secrets (client secret, tokens) are never logged: a filter redacts them from
spotipy's own debug log lines.

:class:`~mer_classic.exceptions.ApiError`,
:class:`~mer_classic.fetch.session.CountingSession` and
:func:`~mer_classic.fetch.retry.format_wait` are re-exported here.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import spotipy
from spotipy.exceptions import SpotifyOauthError
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyPKCE

from mer_classic.config import data_dir
from mer_classic.exceptions import ApiError, ConfigError, ParameterError
from mer_classic.fetch._token_cache import FileTokenCache
from mer_classic.fetch.retry import RetryPolicy, credentials_error, format_wait
from mer_classic.fetch.session import DEFAULT_DEADLINE, CountingSession

__all__ = [
    "API_URL",
    "TOKEN_URL",
    "ENV_API_URL",
    "ENV_TOKEN_URL",
    "AUTH_MODES",
    "DEFAULT_DEADLINE",
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


class SpotifyClient(RetryPolicy):
    """A spotipy client plus retry policy and request counters.

    Parameters
    ----------
    sp : spotipy.Spotify
        The client, built with ``requests_session=api_session``.
    api_session : CountingSession
        The session ``sp`` sends API requests with.
    token_session : CountingSession
        The session the auth manager uses (counted separately).
    auth : {"client", "user"}, default="client"
        Which auth flow ``sp`` uses (decides how a 401 refreshes the token).
    max_wait, max_retries, backoff_base, sleep
        Retry policy, see :class:`~mer_classic.fetch.retry.RetryPolicy`.

    Attributes
    ----------
    forbidden : set of str
        Endpoints that answered 403 in this run (never asked again).
    waits : list of float
        Every delay slept, in seconds.
    """

    def __init__(
        self,
        sp: spotipy.Spotify,
        api_session: CountingSession,
        token_session: CountingSession,
        *,
        auth: str = "client",
        max_wait: float = 300.0,
        max_retries: int = 5,
        backoff_base: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            max_wait=max_wait,
            max_retries=max_retries,
            backoff_base=backoff_base,
            sleep=sleep,
        )
        self.sp = sp
        self.api_session = api_session
        self.token_session = token_session
        self.auth = auth
        self.forbidden: set[str] = set()

    @property
    def api_requests(self) -> int:
        """Number of Web API requests sent so far."""
        return self.api_session.count

    @property
    def token_requests(self) -> int:
        """Number of token requests sent so far."""
        return self.token_session.count

    def _refresh_token(self) -> None:
        manager = self.sp.auth_manager
        try:
            if isinstance(manager, SpotifyPKCE):
                cached = manager.cache_handler.get_cached_token() or {}
                if not cached.get("refresh_token"):
                    raise ConfigError(
                        "the Spotify user token expired and there is no refresh token; "
                        "rerun to log in again"
                    )
                manager.refresh_access_token(cached["refresh_token"])
            else:
                manager.get_access_token(as_dict=False, check_cache=False)
        except SpotifyOauthError as exc:
            raise credentials_error(exc) from exc

    def call(
        self, endpoint: str, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Any:
        """Call a spotipy method with retries; translate failures to mer-classic errors.

        Parameters
        ----------
        endpoint : str
            Short endpoint name used in messages and in :attr:`forbidden`.
        fn : callable
            A bound spotipy method (``self.sp.playlist_items`` ...).
        *args, **kwargs
            Passed to ``fn``.

        Returns
        -------
        object
            The decoded JSON answer.

        Raises
        ------
        ApiError
            On a non-retryable HTTP status (403 adds ``endpoint`` to :attr:`forbidden`).
        RateLimitError
            When ``Retry-After`` exceeds ``max_wait``.
        FetchError
            When retries are exhausted.
        """
        try:
            return self.run(
                endpoint, lambda: fn(*args, **kwargs), refresh=self._refresh_token
            )
        except ApiError as exc:
            if exc.status == 403:
                self.forbidden.add(endpoint)
            raise


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
    deadline: float = DEFAULT_DEADLINE,
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
        Seconds to wait for the connection and for each read.
    deadline : float, default=60
        Seconds one request may take in all (connect to last byte); a slower one
        is aborted and retried like a network error.
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
    if not deadline > 0:
        raise ParameterError(f"deadline must be > 0 seconds; got {deadline}")
    # each session is fenced to its own origin: the token and the secret never
    # leave the API host / the token endpoint (pagination and redirects included)
    token_session = CountingSession(allowed=token_url(), deadline=deadline)
    cache_path = _cache_path(cache_dir, auth, client_id)
    manager: SpotifyClientCredentials | SpotifyPKCE
    if auth == "client":
        client_secret = client_secret or os.environ.get("SPOTIPY_CLIENT_SECRET")
        if not client_secret:
            raise ConfigError(
                "missing Spotify credentials: SPOTIPY_CLIENT_SECRET is not set "
                "(app Settings on https://developer.spotify.com/dashboard); or use "
                "--auth user, which needs only the client id"
            )
        cache = FileTokenCache(cache_path, secret=client_secret)
        manager = SpotifyClientCredentials(
            client_id=client_id,
            client_secret=client_secret,
            requests_session=token_session,
            requests_timeout=timeout,
            cache_handler=cache,
        )
    else:
        cache = FileTokenCache(cache_path)
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
    api_session = CountingSession(allowed=api_url(), deadline=deadline)
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
