"""RFC 9457 problem bodies: the one table from the error tree to HTTP status codes."""

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from despatch.api.schemas import NOT_AN_OBJECT
from despatch.domain.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    Unauthorized,
    Unavailable,
    ValidationFailed,
)

STATUS: list[tuple[type[DomainError], int]] = [
    (NotFound, 404),
    (Conflict, 409),
    (Invalid, 422),
    (Unauthorized, 401),
    (Forbidden, 403),
    (Unavailable, 502),
    (DomainError, 400),
]

HTTP_CODES = {
    400: "malformed_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    429: "too_many_requests",
}


# Members of every problem body; an error's own data never overrides them.
RESERVED = ("type", "title", "status", "detail", "code")


def problem(status: int, code: str, title: str, detail: str, /, **extra: Any) -> HttpResponse:
    import json

    body = {
        **extra,
        "type": f"https://despatch.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    response = HttpResponse(
        json.dumps(body, default=str), status=status, content_type="application/problem+json"
    )
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


def _field(loc: list[Any]) -> str:
    parts = [p for p in loc if p not in ("body", "payload", "query", "path", "header")]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def _shown(value: Any) -> bool:
    return isinstance(value, str | int) or (
        isinstance(value, list) and all(isinstance(x, str) for x in value)
    )


def _data(exc: DomainError) -> dict[str, Any]:
    """The error's data for the body: a clashing name (an order's ``status``) is renamed
    ``current_status`` and so on, so it never collides with the problem's own members."""
    return {(f"current_{k}" if k in RESERVED else k): v for k, v in exc.data.items() if _shown(v)}


def on_domain_error(request: HttpRequest, exc: Any) -> HttpResponse:
    assert isinstance(exc, DomainError)
    status = next(code for kind, code in STATUS if isinstance(exc, kind))
    extra = _data(exc)
    if isinstance(exc, ValidationFailed):
        extra["errors"] = [e.as_dict() for e in exc.errors]
    return problem(status, exc.code, exc.title, exc.detail, **extra)


# pydantic's words for a body that is not an object where one is expected (Body[dict])
_NOT_OBJECT_TYPES = {"dict_type", "model_type", "model_attributes_type"}


def _field_error(error: dict[str, Any]) -> FieldError:
    field, kind = _field(list(error.get("loc", []))), error.get("type", "invalid")
    if field == "body" and kind in _NOT_OBJECT_TYPES:
        return FieldError("body", NOT_AN_OBJECT, "not_an_object")
    return FieldError(field, error.get("msg", "invalid"), kind)


def on_validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
    assert isinstance(exc, ValidationError)
    errors = [_field_error(e) for e in exc.errors]
    failed = ValidationFailed(errors)
    return problem(
        422, failed.code, failed.title, failed.detail, errors=[e.as_dict() for e in errors]
    )


def on_http_error(request: HttpRequest, exc: Any) -> HttpResponse:
    assert isinstance(exc, HttpError)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    if isinstance(exc, AuthenticationError):
        return problem(
            401,
            "unauthorized",
            "Authentication required",
            "send 'Authorization: Bearer <token>' with a valid API token",
        )
    return problem(exc.status_code, code, code.replace("_", " ").capitalize(), str(exc))


def on_unexpected(request: HttpRequest, exc: Any) -> HttpResponse:
    logging.getLogger("despatch.api").exception("unexpected error on %s", request.path)
    return problem(
        500,
        "internal_error",
        "Internal error",
        "the server failed to handle this request; it has been logged",
    )


def install(api: NinjaAPI) -> None:
    api.add_exception_handler(Exception, on_unexpected)
    api.add_exception_handler(DomainError, on_domain_error)
    api.add_exception_handler(ValidationError, on_validation_error)
    api.add_exception_handler(HttpError, on_http_error)
