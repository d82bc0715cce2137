"""Refunds, store credit and exchanges behind an approval matrix, processed through the outbox.

``DESPATCH_REFUND_LIMITS`` (``50,500``): at or below the first amount a refund is approved
automatically; above it one approver; above the second two distinct approvers. No one
approves their own request. An approved refund is processed by a ``refund.process`` event:
with ``DESPATCH_REFUND_WEBHOOK_URL`` set, a signed POST to the seller's payment service
(2xx succeeded, 4xx failed, 5xx or no answer retried with backoff); without it the refund is
recorded as made (the seller refunds on the channel or at the payment provider).
"""

from __future__ import annotations

import json
import os
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from despatch.domain.errors import Conflict, NotFound, Unavailable, ValidationFailed
from despatch.domain.events import Topic, backoff_after
from despatch.domain.exceptions import Kind
from despatch.domain.ids import new_id
from despatch.domain.money import minor_units
from despatch.domain.orders import PaymentStatus
from despatch.domain.permissions import Scope
from despatch.domain.returns import (
    ApprovalLimits,
    RefundKind,
    RefundStatus,
    check_approval_limit,
    check_approver,
    read_limits,
    refund_amount,
)
from despatch.domain.totals import plain
from despatch.integrations import hooks
from despatch.models import Order, Refund
from despatch.services import exceptions, outbox, scopes
from despatch.services.audit import Trail

LIVE = (
    RefundStatus.REQUESTED,
    RefundStatus.APPROVED,
    RefundStatus.PROCESSING,
    RefundStatus.SUCCEEDED,
)


def limits() -> ApprovalLimits:
    return read_limits(os.environ.get("DESPATCH_REFUND_LIMITS", "50,500"))


def request_refund(
    order_id: str,
    *,
    actor: str,
    kind: str = "refund",
    lines: dict[int, int] | None = None,
    amount: Decimal | None = None,
    include_shipping: bool = False,
    restocking_fee_percent: Decimal = Decimal(0),
    rma_id: str = "",
    reason: str = "",
) -> Refund:
    """Ask for money back: per line (``{line_no: units}``) with shipping and a restocking fee,
    or a plain ``amount``. Never more than the order's total less what is already refunded."""
    try:
        refund_kind = RefundKind(kind)
    except ValueError:
        raise ValidationFailed.single(
            "kind", f"{kind!r} is not refund, store_credit or exchange"
        ) from None
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(id=order_id).first()
        if order is None:
            raise NotFound("order", order_id)
        by_no = {line.line_no: line for line in order.lines.all()}
        detail = []
        if lines:
            unknown = sorted(set(lines) - set(by_no))
            if unknown:
                raise ValidationFailed.single(
                    "lines", f"the order has no line(s) {unknown}", "unknown_line"
                )
            for no, units in sorted(lines.items()):
                sold = by_no[no].quantity + by_no[no].cancelled
                if not 1 <= units <= sold:
                    raise ValidationFailed.single(
                        f"lines[{no}]", f"refund 1 to {sold} units", "quantity"
                    )
                detail.append(
                    {
                        "line_no": no,
                        "sku": by_no[no].sku,
                        "quantity": units,
                        "unit_price": str(by_no[no].unit_price),
                    }
                )
            total, fee = refund_amount(
                [(by_no[no].unit_price, units) for no, units in lines.items()],
                shipping=order.shipping_amount if include_shipping else Decimal(0),
                restocking_fee_percent=restocking_fee_percent,
                minor_units=minor_units(order.currency),
            )
        elif amount is not None:
            total, fee = amount, Decimal(0)
        else:
            raise ValidationFailed.single("amount", "give lines or an amount", "required")
        if total <= 0:
            raise ValidationFailed.single("amount", "must be more than zero", "amount")
        taken = (
            Refund.objects.filter(order=order, status__in=list(LIVE)).aggregate(t=Sum("amount"))[
                "t"
            ]
            or 0
        )
        if total + taken > order.total_amount:
            left = order.total_amount - taken
            raise ValidationFailed.single(
                "amount",
                f"{plain(total, order.currency)} {order.currency} is more than the "
                f"{plain(left, order.currency)} left to refund",
                "amount",
            )
        needed = limits().approvals_needed(total)
        now = timezone.now()
        refund = Refund.objects.create(
            id=new_id("refund"),
            order=order,
            rma_id=rma_id or None,
            kind=refund_kind.value,
            amount=total,
            currency=order.currency,
            restocking_fee=fee,
            shipping=order.shipping_amount if include_shipping else 0,
            lines=detail,
            reason=reason[:300],
            status=(RefundStatus.APPROVED if needed == 0 else RefundStatus.REQUESTED).value,
            approvals_needed=needed,
            requested_by=actor,
            created_at=now,
            updated_at=now,
        )
        trail = Trail(actor, at=now)
        trail.add(
            "refund",
            refund.id,
            "refund_requested",
            order_id=order.id,
            after=refund.status,
            amount=str(total),
            currency=order.currency,
            kind=refund.kind,
            approvals_needed=needed,
        )
        if needed:
            exceptions.open_case(
                Kind.REFUND_APPROVAL,
                subject=f"refund:{refund.id}",
                summary=f"{refund.kind} of {plain(total, order.currency)} {order.currency} needs "
                + ("one approver" if needed == 1 else "two approvers"),
                trail=trail,
                order_id=order.id,
                detail={"refund_id": refund.id, "amount": str(total), "approvals_needed": needed},
            )
        else:
            trail.add(
                "refund", refund.id, "refund_approved", order_id=order.id, reason_code="automatic"
            )
            outbox.save([outbox.emit(Topic.REFUND_PROCESS, refund.id, now, refund_id=refund.id)])
        trail.save()
        outbox.save(
            [
                outbox.emit(
                    Topic.REFUND_REQUESTED, refund.id, now, order_id=order.id, refund_id=refund.id
                )
            ]
        )
    return refund


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
        if actor == refund.requested_by:
            raise Conflict(f"{actor} requested this refund and cannot decide it")
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


def process(refund_id: str, attempt: int) -> str:
    """Make the refund (outside a transaction); raises :class:`Unavailable` to be retried."""
    claimed = Refund.objects.filter(
        id=refund_id, status__in=[RefundStatus.APPROVED, RefundStatus.PROCESSING]
    ).update(status=RefundStatus.PROCESSING.value, attempts=attempt, updated_at=timezone.now())
    if not claimed:
        return "not_due"  # succeeded already, rejected, or failed for good
    refund = Refund.objects.select_related("order").get(id=refund_id)
    url = os.environ.get("DESPATCH_REFUND_WEBHOOK_URL", "")
    reference = "recorded"
    if url:
        body = json.dumps(
            {
                "id": refund.id,
                "order_id": refund.order_id,
                "channel": refund.order.channel,
                "external_id": refund.order.external_id,
                "kind": refund.kind,
                "amount": str(refund.amount),
                "currency": refund.currency,
                "lines": refund.lines,
            },
            sort_keys=True,
        ).encode()
        try:
            answer = hooks.post(
                url,
                body,
                os.environ.get("DESPATCH_REFUND_WEBHOOK_SECRET", ""),
                headers={"Idempotency-Key": f"refund-{refund.id}"},  # the same on every retry
            )
        except Unavailable as exc:
            _failed_attempt(refund, attempt, exc.detail)
            raise
        if 400 <= answer.status < 500:
            _settle(refund, RefundStatus.FAILED, f"refused: {answer.status} {answer.body[:200]}")
            return "failed"
        if not answer.ok:
            _failed_attempt(refund, attempt, f"{answer.status} {answer.body[:200]}")
            raise Unavailable(f"the refund service answered {answer.status}")
        reference = answer.body[:128]
    _settle(refund, RefundStatus.SUCCEEDED, "", reference)
    return "succeeded"


def _failed_attempt(refund: Refund, attempt: int, error: str) -> None:
    if backoff_after(attempt) is None:
        _settle(refund, RefundStatus.FAILED, error)
    else:
        Refund.objects.filter(id=refund.id).update(last_error=error[:2000])


def _settle(refund: Refund, status: RefundStatus, error: str, reference: str = "") -> None:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(id=refund.order_id)
        now = timezone.now()
        Refund.objects.filter(id=refund.id).update(
            status=status.value,
            last_error=error[:2000],
            provider_reference=reference,
            updated_at=now,
            succeeded_at=now if status == RefundStatus.SUCCEEDED else None,
        )
        trail = Trail("system:refunds", at=now)
        trail.add(
            "refund",
            refund.id,
            f"refund_{status.value}",
            order_id=order.id,
            amount=str(refund.amount),
            error=error or None,
        )
        view = {
            "id": refund.id,
            "amount": f"{plain(refund.amount, refund.currency)} {refund.currency}",
            "kind": refund.kind,
        }
        if status == RefundStatus.SUCCEEDED:
            order.refunds = [
                *order.refunds,
                {
                    "refund_id": refund.id,
                    "amount": str(refund.amount),
                    "currency": refund.currency,
                    "source": "despatch",
                },
            ]
            done = (
                Refund.objects.filter(order=order, status=RefundStatus.SUCCEEDED).aggregate(
                    t=Sum("amount")
                )["t"]
                or 0
            )
            if refund.kind == RefundKind.REFUND:
                order.payment_status = (
                    PaymentStatus.REFUNDED
                    if done >= order.total_amount
                    else PaymentStatus.PARTIALLY_REFUNDED
                ).value
            order.updated_at = now
            order.save(update_fields=["refunds", "payment_status", "updated_at"])
            topic = Topic.REFUND_SUCCEEDED
        else:
            topic = Topic.REFUND_FAILED
        trail.save()
        outbox.save(
            [
                outbox.emit(
                    topic, refund.id, now, order_id=order.id, refund_id=refund.id, refund=view
                )
            ]
        )


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
