"""The transactional outbox: emit events with a change; claim and settle them in workers.

Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite every write
transaction is ``BEGIN IMMEDIATE``, so claims are serialized by the database.
Each claim is a lease: a worker that dies leaves its events to be re-claimed
once the lease runs out, so delivery is at least once and handlers are idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from despatch.domain.events import Topic, backoff_after
from despatch.integrations.channels import http
from despatch.models import OutboxEvent

Handler = Callable[[OutboxEvent], None]
Event = OutboxEvent  # the type, for the edges (which never import models)
LEASE = timedelta(seconds=60)
# Before a handler that talks to another server runs, the worker leases its event for longer
# than that handler's calls can take: a platform API call lasts at most http.LONGEST_CALL
# (270 s) and a handler makes at most six (BigCommerce's fetch: refunds, the order, and pages
# of products and addresses), so no other worker picks it up while a call is in flight.
CALLS_PER_HANDLER = 6
CALL_LEASE = timedelta(seconds=CALLS_PER_HANDLER * http.LONGEST_CALL + 60)


def emit(topic: Topic | str, key: str, now: datetime | None = None, **payload: Any) -> OutboxEvent:
    """Queue an event; call inside the transaction of the change it reports."""
    at = now or timezone.now()
    return OutboxEvent(topic=str(topic), key=key, payload=payload, available_at=at, created_at=at)


def save(events: list[OutboxEvent]) -> None:
    OutboxEvent.objects.bulk_create(events)


def claim(worker_id: str, limit: int = 50, now: datetime | None = None) -> list[OutboxEvent]:
    """Lease up to ``limit`` due events to ``worker_id``; no two workers get the same one."""
    now = now or timezone.now()
    with transaction.atomic():
        due = OutboxEvent.objects.filter(status=OutboxEvent.PENDING, available_at__lte=now).exclude(
            locked_until__gt=now
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.order_by("id").values_list("id", flat=True)[:limit])
        if not ids:
            return []
        OutboxEvent.objects.filter(id__in=ids).update(locked_by=worker_id, locked_until=now + LEASE)
    return list(OutboxEvent.objects.filter(id__in=ids, locked_by=worker_id).order_by("id"))


def settle_done(event_ids: list[int], worker_id: str) -> int:
    return OutboxEvent.objects.filter(id__in=event_ids, locked_by=worker_id).update(
        status=OutboxEvent.DONE, processed_at=timezone.now(), locked_until=None
    )


def settle_failed(event: OutboxEvent, worker_id: str, error: str) -> str:
    """Schedule a retry with backoff, or park the event as dead; returns the new status."""
    attempts = event.attempts + 1
    wait = backoff_after(attempts)
    now = timezone.now()
    status = OutboxEvent.DEAD if wait is None else OutboxEvent.PENDING
    OutboxEvent.objects.filter(id=event.id, locked_by=worker_id).update(
        status=status,
        attempts=attempts,
        last_error=error[-4000:],
        available_at=now + timedelta(seconds=wait or 0),
        locked_until=None,
        processed_at=now if status == OutboxEvent.DEAD else None,
    )
    return status


def extend(event_ids: list[int], worker_id: str, until: datetime) -> set[int]:
    """Keep this worker's lease on those of ``event_ids`` it still holds until ``until``;
    returns their IDs (an event whose lease ran out may have been claimed by another)."""
    held = OutboxEvent.objects.filter(
        id__in=event_ids, locked_by=worker_id, status=OutboxEvent.PENDING
    )
    if not held.update(locked_until=until):
        return set()
    return set(held.values_list("id", flat=True))


def release(worker_id: str) -> int:
    """Give back the leases of pending events this worker claimed but could not finish (the
    database went away mid-batch), so they are claimed again at once, not when the lease ends."""
    return OutboxEvent.objects.filter(locked_by=worker_id, status=OutboxEvent.PENDING).update(
        locked_until=None
    )


def oldest_due(now: datetime | None = None) -> OutboxEvent | None:
    """The pending event that has waited longest since it became due (the one behind the lag)."""
    due = OutboxEvent.objects.filter(
        status=OutboxEvent.PENDING, available_at__lte=now or timezone.now()
    )
    return due.order_by("available_at", "id").first()


def lag(now: datetime | None = None) -> timedelta:
    """How long the oldest due pending event has waited: zero when the workers keep up."""
    now = now or timezone.now()
    oldest = oldest_due(now)
    return max(now - oldest.available_at, timedelta(0)) if oldest else timedelta(0)


def oldest_pending() -> OutboxEvent | None:
    """The first pending event in the queue, due or waiting out a retry."""
    return OutboxEvent.objects.filter(status=OutboxEvent.PENDING).order_by("id").first()


def counts() -> dict[str, int]:
    rows = OutboxEvent.objects.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def dead_events(limit: int = 100) -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(status=OutboxEvent.DEAD).order_by("-id")[:limit])


def retry_dead(event_id: int) -> bool:
    return bool(
        OutboxEvent.objects.filter(id=event_id, status=OutboxEvent.DEAD).update(
            status=OutboxEvent.PENDING, attempts=0, available_at=timezone.now(), processed_at=None
        )
    )
