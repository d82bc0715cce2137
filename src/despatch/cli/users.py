"""Users (roles, scopes, refund limits) and their API tokens."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import typer
from rich.table import Table

from despatch.cli.access import cli_actor, declares
from despatch.cli.common import console, domain_errors, fail
from despatch.domain.permissions import ROLE_NAMES, parse_lifetime
from despatch.services import tokens as token_service
from despatch.services import users as user_service

users = typer.Typer(help="Users of the web UI and the API: roles and limits.", no_args_is_help=True)
tokens = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)

SCOPE_HELP = "warehouse:CODE or channel:CODE; repeat for more (none: every one)"


def _known_roles(role: list[str]) -> list[str]:
    """Refuse an unknown role before the password is asked for."""
    unknown = set(role) - set(ROLE_NAMES)
    if unknown:
        raise typer.BadParameter(
            f"unknown role(s): {', '.join(sorted(unknown))} (one of {', '.join(ROLE_NAMES)})"
        )
    return role


@users.command("create")
@declares("users.manage")
def create_user(
    username: str,
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=False),
    role: list[str] = typer.Option(
        [], help=f"one of {', '.join(ROLE_NAMES)}", callback=_known_roles
    ),
    admin: bool = typer.Option(False, help="superuser"),
) -> None:
    """Create a user (or reset their password) with role groups. The password must pass
    Django's rules: at least 8 characters, not common, not all digits, not like the name."""
    with domain_errors():
        token_service.check_password(password, username)
    token_service.ensure_user(
        username, password, roles=tuple(role), superuser=admin, actor=cli_actor()
    )
    console.print(f"user {username} saved")


@users.command("list")
@declares("users.manage")
def list_users() -> None:
    """Every user: roles, scope, refund limit, active or not, last sign-in."""
    table = Table("user", "roles", "scope", "refund limit", "status", "last sign-in")
    for u in user_service.list_users():
        table.add_row(
            u.username + (" (superuser)" if u.superuser else ""),
            ", ".join(u.roles) or "-",
            ", ".join(u.scopes) or "everywhere",
            "no limit" if u.refund_limit is None else f"{u.refund_limit:.2f}",
            "active" if u.active else "deactivated",
            f"{u.last_login:%Y-%m-%d %H:%M %Z}" if u.last_login else "never",
        )
    console.print(table)


@users.command("deactivate")
@declares("users.manage")
def deactivate_user(username: str) -> None:
    """Deactivate a user: they can no longer sign in, and their API tokens stop working."""
    with domain_errors():
        user_service.set_active(username, False, actor=cli_actor())
    console.print(f"user {username} deactivated")


@users.command("limit")
@declares("users.manage")
def limit_user(
    username: str,
    scope: list[str] = typer.Option(None, "--scope", help=SCOPE_HELP),
    everywhere: bool = typer.Option(False, "--everywhere", help="remove every scope"),
    refund_limit: str = typer.Option(
        "", help="the most this user may approve or reject in one refund (its currency)"
    ),
) -> None:
    """Limit a user to warehouses and channels, and set their refund approval limit."""
    amount = None
    if refund_limit:
        try:
            amount = Decimal(refund_limit)
        except InvalidOperation:
            fail(f"--refund-limit: {refund_limit!r} is not an amount", 2)
        if not amount.is_finite() or amount < 0:
            fail("--refund-limit: must be zero or more", 2)
    scopes = () if everywhere else (tuple(scope) if scope else None)
    with domain_errors():
        limits = token_service.set_limits(
            username, scopes=scopes, refund_limit=amount, actor=cli_actor()
        )
    shown = ", ".join(limits.scopes) or "every warehouse and channel"
    money = "no limit" if limits.refund_limit is None else f"{limits.refund_limit:.2f}"
    console.print(f"{username}: {shown}; refund approval limit {money}")


@tokens.command("create")
@declares("users.manage")
def create_token(
    username: str,
    name: str = typer.Option("default"),
    scope: list[str] = typer.Option(None, "--scope", help=SCOPE_HELP),
    expires: str = typer.Option("", help="lifetime such as 90d, 12h or 2w (default: none)"),
) -> None:
    """Issue an API token for a user; it is printed once and only its hash is kept. A scope
    narrows the user's own; the token never reaches further than its user."""
    with domain_errors():
        lifetime = parse_lifetime(expires) if expires else None
        token = token_service.create_token(
            username, name, scopes=tuple(scope or ()), expires_in=lifetime, actor=cli_actor()
        )
    print(token)


@tokens.command("list")
@declares("users.manage")
def list_tokens(user: str = typer.Option("", help="only this user's tokens")) -> None:
    """Every token: ID, user, scopes, last use and expiry (never the token: it is not kept)."""
    table = Table("id", "user", "name", "prefix", "scopes", "last used", "expires", "revoked")
    for t in token_service.list_tokens(user):
        table.add_row(
            str(t.id),
            t.user,
            t.name,
            t.prefix + "…",
            ", ".join(t.scopes) or "-",
            f"{t.last_used_at:%Y-%m-%d %H:%M %Z}" if t.last_used_at else "never",
            f"{t.expires_at:%Y-%m-%d %H:%M %Z}" if t.expires_at else "never",
            f"{t.revoked_at:%Y-%m-%d %H:%M %Z}" if t.revoked_at else "",
        )
    console.print(table)


@tokens.command("revoke")
@declares("users.manage")
def revoke_token(token_id: str = typer.Argument(..., help="the ID `tokens list` shows")) -> None:
    """Revoke a token at once: every later call with it is refused (401)."""
    if not token_id.isdigit():
        fail(f"token ID {token_id!r}: expected the number `despatch tokens list` shows")
    with domain_errors():
        token_service.revoke_token(int(token_id), actor=cli_actor())
    console.print(f"token {token_id} revoked")
