"""Making an approved refund, outside any transaction (the ``refund.process`` handler):
an exchange creates its replacement order; a refund goes to the platform when the channel can
refund there, else to the seller's payment service (``DESPATCH_REFUND_WEBHOOK_URL``, a signed
POST: 2xx succeeded, 4xx failed, 5xx or no answer retried with backoff), else it is recorded
as made. Settling writes the refund's outcome, the audit entry and the event in one
transaction."""

from __future__ import annotations

import json
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from despatch.config import current as configuration
from despatch.domain.errors import Unavailable
from despatch.domain.events import Topic, backoff_after
from despatch.domain.returns import (
    RefundKind,
    RefundStatus,
)
from despatch.domain.totals import plain
from despatch.integrations import hooks
from despatch.models import Order, Refund
from despatch.services import exchanges, orders, outbox, platform_sync
from despatch.services.audit import Trail


def process(refund_id: str, attempt: int) -> str:
    """Make the refund (outside a transaction); raises :class:`Unavailable` to be retried."""
    claimed = Refund.objects.filter(
        id=refund_id, status__in=[RefundStatus.APPROVED, RefundStatus.PROCESSING]
    ).update(status=RefundStatus.PROCESSING.value, attempts=attempt, updated_at=timezone.now())
    if not claimed:
        return "not_due"  # succeeded already, rejected, or failed for good
    refund = Refund.objects.select_related("order").get(id=refund_id)
    if refund.kind == RefundKind.EXCHANGE:  # no money moves: the replacement order ships
        replacement = exchanges.create_replacement(refund)
        _settle(refund, RefundStatus.SUCCEEDED, "", f"order:{replacement.id}")
        return "succeeded"
    if refund.kind == RefundKind.REFUND:  # the platform refunds the customer's payment
        try:
            made = platform_sync.refund_on_platform(refund, attempt)
        except Unavailable as exc:
            _failed_attempt(refund, attempt, exc.detail)
            raise
        if made is not None:
            status, said = made
            ok = status == platform_sync.DONE
            _settle(
                refund, *((RefundStatus.SUCCEEDED, "", said) if ok else (RefundStatus.FAILED, said))
            )
            return "succeeded" if ok else "failed"
    url = configuration().refund_webhook_url
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
                configuration().refund_webhook_secret,
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
            done = (
                Refund.objects.filter(order=order, status=RefundStatus.SUCCEEDED).aggregate(
                    t=Sum("amount")
                )["t"]
                or 0
            )
            orders.record_refund(
                order,
                {
                    "refund_id": refund.id,
                    "amount": str(refund.amount),
                    "currency": refund.currency,
                    "source": "despatch",
                },
                refunded=Decimal(done),
                money_back=refund.kind == RefundKind.REFUND,
            )
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
