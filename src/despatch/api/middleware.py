"""Guards in front of every view: text with NUL characters or half a UTF-16 surrogate pair
(PostgreSQL cannot store either, and no order, address or SKU legitimately contains one),
bodies too large or nested too deeply, and problem bodies for unknown API routes and methods."""

import json
import re
from collections.abc import Callable
from urllib.parse import unquote

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from despatch.api.problems import problem

# In JSON text a NUL can only be the escape \u0000 after an odd number of backslashes.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
# ... and a UTF-16 surrogate the escape \uD800-\uDFFF: valid only as a high-low pair.
_JSON_SURROGATE = re.compile(rb"(?<!\\)(?:\\\\)*\\u[dD][89a-fA-F]")


def _lone_surrogate(body: bytes) -> bool:
    """Whether the JSON ``body`` has text with half a surrogate pair (which no UTF-8 text,
    and so no PostgreSQL column, can hold). A body that is not JSON is left to the view."""
    if not _JSON_SURROGATE.search(body):
        return False
    try:
        json.dumps(json.loads(body), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    except (ValueError, RecursionError):
        return False
    return False


def _where(request: HttpRequest) -> str | None:
    if "\x00" in unquote(request.path):
        return "path"
    if any(
        "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()
    ):
        return "query"
    if request.method in ("POST", "PUT", "PATCH"):
        body = request.body  # read once and cached: views (webhooks) still get the raw bytes
        if b"\x00" in body:
            return "body"
        if request.content_type == "application/json" and _JSON_NUL.search(body):
            return "body"
        if request.content_type == "application/x-www-form-urlencoded" and b"%00" in body:
            return "form"
    return None


def _surrogate_problem() -> HttpResponse:
    return problem(
        400,
        "lone_surrogate",
        "Text is not valid Unicode",
        "the request body has a \\uD800-\\uDFFF escape that is not half of a surrogate "
        "pair, which no text field can store",
        errors=[{"field": "body", "message": "half a surrogate pair", "code": "lone_surrogate"}],
    )


class RejectNulCharacters:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = _where(request)
        if where is None:
            if request.method in ("POST", "PUT", "PATCH") and _lone_surrogate(request.body):
                return _surrogate_problem()
            return self.get_response(request)
        return problem(
            400,
            "nul_character",
            "Text contains a NUL character",
            f"the request {where} contains a NUL (0x00) character, which no field accepts",
            errors=[
                {"field": where, "message": "contains a NUL character", "code": "nul_character"}
            ],
        )


# A JSON body nested deeper than this is refused before it is parsed (Python's parser would
# recurse; no Despatch schema goes past a handful of levels).
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in ``body`` (strings skipped)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(_JSON_STRING.sub(b"", body)):
        depth += 1 if match.group() in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


def _body_problem(request: HttpRequest) -> HttpResponse | None:
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    try:
        body = request.body
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return problem(
            413,
            "body_too_large",
            "Request body too large",
            f"the body is larger than the limit of {limit} bytes",
            errors=[{"field": "body", "message": f"over {limit} bytes", "code": "too_large"}],
        )
    looks_like_json = "json" in (request.content_type or "") or body.lstrip()[:1] in (b"{", b"[")
    if looks_like_json and json_depth(body) > MAX_JSON_DEPTH:
        return problem(
            400,
            "too_deep",
            "JSON nested too deeply",
            f"the body nests arrays and objects more than {MAX_JSON_DEPTH} levels deep",
            errors=[{"field": "body", "message": "nested too deeply", "code": "too_deep"}],
        )
    return None


class GuardBodies:
    """413 for a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` and 400 for JSON nested too
    deeply, as problem bodies, before any view parses them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return _body_problem(request) or self.get_response(request)


class ApiProblems:
    """Unknown ``/api/`` routes (404) and wrong methods (405) answer problem+json, not the
    HTML pages Django gives the rest of the site."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            not request.path.startswith("/api/")
            or response.status_code not in (404, 405)
            or "json" in response.get("Content-Type", "")
        ):
            return response
        if response.status_code == 404:
            return problem(404, "not_found", "Not found", f"no API operation at {request.path}")
        allowed = response.get("Allow", "")
        answer = problem(
            405,
            "method_not_allowed",
            "Method not allowed",
            f"{request.method} is not allowed on {request.path}; allowed: {allowed}",
        )
        answer["Allow"] = allowed
        return answer
