"""API tokens and users: issue a token once, keep only its hash, check it per request."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, User
from django.db import transaction
from django.utils import timezone

from despatch.domain.errors import NotFound
from despatch.models import ApiToken

ROLES = ("ops_manager", "order_ops", "picker", "packer", "shipping", "support", "integrator")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(username: str, name: str = "default") -> str:
    """Issue a token for ``username``; the plain token is returned once and never stored."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound("user", username)
    token = "dsp_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        name=name, prefix=token[:12], key_hash=_hash(token), user=user, created_at=timezone.now()
    )
    return token


def authenticate(token: str) -> AbstractBaseUser | None:
    row = ApiToken.objects.select_related("user").filter(key_hash=_hash(token)).first()
    if row is None or not row.user.is_active:
        return None
    return row.user


def ensure_user(
    username: str, password: str, *, roles: tuple[str, ...] = (), superuser: bool = False
) -> User:
    """Create or update a user with a password and role groups."""
    with transaction.atomic():
        user = User.objects.filter(username=username).first() or User(username=username)
        user.set_password(password)
        user.is_staff = user.is_superuser = superuser
        user.save()
        for role in roles:
            group, _ = Group.objects.get_or_create(name=role)
            user.groups.add(group)
    return user


def has_role(user: AbstractBaseUser | AnonymousUser, roles: tuple[str, ...]) -> bool:
    """Superusers have every role; others through their groups."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return User.objects.filter(pk=user.pk, groups__name__in=roles).exists()
