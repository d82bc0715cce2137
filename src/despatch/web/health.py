"""``/healthz`` (the process answers; no database) and ``/readyz`` (it can do its work).

Both are public and say nothing sensitive: names of checks, ok or not, and short reasons.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from despatch.services import health
from despatch.web.access import public


@public("says only that the process answers")
@csrf_exempt  # a probe's POST gets 405, not a CSRF page
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@public("names its checks and whether they pass, nothing of the data or the database")
@csrf_exempt
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    checks = health.readiness(timedelta(seconds=settings.READY_MAX_LAG_SECONDS))
    body = {c.name: {"ok": c.ok, "detail": c.detail} for c in checks}
    failing = [c for c in checks if not c.ok]
    if not failing:
        return JsonResponse({"status": "ready", "checks": body})
    problem = {
        "type": "https://despatch.dev/problems/not_ready",
        "title": "Not ready",
        "status": 503,
        "detail": "; ".join(f"{c.name}: {c.detail}" for c in failing),
        "code": "not_ready",
        "failing": [c.name for c in failing],
        "checks": body,
    }
    response = JsonResponse(problem, status=503, content_type="application/problem+json")
    response["Retry-After"] = "5"
    return response


FAVICON = Path(__file__).parent / "static" / "despatch" / "favicon.ico"


@public("the site's icon, the same for everyone")
@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers and tools ask for whatever the page links (else every
    page logged "Not Found: /favicon.ico")."""
    response = HttpResponse(FAVICON.read_bytes(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
