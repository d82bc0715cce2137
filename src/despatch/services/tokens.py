"""API tokens, users and what they may do: issue a token once and keep only its hash, check
it per request, and turn a user (and token) into an ``Access``: permissions and scope."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from despatch.domain.errors import FieldError, Forbidden, NotFound, ValidationFailed
from despatch.domain.permissions import ROLE_NAMES, Access, Scope, permissions_of
from despatch.models import ApiToken, StaffAccess, Warehouse
from despatch.services.audit import Trail

ROLES = ROLE_NAMES


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    username: str,
    name: str = "default",
    *,
    scopes: tuple[str, ...] = (),
    expires_in: timedelta | None = None,
    actor: str = "system",
    by: Access | None = None,
) -> str:
    """Issue a token for ``username``; the plain token is returned once and never stored.
    The audit trail shows its prefix, scopes and expiry, never the token. ``by`` (the person
    issuing it) may issue only a token that reaches no further than they do."""
    scope = _known(Scope.parse(scopes))  # a bad scope is refused before anything is written
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound("user", username)
    if by is not None:
        named = Access(by.actor, by.permissions, by.scope.named(scope), by.refund_limit)
        check_reach(by, named, "name that scope in a token")
        check_reach(by, access_of(user, token_scope=scope), "issue this token")
    token = "dsp_" + secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        row = ApiToken.objects.create(
            name=name,
            prefix=token[:12],
            key_hash=_hash(token),
            user=user,
            created_at=now,
            scopes=scope.items(),
            expires_at=now + expires_in if expires_in else None,
        )
        shown = {"user": username, "name": name, "prefix": row.prefix, "scopes": row.scopes}
        trail = Trail(actor)
        trail.change("token", str(row.pk), None, shown | {"expires_at": _iso(row.expires_at)})
        trail.save()
    return token


def _known(scope: Scope) -> Scope:
    """The scope, if every warehouse it names exists: a typo would shut its holder out. (A
    channel may be named before its first order creates it, as the API does.)"""
    known = set(Warehouse.objects.values_list("code", flat=True))
    missing = sorted((scope.warehouses or set()) - known)
    if missing:
        raise ValidationFailed.single(
            "scope", f"no such warehouse: {', '.join(missing)}", "unknown_scope"
        )
    return scope


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _usable(token: str) -> ApiToken | None:
    row = ApiToken.objects.select_related("user").filter(key_hash=_hash(token)).first()
    now = timezone.now()
    if row is None or not row.user.is_active or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row


def authenticate(token: str) -> AbstractBaseUser | None:
    row = _usable(token)
    return None if row is None else row.user


def authenticate_access(token: str) -> tuple[User, Access] | None:
    """The token's user and what they may do through this token; None if the token is
    unknown, revoked or expired, or its user is inactive."""
    row = _usable(token)
    if row is None:
        return None
    return row.user, access_of(row.user, token_scope=Scope.parse(row.scopes))


def access_of(
    user: AbstractBaseUser | AnonymousUser, *, token_scope: Scope | None = None
) -> Access:
    """Permissions from the user's role groups (all for a superuser), scope from the user's
    limits narrowed by the token's."""
    if not user.is_authenticated:
        return Access("anonymous", frozenset())
    # one query: a row per role, each carrying the user's limits (None when they have none)
    rows = list(
        User.objects.filter(pk=user.pk).values_list(
            "groups__name", "despatch_access__scopes", "despatch_access__refund_limit"
        )
    )
    roles = [role for role, _, _ in rows if role]
    limits = rows[0][1:] if rows and rows[0][1] is not None else None
    scope = Scope.parse(limits[0]) if limits else Scope()
    if token_scope is not None:
        scope = scope.narrowed(token_scope)
    return Access(
        f"user:{user.get_username()}",
        permissions_of(roles, superuser=getattr(user, "is_superuser", False)),
        scope,
        refund_limit=limits[1] if limits else None,
    )


def check_reach(by: Access | None, target: Access, doing: str) -> None:
    """Forbidden if ``target`` (a user or token as it is, or would be) reaches further than
    ``by``, the person managing it: more permissions, more warehouses or channels, a higher
    refund limit. None (the local operator's shell) may do anything."""
    why = by.beyond(target) if by is not None else ""
    if by is not None and why:
        raise Forbidden("users.manage", by.actor, f"you cannot {doing}: {why}")


def access_after(
    user: User,
    *,
    roles: tuple[str, ...] | None = None,
    scope: Scope | None = None,
    refund_limit: Decimal | None = None,
) -> Access:
    """What ``user`` may do now, or after a change of roles, scope or refund limit."""
    now = access_of(user)
    return Access(
        now.actor,
        now.permissions if roles is None else permissions_of(roles, superuser=user.is_superuser),
        now.scope if scope is None else scope,
        now.refund_limit if refund_limit is None else refund_limit,
    )


def access_of_username(username: str) -> Access:
    """What a named (active) user may do: the CLI's ``--by USER``."""
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound("user", username)
    return access_of(user)


def ensure_user(
    username: str,
    password: str,
    *,
    roles: tuple[str, ...] = (),
    superuser: bool = False,
    actor: str = "system",
) -> User:
    """Create or update a user with a password and role groups. No password rules here
    (tests and the demo use short ones): the edges call ``check_password`` first. Audited:
    roles and superuser before -> after; the password only as ``***``."""
    with transaction.atomic():
        found = User.objects.select_for_update().filter(username=username).first()
        before = _user_shown(found) if found else None
        user = found or User(username=username)
        user.set_password(password)
        user.is_staff = user.is_superuser = superuser
        user.save()
        for role in roles:
            group, _ = Group.objects.get_or_create(name=role)
            user.groups.add(group)
        trail = Trail(actor)
        trail.change("user", username, before, _user_shown(user))
        trail.save()
    return user


def _user_shown(user: User) -> dict[str, object]:
    """What the trail records of a user; ``password`` is the hash, shown only as ``***``."""
    roles = sorted(user.groups.values_list("name", flat=True))
    return {
        "roles": roles,
        "superuser": user.is_superuser,
        "active": user.is_active,
        "password": user.password,
    }


def check_password(password: str, username: str = "") -> None:
    """Django's password validators (settings.AUTH_PASSWORD_VALIDATORS), as a field error."""
    try:
        validate_password(password, User(username=username))
    except DjangoValidationError as exc:
        raise ValidationFailed(
            [FieldError("password", message, "weak_password") for message in exc.messages]
        ) from None


MOST_REFUND_LIMIT = 10**10  # the column holds 14 digits, 4 of them after the point


def _in_range(amount: Decimal) -> bool:
    return amount.is_finite() and 0 <= amount < MOST_REFUND_LIMIT


def set_limits(
    username: str,
    *,
    scopes: tuple[str, ...] | None = None,
    refund_limit: Decimal | None = None,
    actor: str = "system",
    by: Access | None = None,
) -> StaffAccess:
    """Limit a user to warehouses and channels, and/or set the most they may approve in one
    refund (in the refund's currency). ``by`` may neither change a user who reaches further
    than they do nor leave one reaching further."""
    scope = _known(Scope.parse(scopes)) if scopes is not None else None
    if refund_limit is not None and not _in_range(refund_limit):
        raise ValidationFailed.single(
            "refund_limit", f"from 0 to under {MOST_REFUND_LIMIT:,} (got {refund_limit})", "range"
        )
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound("user", username)
    check_reach(by, access_of(user), f"change {username}'s limits")
    after = access_after(user, scope=scope, refund_limit=refund_limit)
    check_reach(by, after, f"set these limits for {username}")
    with transaction.atomic():
        limits, _ = StaffAccess.objects.select_for_update().get_or_create(user=user)
        before = _limits_shown(limits)
        if scope is not None:
            limits.scopes = scope.items()
        if refund_limit is not None:
            limits.refund_limit = refund_limit
        limits.save()
        trail = Trail(actor)
        trail.change("user", username, before, _limits_shown(limits), action="user_limits_changed")
        trail.save()
    return limits


def _limits_shown(limits: StaffAccess) -> dict[str, object]:
    limit = limits.refund_limit
    return {
        "scopes": list(limits.scopes),
        "refund_limit": None if limit is None else f"{limit:.2f}",
    }


@dataclass(frozen=True)
class TokenInfo:
    id: int
    user: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


def list_tokens(username: str = "") -> list[TokenInfo]:
    rows = ApiToken.objects.select_related("user").order_by("id")
    if username:
        rows = rows.filter(user__username=username)
    return [
        TokenInfo(
            r.pk,
            r.user.get_username(),
            r.name,
            r.prefix,
            list(r.scopes),
            r.created_at,
            r.last_used_at,
            r.expires_at,
            r.revoked_at,
        )
        for r in rows
    ]


def revoke_token(token_id: int, *, actor: str = "system") -> None:
    with transaction.atomic():
        row = ApiToken.objects.select_for_update().filter(pk=token_id).first()
        if row is None:
            raise NotFound("token", str(token_id))
        if row.revoked_at is None:
            row.revoked_at = timezone.now()
            row.save(update_fields=["revoked_at"])
            trail = Trail(actor)
            trail.add(
                "token",
                str(token_id),
                "token_revoked",
                before={"revoked_at": None},
                after={"revoked_at": _iso(row.revoked_at)},
                prefix=row.prefix,
            )
            trail.save()
