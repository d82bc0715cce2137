"""Who is calling and what they may do: every operation declares its permission here.

``auth=needs("orders.read")`` on a route authenticates the bearer token, then checks the
permission before the operation parses or looks up anything, so a forbidden caller gets 403
and learns nothing. A caller limited to some channels or warehouses then gets 404 for any row
named in the path that lies outside them (services/scopes.py), as if it did not exist.
``auth=public("why")`` declares an operation that needs no token (its
caller proves itself another way, e.g. a signed webhook). An operation that declares neither
gets the API's default, which refuses every call (tests/unit/test_declared_permissions.py fails
on it first).
"""

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.security import HttpBearer

from despatch.domain.errors import Forbidden
from despatch.domain.permissions import Access, check_permission
from despatch.services import scopes, tokens


class TokenAuth(HttpBearer):
    """``Authorization: Bearer dsp_...``; the user becomes the actor of every change and
    ``request.access`` holds their permissions and scope."""

    def __init__(self, permission: str | None = None, shared: str = "") -> None:
        super().__init__()
        self.permission = check_permission(permission) if permission else None
        self.shared = shared  # a setting every warehouse shares: no scoped caller changes it

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = tokens.authenticate_access(token)
        if found is None:
            return None  # ninja answers 401
        user, access = found
        request.access = access  # type: ignore[attr-defined]
        if self.permission is None:
            raise Forbidden(
                "(none declared)", access.actor, "this operation declares no permission"
            )
        access.require(self.permission, self.shared)
        match = request.resolver_match
        if match is not None:  # rows named in the path must be in the caller's scope
            scopes.check_path(match.route.removeprefix("api/"), match.kwargs, access.scope)
        return user  # ninja keeps the user as request.auth


class Public:
    """No token: the operation authenticates its caller itself (a signature), or is open."""

    def __init__(self, why: str) -> None:
        self.why = why

    def __call__(self, request: HttpRequest) -> Any:
        return self  # truthy: ninja lets the call through with request.auth = this marker


class DeclaredAPI(NinjaAPI):
    """The API whose OpenAPI schema names each operation's permission (``x-permission``) or
    says why it is public (``x-public``), so integrators know what a token needs."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        gates = {}
        for _, router in self._routers:
            for view in router.path_operations.values():
                for operation in view.operations:
                    name = operation.operation_id or self.get_openapi_operation_id(operation)
                    gates[name] = operation.auth_callbacks[0] if operation.auth_callbacks else None
        for methods in schema["paths"].values():
            for details in methods.values():
                gate = gates.get(details.get("operationId"))
                if isinstance(gate, TokenAuth) and gate.permission:
                    details["x-permission"] = gate.permission
                elif isinstance(gate, Public):
                    details["x-public"] = gate.why
        return schema


def needs(permission: str, shared: str = "") -> TokenAuth:
    return TokenAuth(permission, shared)


def public(why: str) -> Public:
    return Public(why)


def actor(request: HttpRequest) -> str:
    return f"user:{request.auth.get_username()}"  # type: ignore[attr-defined]


def access(request: HttpRequest) -> Access:
    """The caller's permissions and scope, set when the token was checked."""
    found: Access = request.access  # type: ignore[attr-defined]
    return found
