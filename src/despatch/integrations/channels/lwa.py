"""Login with Amazon: the access token every Selling Partner API call carries, exchanged for
the seller's refresh token (``POST /auth/o2/token``, form-encoded, ``grant_type=
refresh_token``, ``refresh_token``, ``client_id``, ``client_secret``).

An Amazon channel with ``settings.lwa_client_id`` keeps the refresh token as its ``token`` and
the client secret as ``settings.lwa_client_secret``; ``settings.lwa_token_url`` overrides the
endpoint (the EU and Far East ones, or a local fake in tests). Without ``lwa_client_id`` the
channel's token is sent as it is (an access token obtained elsewhere).

Each process keeps the access token until a minute before it expires (``expires_in``, an hour)
and asks again then; no call is made inside a database transaction (callers are pulls, pushes
and non-transactional handlers). Neither the refresh token nor the secret is ever logged or
put in an error: errors name the endpoint and Amazon's ``error`` code only.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

from despatch.domain.errors import Unavailable
from despatch.integrations.channels import http
from despatch.integrations.channels.base import Connection

TOKEN_URL = "https://api.amazon.com/auth/o2/token"
MARGIN = 60.0  # seconds before expiry at which a cached token is no longer used

_cache: dict[tuple[str, str, str], tuple[str, float]] = {}
_lock = threading.Lock()


def _key(url: str, client_id: str, refresh_token: str) -> tuple[str, str, str]:
    return url, client_id, hashlib.sha256(refresh_token.encode()).hexdigest()


def access_token(conn: Connection, *, clock: Callable[[], float] = time.monotonic) -> str:
    """The access token for ``conn``: cached, or exchanged for its refresh token now."""
    client_id = str(conn.settings.get("lwa_client_id") or "")
    if not client_id:
        return conn.token
    url = str(conn.settings.get("lwa_token_url") or TOKEN_URL)
    key = _key(url, client_id, conn.token)
    with _lock:
        cached = _cache.get(key)
    if cached and cached[1] > clock():
        return cached[0]
    token, expires_in = _exchange(url, client_id, conn)
    with _lock:
        _cache[key] = (token, clock() + max(expires_in - MARGIN, 0.0))
    return token


def _exchange(url: str, client_id: str, conn: Connection) -> tuple[str, float]:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": conn.token,
        "client_id": client_id,
        "client_secret": str(conn.settings.get("lwa_client_secret") or ""),
    }
    try:
        body = http.call("POST", url, {}, form=form).body or {}
    except Unavailable as exc:  # the message holds Amazon's answer, never what was sent
        raise Unavailable(
            f"Login with Amazon refused the refresh token at {url} ({_error_of(exc.detail)})",
            url=url,
        ) from None
    token = body.get("access_token")
    if not token:
        raise Unavailable(f"Login with Amazon at {url} answered without an access_token", url=url)
    try:
        expires_in = float(body.get("expires_in") or 3600)
    except (TypeError, ValueError):
        expires_in = 3600.0
    return str(token), expires_in


def _error_of(detail: str) -> str:
    for code in ("invalid_grant", "invalid_client", "unauthorized_client", "invalid_request"):
        if code in detail:
            return code
    return "no answer" if "did not answer" in detail else "refused"


def forget() -> None:
    """Drop every cached token (tests; a changed credential is keyed apart anyway)."""
    with _lock:
        _cache.clear()
