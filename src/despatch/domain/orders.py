"""Orders: statuses, the explicit transition table, and the checks an order must pass.

Every status change goes through :func:`advance`, which looks the event up in
``TRANSITIONS`` and raises :class:`InvalidTransition` naming both states otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from despatch.domain.addresses import Address
from despatch.domain.errors import FieldError, InvalidTransition
from despatch.domain.money import Money, is_currency
from despatch.domain.shipments import ShipmentStatus


class OrderStatus(StrEnum):
    RECEIVED = "received"
    VALIDATED = "validated"
    ON_HOLD = "on_hold"
    BACKORDERED = "backordered"
    RESERVED = "reserved"
    ALLOCATED = "allocated"
    PICKING = "picking"
    PACKED = "packed"
    PARTIALLY_DESPATCHED = "partially_despatched"
    DESPATCHED = "despatched"
    PARTIALLY_DELIVERED = "partially_delivered"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    FULFILLED_BY_CHANNEL = "fulfilled_by_channel"  # e.g. Amazon AFN: recorded, never ours to ship


class OrderEvent(StrEnum):
    VALIDATE = "validate"
    HOLD = "hold"
    RELEASE = "release"
    RESERVE = "reserve"
    BACKORDER = "backorder"
    EXPIRE = "expire"
    ALLOCATE = "allocate"
    START_PICKING = "start_picking"
    PACK = "pack"
    DESPATCH_PART = "despatch_part"
    DESPATCH = "despatch"
    DELIVER_PART = "deliver_part"
    DELIVER = "deliver"
    CANCEL = "cancel"
    CHANNEL_FULFILS = "channel_fulfils"
    REPLAN = "replan"  # its lines changed before picking: reserve and allocate again
    RESUME = "resume"  # a hold placed on an allocated order is released: its parcel goes on


S, E = OrderStatus, OrderEvent

# Each event has exactly one target state, so a refusal can name both states.
TARGET: dict[OrderEvent, OrderStatus] = {
    E.VALIDATE: S.VALIDATED,
    E.HOLD: S.ON_HOLD,
    E.RELEASE: S.RECEIVED,
    E.RESERVE: S.RESERVED,
    E.BACKORDER: S.BACKORDERED,
    E.EXPIRE: S.VALIDATED,
    E.ALLOCATE: S.ALLOCATED,
    E.START_PICKING: S.PICKING,
    E.PACK: S.PACKED,
    E.DESPATCH_PART: S.PARTIALLY_DESPATCHED,
    E.DESPATCH: S.DESPATCHED,
    E.DELIVER_PART: S.PARTIALLY_DELIVERED,
    E.DELIVER: S.DELIVERED,
    E.CANCEL: S.CANCELLED,
    E.CHANNEL_FULFILS: S.FULFILLED_BY_CHANNEL,
    E.REPLAN: S.VALIDATED,
    E.RESUME: S.ALLOCATED,
}

TRANSITIONS: dict[OrderStatus, frozenset[OrderEvent]] = {
    S.RECEIVED: frozenset({E.VALIDATE, E.HOLD, E.CANCEL, E.CHANNEL_FULFILS}),
    S.VALIDATED: frozenset({E.RESERVE, E.BACKORDER, E.HOLD, E.CANCEL}),
    # a hold on an allocated order pauses its parcel (stock kept); RESUME takes it back
    S.ON_HOLD: frozenset({E.RELEASE, E.RESUME, E.CANCEL}),
    S.BACKORDERED: frozenset({E.RESERVE, E.HOLD, E.CANCEL, E.REPLAN}),
    S.RESERVED: frozenset({E.ALLOCATE, E.EXPIRE, E.HOLD, E.CANCEL, E.REPLAN}),
    S.ALLOCATED: frozenset({E.START_PICKING, E.HOLD, E.CANCEL, E.REPLAN}),
    # ALLOCATE from PICKING: a short pick moved every unit left to another warehouse
    S.PICKING: frozenset({E.PACK, E.DESPATCH_PART, E.ALLOCATE, E.CANCEL}),
    # START_PICKING from PACKED: a backordered remainder joined as a new shipment
    S.PACKED: frozenset({E.DESPATCH, E.DESPATCH_PART, E.START_PICKING, E.CANCEL}),
    S.PARTIALLY_DESPATCHED: frozenset({E.DESPATCH, E.DELIVER_PART}),
    S.DESPATCHED: frozenset({E.DELIVER, E.DELIVER_PART}),
    S.PARTIALLY_DELIVERED: frozenset({E.DELIVER}),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
    # the channel cancelled an order it was to ship itself (an Amazon AFN order Canceled):
    # nothing ships either way, but the order reads as cancelled, as the channel says
    S.FULFILLED_BY_CHANNEL: frozenset({E.CANCEL}),
}

TERMINAL = frozenset(s for s, events in TRANSITIONS.items() if not events)
# Nothing has been picked yet: a channel's cancellation may simply cancel the order.
NOT_PICKED = frozenset({S.RECEIVED, S.VALIDATED, S.ON_HOLD, S.BACKORDERED, S.RESERVED, S.ALLOCATED})


def advance(current: OrderStatus, event: OrderEvent) -> OrderStatus:
    """The status after ``event``, or :class:`InvalidTransition` naming both states."""
    if event not in TRANSITIONS[current]:
        raise InvalidTransition("order", current.value, TARGET[event].value)
    return TARGET[event]


def event_towards(current: OrderStatus, target: OrderStatus) -> OrderEvent:
    """The event that moves ``current`` to ``target``; refuses if the table has none."""
    for event in TRANSITIONS[current]:
        if TARGET[event] == target:
            return event
    raise InvalidTransition("order", current.value, target.value)


def status_from_shipments(
    statuses: Iterable[ShipmentStatus], *, remainder: bool = False
) -> OrderStatus:
    """The order's fulfilment status implied by its live (not cancelled) shipments. With a
    ``remainder`` (units still backordered, to ship later) the order is only partly out."""
    implied = _implied(statuses)
    if remainder and implied == S.DESPATCHED:
        return S.PARTIALLY_DESPATCHED
    if remainder and implied == S.DELIVERED:
        return S.PARTIALLY_DELIVERED
    return implied


def _implied(statuses: Iterable[ShipmentStatus]) -> OrderStatus:
    live = [s for s in statuses if s != ShipmentStatus.CANCELLED]
    if not live:
        return S.ALLOCATED
    rank = {status: i for i, status in enumerate(ShipmentStatus)}
    lowest = min(live, key=rank.__getitem__)
    delivered = [s for s in live if s == ShipmentStatus.DELIVERED]
    out = [s for s in live if s in (ShipmentStatus.DESPATCHED, ShipmentStatus.DELIVERED)]
    if len(delivered) == len(live):
        return S.DELIVERED
    if delivered:
        return S.PARTIALLY_DELIVERED
    if len(out) == len(live):
        return S.DESPATCHED
    if out:
        return S.PARTIALLY_DESPATCHED
    if lowest == ShipmentStatus.PACKED:
        return S.PACKED
    if any(s in (ShipmentStatus.PICKING, ShipmentStatus.PACKED) for s in live):
        return S.PICKING
    return S.ALLOCATED


class PaymentStatus(StrEnum):
    PENDING = "pending"
    AUTHORISED = "authorised"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"
    FAILED = "failed"


class HoldReason(StrEnum):
    UNKNOWN_SKU = "unknown_sku"
    INVALID_ADDRESS = "invalid_address"
    AWAITING_PAYMENT = "awaiting_payment"
    INVALID_ORDER = "invalid_order"
    OVERSOLD = "oversold"  # a channel sold stock that is not there: a person decides
    FRAUD_REVIEW = "fraud_review"  # the fraud rules scored it at or above the threshold
    COMPLIANCE = "compliance"  # a rule: restricted goods, destination, export
    NO_ROUTE = "no_route"  # rules left no warehouse that may ship it
    TOTAL_MISMATCH = "total_mismatch"  # the platform's total differs from its parts
    UNKNOWN_SERVICE = "unknown_service"  # the channel's shipping method is not in its map
    PAYMENT_REFUNDED = "payment_refunded"  # the money went back before the goods left
    CANCEL_REQUESTED = "cancel_requested"  # the buyer asked the platform (eBay) to cancel
    MANUAL = "manual"


@dataclass(frozen=True)
class LineDraft:
    sku: str
    quantity: int
    unit_price: Money
    name: str = ""
    line_total: Money | None = None  # exact, when the platform states the line by its total
    external_line_id: str = ""  # the platform's own ID of the line, for write-back

    @property
    def total(self) -> Money:
        return self.line_total if self.line_total is not None else self.unit_price * self.quantity


@dataclass(frozen=True)
class OrderDraft:
    """An order as received from a channel, before anything is stored."""

    channel: str
    external_id: str
    currency: str
    lines: tuple[LineDraft, ...]
    shipping_address: Address
    customer_email: str = ""
    customer_name: str = ""
    payment_status: PaymentStatus = PaymentStatus.PAID
    requested_service: str = "standard"
    shipping_price: Money | None = None
    priority: int = 0
    discount_total: Money | None = None
    tax_total: Money | None = None
    fee_total: Money | None = None
    taxes_included: bool = True
    presentment_total: Money | None = None  # what the shopper saw, when another currency
    stated_total: Money | None = None  # the platform's own grand total (what was paid)
    extra: dict[str, str] = field(default_factory=dict)
    customer_tags: tuple[str, ...] = ()  # as the channel knows the customer (VIP, wholesale)
    paid_at: datetime | None = None  # when the customer paid (or bought): promises start here
    channel_ship_by: datetime | None = None  # the channel's own latest ship time, if it sets one
    billing_address: Address | None = None  # who pays, where the platform says (never shipped to)

    def structural_errors(self) -> list[FieldError]:
        """What makes the draft unusable as an order at all (checked at the edge)."""
        errors: list[FieldError] = []
        if not self.channel:
            errors.append(FieldError("channel", "is required", "required"))
        if not self.external_id:
            errors.append(FieldError("external_id", "is required", "required"))
        if not is_currency(self.currency):
            errors.append(
                FieldError("currency", f"{self.currency!r} is not ISO 4217", "unknown_currency")
            )
        if not self.lines:
            errors.append(FieldError("lines", "an order needs at least one line", "required"))
        for name in ("paid_at", "channel_ship_by"):
            moment = getattr(self, name)
            if moment is not None and moment.utcoffset() is None:
                errors.append(FieldError(name, "needs a time zone", "time_zone"))
        for i, line in enumerate(self.lines):
            if line.quantity <= 0:
                errors.append(FieldError(f"lines[{i}].quantity", "must be at least 1", "quantity"))
            if line.unit_price.currency != self.currency:
                errors.append(
                    FieldError(
                        f"lines[{i}].unit_price",
                        "currency differs from the order's",
                        "currency_mismatch",
                    )
                )
        return errors

    def _amount(self, value: Money | None) -> Money:
        return value if value is not None else Money.zero(self.currency)

    @property
    def total(self) -> Money:
        """Lines less discounts, plus shipping and fees, plus tax unless prices include it."""
        amount = Money.zero(self.currency)
        for line in self.lines:
            amount = amount + line.total
        amount = amount - self._amount(self.discount_total) + self._amount(self.shipping_price)
        amount = amount + self._amount(self.fee_total)
        return amount if self.taxes_included else amount + self._amount(self.tax_total)


RELEASABLE_PAYMENTS = frozenset(
    {PaymentStatus.PAID, PaymentStatus.AUTHORISED, PaymentStatus.PARTIALLY_REFUNDED}
)


def hold_reasons(
    lines: Iterable[tuple[int, str]],
    known_skus: set[str],
    address: Address,
    payment: PaymentStatus = PaymentStatus.PAID,
) -> list[FieldError]:
    """Why a received order cannot go forward yet: unpaid, unknown SKUs, unusable address."""
    problems = [
        FieldError(
            f"lines[{i}].sku",
            f"unknown SKU {sku!r}" if sku.strip() else "the line has no SKU",
            HoldReason.UNKNOWN_SKU.value,
        )
        for i, sku in lines
        if sku not in known_skus
    ]
    problems += [
        FieldError(p.field, p.message, HoldReason.INVALID_ADDRESS.value) for p in address.problems()
    ]
    if payment not in RELEASABLE_PAYMENTS:  # first: it is the reason the order waits
        problems.insert(
            0,
            FieldError(
                "payment_status", f"payment is {payment.value}", HoldReason.AWAITING_PAYMENT
            ),
        )
    return problems
