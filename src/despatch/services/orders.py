"""Order use cases: receive (idempotent), hold, release, cancel, and read.

Receiving lives in ``services.order_intake``; its public names are importable from here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet

from despatch.domain import partials
from despatch.domain.allocation_state import AllocationState
from despatch.domain.channel_settings import CHANNEL_DECIDES, ChannelSettings
from despatch.domain.channel_settings import payment_releases as releases
from despatch.domain.errors import NotFound, ValidationFailed
from despatch.domain.events import Topic
from despatch.domain.exceptions import AUTO, Kind
from despatch.domain.orders import (
    HoldReason,
    OrderEvent,
    OrderStatus,
    PaymentStatus,
    advance,
)
from despatch.domain.reasons import ManualAction, read_reason
from despatch.models import Order, OrderLine, Reservation
from despatch.services import exceptions, inventory, order_search, outbox, reference
from despatch.services.audit import Trail
from despatch.services.order_intake import fingerprint, receive_order

__all__ = ["fingerprint", "receive_order"]  # receiving, kept importable here


def set_payment_status(order: Order, status: PaymentStatus | str) -> None:
    """The one writer of an order's payment state: payment notices, channel updates and
    refunds call this (the caller saves the order with the rest of its change)."""
    order.payment_status = PaymentStatus(status).value


def record_refund(
    order: Order, entry: dict[str, Any], *, refunded: Decimal, money_back: bool
) -> None:
    """A refund made: listed on the order and, when money went back, the payment state is
    refunded or partly refunded by the total ``refunded`` so far (the caller saves)."""
    order.refunds = [*order.refunds, entry]
    if money_back:
        set_payment_status(
            order,
            PaymentStatus.REFUNDED
            if refunded >= order.total_amount
            else PaymentStatus.PARTIALLY_REFUNDED,
        )


def lock_order(order_id: str) -> Order:
    """Load an order for a change, holding its row lock until the transaction ends."""
    order = Order.objects.select_for_update().filter(id=order_id).first()
    if order is None:
        raise NotFound("order", order_id)
    return order


def set_status(
    order: Order, event: OrderEvent, trail: Trail, reason: str = "", **detail: Any
) -> None:
    """Apply ``event`` through the transition table, and audit it."""
    before = order.status
    order.status = advance(OrderStatus(order.status), event)
    order.updated_at = trail.at
    trail.add(
        "order",
        order.id,
        event.value,
        order_id=order.id,
        reason_code=reason,
        before=before,
        after=order.status,
        **detail,
    )


def hold_order(
    order: Order,
    reason: HoldReason,
    problems: list[dict[str, str]],
    trail: Trail,
    why: str = "",
) -> None:
    """Hold ``order``; the audit entry's reason code is ``why`` (a person's reason code) or
    the hold reason itself, and its ``hold_reason`` says which hold it is."""
    set_status(
        order, OrderEvent.HOLD, trail, why or reason.value, problems=problems, hold_reason=reason
    )
    order.hold_reason = reason.value
    order.hold_detail = problems
    order.save(update_fields=["status", "hold_reason", "hold_detail", "updated_at"])
    outbox.save(
        [outbox.emit(Topic.ORDER_HELD, order.id, trail.at, order_id=order.id, reason=reason.value)]
    )
    exceptions.open_case(
        Kind(reason.value),
        subject=f"order:{order.id}",
        summary="; ".join(_said(p) for p in problems) or reason.value,
        trail=trail,
        order_id=order.id,
        detail=problems,
    )


def _said(problem: dict[str, str]) -> str:
    """A hold problem in a line: the field it is about, unless the message names it."""
    field = problem.get("field", "")
    plain = field in {"order", "payment_status"} or field.startswith("sku:")
    return problem["message"] if plain else f"{field}: {problem['message']}"


def place_hold(order_id: str, *, actor: str, note: str = "", reason: str = "") -> Order:
    """Put an order on manual hold before it is picked. Its stock goes back to the pool;
    an allocated order keeps its stock and its parcel waits (no wave picks it) until released.
    ``reason`` is a reason code for holds (domain.reasons), ops_decision when not given."""
    code = read_reason(ManualAction.HOLD, reason)
    with transaction.atomic():
        order = lock_order(order_id)
        trail = Trail(actor)
        paused = order.status == OrderStatus.ALLOCATED
        problems = [{"field": "order", "message": note or "held by hand", "code": "manual"}]
        if paused:
            order.allocation = {**order.allocation, "paused": True}
        else:  # rolled back if the table refuses the hold
            inventory.release_reservations(order, trail)
        hold_order(order, HoldReason.MANUAL, problems, trail, why=code.value)
        if paused:
            order.save(update_fields=["allocation"])
        trail.save()
    return order


def is_paused(order: Order) -> bool:
    """On hold from allocated: its stock and parcel are kept, waiting for the release."""
    return order.status == OrderStatus.ON_HOLD and bool(order.allocation.get("paused"))


def release_order(
    order_id: str, *, actor: str, note: str = "", resolution: str = "release", reason: str = ""
) -> Order:
    """Take an order off hold and send it through validation again; its hold's exception
    case is resolved with ``resolution``. ``reason`` is a reason code for releases
    (domain.reasons), checked_ok when not given."""
    code = read_reason(ManualAction.RELEASE, reason)
    with transaction.atomic():
        order = lock_order(order_id)
        trail = Trail(actor)
        paused = is_paused(order)
        event = OrderEvent.RESUME if paused else OrderEvent.RELEASE
        set_status(order, event, trail, code.value, note=note, hold_reason=order.hold_reason)
        if paused:  # back to allocated: its parcel may be picked again
            order.allocation = {k: v for k, v in order.allocation.items() if k != "paused"}
        state = AllocationState.read(order.allocation)
        if order.hold_reason == HoldReason.OVERSOLD:  # released: backorder what is short
            state = state.but(oversell_accepted=True)
        if order.hold_reason == HoldReason.FRAUD_REVIEW:  # a person cleared it
            state = state.but(fraud_cleared=True)
        if order.hold_reason == HoldReason.PAYMENT_REFUNDED:  # a person decided it ships
            state = state.but(refund_accepted=True)
        by_rules = [p["rule"] for p in order.hold_detail if isinstance(p, dict) and p.get("rule")]
        if by_rules:  # a person overrode the rule for this order
            state = state.released(by_rules)
        order.allocation = state.to_json()
        order.hold_reason, order.hold_detail = "", []
        order.save(
            update_fields=["status", "hold_reason", "hold_detail", "allocation", "updated_at"]
        )
        exceptions.close_order_holds(order.id, trail, resolution, note)
        trail.save()
        events = [outbox.emit(Topic.ORDER_RELEASED, order.id, trail.at, order_id=order.id)]
        if not paused:  # validated, reserved and allocated again
            events.append(
                outbox.emit(Topic.ORDER_RECEIVED, order.id, trail.at, order_id=order.id, again=True)
            )
        outbox.save(events)
    return order


def link_replacement(replacement: Order, original: Order, rma_id: str) -> None:
    """Mark ``replacement`` as the exchange of ``original`` (for the return ``rma_id``)."""
    replacement.replaces, replacement.exchange_rma = original.id, rma_id
    Order.objects.filter(id=replacement.id).update(replaces=original.id, exchange_rma=rma_id)


def channel_settings(code: str) -> dict[str, Any]:
    return reference.channel_settings(code)


def channel_policy(code: str) -> ChannelSettings:
    """The channel's settings, typed (an unknown channel has the defaults)."""
    return ChannelSettings.read(channel_settings(code))


def ships_partially(code: str) -> bool:
    """Whether the channel's orders ship what is in stock now, the rest later
    (``partial_shipments``; see domain/partials.py for the defaults by channel type)."""
    found = reference.channel(code)
    kind, settings = (found.type, found.settings) if found else ("api", {})
    return partials.policy(kind, settings or {}) == partials.PartialShipments.WHEN_AVAILABLE


def payment_releases(order: Order) -> bool:
    """Paid (or partly refunded) orders go forward; authorised ones too, unless the channel
    ships only captured payments (setting ``release_authorised: false``); pending ones only
    on a cash-on-delivery channel (setting ``cash_on_delivery: true``)."""
    payment = PaymentStatus(order.payment_status)
    if payment not in CHANNEL_DECIDES:  # no need to read the channel
        return releases(payment, ChannelSettings())
    return releases(payment, channel_policy(order.channel))


def release_if_paid(order: Order, trail: Trail) -> bool:
    """An order held only for its payment goes forward once the payment has arrived.
    Call with the order locked; returns whether it was released."""
    if order.status != OrderStatus.ON_HOLD or order.hold_reason != HoldReason.AWAITING_PAYMENT:
        return False
    if not payment_releases(order):
        return False
    set_status(order, OrderEvent.RELEASE, trail, "payment_received", payment=order.payment_status)
    order.hold_reason, order.hold_detail = "", []
    order.save(update_fields=["status", "hold_reason", "hold_detail", "updated_at"])
    exceptions.close_order_holds(order.id, trail, AUTO, f"payment {order.payment_status}")
    outbox.save(
        [
            outbox.emit(Topic.ORDER_RELEASED, order.id, trail.at, order_id=order.id),
            outbox.emit(Topic.ORDER_RECEIVED, order.id, trail.at, order_id=order.id, again=True),
        ]
    )
    return True


def mark_fulfilled_by_channel(order_id: str, *, actor: str, reason: str) -> Order:
    """Record an order the channel ships itself (e.g. Amazon AFN): kept, never picked here."""
    with transaction.atomic():
        order = lock_order(order_id)
        trail = Trail(actor)
        set_status(order, OrderEvent.CHANNEL_FULFILS, trail, reason)
        order.save(update_fields=["status", "updated_at"])
        trail.save()
    return order


def get_order(order_id: str) -> Order:
    order = Order.objects.prefetch_related("lines", "shipments__lines").filter(id=order_id).first()
    if order is None:
        raise NotFound("order", order_id)
    return order


def find_order(channel: str, external_id: str) -> Order:
    order = Order.objects.filter(channel=channel, external_id=external_id).first()
    if order is None:
        raise NotFound("order", f"{channel}/{external_id}")
    return order


def list_orders(
    *, status: str = "", channel: str = "", external_id: str = "", q: str = "", sku: str = ""
) -> QuerySet[Order]:
    orders = Order.objects.all()
    if status:
        if status not in OrderStatus.__members__.values():
            raise ValidationFailed.single("status", f"unknown status {status!r}", "unknown_status")
        orders = orders.filter(status=status)
    if channel:
        orders = orders.filter(channel=channel)
    if external_id:
        orders = orders.filter(external_id=external_id)
    if sku:
        orders = orders.filter(id__in=OrderLine.objects.filter(sku=sku).values("order_id"))
    if q:
        orders = orders.filter(order_search.matching(q))
    return orders.order_by("-created_at", "-id")


def status_counts() -> dict[str, int]:
    rows = Order.objects.values("status").annotate(n=Count("*"))  # the status index covers it
    return {row["status"]: row["n"] for row in rows}


def reservations_of(order_id: str) -> list[Reservation]:
    return list(Reservation.objects.filter(order_id=order_id).order_by("created_at", "id"))
