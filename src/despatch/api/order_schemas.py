"""The orders API's request and response bodies (routes in ``api/orders.py``, the functions
that fill the responses in ``api/orders_out.py``)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from despatch.api.schemas import ObjectIn
from despatch.domain.limits import MAX_LINES
from despatch.domain.orders import PaymentStatus
from despatch.services.catalogue import API_CHANNEL


class AddressIn(Schema):
    name: str
    line1: str
    line2: str = ""
    city: str
    region: str = ""
    postcode: str = ""
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    company: str = ""
    phone: str = ""
    email: str = ""


class LineIn(Schema):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(strict=True, gt=0, le=100000)
    unit_price: Decimal = Field(ge=0, max_digits=14, decimal_places=4)


class OrderIn(ObjectIn):
    channel: str = Field(API_CHANNEL, min_length=1, max_length=32)
    external_id: str | None = Field(
        None, max_length=128, description="defaults to the Idempotency-Key"
    )
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217")
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    shipping_address: AddressIn
    billing_address: AddressIn | None = Field(None, description="who pays; never shipped to")
    customer_name: str = Field("", description="defaults to the shipping address's name")
    customer_email: str = ""
    payment_status: PaymentStatus = PaymentStatus.PAID
    requested_service: str = "standard"
    shipping_price: Decimal = Field(Decimal(0), ge=0, max_digits=14, decimal_places=4)
    priority: int = Field(strict=True, default=0, ge=-100, le=100)
    customer_tags: list[str] = Field([], max_length=50, description="for rule conditions")
    language: str = Field("", max_length=16, description="the customer's language, e.g. fr")


class LineOut(Schema):
    id: str
    line_no: int
    sku: str
    quantity: int
    unit_price: str
    line_total: str  # exact: a line the platform states by its total keeps that total
    external_line_id: str  # the platform's own ID of the line
    backordered: int
    cancelled: int


class ShipmentLineOut(Schema):
    sku: str
    quantity: int


class ChannelToldOut(Schema):
    told_at: datetime | None
    outcome: str = Field(description="posted, already_posted, noted, completed, failed or empty")
    reference: str = Field(description="the platform's ID of its fulfilment or shipment")
    error: str


class ShipmentOut(Schema):
    id: str
    order_id: str
    warehouse: str
    status: str
    carrier: str
    tracking_number: str
    lines: list[ShipmentLineOut]
    channel: ChannelToldOut = Field(description="what the order's channel was told of it")


class OrderSummary(Schema):
    id: str
    channel: str
    external_id: str
    status: str
    payment_status: str
    currency: str
    total: str
    customer_name: str
    hold_reason: str
    created_at: datetime


class OrderListed(OrderSummary):
    country: str = ""
    service: str = ""
    ship_by: date | None = None
    late: bool = False
    warehouses: list[str] = []


class PresentmentOut(Schema):
    currency: str
    total: str


class OrderOut(OrderSummary):
    tax_total: str
    taxes_included: bool
    discount_total: str
    shipping_total: str
    fee_total: str
    presentment: PresentmentOut | None  # what the shopper saw, when another currency
    computed_total: str | None  # the parts added up, when the platform stated a total
    customer_email: str
    shipping_address: dict[str, Any]
    billing_address: dict[str, Any]  # as the platform gave it; empty when it gave none
    replaces: str  # an exchange's replacement: the order it replaces
    exchange_rma: str  # ... and the return it answers
    platform_actions: list[dict[str, Any]]  # cancels and refunds sent to the platform, answered
    requested_service: str
    priority: int
    hold_detail: list[dict[str, Any]]
    allocation: dict[str, Any]
    allocated_at: datetime | None
    despatched_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    lines: list[LineOut]
    shipments: list[ShipmentOut]


class OrderAsOf(Schema):
    """An order as its audit trail says it was at ``as_of`` (docs/security.md#audit-trail)."""

    id: str
    as_of: datetime
    received_at: datetime
    status: str
    hold_reason: str
    lines: list[dict[str, Any]] = Field(description="line_no, sku, quantity, cancelled, ...")
    allocation: dict[str, Any] = Field(
        description="assignments, backorders, explanation and shipments (id, warehouse, status)"
    )
    last_change: dict[str, Any] = Field(description="the last audit entry replayed")
    changes: int = Field(description="audit entries replayed")


class AsOfQuery(Schema):
    as_of: str = Field(
        "", max_length=40, description="a date or ISO 8601 time, e.g. 2026-05-01T12:00Z"
    )


class AuditOut(Schema):
    at: datetime
    actor: str
    subject_type: str
    subject_id: str
    action: str
    reason_code: str
    before: Any = None
    after: Any = None
    detail: dict[str, Any]


class Reason(ObjectIn):
    reason: str = Field(
        "customer_request",
        min_length=1,
        max_length=64,
        description="customer_request, out_of_stock, payment_failed, fraud, address_problem, "
        "duplicate, channel_cancelled, ops_decision or other",
    )
    note: str = Field("", max_length=500)


class LineCut(Schema):
    line_no: int = Field(strict=True, ge=1)
    quantity: int = Field(strict=True, ge=1, description="units to cancel")


class LinesCancel(Reason):
    lines: list[LineCut] = Field(min_length=1, max_length=MAX_LINES)


class Note(ObjectIn):
    note: str = Field("", max_length=500)
    reason: str = Field(
        "",
        max_length=64,
        description="a reason code (docs/security.md#reason-codes); hold: ops_decision and "
        "release: checked_ok when not given",
    )


class OrderFilters(Schema):
    status: str = ""
    channel: str = ""
    external_id: str = ""
    warehouse: str = Field("", description="ships (or shipped) from this warehouse")
    ship_by: str = Field("", description="today, late or week, each in its warehouse's day")
    since: str = Field("", description="received on or after this day, e.g. 2026-05-01 (UTC)")
    until: str = Field("", description="received on or before this day (UTC)")
    sku: str = Field("", description="a SKU on one of the order's lines (any case)")
    country: str = Field("", description="destination country, e.g. GB")
    service: str = ""
    hold_reason: str = ""
    q: str = Field("", description="search order number, ID, customer name or email, or a SKU")
    sort: str = Field(
        "-received",
        description="number, channel, customer, country, service, ship_by, received, status, "
        "total or warehouse; a leading - for descending",
    )
