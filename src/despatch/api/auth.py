
from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from despatch.services import tokens


class TokenAuth(HttpBearer):
    """``Authorization: Bearer dsp_...``; the user becomes the actor of every change."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = tokens.authenticate(token)
        if user is None:
            return None
        request.user = user
        return user


def actor(request: HttpRequest) -> str:
    return f"user:{request.user.get_username()}"
