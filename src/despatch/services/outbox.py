"""The transactional outbox: emit events with a change; claim and settle them in workers.

Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite every write
transaction is ``BEGIN IMMEDIATE``, so claims are serialized by the database.
Each claim is a lease: a worker that dies leaves its events to be re-claimed
once the lease runs out, so delivery is at least once and handlers are idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from despatch.domain.events import SENDERS, Topic, backoff_after, sender_share
from despatch.integrations.channels import http
from despatch.models import OutboxEvent
from despatch.services import deferred, rows

Handler = Callable[[OutboxEvent], None]
Event = OutboxEvent  # the type, for the edges (which never import models)
LEASE = timedelta(seconds=60)
# Before a handler that talks to another server runs, the worker leases its event for longer
# than that handler's calls can take: a platform API call lasts at most http.LONGEST_CALL
# (270 s) and a handler makes at most six (BigCommerce's fetch: refunds, the order, and pages
# of products and addresses), so no other worker picks it up while a call is in flight.
CALLS_PER_HANDLER = 6
CALL_LEASE = timedelta(seconds=CALLS_PER_HANDLER * http.LONGEST_CALL + 60)


def emit(topic: Topic, key: str, now: datetime | None = None, **payload: Any) -> OutboxEvent:
    """Queue an event; call inside the transaction of the change it reports."""
    at = now or timezone.now()
    return rows.new(
        OutboxEvent, topic=str(topic), key=key, payload=payload, available_at=at, created_at=at
    )


def save(events: list[OutboxEvent]) -> None:
    """Store ``events`` (inside a worker's batch: with the batch's other rows, at its end)."""
    deferred.insert(OutboxEvent, events)


# One statement per lane leases the due events and hands them back (UPDATE … RETURNING): no
# transaction of three statements, and nothing compiled by the ORM on the hot path.
_CLAIM = (
    "UPDATE despatch_outboxevent SET locked_by = %s, locked_until = %s WHERE id IN ("
    "SELECT id FROM despatch_outboxevent WHERE status = 'pending' AND available_at <= %s"
    " AND (locked_until IS NULL OR locked_until <= %s) AND topic {lane} ({topics}){retries}"
    " ORDER BY {order} LIMIT %s{lock}) RETURNING *"
)
_SENDERS = sorted(str(t) for t in SENDERS)


def claim(
    worker_id: str,
    limit: int = 50,
    now: datetime | None = None,
    *,
    retries_due_by: datetime | None = None,
) -> list[OutboxEvent]:
    """Lease up to ``limit`` due events to ``worker_id``; no two workers get the same one.

    Two lanes: senders (topics that call another server, ``SENDERS``) get a share of the
    claim (``sender_share``), the longest due first; pipeline events get the rest, in the
    order they were queued, and come first in the list. So however many deliveries keep
    failing, a due order event is claimed in the next round. With ``retries_due_by``, an
    event that failed before is claimed only if it was due by then (a one-shot drain)."""
    now = now or timezone.now()
    share = sender_share(limit)
    senders = _lane(worker_id, share, now, True, retries_due_by) if share else []
    pipeline = _lane(worker_id, limit - len(senders), now, False, retries_due_by)
    if not share and not pipeline:
        senders = _lane(worker_id, limit, now, True, retries_due_by)
    return pipeline + senders


def _lane(
    worker_id: str, limit: int, now: datetime, senders: bool, retries_due_by: datetime | None
) -> list[OutboxEvent]:
    """Lease up to ``limit`` due events of one lane: senders by when they became due,
    pipeline events by ID."""
    if limit <= 0:
        return []
    if not connection.features.can_return_rows_from_bulk_insert:  # nor UPDATE … RETURNING
        return _lane_orm(worker_id, limit, now, senders, retries_due_by)
    skip = connection.features.has_select_for_update_skip_locked
    sql = _CLAIM.format(
        lane="IN" if senders else "NOT IN",
        topics=", ".join(["%s"] * len(_SENDERS)),
        retries="" if retries_due_by is None else " AND (attempts = 0 OR available_at <= %s)",
        order="available_at, id" if senders else "id",
        lock=" FOR UPDATE SKIP LOCKED" if skip else "",
    )
    stamp = rows.stamp(OutboxEvent, "locked_until")
    params: list[Any] = [worker_id, stamp(now + LEASE), stamp(now), stamp(now), *_SENDERS]
    if retries_due_by is not None:
        params.append(stamp(retries_due_by))
    events = list(OutboxEvent.objects.raw(sql, [*params, limit]))
    return sorted(events, key=(lambda e: (e.available_at, e.id)) if senders else (lambda e: e.id))


def _lane_orm(
    worker_id: str, limit: int, now: datetime, senders: bool, retries_due_by: datetime | None
) -> list[OutboxEvent]:
    order = ("available_at", "id") if senders else ("id",)
    with transaction.atomic():
        due = OutboxEvent.objects.filter(status=OutboxEvent.PENDING, available_at__lte=now).exclude(
            locked_until__gt=now
        )
        due = due.filter(topic__in=_SENDERS) if senders else due.exclude(topic__in=_SENDERS)
        if retries_due_by is not None:
            due = due.filter(Q(attempts=0) | Q(available_at__lte=retries_due_by))
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.order_by(*order).values_list("id", flat=True)[:limit])
        if not ids:
            return []
        OutboxEvent.objects.filter(id__in=ids).update(locked_by=worker_id, locked_until=now + LEASE)
    return list(OutboxEvent.objects.filter(id__in=ids, locked_by=worker_id).order_by(*order))


_SETTLE = (
    "UPDATE despatch_outboxevent SET status = %s, processed_at = %s, locked_until = NULL"
    " WHERE locked_by = %s AND id IN ({ids})"
)


def settle_done(event_ids: list[int], worker_id: str) -> int:
    """Mark done those of ``event_ids`` this worker still holds; returns how many. One plain
    statement (run once a batch), not an update compiled by the ORM each time."""
    if not event_ids:
        return 0
    at = rows.stamp(OutboxEvent, "processed_at")(timezone.now())
    sql = _SETTLE.format(ids=", ".join(["%s"] * len(event_ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, [OutboxEvent.DONE, at, worker_id, *event_ids])
        return int(cursor.rowcount)


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
    """The pending pipeline event that has waited longest since it became due (the one
    behind the lag). Senders are left out: a receiver that has been down for hours keeps its
    deliveries retrying, which says nothing about whether the workers keep up."""
    due = OutboxEvent.objects.filter(
        status=OutboxEvent.PENDING, available_at__lte=now or timezone.now()
    ).exclude(topic__in=_SENDERS)
    return due.order_by("available_at", "id").first()


def lag(now: datetime | None = None) -> timedelta:
    """How long the oldest due pipeline event has waited: zero when the workers keep up."""
    now = now or timezone.now()
    oldest = oldest_due(now)
    return max(now - oldest.available_at, timedelta(0)) if oldest else timedelta(0)


def oldest_pending() -> OutboxEvent | None:
    """The first pending pipeline event in the queue, due or waiting out a retry."""
    pending = OutboxEvent.objects.filter(status=OutboxEvent.PENDING)
    return pending.exclude(topic__in=_SENDERS).order_by("id").first()


@dataclass(frozen=True)
class Senders:
    """The senders' lane: pending events, those of them that failed before and wait out a
    retry (a receiver or platform that does not answer), and the latest error of one."""

    pending: int
    retrying: int
    last_error: str


def senders() -> Senders:
    pending = OutboxEvent.objects.filter(status=OutboxEvent.PENDING, topic__in=_SENDERS)
    retrying = pending.filter(attempts__gt=0)
    latest = retrying.order_by("-id").values_list("last_error", flat=True).first() or ""
    lines = latest.strip().splitlines()
    return Senders(pending.count(), retrying.count(), lines[-1] if lines else "")


def due_now(topic: str, field: str, values: list[str]) -> int:
    """Make the pending ``topic`` events whose payload ``field`` is one of ``values`` due now:
    their work became moot, and the worker settles each at once instead of at its retry."""
    pending = OutboxEvent.objects.filter(status=OutboxEvent.PENDING, topic=topic)
    mine = pending.filter(**{f"payload__{field}__in": values})
    return mine.update(available_at=timezone.now())


def release_events(event_ids: list[int], worker_id: str) -> int:
    """Give back this worker's leases on ``event_ids`` (claimed but left for the next round)."""
    return OutboxEvent.objects.filter(
        id__in=event_ids, locked_by=worker_id, status=OutboxEvent.PENDING
    ).update(locked_until=None)


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
