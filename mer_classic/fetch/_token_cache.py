"""The token cache of :func:`mer_classic.fetch._client.make_client`.

One JSON file per auth mode and client id under the data folder (never spotipy's
``.cache`` in the working directory), written atomically with mode 0600. With
client credentials it also holds a salted PBKDF2 fingerprint of the client secret
(never the secret): a cached token made with another secret is ignored, so a wrong
``--client-secret`` is refused by Spotify instead of going unnoticed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from pathlib import Path
from typing import Any

from spotipy.cache_handler import CacheHandler

from mer_classic._io import atomic_open

__all__ = ["FileTokenCache", "SECRET_KEY"]

logger = logging.getLogger(__name__)

#: key of the secret's fingerprint in the cached token
SECRET_KEY = "mer_classic_secret_fingerprint"
_ITERATIONS = 50_000


def _digest(secret: str, salt: bytes, iterations: int) -> str:
    return hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, iterations).hex()


def fingerprint(secret: str) -> dict[str, Any]:
    """Return a salted PBKDF2-SHA256 fingerprint of ``secret``.

    Examples
    --------
    >>> fp = fingerprint("s3cr3t")
    >>> sorted(fp), "s3cr3t" in str(fp), matches(fp, "s3cr3t"), matches(fp, "other")
    (['iterations', 'pbkdf2_sha256', 'salt'], False, True, False)
    """
    salt = secrets.token_bytes(16)
    return {
        "salt": salt.hex(),
        "iterations": _ITERATIONS,
        "pbkdf2_sha256": _digest(secret, salt, _ITERATIONS),
    }


def matches(stored: Any, secret: str) -> bool:
    """Tell whether ``stored`` (from :func:`fingerprint`) was made from ``secret``."""
    try:
        salt = bytes.fromhex(stored["salt"])
        iterations = int(stored["iterations"])
        expected = str(stored["pbkdf2_sha256"])
    except (TypeError, KeyError, ValueError):
        return False
    if not 1 <= iterations <= 10 * _ITERATIONS:
        return False
    return hmac.compare_digest(_digest(secret, salt, iterations), expected)


class FileTokenCache(CacheHandler):
    """spotipy token cache in one JSON file, written atomically with mode 0600.

    Parameters
    ----------
    path : path
        The cache file.
    secret : str, optional
        The client secret the tokens are asked with. When given, a cached token
        whose fingerprint does not match it (or that has none) is ignored.
    """

    def __init__(self, path: str | os.PathLike[str], secret: str | None = None) -> None:
        self.path = Path(path)
        self._secret = secret
        self._verified: str | None = None  # the fingerprint last checked good

    def _secret_matches(self, token: dict[str, Any]) -> bool:
        if self._secret is None:
            return True
        stored = token.get(SECRET_KEY)
        key = json.dumps(stored, sort_keys=True)
        if key == self._verified:
            return True
        if matches(stored, self._secret):
            self._verified = key
            return True
        return False

    def get_cached_token(self) -> dict[str, Any] | None:
        """Return the cached token, or None (none, unreadable, other secret)."""
        try:
            token = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            logger.warning("ignoring unreadable token cache %s", self.path)
            return None
        if not isinstance(token, dict):
            logger.warning("ignoring unreadable token cache %s", self.path)
            return None
        if not self._secret_matches(token):
            logger.info(
                "the cached Spotify token was not made with this client secret: "
                "asking Spotify for a new one"
            )
            return None
        return token

    def save_token_to_cache(self, token_info: dict[str, Any]) -> None:
        """Write ``token_info`` (plus the secret's fingerprint) with mode 0600."""
        info = dict(token_info)
        if self._secret is not None:
            stored = fingerprint(self._secret)
            info[SECRET_KEY] = stored
            self._verified = json.dumps(stored, sort_keys=True)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_open(self.path, "w", file_mode=0o600) as fh:
                json.dump(info, fh)
        except OSError as exc:
            logger.warning("could not write token cache %s: %s", self.path, exc)
