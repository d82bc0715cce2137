"""Every view declares the permission it needs (domain/permissions.py): ``@requires(...)``
for staff pages, ``public(...)`` for the few a stranger may open (sign-in, the customer
returns page). A signed-out visitor goes to the sign-in page; a signed-in one without the
permission gets 403 naming it, before the view looks anything up."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden

from despatch.domain.errors import NotFound
from despatch.domain.permissions import Access, check_permission
from despatch.services import scopes, tokens

View = Callable[..., Any]


def requires(
    permission: str, *, post: str | None = None, shared: str = ""
) -> Callable[[View], View]:
    """The view needs ``permission``; a POST to it needs ``post`` (when given) as well. With
    ``shared`` (a setting every warehouse shares), a POST needs a user with no scope."""
    check_permission(permission)
    if post:
        check_permission(post)

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            access = tokens.access_of(request.user)
            request.access = access  # type: ignore[attr-defined]
            needed = [permission] + ([post] if post and request.method == "POST" else [])
            missing = [p for p in needed if not access.can(p)]
            if missing:
                return forbidden(missing[0], access.refusal(missing[0]))
            if shared and request.method == "POST" and access.refusal(needed[-1], shared):
                return forbidden(needed[-1], access.refusal(needed[-1], shared))
            match = request.resolver_match
            if match is not None and kwargs:  # rows named in the path: 404 outside the scope
                try:
                    scopes.check_path(match.route.removeprefix("setup/"), kwargs, access.scope)
                except NotFound as exc:
                    raise Http404(exc.detail) from exc
            return view(request, *args, **kwargs)

        guarded.permission = permission  # type: ignore[attr-defined]
        guarded.post_permission = post  # type: ignore[attr-defined]
        return guarded

    return decorate


def public(why: str) -> Callable[[View], View]:
    """The view is open to anyone; ``why`` says how it protects itself."""

    def decorate(view: View) -> View:
        view.public = why  # type: ignore[attr-defined]
        return view

    return decorate


def forbidden(permission: str, why: str = "") -> HttpResponse:
    """403 naming the permission; ``why`` when the user holds it but their scope forbids."""
    text = (
        f"Not allowed: {why} (permission {permission!r}). Ask a manager whose account is not "
        "limited to some warehouses or channels."
        if why
        else f"Not allowed: this page needs the permission {permission!r}. "
        "Ask an ops manager to give you a role that has it."
    )
    return HttpResponseForbidden(text, content_type="text/plain; charset=utf-8")


def access(request: HttpRequest) -> Access:
    found: Access = request.access  # type: ignore[attr-defined]
    return found


def actor_of(request: HttpRequest) -> str:
    return f"user:{request.user.get_username()}"


def in_scope(request: HttpRequest, param: str, value: str, route: str = "") -> None:
    """404 for a row outside the user's warehouses or channels, as for one that is not there."""
    try:
        scopes.check(param, value, access(request).scope, route)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
