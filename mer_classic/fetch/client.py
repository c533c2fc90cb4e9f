"""Spotify client factory: auth modes, test seams, request counting and backoff.

spotipy does the HTTP work; this module decides *how*:

- the API base URL and the token URL come from ``MER_CLASSIC_SPOTIFY_API_URL`` and
  ``MER_CLASSIC_SPOTIFY_TOKEN_URL`` when set (tests point them at a local server);
- spotipy's urllib3 retries are off (``retries=0``, ``status_retries=0`` and our own
  :class:`requests.Session`), because urllib3 sleeps through a daily-cap
  ``Retry-After`` of hours and then drops the header. :class:`SpotifyClient` retries
  itself: bounded backoff on 5xx and network errors, ``Retry-After`` honoured up to
  ``max_wait`` and a :class:`~mer_classic.exceptions.RateLimitError` beyond it,
  one token refresh on 401;
- tokens are cached in a file under the data folder (never spotipy's ``.cache`` in
  the working directory), written atomically with mode 0600;
- every HTTP request is counted, API and token requests separately.

Secrets (client secret, tokens) are never logged: a filter redacts them from
spotipy's own debug log lines.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import spotipy
from spotipy.cache_handler import CacheHandler
from spotipy.exceptions import SpotifyException, SpotifyOauthError
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyPKCE

from mer_classic._io import atomic_open
from mer_classic.config import data_dir
from mer_classic.exceptions import (
    ConfigError,
    FetchError,
    ParameterError,
    RateLimitError,
)

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

_TRANSIENT_EXC = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


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

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any):  # type: ignore[override]
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


def _retry_after(headers: Any) -> float | None:
    value = (headers or {}).get("Retry-After") if headers is not None else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None


def format_wait(seconds: float) -> str:
    """Format a wait in seconds for humans.

    Examples
    --------
    >>> format_wait(5400)
    '1 h 30 min'
    >>> format_wait(42)
    '42 s'
    """
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


class SpotifyClient:
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
    max_wait : float, default=300
        Longest ``Retry-After`` (seconds) to sleep through; a longer one raises
        :class:`~mer_classic.exceptions.RateLimitError`.
    max_retries : int, default=5
        Retries per request on 5xx, 429 and network errors.
    backoff_base : float, default=1.0
        First backoff delay in seconds (doubles at each retry, capped at 60 s).
    sleep : callable, default=time.sleep
        How to wait (tests pass a recorder).

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
        self.sp = sp
        self.api_session = api_session
        self.token_session = token_session
        self.auth = auth
        self.max_wait = max_wait
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.sleep = sleep
        self.forbidden: set[str] = set()
        self.waits: list[float] = []

    # -- counters -----------------------------------------------------------------
    @property
    def api_requests(self) -> int:
        """Number of Web API requests sent so far."""
        return self.api_session.count

    @property
    def token_requests(self) -> int:
        """Number of token requests sent so far."""
        return self.token_session.count

    # -- the retry loop ---------------------------------------------------------
    def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        if seconds > 0:
            self.sleep(seconds)

    def _backoff(self, attempt: int) -> float:
        return min(60.0, self.backoff_base * (2**attempt))

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
            raise _credentials_error(exc) from exc

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
        attempt = 0
        refreshed = False
        while True:
            try:
                with warnings.catch_warnings():
                    # spotipy flags audio_features as deprecated by Spotify; we handle
                    # its 403 ourselves.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    result = fn(*args, **kwargs)
                if result is None:  # spotipy turns an undecodable body into None
                    raise requests.exceptions.ContentDecodingError(
                        "response body is not JSON (truncated?)"
                    )
                return result
            except SpotifyOauthError as exc:
                raise _credentials_error(exc) from exc
            except SpotifyException as exc:
                status = exc.http_status
                if status == 401 and not refreshed:
                    logger.info("access token rejected (401): refreshing it")
                    self._refresh_token()
                    refreshed = True
                    continue
                if status == 429:
                    delay = _retry_after(exc.headers)
                    if delay is not None and delay > self.max_wait:
                        raise RateLimitError(
                            f"Spotify rate limit on {endpoint}: Retry-After is "
                            f"{format_wait(delay)} ({delay:.0f} s), more than "
                            f"--max-wait {self.max_wait:.0f} s",
                            retry_after=delay,
                        ) from exc
                    if attempt >= self.max_retries:
                        raise FetchError(
                            f"Spotify kept answering 429 on {endpoint} after "
                            f"{attempt} retries; wait a while and rerun with --resume"
                        ) from exc
                    self._wait(delay if delay is not None else self._backoff(attempt))
                    attempt += 1
                    continue
                if status >= 500 and attempt < self.max_retries:
                    logger.info("%s answered %s; retrying", endpoint, status)
                    self._wait(self._backoff(attempt))
                    attempt += 1
                    continue
                if status == 403:
                    self.forbidden.add(endpoint)
                raise ApiError(
                    f"Spotify answered {status} on {endpoint}: {_short(exc.msg)}",
                    status=status,
                    endpoint=endpoint,
                ) from exc
            except _TRANSIENT_EXC as exc:
                if attempt >= self.max_retries:
                    raise FetchError(
                        f"network failure talking to Spotify ({endpoint}) after "
                        f"{attempt} retries: {type(exc).__name__}; check the "
                        "connection and rerun with --resume"
                    ) from exc
                logger.info("%s: %s; retrying", endpoint, type(exc).__name__)
                self._wait(self._backoff(attempt))
                attempt += 1


def _short(msg: Any) -> str:
    text = " ".join(str(msg or "").split())
    return text[:200] if text else "(no message)"


def _credentials_error(exc: SpotifyOauthError) -> ConfigError:
    error = getattr(exc, "error", None) or "unknown error"
    return ConfigError(
        f"Spotify refused the credentials ({error}); check SPOTIPY_CLIENT_ID / "
        "SPOTIPY_CLIENT_SECRET (developer.spotify.com/dashboard → your app → Settings)"
    )


def _cache_path(cache_dir: Path | None, auth: str, client_id: str) -> Path:
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
