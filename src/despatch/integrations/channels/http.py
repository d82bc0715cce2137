"""Calling a platform's API: JSON over HTTPS with the retries platforms expect.

429 waits for ``Retry-After`` (capped); 5xx and connection failures back off exponentially;
other 4xx fail at once. Errors leave as :class:`Unavailable` naming the URL and the answer.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from despatch.domain.errors import Unavailable

ATTEMPTS = 5
BACKOFF = (0.5, 1.0, 2.0, 4.0)
MAX_RETRY_AFTER = 30.0


def get_json(
    url: str, token: str, *, attempts: int = ATTEMPTS, sleep: Callable[[float], None] = time.sleep
) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "User-Agent": "Despatch OMS",
        },
    )
    last = ""
    for attempt in range(attempts):
        wait = BACKOFF[min(attempt, len(BACKOFF) - 1)]
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body: dict[str, Any] = json.loads(response.read() or b"{}")
                return body
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}: {exc.read()[:200]!r}"
            if exc.code == 429:
                wait = min(float(exc.headers.get("Retry-After") or wait), MAX_RETRY_AFTER)
            elif exc.code < 500:
                raise Unavailable(f"{url} refused the request ({last})", url=url) from exc
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            last = str(exc)
        if attempt < attempts - 1:
            sleep(wait)
    raise Unavailable(f"{url} did not answer after {attempts} attempts ({last})", url=url)
