"""Refunds, store credit and exchanges behind an approval matrix, processed through the outbox.

``DESPATCH_REFUND_LIMITS`` (``50,500``): at or below the first amount a refund is approved
automatically; above it one approver; above the second two distinct approvers. No one
approves their own request. An approved refund is processed by a ``refund.process`` event:
with ``DESPATCH_REFUND_WEBHOOK_URL`` set, a signed POST to the seller's payment service
(2xx succeeded, 4xx failed, 5xx or no answer retried with backoff); without it the refund is
recorded as made (the seller refunds on the channel or at the payment provider).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from despatch.domain.errors import Conflict, NotFound
from despatch.domain.events import Topic
from despatch.domain.exceptions import Kind
from despatch.domain.permissions import Scope
from despatch.domain.returns import (
    RefundStatus,
    check_approval_limit,
    check_approver,
    check_rejecter,
)
from despatch.models import Refund
from despatch.services import exceptions, outbox, scopes
from despatch.services.audit import Trail
from despatch.services.refund_requests import LIVE, limits, request_refund

__all__ = ["LIVE", "limits", "request_refund"]  # asked for in refund_requests


def _lock(refund_id: str) -> Refund:
    refund = Refund.objects.select_for_update().filter(id=refund_id).first()
    if refund is None:
        raise NotFound("refund", refund_id)
    return refund


def approve(refund_id: str, *, actor: str, limit: Decimal | None = None) -> Refund:
    """One approval by ``actor``; the edge has checked they hold ``refunds.approve`` and
    passes their personal limit (None: no limit beyond the approval matrix)."""
    with transaction.atomic():
        refund = _lock(refund_id)
        if refund.status != RefundStatus.REQUESTED:
            raise Conflict(f"refund {refund.id} is {refund.status}")
        check_approval_limit(refund.id, refund.amount, refund.currency, actor, limit)
        check_approver(actor, refund.requested_by, refund.approved_by)
        refund.approved_by = [*refund.approved_by, actor]
        trail = Trail(actor)
        trail.add(
            "refund",
            refund.id,
            "refund_approval",
            order_id=refund.order_id,
            approvals=len(refund.approved_by),
            needed=refund.approvals_needed,
        )
        if len(refund.approved_by) >= refund.approvals_needed:
            refund.status = RefundStatus.APPROVED.value
            refund.decided_by = actor
            trail.add(
                "refund",
                refund.id,
                "refund_approved",
                order_id=refund.order_id,
                before="requested",
                after="approved",
                by=refund.approved_by,
            )
            exceptions.close_subject(Kind.REFUND_APPROVAL, f"refund:{refund.id}", trail, "approved")
            outbox.save(
                [
                    outbox.emit(
                        Topic.REFUND_APPROVED,
                        refund.id,
                        trail.at,
                        order_id=refund.order_id,
                        refund_id=refund.id,
                    ),
                    outbox.emit(Topic.REFUND_PROCESS, refund.id, trail.at, refund_id=refund.id),
                ]
            )
        refund.updated_at = trail.at
        refund.save(update_fields=["approved_by", "status", "decided_by", "updated_at"])
        trail.save()
    return refund


def reject(refund_id: str, *, actor: str, note: str = "", limit: Decimal | None = None) -> Refund:
    with transaction.atomic():
        refund = _lock(refund_id)
        if refund.status != RefundStatus.REQUESTED:
            raise Conflict(f"refund {refund.id} is {refund.status}")
        check_approval_limit(refund.id, refund.amount, refund.currency, actor, limit)
        check_rejecter(actor, refund.requested_by)
        refund.status, refund.decided_by, refund.updated_at = (
            RefundStatus.REJECTED.value,
            actor,
            timezone.now(),
        )
        refund.last_error = note[:2000]
        refund.save(update_fields=["status", "decided_by", "updated_at", "last_error"])
        trail = Trail(actor)
        trail.add(
            "refund",
            refund.id,
            "refund_rejected",
            order_id=refund.order_id,
            note=note,
            before="requested",
            after="rejected",
        )
        exceptions.close_subject(Kind.REFUND_APPROVAL, f"refund:{refund.id}", trail, "rejected")
        trail.save()
    return refund


def retry(refund_id: str, *, actor: str) -> Refund:
    """A failed refund is tried again (a person fixed the cause)."""
    with transaction.atomic():
        refund = _lock(refund_id)
        if refund.status != RefundStatus.FAILED:
            raise Conflict(f"refund {refund.id} is {refund.status}; only a failed one is retried")
        refund.status, refund.updated_at = RefundStatus.APPROVED.value, timezone.now()
        refund.save(update_fields=["status", "updated_at"])
        trail = Trail(actor)
        trail.add("refund", refund.id, "refund_retried", order_id=refund.order_id)
        trail.save()
        outbox.save([outbox.emit(Topic.REFUND_PROCESS, refund.id, refund_id=refund.id)])
    return refund


def get_refund(refund_id: str) -> Refund:
    refund = Refund.objects.filter(id=refund_id).first()
    if refund is None:
        raise NotFound("refund", refund_id)
    return refund


def list_refunds(
    *, status: str = "", order_id: str = "", limit: int = 200, scope: Scope | None = None
) -> list[Refund]:
    rows = scopes.by_order(Refund.objects.all(), scope).select_related("order")
    if status:
        rows = rows.filter(status=status)
    if order_id:
        rows = rows.filter(order_id=order_id)
    return list(rows[:limit])


# making the refund (a non-transactional handler), kept importable from here
from despatch.services.refund_payouts import process  # noqa: E402

__all__ = ["process"]
