"""Payment notices applied to orders: once each, the latest wins, holds follow the money.

A notice is stored before anything else (a retried webhook finds it and changes nothing).
Under the order's lock it becomes the order's payment status unless a later notice was already
applied. Money arriving for an order held for it releases the order (and closes its exception
case); a failed or voided payment holds an order that has not reached the warehouse and gives
its stock back. Every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from despatch.config import current as configuration
from despatch.domain import limits
from despatch.domain.errors import NotFound, ValidationFailed
from despatch.domain.orders import (
    HoldReason,
    OrderStatus,
)
from despatch.domain.payments import NoticeEffect, OrderRef, PaymentNotice, notice_effect
from despatch.domain.signatures import secret_variable
from despatch.models import Order, PaymentEvent
from despatch.services import inventory, late_holds, orders
from despatch.services.audit import Trail


def stripe_secret() -> str:
    return configuration().stripe_webhook_secret


def secret_for(provider: str) -> str:
    name = secret_variable("DESPATCH_PAYMENTS_SECRET", provider)
    return configuration().sender_secret(name) or configuration().payments_secret


@dataclass(frozen=True)
class Applied:
    event_id: str
    order_id: str
    outcome: str  # applied, stale, duplicate, no_order
    payment_status: str
    order_status: str


def _find(ref: OrderRef) -> Order | None:
    if ref.order_id:
        return Order.objects.filter(id=ref.order_id).first()
    return Order.objects.filter(channel=ref.channel, external_id=ref.external_id).first()


def apply(notice: PaymentNotice, *, actor: str = "") -> Applied:
    too_long = limits.longer_than(
        limits.PAYMENT_IDS, {"provider": notice.provider, "event_id": notice.event_id}
    )
    if too_long:
        raise ValidationFailed(too_long)
    actor = actor or f"payments:{notice.provider}"
    found = _find(notice.order)
    with transaction.atomic():
        order = orders.lock_order(found.id) if found else None
        try:
            with transaction.atomic():
                event = PaymentEvent.objects.create(
                    provider=notice.provider,
                    event_id=notice.event_id,
                    kind=notice.kind[:64],
                    order=order,
                    order_ref=str(notice.order)[:200],
                    status=notice.status.value,
                    amount=notice.amount.amount if notice.amount else None,
                    currency=notice.amount.currency if notice.amount else "",
                    reference=notice.reference[:128],
                    occurred_at=notice.occurred_at,
                    received_at=timezone.now(),
                    outcome=PaymentEvent.NO_ORDER if order is None else PaymentEvent.APPLIED,
                )
        except IntegrityError:
            done = PaymentEvent.objects.get(provider=notice.provider, event_id=notice.event_id)
            return Applied(
                notice.event_id,
                done.order_id or "",
                "duplicate",
                done.status,
                order.status if order else "",
            )
        if order is None:
            return Applied(notice.event_id, "", PaymentEvent.NO_ORDER, notice.status.value, "")
        latest = (
            PaymentEvent.objects.filter(order=order, outcome=PaymentEvent.APPLIED)
            .exclude(pk=event.pk)
            .aggregate(at=Max("occurred_at"))["at"]
        )
        if latest is not None and latest > notice.occurred_at:
            event.outcome = PaymentEvent.STALE
            event.save(update_fields=["outcome"])
            return Applied(notice.event_id, order.id, "stale", order.payment_status, order.status)
        _change(order, notice, Trail(actor))
    return Applied(notice.event_id, order.id, "applied", order.payment_status, order.status)


def _change(order: Order, notice: PaymentNotice, trail: Trail) -> None:
    before = order.payment_status
    orders.set_payment_status(order, notice.status)
    order.updated_at = trail.at
    order.save(update_fields=["payment_status", "updated_at"])
    trail.add(
        "order",
        order.id,
        "payment_changed",
        order_id=order.id,
        reason_code=notice.kind,
        before=before,
        after=order.payment_status,
        provider=notice.provider,
        event_id=notice.event_id,
        amount=str(notice.amount) if notice.amount else "",
        reference=notice.reference,
    )
    effect = notice_effect(notice.status, OrderStatus(order.status))
    if effect == NoticeEffect.RELEASE:
        orders.release_if_paid(order, trail)
    elif effect == NoticeEffect.HOLD:
        inventory.release_reservations(order, trail)
        problems = [
            {
                "field": "payment_status",
                "message": f"payment {notice.status.value} ({notice.provider} {notice.reference})",
                "code": HoldReason.AWAITING_PAYMENT.value,
            }
        ]
        orders.hold_order(order, HoldReason.AWAITING_PAYMENT, problems, trail)
    elif effect == NoticeEffect.REFUNDED:
        stop_refunded(order, trail, f"{notice.provider} ({notice.reference or notice.event_id})")
    trail.save()


def stop_refunded(order: Order, trail: Trail, who: str) -> bool:
    """All the order's money went back before its goods left: an order not yet picked gives
    its stock back and is held ``payment_refunded`` (finance queue); on the floor, or held
    already, the case opens. A partial refund changes nothing. Call with the order locked."""
    message = (
        f"{who} refunded the whole order before it was despatched: do not ship it; cancel it, "
        "or release it once the money is taken again"
    )
    return late_holds.hold_or_open_case(order, HoldReason.PAYMENT_REFUNDED, message, trail)


def events_of(order_id: str) -> list[PaymentEvent]:
    if not Order.objects.filter(id=order_id).exists():
        raise NotFound("order", order_id)
    return list(PaymentEvent.objects.filter(order_id=order_id).order_by("occurred_at", "id"))
