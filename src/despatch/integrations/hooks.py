"""Signed HTTP POSTs to other people's servers: outbound webhooks and the SMS/WhatsApp gateway.

One attempt per call: the outbox decides when to try again. The answer (status and the start
of the body) is returned for the delivery log; a network failure raises :class:`Unavailable`.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from despatch.domain.errors import Unavailable
from despatch.domain.webhooks import SIGNATURE_HEADER, signature

TIMEOUT = 15
KEEP = 2000  # characters of the answer kept in the log


@dataclass(frozen=True)
class Answer:
    status: int
    body: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def post(url: str, body: bytes, secret: str, *, headers: dict[str, str] | None = None) -> Answer:
    sent = {
        "Content-Type": "application/json",
        "User-Agent": "Despatch-Webhooks/1",
        SIGNATURE_HEADER: signature(secret, int(time.time()), body),
        **(headers or {}),
    }
    request = urllib.request.Request(url, data=body, headers=sent, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return Answer(response.status, response.read(KEEP).decode("utf-8", "replace"))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read(KEEP).decode("utf-8", "replace"))
    except (urllib.error.URLError, OSError) as exc:
        raise Unavailable(f"POST {url} failed: {getattr(exc, 'reason', exc)}") from exc
