from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from despatch.services import tokens


class TokenAuth(HttpBearer):
    """``Authorization: Bearer dsp_...``; the user becomes the actor of every change."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return tokens.authenticate(token)  # ninja keeps the user as request.auth


def actor(request: HttpRequest) -> str:
    return f"user:{request.auth.get_username()}"  # type: ignore[attr-defined]
