"""Exception queues: open a case with the fact that caused it, assign, escalate, close.

A case is opened in the transaction of its cause (the hold, the short pick, the weighing),
so none is ever lost; at most one case of a kind is open per subject, whatever runs at once.
Resolutions that act on orders live in ``services.resolutions``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from despatch.config import current as configuration
from despatch.domain.errors import Conflict, NotFound, ValidationFailed
from despatch.domain.events import Topic
from despatch.domain.exceptions import AUTO, ORDER_HOLDS, Kind, Policy, normalise_owner, policies
from despatch.domain.ids import new_id
from despatch.models import ExceptionCase, Order
from despatch.services import outbox
from despatch.services.audit import Trail

_cache: dict[str, Any] = {"key": None, "value": None}


def policy_path() -> Path:
    default = Path(settings.HOME) / "exception-policy.json"
    return Path(configuration().exception_policy or default)


def current_policies() -> dict[Kind, Policy]:
    """The policies in force: the defaults, with the site's policy file (if any) over them."""
    path = policy_path()
    try:
        key: Any = (str(path), path.stat().st_mtime_ns)
    except FileNotFoundError:
        key = None
    if _cache["value"] is None or _cache["key"] != key:
        overrides = json.loads(path.read_text(encoding="utf-8")) if key else {}
        _cache["value"], _cache["key"] = policies(overrides), key
    value: dict[Kind, Policy] = _cache["value"]
    return value


def open_case(
    kind: Kind,
    *,
    subject: str,
    summary: str,
    trail: Trail,
    order_id: str = "",
    shipment_id: str = "",
    detail: Any = None,
) -> ExceptionCase:
    """Open a case, or return the one of this kind already open for the subject."""
    policy = current_policies()[kind]
    now = trail.at
    try:
        with transaction.atomic():
            case = ExceptionCase.objects.create(
                id=new_id("exception"),
                kind=kind.value,
                queue=policy.queue,
                subject=subject,
                order_id=order_id or None,
                shipment_id=shipment_id,
                summary=summary[:300],
                detail=detail if detail is not None else [],
                priority=policy.priority,
                owner=policy.owner,
                opened_at=now,
                due_at=policy.due(now),
                updated_at=now,
            )
    except IntegrityError:
        return ExceptionCase.objects.get(kind=kind.value, subject=subject, status="open")
    trail.add(
        "exception",
        case.id,
        "opened",
        order_id=order_id,
        reason_code=kind.value,
        after=ExceptionCase.OPEN,
        queue=case.queue,
        owner=case.owner,
        due_at=case.due_at.isoformat(),
    )
    outbox.save([_event(Topic.EXCEPTION_OPENED, case, now)])
    return case


def _event(topic: Topic, case: ExceptionCase, now: datetime, **extra: Any) -> Any:
    return outbox.emit(
        topic,
        case.id,
        now,
        exception_id=case.id,
        kind=case.kind,
        queue=case.queue,
        owner=case.owner,
        order_id=case.order_id or "",
        **extra,
    )


def close(
    cases: QuerySet[ExceptionCase],
    trail: Trail,
    resolution: str,
    note: str = "",
    why: str = "",
) -> list[str]:
    """Resolve the open cases among ``cases``; returns their IDs (none twice, whoever races).
    The audit entry's reason code is ``why`` (a person's reason code) or the resolution."""
    closed = []
    for case in cases.filter(status=ExceptionCase.OPEN).select_for_update():
        updated = ExceptionCase.objects.filter(pk=case.pk, status=ExceptionCase.OPEN).update(
            status=ExceptionCase.RESOLVED,
            resolved_at=trail.at,
            resolved_by=trail.actor,
            resolution=resolution,
            note=note,
            updated_at=trail.at,
        )
        if not updated:
            continue
        closed.append(case.id)
        trail.add(
            "exception",
            case.id,
            "resolved",
            order_id=case.order_id or "",
            reason_code=why or resolution,
            before=ExceptionCase.OPEN,
            after=ExceptionCase.RESOLVED,
            note=note,
            resolution=resolution,
        )
        outbox.save([_event(Topic.EXCEPTION_RESOLVED, case, trail.at, resolution=resolution)])
    return closed


def close_order_holds(order_id: str, trail: Trail, resolution: str, note: str = "") -> list[str]:
    """The order left its hold (released, paid, cancelled): its hold cases are done."""
    holds = ExceptionCase.objects.filter(order_id=order_id, kind__in=[k.value for k in ORDER_HOLDS])
    return close(holds, trail, resolution, note)


def close_subject(kind: Kind, subject: str, trail: Trail, note: str) -> list[str]:
    """The condition cleared by itself (a parcel re-weighed right, the parcel delivered)."""
    cases = ExceptionCase.objects.filter(kind=kind.value, subject=subject)
    return close(cases, trail, AUTO, note)


def get_case(case_id: str) -> ExceptionCase:
    case = ExceptionCase.objects.filter(id=case_id).first()
    if case is None:
        raise NotFound("exception", case_id)
    return case


def lock_open(case_id: str) -> ExceptionCase:
    case = ExceptionCase.objects.select_for_update().filter(id=case_id).first()
    if case is None:
        raise NotFound("exception", case_id)
    if case.status != ExceptionCase.OPEN:
        raise Conflict(
            f"exception {case_id} was already resolved ({case.resolution}) by {case.resolved_by}",
            current=case.status,
        )
    return case


def assign(case_id: str, owner: str, *, actor: str) -> ExceptionCase:
    """Give an open case to ``user:NAME`` or ``group:NAME``; a user must be able to work it."""
    owner = normalise_owner(owner)
    with transaction.atomic():
        case = lock_open(case_id)
        check_assignee(owner, case)
        trail = Trail(actor)
        trail.add(
            "exception",
            case.id,
            "assigned",
            order_id=case.order_id or "",
            before=case.owner,
            after=owner,
        )
        case.owner, case.updated_at = owner, trail.at
        case.save(update_fields=["owner", "updated_at"])
        trail.save()
    return case


def check_assignee(owner: str, case: ExceptionCase) -> None:
    """A case goes only to an active user who holds ``exceptions.work`` and whose scope reaches
    its order (a limited user sees no case of no order): else 422 naming ``owner``."""
    from despatch.services import scopes, tokens

    kind, _, name = owner.partition(":")
    if kind != "user":
        return
    try:
        who = tokens.access_of_username(name)
    except NotFound:
        raise ValidationFailed.single(
            "owner", f"{name!r} is not an active user", "inactive_user"
        ) from None
    if not who.can("exceptions.work"):
        raise ValidationFailed.single(
            "owner",
            f"{name} may not resolve exceptions (permission 'exceptions.work')",
            "cannot_work",
        )
    if not who.limited():
        return
    orders = Order.objects.filter(id=case.order_id) if case.order_id else Order.objects.none()
    if not scopes.orders_in(orders, who.scope).exists():
        where = f"order {case.order_id}" if case.order_id else "this case, which has no order"
        raise ValidationFailed.single(
            "owner", f"{name}'s warehouses and channels do not reach {where}", "out_of_scope"
        )


def resolve_by_hand(case: ExceptionCase, trail: Trail, note: str, why: str = "") -> None:
    """Close a locked open case a person dealt with (counted the bin, called the carrier)."""
    if not note.strip():
        raise ValidationFailed.single("note", "say what was done", "required")
    close(ExceptionCase.objects.filter(pk=case.pk), trail, "resolve", note, why)


def escalate_due(now: datetime | None = None, *, actor: str = "system:sla") -> int:
    """Hand every open case past its SLA to its policy's escalation owner, once."""
    now = now or timezone.now()
    rules = current_policies()
    due = ExceptionCase.objects.filter(
        status=ExceptionCase.OPEN, escalated_at__isnull=True, due_at__lte=now
    ).order_by("due_at")
    escalated = 0
    for case in list(due[:500]):
        target = rules[Kind(case.kind)].escalate_to
        with transaction.atomic():
            won = ExceptionCase.objects.filter(
                pk=case.pk, status=ExceptionCase.OPEN, escalated_at__isnull=True
            ).update(escalated_at=now, owner=target, updated_at=now)
            if not won:
                continue  # another worker, or a person, got there first
            trail = Trail(actor, at=now)
            trail.add(
                "exception",
                case.id,
                "escalated",
                order_id=case.order_id or "",
                reason_code="sla_breached",
                before=case.owner,
                after=target,
                due_at=case.due_at.isoformat(),
            )
            trail.save()
            previous, case.owner = case.owner, target
            outbox.save([_event(Topic.EXCEPTION_ESCALATED, case, now, previous_owner=previous)])
            escalated += 1
    return escalated


def list_cases(
    *,
    status: str = "open",
    queue: str = "",
    owner: str = "",
    kind: str = "",
    order_id: str = "",
    now: datetime | None = None,
) -> QuerySet[ExceptionCase]:
    """The queue, breached SLAs first, then the most urgent, then the earliest due."""
    if status not in {"open", "resolved", "all"}:
        raise ValidationFailed.single("status", "must be open, resolved or all")
    if kind and kind not in Kind.__members__.values():
        known = ", ".join(k.value for k in Kind)
        raise ValidationFailed.single("kind", f"unknown kind {kind!r}; one of {known}")
    now = now or timezone.now()
    cases = ExceptionCase.objects.all()
    if status != "all":
        cases = cases.filter(status=status)
    if queue:
        cases = cases.filter(queue=queue)
    if owner:
        cases = cases.filter(owner=normalise_owner(owner) if owner != "unassigned" else "")
    if kind:
        cases = cases.filter(kind=kind)
    if order_id:
        cases = cases.filter(order_id=order_id)
    return cases.annotate(
        breached=Case(
            When(Q(status="open", due_at__lte=now), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("breached", "priority", "due_at", "id")


def read_case(case_id: str) -> ExceptionCase:
    """One case, with whether its SLA is breached."""
    case = list_cases(status="all").filter(id=case_id).first()
    if case is None:
        raise NotFound("exception", case_id)
    return case


def queue_counts(now: datetime | None = None) -> list[dict[str, Any]]:
    """Per queue: how many are open and how many are past their SLA."""
    now = now or timezone.now()
    rows = (
        ExceptionCase.objects.filter(status=ExceptionCase.OPEN)
        .values("queue")
        .annotate(open=Count("id"), breached=Count("id", filter=Q(due_at__lte=now)))
        .order_by("queue")
    )
    return [dict(row) for row in rows]
