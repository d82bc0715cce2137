"""Calling a platform's API: JSON over HTTPS with the retries platforms expect.

429 waits for ``Retry-After`` (capped); 5xx and connection failures back off exponentially;
other 4xx fail at once. A redirect is never followed: it fails at once too, naming where it
pointed (it could lead the call, and its token, to an internal address). Errors leave as
:class:`Unavailable` naming the URL and the answer.
Each platform authenticates its own way, so callers pass the headers (``bearer`` for the
common case).
"""

from __future__ import annotations

import email.utils
import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from despatch.domain.errors import Unavailable

ATTEMPTS = 5
BACKOFF = (0.5, 1.0, 2.0, 4.0)
MAX_RETRY_AFTER = 30.0
TIMEOUT = 30.0
# The longest one call can take: every attempt timing out, the longest wait between them.
LONGEST_CALL = ATTEMPTS * TIMEOUT + (ATTEMPTS - 1) * MAX_RETRY_AFTER


@dataclass(frozen=True)
class Response:
    status: int
    body: Any  # the decoded JSON; None for an empty body (e.g. 204)
    headers: Mapping[str, str]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises the 3xx as an HTTPError


_OPENER = urllib.request.build_opener(_NoRedirect)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def call(
    method: str,
    url: str,
    auth: Mapping[str, str],
    payload: Any = None,
    *,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    form: Mapping[str, str] | None = None,
) -> Response:
    """``payload`` goes as JSON; ``form`` (instead) as ``application/x-www-form-urlencoded``."""
    data = None if payload is None else json.dumps(payload).encode()
    headers = {"Accept": "application/json", "User-Agent": "Despatch OMS", **auth}
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded;charset=UTF-8"
    elif data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    last = ""
    for attempt in range(attempts):
        wait = BACKOFF[min(attempt, len(BACKOFF) - 1)]
        try:
            with _OPENER.open(request, timeout=TIMEOUT) as response:
                raw = response.read()
                return Response(
                    response.status,
                    json.loads(raw) if raw.strip() else None,
                    {k.lower(): v for k, v in response.headers.items()},
                )
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}: {exc.read()[:200]!r}"
            if 300 <= exc.code < 400:
                where = exc.headers.get("Location") or "nowhere"
                last = f"HTTP {exc.code}, a redirect to {where}, which is not followed"
            if exc.code == 429:
                wait = retry_after(exc.headers.get("Retry-After"), wait)
            elif exc.code < 500:
                raise Unavailable(
                    f"{method} {url} was refused ({last})", url=url, status=exc.code
                ) from exc
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            last = str(exc)
        if attempt < attempts - 1:
            sleep(wait)
    raise Unavailable(f"{method} {url} did not answer after {attempts} attempts ({last})", url=url)


def retry_after(value: str | None, otherwise: float) -> float:
    """Seconds to wait for a ``Retry-After`` of seconds or an HTTP date (RFC 9110), between 0
    and :data:`MAX_RETRY_AFTER`; ``otherwise`` when it is neither."""
    try:
        seconds = float(value or "")
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value or "")
        except (TypeError, ValueError):
            return otherwise
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if math.isnan(seconds):
        return otherwise
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def get_json(url: str, auth: Mapping[str, str], **kwargs: Any) -> Any:
    return call("GET", url, auth, **kwargs).body
