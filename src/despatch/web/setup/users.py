"""Set-up: users (create, roles, password, refund limit, deactivate), the role table, and API
tokens (created with scope and expiry and shown once, listed, revoked)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from despatch.domain.errors import NotFound
from despatch.domain.permissions import PERMISSIONS, ROLE_NAMES, ROLES, parse_lifetime
from despatch.services import tokens, users
from despatch.web.access import access, requires
from despatch.web.setup.forms import Outcome, actor, attempt, page, text

USER_FIELDS = ("username", "password", "roles", "refund_limit", "scope")


@requires("users.manage")
def user_list(request: HttpRequest) -> HttpResponse:
    """Every user; POST adds one (username, password, roles)."""
    outcome = Outcome()
    form: dict[str, object] = {}
    if request.method == "POST":
        username, roles = text(request, "username"), tuple(request.POST.getlist("roles"))
        form = {"username": username, "roles": roles}
        made = attempt(
            lambda: users.create_user(
                username,
                request.POST.get("password", ""),
                roles=roles,
                actor=actor(request),
                by=access(request),
            ),
            outcome,
            USER_FIELDS,
        )
        if made is not None:
            messages.success(request, f"user {made.username} added")
            return redirect("setup-user", username=made.username)
    context = {"users": users.list_users(), "role_names": ROLE_NAMES, "form": form}
    return page(request, "despatch/setup/users.html", context, outcome)


def _refund_limit(raw: str, outcome: Outcome) -> Decimal | None:
    """The limit typed, or None (unchanged) for an empty box."""
    if not raw:
        return None
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        outcome.add("refund_limit", f"{raw!r} is not an amount, e.g. 50.00")
        return None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        outcome.add("refund_limit", "must be zero or more, e.g. 50.00")
        return None
    return amount


def _change_user(request: HttpRequest, username: str, outcome: Outcome) -> str:
    """Carry out the POSTed action; what to say when it worked ('' when refused)."""
    action, by, who = text(request, "action"), actor(request), access(request)
    if action == "roles":
        roles = tuple(request.POST.getlist("roles"))
        done = attempt(
            lambda: users.set_roles(username, roles, actor=by, by=who), outcome, USER_FIELDS
        )
        return "roles saved" if done else ""
    if action == "password":
        password = request.POST.get("password", "")
        done = attempt(
            lambda: users.reset_password(username, password, actor=by, by=who), outcome, USER_FIELDS
        )
        return "password changed" if done else ""
    if action == "limits":
        amount = _refund_limit(text(request, "refund_limit"), outcome)
        scopes = tuple(s for s in text(request, "scope").replace(",", " ").split() if s)
        if outcome.failed:
            return ""
        limits = attempt(
            lambda: tokens.set_limits(
                username, scopes=scopes, refund_limit=amount, actor=by, by=who
            ),
            outcome,
            USER_FIELDS,
        )
        return "limits saved" if limits else ""
    if action in ("deactivate", "reactivate"):
        active = action == "reactivate"
        done = attempt(
            lambda: users.set_active(username, active, actor=by, by=who), outcome, USER_FIELDS
        )
        return f"{username} {action}d" if done else ""
    outcome.general.append(f"unknown action {action!r}")
    return ""


@requires("users.manage")
def user_detail(request: HttpRequest, username: str) -> HttpResponse:
    """One user: roles, password, refund limit and scope, deactivate."""
    try:
        users.get_user(username)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    outcome = Outcome()
    if request.method == "POST":
        said = _change_user(request, username, outcome)
        if said:
            messages.success(request, said)
            return redirect("setup-user", username=username)
    row = users.get_user(username)
    context = {
        "row": row,
        "role_names": ROLE_NAMES,
        "tokens": tokens.list_tokens(username),
        "refund_limit": "" if row.refund_limit is None else f"{row.refund_limit:.2f}",
    }
    return page(request, "despatch/setup/user.html", context, outcome)


@requires("users.manage")
def role_table(request: HttpRequest) -> HttpResponse:
    """Which role holds which permission (read-only: the table is in the code)."""
    rows = [
        (name, words, [name in ROLES[r] for r in ROLE_NAMES]) for name, words in PERMISSIONS.items()
    ]
    return page(request, "despatch/setup/roles.html", {"roles": ROLE_NAMES, "rows": rows})


TOKEN_FIELDS = ("username", "name", "scope", "expires")


@requires("users.manage")
def token_list(request: HttpRequest) -> HttpResponse:
    """Every token (never the token itself); POST issues one and shows it once, here."""
    outcome, issued, form = Outcome(), "", {}
    if request.method == "POST":
        form = {k: text(request, k) for k in TOKEN_FIELDS}
        scopes = tuple(form["scope"].replace(",", " ").split())

        def issue() -> str:
            lifetime = parse_lifetime(form["expires"]) if form["expires"] else None
            return tokens.create_token(
                form["username"],
                form["name"] or "default",
                scopes=scopes,
                expires_in=lifetime,
                actor=actor(request),
                by=access(request),
            )

        if not form["username"]:
            outcome.add("username", "choose the user the token acts for")
        else:
            issued = attempt(issue, outcome, TOKEN_FIELDS) or ""
        if issued:
            form = {}
    context = {
        "tokens": tokens.list_tokens(),
        "usernames": [u.username for u in users.list_users(include_inactive=False)],
        "issued": issued,
        "form": form,
    }
    return page(request, "despatch/setup/tokens.html", context, outcome)


@requires("users.manage")
@require_POST
def token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    if not token_id.isdigit():  # matched as text so that the permission is checked first
        raise Http404(f"no token {token_id}")
    try:
        tokens.revoke_token(int(token_id), actor=actor(request))
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    messages.success(request, f"token {token_id} revoked: it no longer works")
    return redirect("setup-tokens")
