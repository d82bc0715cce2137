"""Leases: one holder at a time for a periodic job, so two workers never pull or push the
same channel at once (a late push could otherwise overwrite a newer figure)."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from despatch.models import Lease


def acquire(name: str, holder: str, ttl: timedelta) -> bool:
    """Take or renew the lease; False while someone else holds it and it has not run out."""
    now = timezone.now()
    taken = (
        Lease.objects.filter(name=name)
        .filter(Q(until__lt=now) | Q(holder=holder))
        .update(holder=holder, until=now + ttl)
    )
    if taken:
        return True
    try:
        with transaction.atomic():
            Lease.objects.create(name=name, holder=holder, until=now + ttl)
    except IntegrityError:
        return False  # held by another, and still running
    return True


def release(name: str, holder: str) -> None:
    Lease.objects.filter(name=name, holder=holder).delete()
