"""The lean path for signed webhook intake: ``POST /api/channels/{code}/webhooks``.

A platform posting deliveries waits for each answer, so intake is kept short. This middleware
sits after the guards every request passes (security headers, 413 for a body too large, 400 for
JSON nested too deeply or a NUL character, 503 problem bodies) and answers the webhook itself,
skipping what intake has no use for: sessions, CSRF, users, messages, URL resolution and the
API framework. The checks are the same ones, in the same service (``receive_delivery``): the
channel's signature, the size of the platform's IDs, exact deduplication. Errors are the
API's problem bodies, and the database's absence its 503 answers.

It also spares the kept PostgreSQL connection Django's health check, a ``SELECT 1`` round trip
before the first statement of every request: a connection the server has closed shows it on
its socket (see ``services.database.check_kept_connection``), which costs no round trip.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, ProgrammingError
from django.http import HttpRequest, HttpResponse

from despatch.api import outage, problems
from despatch.domain.errors import DomainError
from despatch.services import channels, database

# The URL of the API's webhook operation (api/channels.py), which documents it.
WEBHOOK_PATH = re.compile(r"/api/channels/(?P<code>[^/]+)/webhooks")


def accept(request: HttpRequest, code: str) -> tuple[int, dict[str, Any]]:
    """Store one signed delivery: 202 and its ID when new, 200 when it repeats one kept."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    delivery, new = channels.receive_delivery(code, headers, request.body)
    return 202 if new else 200, {
        "delivery": delivery.pk,
        "status": "accepted" if new else "duplicate",
    }


def answer(request: HttpRequest, code: str) -> HttpResponse:
    """The webhook's answer, with the API's problem bodies for every refusal."""
    try:
        database.check_kept_connection()
        status, body = accept(request, code)
    except DomainError as exc:
        return problems.on_domain_error(request, exc)
    except (OperationalError, InterfaceError, ProgrammingError) as exc:
        return outage.on_database_error(request, exc)
    except Exception as exc:  # logged and answered 500, as the API does
        return problems.on_unexpected(request, exc)
    return HttpResponse(
        json.dumps(body), status=status, content_type="application/json; charset=utf-8"
    )


class SignedIntake:
    """Middleware: answers ``POST /api/channels/{code}/webhooks`` without the rest of the
    stack; every other request passes on unchanged."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.frame_options = getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = WEBHOOK_PATH.fullmatch(request.path_info) if request.method == "POST" else None
        if match is None:
            return self.get_response(request)
        request.get_host()  # an unknown Host is refused (400), as for every other request
        response = answer(request, match["code"])
        # What the middleware skipped would have added: the frame and length headers.
        response.setdefault("X-Frame-Options", self.frame_options)
        response.setdefault("Content-Length", str(len(response.content)))
        return response
