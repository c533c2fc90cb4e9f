"""HTTP sessions of a crawl: counted, fenced to one origin, with a total deadline.

The Web API client, the token requests and the preview downloads each use one
:class:`CountingSession`, so a crawl can report its requests by kind. The session
mounts plain adapters (``max_retries=0``): nothing below
:mod:`mer_classic.fetch.retry` retries.

Two guards make a hostile or broken server harmless:

- **origin fence** (``allowed=``): the session refuses any URL, redirect targets
  included, that is not under the given base URL (same scheme, host and port, and
  under its path), with an :class:`OffOriginError` that names the URL. The Web API
  session is fenced to the API base and the token session to the token URL, so the
  bearer token and the client secret are never sent to another origin (requests
  itself strips ``Authorization`` on a redirect to another host or port, but not to
  another path of the same origin, and it may add ``.netrc`` credentials for the new
  host). The preview session carries no credentials at all.
- **total deadline** (``deadline=``): every request, from connecting to the last
  byte of its body, must finish within ``deadline`` seconds. requests' ``timeout``
  bounds each socket read only, so a server trickling one byte every few seconds
  would hold it for ever; a watchdog timer shuts the request's socket down when the
  deadline passes and the request fails with :class:`DeadlineExceeded` (a
  :class:`requests.exceptions.Timeout`, so it is retried like other network
  errors).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from mer_classic.exceptions import FetchError

__all__ = [
    "DEFAULT_DEADLINE",
    "CountingSession",
    "DeadlineExceeded",
    "OffOriginError",
    "is_under",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}
#: seconds one HTTP request may take in all, connect to last byte (``--deadline``)
DEFAULT_DEADLINE = 60.0


class OffOriginError(FetchError):
    """A request or a redirect pointed outside the origin its session is fenced to.

    Attributes
    ----------
    url : str
        The refused URL.
    """

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class DeadlineExceeded(requests.exceptions.Timeout):
    """A request did not finish (connect to last byte) within its total deadline."""


def _origin(url: str) -> tuple[str, str, int | None, str]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number
        port = -1
    return scheme, (parts.hostname or "").lower(), port, parts.path or "/"


def is_under(url: str, base: str) -> bool:
    """Tell whether ``url`` is under ``base``: same scheme, host, port and path prefix.

    A path with ``.`` or ``..`` segments (also percent-encoded) and a URL with
    user credentials are never under any base.

    Examples
    --------
    >>> base = "https://api.spotify.com/v1/"
    >>> is_under("https://api.spotify.com/v1/playlists/x/items?offset=50", base)
    True
    >>> is_under("https://api.spotify.com:8443/v1/x", base)
    False
    >>> is_under("https://api.spotify.com/v1/../admin", base)
    False
    >>> is_under("https://evil.example/v1/x", base)
    False
    """
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        return False
    scheme, host, port, path = _origin(url)
    b_scheme, b_host, b_port, b_path = _origin(base)
    if (scheme, host, port) != (b_scheme, b_host, b_port) or not host:
        return False
    if any(seg in (".", "..") for seg in unquote(path).split("/")):
        return False
    root = b_path.rstrip("/")
    return path in (root, b_path) or path.startswith(root + "/")


# ------------------------------------------------------------------- deadlines
class _Watch:
    """The sockets one request uses, shut down if its deadline passes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.lock = threading.Lock()
        self.sockets: list[Any] = []
        self.active = True
        self.expired = False
        self.timer = threading.Timer(seconds, self._expire)
        self.timer.daemon = True

    def add(self, sock: Any) -> None:
        with self.lock:
            self.sockets.append(sock)
            if self.expired:
                _shutdown(sock)

    def _expire(self) -> None:
        with self.lock:
            if not self.active:
                return
            self.expired = True
            for sock in self.sockets:
                _shutdown(sock)

    def stop(self) -> None:
        with self.lock:
            self.active = False
        self.timer.cancel()


def _shutdown(sock: Any) -> None:
    with contextlib.suppress(OSError):
        # the plain socket's shutdown: wakes a recv blocked in another thread
        # (SSLSocket.shutdown would tear down its TLS state from this thread)
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_local = threading.local()


def _watch_socket(conn: Any) -> None:
    """Register the socket ``conn`` just sent a request on with this thread's watch.

    The socket itself, not the connection: http.client drops ``conn.sock`` when an
    answer will close the connection, while the answer still reads from it.
    """
    watch = getattr(_local, "watch", None)
    if watch is not None and conn.sock is not None:
        watch.add(conn.sock)


class _WatchedConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        super().request(*args, **kwargs)
        _watch_socket(self)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        super().request(*args, **kwargs)
        _watch_socket(self)


class _WatchedPool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _Adapter(requests.adapters.HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedPool,
            "https": _WatchedHTTPSPool,
        }


class CountingSession(requests.Session):
    """A :class:`requests.Session` that counts, fences and times its requests.

    It mounts plain adapters (``max_retries=0``), so nothing below us retries.

    Parameters
    ----------
    allowed : str, optional
        Base URL every request and redirect target must be under (see
        :func:`is_under`); others raise :class:`OffOriginError` before anything is
        sent. ``None`` allows any URL.
    deadline : float, optional
        Seconds each request may take in all, from connecting to the end of its
        body (``stream=True`` bodies: to the end of the :meth:`deadline_scope`
        that reads them). ``None``: no total deadline.

    Attributes
    ----------
    count : int
        Requests sent so far (redirects followed included).

    Examples
    --------
    >>> CountingSession().count
    0
    """

    def __init__(
        self, *, allowed: str | None = None, deadline: float | None = None
    ) -> None:
        super().__init__()
        self.count = 0
        self.allowed = allowed
        self.deadline = deadline
        adapter = _Adapter(max_retries=0)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def _check(self, url: str, what: str) -> None:
        if self.allowed is not None and not is_under(url, self.allowed):
            raise OffOriginError(
                f"refusing {what} {url!r}: it is not under {self.allowed} (same "
                "scheme, host, port and path); credentials are never sent elsewhere",
                url=url,
            )

    @contextlib.contextmanager
    def deadline_scope(self) -> Iterator[None]:
        """Bound everything sent and read inside the block by :attr:`deadline`.

        Scopes do not nest: an inner one (each :meth:`request`) joins the outer
        one, so a streamed body read inside the block counts against the same
        deadline as its headers.

        Raises
        ------
        DeadlineExceeded
            When the deadline passed and the request failed because of it.
        """
        if self.deadline is None or getattr(_local, "watch", None) is not None:
            yield
            return
        watch = _Watch(self.deadline)
        _local.watch = watch
        start = time.monotonic()
        watch.timer.start()
        try:
            yield
        except requests.exceptions.RequestException as exc:
            if watch.expired:
                raise DeadlineExceeded(
                    f"no complete answer within the total deadline of "
                    f"{self.deadline:g} s (after {time.monotonic() - start:.1f} s)"
                ) from exc
            raise
        finally:
            watch.stop()
            _local.watch = None
        if watch.expired:  # the body ended "cleanly" because its socket was shut
            raise DeadlineExceeded(
                f"no complete answer within the total deadline of {self.deadline:g} s"
            )

    def request(self, method: str, url: str, *args: Any, **kwargs: Any):  # type: ignore[override]
        """Send a request (fenced, within the deadline) and count it."""
        self._check(str(url), "to send a request to")
        self.count += 1
        with self.deadline_scope():
            return super().request(method, url, *args, **kwargs)

    def rebuild_auth(self, prepared_request: Any, response: Any) -> None:
        """Refuse a redirect outside :attr:`allowed` (before it is sent)."""
        self._check(str(prepared_request.url), "to follow a redirect to")
        self.count += 1
        super().rebuild_auth(prepared_request, response)
