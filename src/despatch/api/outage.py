"""503 while the database is unreachable, and back to normal as soon as it answers.

A request that fails because the database went away (see ``services.database.lost``) answers
503 with ``Retry-After``: problem+json ``database_unavailable`` under /api/, a plain page
elsewhere. Its connection is closed, so the next request opens a fresh one: no restart is
needed. Any other database error is left to the usual 500 handling.

Every request first checks its kept PostgreSQL connection on its socket
(``services.database.check_kept_connection``) instead of Django's ``SELECT 1`` round trip: a
connection the server ended is closed, and the request's first statement opens a fresh one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError, ProgrammingError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from ninja import NinjaAPI

from despatch.api.problems import on_unexpected, problem
from despatch.services import database

RETRY_AFTER_SECONDS = 5


def unavailable(request: HttpRequest, *, unmigrated: bool = False) -> HttpResponse:
    database.close()
    if request.path.startswith("/api/"):
        response = (
            problem(
                503,
                "not_migrated",
                "Database not set up",
                "the database has no Despatch tables yet: run `despatch migrate`",
            )
            if unmigrated
            else problem(
                503,
                "database_unavailable",
                "Database unavailable",
                "the database cannot be reached just now; try again shortly",
            )
        )
    else:
        page = render_to_string(
            "despatch/unavailable.html", {"retry": RETRY_AFTER_SECONDS, "unmigrated": unmigrated}
        )
        response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailable:
    """Middleware: a view that failed because the database went away answers 503. It also
    does the request's connection health check, without a round trip."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            database.check_kept_connection()
        except DatabaseError as exc:  # closing a broken connection can fail too
            answer = self.process_exception(request, exc)
            if answer is None:
                raise
            return answer
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if database.unmigrated(exc):
            return unavailable(request, unmigrated=True)
        return unavailable(request) if database.lost(exc) else None


def on_database_error(request: HttpRequest, exc: Any) -> HttpResponse:
    """The API's handler (django-ninja answers its own errors before any middleware)."""
    if database.unmigrated(exc):
        return unavailable(request, unmigrated=True)
    return unavailable(request) if database.lost(exc) else on_unexpected(request, exc)


def install(api: NinjaAPI) -> None:
    api.add_exception_handler(OperationalError, on_database_error)
    api.add_exception_handler(InterfaceError, on_database_error)
    api.add_exception_handler(ProgrammingError, on_database_error)
