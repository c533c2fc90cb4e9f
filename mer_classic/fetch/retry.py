"""Retry policy for Web API calls: backoff, ``Retry-After`` and error translation.

:class:`SpotifyClient` wraps the spotipy client built by
:func:`mer_classic.fetch.client.make_client` and retries each call itself (spotipy's
and urllib3's retries are off there):

- bounded exponential backoff on 5xx answers and network errors;
- ``Retry-After`` honoured up to ``max_wait``, and a
  :class:`~mer_classic.exceptions.RateLimitError` beyond it, so a daily cap of hours
  ends the run with its progress saved instead of sleeping through it;
- one token refresh on 401;
- any other HTTP error becomes an :class:`ApiError` (a 403 also marks the endpoint
  as forbidden for the rest of the run).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import requests
import spotipy
from spotipy.exceptions import SpotifyException, SpotifyOauthError
from spotipy.oauth2 import SpotifyPKCE

from mer_classic.exceptions import ConfigError, FetchError, RateLimitError

if TYPE_CHECKING:  # pragma: no cover
    from mer_classic.fetch.client import CountingSession

__all__ = ["ApiError", "SpotifyClient", "format_wait"]

logger = logging.getLogger(__name__)

_TRANSIENT_EXC = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


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
