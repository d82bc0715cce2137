"""``/healthz`` (the process answers; no database) and ``/readyz`` (it can do its work).

Both are public and say nothing sensitive: names of checks, ok or not, and short reasons.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from despatch.api.problems import problem
from despatch.services import health


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> HttpResponse:
    checks = health.readiness(timedelta(seconds=settings.READY_MAX_LAG_SECONDS))
    body = {c.name: {"ok": c.ok, "detail": c.detail} for c in checks}
    failing = [c for c in checks if not c.ok]
    if not failing:
        return JsonResponse({"status": "ready", "checks": body})
    response = problem(
        503,
        "not_ready",
        "Not ready",
        "; ".join(f"{c.name}: {c.detail}" for c in failing),
        failing=[c.name for c in failing],
        checks=body,
    )
    response["Retry-After"] = "5"
    return response
