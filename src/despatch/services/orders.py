"""Order use cases: receive (idempotent), hold, release, cancel, and read."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from despatch.domain import limits
from despatch.domain.errors import DuplicateOrder, NotFound, ValidationFailed
from despatch.domain.events import Topic
from despatch.domain.exceptions import AUTO, Kind
from despatch.domain.ids import new_id
from despatch.domain.money import Money
from despatch.domain.orders import (
    RELEASABLE_PAYMENTS,
    HoldReason,
    LineDraft,
    OrderDraft,
    OrderEvent,
    OrderStatus,
    PaymentStatus,
    advance,
)
from despatch.domain.reasons import ManualAction, read_reason
from despatch.domain.totals import TotalCheck
from despatch.integrations import contact_checks
from despatch.models import Channel, Order, OrderLine, Reservation
from despatch.services import exceptions, inventory, outbox
from despatch.services.audit import Trail

# Added later: left out of the hash while unset, so orders stored before hash as they did.
_LATER_DRAFT_KEYS = ("customer_tags", "stated_total", "paid_at", "channel_ship_by")
_LATER_LINE_KEYS = ("line_total", "external_line_id")


def fingerprint(draft: OrderDraft) -> str:
    """A stable hash of the order's content, to tell a retry from a clash."""
    content = asdict(draft)
    for key in _LATER_DRAFT_KEYS:
        if not content[key]:
            del content[key]
    for line in content["lines"]:
        for key in _LATER_LINE_KEYS:
            if not line[key]:
                del line[key]
    body = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def receive_order(draft: OrderDraft, *, actor: str) -> tuple[Order, bool]:
    """Store a new order and queue it, or return the one already received.

    Idempotent on (channel, external ID): the same content again returns the stored
    order with ``created=False``; different content raises :class:`DuplicateOrder`.
    """
    errors = draft.structural_errors() + limits.oversized(draft)
    if errors:
        raise ValidationFailed(errors)
    digest = fingerprint(draft)
    try:  # insert first: a retry is the rare case, and the unique key decides races
        with transaction.atomic():
            return _insert(draft, digest, actor), True
    except IntegrityError:
        existing = _existing(draft, digest)
        if existing is None:
            raise
        return existing, False


def _amount(value: Money | None) -> Decimal:
    return value.amount if value is not None else Decimal(0)


def _existing(draft: OrderDraft, digest: str) -> Order | None:
    order = Order.objects.filter(channel=draft.channel, external_id=draft.external_id).first()
    if order is not None and order.fingerprint != digest:
        raise DuplicateOrder(draft.channel, draft.external_id, order.id)
    return order


def _insert(draft: OrderDraft, digest: str, actor: str) -> Order:
    now = timezone.now()
    check = TotalCheck(draft.total, draft.stated_total)
    order = Order.objects.create(
        id=new_id("order"),
        channel=draft.channel,
        external_id=draft.external_id,
        fingerprint=digest,
        status=OrderStatus.RECEIVED,
        payment_status=draft.payment_status,
        currency=draft.currency,
        total_amount=check.paid.amount,
        computed_total=check.computed.amount if draft.stated_total is not None else None,
        shipping_amount=_amount(draft.shipping_price),
        discount_amount=_amount(draft.discount_total),
        tax_amount=_amount(draft.tax_total),
        fee_amount=_amount(draft.fee_total),
        taxes_included=draft.taxes_included,
        presentment_currency=draft.presentment_total.currency if draft.presentment_total else "",
        presentment_total=draft.presentment_total.amount if draft.presentment_total else None,
        customer_name=draft.customer_name,
        customer_email=draft.customer_email,
        language=draft.extra.get("language", "")[:16],
        shipping_address=contact_checks.normalised(draft.shipping_address).as_dict(),
        requested_service=draft.requested_service,
        priority=draft.priority,
        customer_tags=list(draft.customer_tags),
        paid_at=draft.paid_at if draft.paid_at and draft.paid_at < now else None,
        channel_ship_by=draft.channel_ship_by,
        created_at=now,
        updated_at=now,
    )
    lines = OrderLine.objects.bulk_create(
        OrderLine(
            id=new_id("line"),
            order=order,
            line_no=i,
            sku=line.sku,
            quantity=line.quantity,
            unit_price=_unit_price(line),
            line_total=line.total.amount,
            external_line_id=line.external_line_id[:64],
            name=line.name[:300],
        )
        for i, line in enumerate(draft.lines, start=1)
    )
    trail = Trail(actor, at=now)
    trail.add(
        "order",
        order.id,
        "received",
        order_id=order.id,
        after=OrderStatus.RECEIVED.value,
        channel=draft.channel,
        external_id=draft.external_id,
        lines=[_line_shown(line) for line in lines],  # what the as-of view starts from
    )
    trail.save()
    outbox.save([outbox.emit(Topic.ORDER_RECEIVED, order.id, now, order_id=order.id)])
    return order


def _line_shown(line: OrderLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "line_no": line.line_no,
        "sku": line.sku,
        "quantity": line.quantity,
        "unit_price": str(line.unit_price),
    }


def _unit_price(line: LineDraft) -> Decimal:
    """The stored unit price: for a line known by its total, that total over its units to four
    places (9.165 for 18.33 over 2), so refunds of some units come out right to the cent."""
    if line.line_total is None:
        return line.unit_price.amount
    return (line.line_total.amount / line.quantity).quantize(UNIT_PLACES)


UNIT_PLACES = Decimal("0.0001")  # the unit_price column's places


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
    """Put an order on manual hold before it is picked; its stock goes back to the pool.
    ``reason`` is a reason code for holds (domain.reasons), ops_decision when not given."""
    code = read_reason(ManualAction.HOLD, reason)
    with transaction.atomic():
        order = lock_order(order_id)
        trail = Trail(actor)
        problems = [{"field": "order", "message": note or "held by hand", "code": "manual"}]
        inventory.release_reservations(order, trail)  # rolled back if the table refuses the hold
        hold_order(order, HoldReason.MANUAL, problems, trail, why=code.value)
        trail.save()
    return order


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
        set_status(
            order, OrderEvent.RELEASE, trail, code.value, note=note, hold_reason=order.hold_reason
        )
        if order.hold_reason == HoldReason.OVERSOLD:  # released: backorder what is short
            order.allocation = {**order.allocation, "oversell_accepted": True}
        if order.hold_reason == HoldReason.FRAUD_REVIEW:  # a person cleared it
            order.allocation = {**order.allocation, "fraud_cleared": True}
        by_rules = [p["rule"] for p in order.hold_detail if isinstance(p, dict) and p.get("rule")]
        if by_rules:  # a person overrode the rule for this order
            released = [*order.allocation.get("rules_released", []), *by_rules]
            order.allocation = {**order.allocation, "rules_released": released}
        order.hold_reason, order.hold_detail = "", []
        order.save(
            update_fields=["status", "hold_reason", "hold_detail", "allocation", "updated_at"]
        )
        exceptions.close_order_holds(order.id, trail, resolution, note)
        trail.save()
        outbox.save(
            [
                outbox.emit(Topic.ORDER_RELEASED, order.id, trail.at, order_id=order.id),
                outbox.emit(
                    Topic.ORDER_RECEIVED, order.id, trail.at, order_id=order.id, again=True
                ),
            ]
        )
    return order


def channel_settings(code: str) -> dict[str, Any]:
    found = Channel.objects.filter(code=code).values_list("settings", flat=True).first()
    return dict(found or {})


def payment_releases(order: Order) -> bool:
    """Paid (or partly refunded) orders go forward; authorised ones too, unless the channel
    ships only captured payments (setting ``release_authorised: false``); pending ones only
    on a cash-on-delivery channel (setting ``cash_on_delivery: true``)."""
    payment = PaymentStatus(order.payment_status)
    if payment in (PaymentStatus.AUTHORISED, PaymentStatus.PENDING):
        policy = channel_settings(order.channel)
        if payment == PaymentStatus.PENDING:  # cash on delivery: paid at the door
            return bool(policy.get("cash_on_delivery"))
        return policy.get("release_authorised", True) is not False
    return payment in RELEASABLE_PAYMENTS


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
        orders = orders.filter(lines__sku=sku).distinct()
    if q:
        orders = orders.filter(
            Q(id__icontains=q)
            | Q(external_id__icontains=q)
            | Q(customer_name__icontains=q)
            | Q(customer_email__icontains=q)
        )
    return orders.order_by("-created_at", "-id")


def status_counts() -> dict[str, int]:
    rows = Order.objects.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def reservations_of(order_id: str) -> list[Reservation]:
    return list(Reservation.objects.filter(order_id=order_id).order_by("created_at", "id"))
