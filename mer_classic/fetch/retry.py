"""Retry policy for Web API calls: backoff, ``Retry-After`` and error translation.

:class:`RetryPolicy` runs one Web API call and retries it (spotipy's and
urllib3's retries are off, see :func:`mer_classic.fetch.client.make_client`):

- bounded exponential backoff on 5xx answers and network errors (a request over
  its total deadline, :class:`~mer_classic.fetch.session.DeadlineExceeded`, is one);
- ``Retry-After`` honoured up to ``max_wait``, and a
  :class:`~mer_classic.exceptions.RateLimitError` beyond it, so a daily cap of hours
  ends the run with its progress saved instead of sleeping through it;
- one token refresh on 401 (through the ``refresh`` callable it is given);
- any other HTTP error becomes an :class:`~mer_classic.exceptions.ApiError`.

Every retry is announced with one warning line (what failed, which retry, how
long the wait), which ``mer-classic`` shows by default.
:class:`~mer_classic.fetch.client.SpotifyClient` is a :class:`RetryPolicy` bound to
a spotipy client. :class:`~mer_classic.exceptions.ApiError` is re-exported here
for backward compatibility.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from typing import Any

import requests
from spotipy.exceptions import SpotifyException, SpotifyOauthError

from mer_classic.exceptions import ApiError, ConfigError, FetchError, RateLimitError
from mer_classic.fetch.session import DeadlineExceeded

__all__ = ["ApiError", "RetryPolicy", "credentials_error", "format_wait"]

logger = logging.getLogger(__name__)

_TRANSIENT_EXC = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


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
    >>> format_wait(0.25)
    '0.25 s'
    """
    if seconds < 10 and seconds != int(seconds):
        return f"{seconds:.3g} s"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


class RetryPolicy:
    """Retries of Web API calls: how often, how long to wait, what to raise.

    Parameters
    ----------
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
    waits : list of float
        Every delay slept, in seconds.
    """

    def __init__(
        self,
        *,
        max_wait: float = 300.0,
        max_retries: int = 5,
        backoff_base: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_wait = max_wait
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.sleep = sleep
        self.waits: list[float] = []

    def _backoff(self, attempt: int) -> float:
        return min(60.0, self.backoff_base * (2**attempt))

    def _retry(self, what: str, attempt: int, seconds: float) -> None:
        """Announce retry ``attempt + 1`` (one warning line) and wait before it."""
        logger.warning(
            "%s; retry %d of %d in %s",
            what,
            attempt + 1,
            self.max_retries,
            format_wait(seconds),
        )
        self.waits.append(seconds)
        if seconds > 0:
            self.sleep(seconds)

    def run(
        self,
        endpoint: str,
        attempt_call: Callable[[], Any],
        *,
        refresh: Callable[[], None] | None = None,
    ) -> Any:
        """Run ``attempt_call`` with retries; translate failures to mer-classic errors.

        Parameters
        ----------
        endpoint : str
            Short endpoint name used in messages.
        attempt_call : callable
            Sends the request once and returns the decoded JSON answer (spotipy
            raises :class:`~spotipy.exceptions.SpotifyException` on HTTP errors).
        refresh : callable, optional
            Gets a new access token; called once on the first 401.

        Returns
        -------
        object
            The decoded JSON answer.

        Raises
        ------
        ApiError
            On a non-retryable HTTP status.
        RateLimitError
            When ``Retry-After`` exceeds ``max_wait``.
        FetchError
            When retries are exhausted.
        ConfigError
            When Spotify refuses the credentials.
        """
        attempt = 0
        refreshed = False
        while True:
            try:
                with warnings.catch_warnings():
                    # spotipy flags audio_features as deprecated by Spotify; we handle
                    # its 403 ourselves.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    result = attempt_call()
                if result is None:  # spotipy turns an undecodable body into None
                    raise requests.exceptions.ContentDecodingError(
                        "response body is not JSON (truncated?)"
                    )
                return result
            except SpotifyOauthError as exc:
                raise credentials_error(exc) from exc
            except SpotifyException as exc:
                status = exc.http_status
                if status == 401 and not refreshed and refresh is not None:
                    logger.info("access token rejected (401): refreshing it")
                    refresh()
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
                    self._retry(
                        f"Spotify rate limit (429) on {endpoint}",
                        attempt,
                        delay if delay is not None else self._backoff(attempt),
                    )
                    attempt += 1
                    continue
                if status >= 500 and attempt < self.max_retries:
                    self._retry(
                        f"Spotify answered {status} on {endpoint}",
                        attempt,
                        self._backoff(attempt),
                    )
                    attempt += 1
                    continue
                raise ApiError(
                    f"Spotify answered {status} on {endpoint}: {_short(exc.msg)}",
                    status=status,
                    endpoint=endpoint,
                ) from exc
            except _TRANSIENT_EXC as exc:
                why = type(exc).__name__
                if isinstance(exc, DeadlineExceeded):
                    why = f"{why}: {exc}"
                if attempt >= self.max_retries:
                    raise FetchError(
                        f"network failure talking to Spotify ({endpoint}) after "
                        f"{attempt} retries: {why}; check the connection and rerun "
                        "with --resume"
                        + (
                            " (--deadline sets the total seconds per request)"
                            if isinstance(exc, DeadlineExceeded)
                            else ""
                        )
                    ) from exc
                self._retry(
                    f"cannot reach Spotify ({endpoint}: {why})",
                    attempt,
                    self._backoff(attempt),
                )
                attempt += 1


def _short(msg: Any) -> str:
    text = " ".join(str(msg or "").split())
    return text[:200] if text else "(no message)"


def credentials_error(exc: SpotifyOauthError) -> ConfigError:
    """Translate spotipy's refusal of the credentials into a :class:`ConfigError`."""
    error = getattr(exc, "error", None) or "unknown error"
    return ConfigError(
        f"Spotify refused the credentials ({error}); check SPOTIPY_CLIENT_ID / "
        "SPOTIPY_CLIENT_SECRET (developer.spotify.com/dashboard → your app → Settings)"
    )
