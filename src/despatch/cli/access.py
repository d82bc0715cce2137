"""Every command declares the permission it needs (domain/permissions.py).

The shell is a local operator: whoever can run ``despatch`` can reach the database, so most
commands only declare their permission (``@declares``), for the record and for the test that
finds an undeclared one. Where the issue needs a person (approving or rejecting a refund),
the command takes the acting user (``--by USER``) and checks that user's permission and
limits like the API does (``acting``). ``@local`` marks a command that runs the process or
works on files only (serve, worker, migrate, route calculators).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from despatch.domain.errors import NotFound
from despatch.domain.permissions import Access, check_permission

F = TypeVar("F", bound=Callable[..., Any])


def declares(permission: str) -> Callable[[F], F]:
    check_permission(permission)

    def mark(command: F) -> F:
        command.permission = permission  # type: ignore[attr-defined]
        return command

    return mark


def local(why: str) -> Callable[[F], F]:
    def mark(command: F) -> F:
        command.local = why  # type: ignore[attr-defined]
        return command

    return mark


def acting(username: str, permission: str) -> Access:
    """The named user's access, after checking they hold ``permission`` (Forbidden if not)."""
    from despatch.services import tokens

    if not username:
        raise NotFound("user", "(none given: pass --by USER)")
    access = tokens.access_of_username(username)
    access.require(permission)
    return access
