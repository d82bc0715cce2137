"""Refuse text with NUL characters before it reaches a view: PostgreSQL cannot store them,
and no order, address or SKU legitimately contains one."""

import re
from collections.abc import Callable
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse

from despatch.api.problems import problem

# In JSON text a NUL can only be the escape \u0000 after an odd number of backslashes.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


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


class RejectNulCharacters:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = _where(request)
        if where is None:
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
