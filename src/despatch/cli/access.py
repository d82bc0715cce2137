"""Every command declares the permission it needs (domain/permissions.py).

The shell is a local operator: whoever can run ``despatch`` can reach the database, so a
command run without ``--by`` only declares its permission (``@declares``), for the record and
for the test that finds an undeclared one. A command run ``--by USER`` acts as that user and
is checked like the API: USER must be an active user holding the declared permission, and
the orders, refunds, returns, cases and messages the command names must lie within USER's
scope (``error: ... (forbidden)`` or ``(not_found)``, exit 1, nothing changed). Where the
issue needs a person (approving or rejecting a refund), ``--by USER`` is required and the
user's refund limit applies too (``acting``). ``@local`` marks a command that runs the
process or works on files only (serve, worker, migrate, route calculators).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from despatch.domain.errors import Forbidden, NotFound
from despatch.domain.permissions import Access, check_permission

F = TypeVar("F", bound=Callable[..., Any])


# Arguments that name a row a scope may keep a user from, as services/scopes.py names them.
SCOPED = {
    "order_id": "order_id",
    "shipment_id": "shipment_id",
    "rma_id": "rma_id",
    "rma": "rma_id",
    "refund_id": "refund_id",
    "message_id": "message_id",
    "exception_ids": "exception_id",
}


# The user a command runs ``--by`` ('' for the local operator), for :func:`cli_actor`.
_ACTING: ContextVar[str] = ContextVar("acting", default="")


def cli_actor(default: str = "cli") -> str:
    """The audit actor of the running command: ``user:USER`` when run ``--by USER``."""
    by = _ACTING.get()
    return f"user:{by}" if by else default


def declares(permission: str, shared: str = "") -> Callable[[F], F]:
    """The command needs ``permission``; run ``--by USER`` it is checked against USER (with
    ``shared``, a setting every warehouse shares, USER must have no scope). A command whose
    function takes no ``by`` gets the ``--by`` option here, so every command has it."""
    check_permission(permission)

    def mark(command: F) -> F:
        signature = inspect.signature(command)
        takes_by = "by" in signature.parameters

        @wraps(command)
        def checked(*args: Any, **kwargs: Any) -> Any:
            by = kwargs.get("by") if takes_by else kwargs.pop("by", "")
            if isinstance(by, str) and by:
                check_by(by, permission, {**kwargs, "by": by}, shared)
            token = _ACTING.set(by if isinstance(by, str) else "")
            try:
                return command(*args, **kwargs)
            finally:
                _ACTING.reset(token)

        if not takes_by:
            from despatch.cli.common import by_option

            by = inspect.Parameter("by", inspect.Parameter.KEYWORD_ONLY, default=by_option())
            params = [*signature.parameters.values(), by.replace(annotation=str)]
            checked.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        checked.permission = permission  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return mark


def check_by(username: str, permission: str, arguments: dict[str, Any], shared: str = "") -> None:
    """USER holds ``permission`` and reaches every row the arguments name; else exit 1."""
    from despatch.cli.common import domain_errors
    from despatch.services import scopes

    with domain_errors():
        access = acting(username, permission, shared)
        for name, param in SCOPED.items():
            values = arguments.get(name)
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, str) and value:
                    scopes.check(param, value, access.scope)
        warehouse = arguments.get("warehouse")
        if isinstance(warehouse, str) and warehouse:
            access.require_warehouse(warehouse, permission)


def local(why: str) -> Callable[[F], F]:
    def mark(command: F) -> F:
        command.local = why  # type: ignore[attr-defined]
        return command

    return mark


def acting(username: str, permission: str, shared: str = "") -> Access:
    """The named user's access, after checking they hold ``permission`` (Forbidden if not)."""
    from despatch.services import tokens

    if not username:
        raise NotFound("user", "(none given: pass --by USER)")
    access = tokens.access_of_username(username)
    if permission not in access.permissions:
        raise Forbidden(permission, access.actor, f"{username} does not hold it")
    access.require(permission, shared)
    return access
