"""HTTP sessions of a crawl: :class:`CountingSession` counts what it sends.

The Web API client, the token requests and the preview downloads each use one
:class:`CountingSession`, so a crawl can report its requests by kind. The session
mounts plain adapters (``max_retries=0``): nothing below
:mod:`mer_classic.fetch.retry` retries.
"""

from __future__ import annotations

from typing import Any

import requests

__all__ = ["CountingSession"]


class CountingSession(requests.Session):
    """A :class:`requests.Session` that counts the requests it sends.

    It mounts plain adapters (``max_retries=0``), so nothing below us retries.

    Attributes
    ----------
    count : int
        Requests sent so far.

    Examples
    --------
    >>> CountingSession().count
    0
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
