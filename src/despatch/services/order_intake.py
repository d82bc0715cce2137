"""Receiving an order: stored once per (channel, external ID), with its lines, the audit
entry the as-of view starts from and ``order.received`` in the outbox, in one transaction.

``services.orders`` re-exports :func:`receive_order`, :func:`fingerprint` and
:data:`UNIT_PLACES`: callers keep calling ``orders.receive_order``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields, is_dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from despatch.domain import limits
from despatch.domain.errors import DuplicateOrder, ValidationFailed
from despatch.domain.events import Topic
from despatch.domain.ids import new_id
from despatch.domain.money import Money
from despatch.domain.orders import LineDraft, OrderDraft, OrderStatus
from despatch.domain.totals import TotalCheck
from despatch.integrations import contact_checks
from despatch.models import Order, OrderLine
from despatch.services import outbox
from despatch.services.audit import Trail
from despatch.services.rows import insert as insert_rows
from despatch.services.rows import new as new_row

# Added later: left out of the hash while unset, so orders stored before hash as they did.
_LATER_DRAFT_KEYS = (
    "customer_tags",
    "stated_total",
    "paid_at",
    "channel_ship_by",
    "billing_address",
)
_LATER_LINE_KEYS = ("line_total", "external_line_id")

UNIT_PLACES = Decimal("0.0001")  # the unit_price column's places


def fingerprint(draft: OrderDraft) -> str:
    """A stable hash of the order's content, to tell a retry from a clash."""
    content = _plain(draft)
    for key in _LATER_DRAFT_KEYS:
        if not content[key]:
            del content[key]
    for line in content["lines"]:
        for key in _LATER_LINE_KEYS:
            if not line[key]:
                del line[key]
    body = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


_LEAVES = frozenset({str, int, bool, type(None), Decimal})  # kept as they are


_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(kind: type) -> tuple[str, ...] | None:
    """A dataclass's field names (None for any other type), looked up once per type."""
    if kind not in _NAMES:
        _NAMES[kind] = tuple(f.name for f in fields(kind)) if is_dataclass(kind) else None
    return _NAMES[kind]


def _plain(value: Any) -> Any:
    """``dataclasses.asdict`` without its deep copies (the draft is frozen): the same dict."""
    kind = type(value)
    if kind in _LEAVES:
        return value
    names = _field_names(kind)
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    return value


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


def _existing(draft: OrderDraft, digest: str) -> Order | None:
    order = Order.objects.filter(channel=draft.channel, external_id=draft.external_id).first()
    if order is not None and order.fingerprint != digest:
        raise DuplicateOrder(draft.channel, draft.external_id, order.id)
    return order


def _insert(draft: OrderDraft, digest: str, actor: str) -> Order:
    """The order, its lines, its audit entry and its outbox event: one statement each."""
    now = timezone.now()
    order = _order_row(draft, digest, now)
    lines = _line_rows(draft, order)
    insert_rows(Order, [order])  # the unique (channel, external ID) refuses a second one
    insert_rows(OrderLine, lines)
    _record_received(order, lines, draft, actor, now)
    _as_read(order, lines)
    return order


def _as_read(order: Order, lines: list[OrderLine]) -> None:
    """Hand the new order back as ``get_order`` would read it, with its lines and (no)
    shipments at hand: the API answers from it without reading back what it just wrote."""
    cache: dict[str, Any] = {}
    for name, rows in (("lines", lines), ("shipments", [])):
        fetched = getattr(order, name).all()
        fetched._result_cache = rows
        fetched._prefetch_done = True
        cache[name] = fetched
    order._prefetched_objects_cache = cache  # type: ignore[attr-defined]  # as prefetching sets


def _order_row(draft: OrderDraft, digest: str, now: datetime) -> Order:
    check = TotalCheck(draft.total, draft.stated_total)
    presentment = draft.presentment_total
    return new_row(
        Order,
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
        presentment_currency=presentment.currency if presentment else "",
        presentment_total=presentment.amount if presentment else None,
        # no name given: the customer is the person the order ships to (after the hash, so an
        # order stored before this rule is still recognised when it is sent again)
        customer_name=draft.customer_name.strip() or draft.shipping_address.name.strip(),
        customer_email=draft.customer_email,
        language=draft.extra.get("language", "")[:16],
        channel_refs={k: str(v)[:128] for k, v in draft.extra.items() if v},
        shipping_address=contact_checks.normalised(draft.shipping_address).as_dict(),
        billing_address=_billing(draft),
        requested_service=draft.requested_service,
        priority=draft.priority,
        customer_tags=list(draft.customer_tags),
        paid_at=draft.paid_at if draft.paid_at and draft.paid_at < now else None,
        channel_ship_by=draft.channel_ship_by,
        created_at=now,
        updated_at=now,
    )


def _amount(value: Money | None) -> Decimal:
    return value.amount if value is not None else Decimal(0)


def _billing(draft: OrderDraft) -> dict[str, str]:
    """The billing address as the platform gave it (not validated: nothing ships there);
    none, or one with no line, country or name, is stored empty."""
    billing = draft.billing_address
    if billing is None or not (billing.line1 or billing.country or billing.name):
        return {}
    return {k: v for k, v in billing.as_dict().items() if v}


def _line_rows(draft: OrderDraft, order: Order) -> list[OrderLine]:
    return [
        new_row(
            OrderLine,
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
    ]


def _unit_price(line: LineDraft) -> Decimal:
    """The stored unit price: for a line known by its total, that total over its units to four
    places (9.165 for 18.33 over 2), so refunds of some units come out right to the cent."""
    if line.line_total is None:
        return line.unit_price.amount
    return (line.line_total.amount / line.quantity).quantize(UNIT_PLACES)


def _record_received(
    order: Order, lines: list[OrderLine], draft: OrderDraft, actor: str, now: datetime
) -> None:
    """The ``received`` audit entry, with the lines the as-of view starts from, and
    ``order.received`` in the outbox."""
    trail = Trail(actor, at=now)
    trail.add(
        "order",
        order.id,
        "received",
        order_id=order.id,
        after=OrderStatus.RECEIVED.value,
        channel=draft.channel,
        external_id=draft.external_id,
        lines=[_line_shown(line) for line in lines],
    )
    trail.save()
    outbox.save([outbox.emit(Topic.ORDER_RECEIVED, order.id, now, order_id=order.id)])


def _line_shown(line: OrderLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "line_no": line.line_no,
        "sku": line.sku,
        "quantity": line.quantity,
        "unit_price": str(line.unit_price),
    }
