"""Users of the web UI and the API: create, list, change roles, reset a password, deactivate.

The same rules whichever edge calls (the set-up pages, the CLI): a username Django accepts,
roles from the domain's table, a password that passes Django's validators. Every change is
audited (roles and active before -> after; a password only as ``***``). Tokens and limits
live in services/tokens.py.

``by``, the person making a change at a set-up page, may change only a user who reaches no
further than they do, and only so that the user still does not (``tokens.check_reach``): a
manager limited to some channels cannot reset the password of, or give roles to, someone
who reaches every channel. The CLI is the local operator's and passes no ``by``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from despatch.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from despatch.domain.permissions import ROLE_NAMES, Access, permissions_of
from despatch.models import StaffAccess
from despatch.services import tokens
from despatch.services.audit import Trail


@dataclass(frozen=True)
class UserRow:
    username: str
    roles: tuple[str, ...]
    active: bool
    superuser: bool
    scopes: tuple[str, ...]
    refund_limit: Decimal | None
    last_login: datetime | None


def list_users(*, include_inactive: bool = True) -> list[UserRow]:
    """Every user with roles, scope and refund limit, by username."""
    rows = User.objects.order_by("username").prefetch_related("groups")
    if not include_inactive:
        rows = rows.filter(is_active=True)
    limits = {a.user_id: a for a in StaffAccess.objects.all()}
    return [
        UserRow(
            u.username,
            tuple(sorted(g.name for g in u.groups.all())),
            u.is_active,
            u.is_superuser,
            tuple(limits[u.pk].scopes) if u.pk in limits else (),
            limits[u.pk].refund_limit if u.pk in limits else None,
            u.last_login,
        )
        for u in rows
    ]


def get_user(username: str) -> UserRow:
    found = next((u for u in list_users() if u.username == username), None)
    if found is None:
        raise NotFound("user", username)
    return found


def check_roles(roles: tuple[str, ...]) -> None:
    unknown = sorted(set(roles) - set(ROLE_NAMES))
    if unknown:
        raise ValidationFailed.single(
            "roles", f"unknown role(s): {', '.join(unknown)}; known: {', '.join(ROLE_NAMES)}"
        )


def check_username(username: str) -> None:
    errors = []
    if not username:
        errors.append(FieldError("username", "is required", "required"))
    elif len(username) > 150:
        errors.append(FieldError("username", "at most 150 characters", "too_long"))
    else:
        try:
            UnicodeUsernameValidator()(username)
        except DjangoValidationError:
            errors.append(
                FieldError("username", "letters, digits and @ . + - _ only", "bad_username")
            )
    if errors:
        raise ValidationFailed(errors)


def create_user(
    username: str,
    password: str,
    *,
    roles: tuple[str, ...] = (),
    actor: str = "system",
    by: Access | None = None,
) -> User:
    """A new user; refused if the name is taken (a reset is :func:`reset_password`). A new
    user has no limits: ``by`` must have none either, for the roles given."""
    check_username(username)
    check_roles(roles)
    made = Access(f"user:{username}", permissions_of(roles))
    tokens.check_reach(by, made, f"add {username} with those roles")
    tokens.check_password(password, username)
    if User.objects.filter(username=username).exists():
        raise Conflict(f"user {username!r} already exists", field="username")
    return tokens.ensure_user(username, password, roles=roles, actor=actor)


def _locked(username: str, by: Access | None = None) -> User:
    """The user, locked; Forbidden if they reach further than ``by``."""
    user = User.objects.select_for_update().filter(username=username).first()
    if user is None:
        raise NotFound("user", username)
    tokens.check_reach(by, tokens.access_of(user), f"change {username}")
    return user


def _shown(user: User) -> dict[str, object]:
    return {"roles": sorted(user.groups.values_list("name", flat=True)), "active": user.is_active}


def set_roles(
    username: str, roles: tuple[str, ...], *, actor: str = "system", by: Access | None = None
) -> User:
    """Replace the user's roles with ``roles`` (none leaves a user who can only sign in)."""
    check_roles(roles)
    with transaction.atomic():
        user = _locked(username, by)
        after = tokens.access_after(user, roles=roles)
        tokens.check_reach(by, after, f"give {username} those roles")
        before = _shown(user)
        user.groups.set([Group.objects.get_or_create(name=r)[0] for r in roles])
        trail = Trail(actor)
        trail.change("user", username, before, _shown(user), action="user_roles_changed")
        trail.save()
    return user


def set_active(
    username: str, active: bool, *, actor: str = "system", by: Access | None = None
) -> User:
    """Deactivate (or reactivate) a user: an inactive one cannot sign in, their sessions end
    and their API tokens stop working. Nobody deactivates themselves (they would be locked
    out mid-change)."""
    if not active and actor == f"user:{username}":
        raise ValidationFailed.single("username", "you cannot deactivate yourself", "self")
    with transaction.atomic():
        user = _locked(username, by)
        before = _shown(user)
        user.is_active = active
        user.save(update_fields=["is_active"])
        trail = Trail(actor)
        verb = "user_reactivated" if active else "user_deactivated"
        trail.change("user", username, before, _shown(user), action=verb)
        trail.save()
    return user


def reset_password(
    username: str, password: str, *, actor: str = "system", by: Access | None = None
) -> User:
    """A new password, checked by Django's validators; audited as ``***``."""
    tokens.check_password(password, username)
    with transaction.atomic():
        user = _locked(username, by)
        user.set_password(password)
        user.save(update_fields=["password"])
        trail = Trail(actor)
        trail.add(
            "user",
            username,
            "password_reset",
            before={"password": "***"},
            after={"password": "***"},
        )
        trail.save()
    return user
