"""Orders: create (idempotent), read, list, cancel, hold, release, timeline."""

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate

from despatch.api.auth import access, actor, needs
from despatch.api.pages import Pages
from despatch.domain.addresses import Address
from despatch.domain.audit import parse_moment
from despatch.domain.errors import FieldError, ValidationFailed
from despatch.domain.limits import MAX_LINES
from despatch.domain.money import Money
from despatch.domain.orders import LineDraft, OrderDraft, PaymentStatus
from despatch.domain.totals import plain
from despatch.services import audit, cancellations, catalogue, orders, scopes, totals

router = Router(tags=["orders"])


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


class OrderIn(Schema):
    channel: str = Field("api", min_length=1, max_length=32)
    external_id: str | None = Field(
        None, max_length=128, description="defaults to the Idempotency-Key"
    )
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217")
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    shipping_address: AddressIn
    customer_name: str = ""
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


class ShipmentOut(Schema):
    id: str
    order_id: str
    warehouse: str
    status: str
    carrier: str
    tracking_number: str
    lines: list[ShipmentLineOut]


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


class Reason(Schema):
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


class Note(Schema):
    note: str = Field("", max_length=500)
    reason: str = Field(
        "",
        max_length=64,
        description="a reason code (docs/security.md#reason-codes); hold: ops_decision and "
        "release: checked_ok when not given",
    )


def shipment_out(s: Any) -> dict[str, Any]:
    return {
        "id": s.id,
        "order_id": s.order_id,
        "warehouse": s.warehouse_id,
        "status": s.status,
        "carrier": s.carrier,
        "tracking_number": s.tracking_number,
        "lines": [{"sku": sl.sku_id, "quantity": sl.quantity} for sl in s.lines.all()],
    }


def summary_out(o: Any, *, personal: bool = True) -> dict[str, Any]:
    """``personal=False`` (no ``customers.read``: pickers, packers) leaves out who the
    customer is and where they live; the label and packing slip still carry it."""
    return {
        "id": o.id,
        "channel": o.channel,
        "external_id": o.external_id,
        "status": o.status,
        "payment_status": o.payment_status,
        "currency": o.currency,
        "total": plain(o.total_amount, o.currency),
        "customer_name": o.customer_name if personal else "",
        "hold_reason": o.hold_reason,
        "created_at": o.created_at,
    }


def order_out(o: Any, *, personal: bool = True) -> dict[str, Any]:
    lines = [
        {
            "id": li.id,
            "line_no": li.line_no,
            "sku": li.sku,
            "quantity": li.quantity,
            "unit_price": plain(li.unit_price, o.currency),
            "line_total": plain(li.line_total or li.unit_price * li.quantity, o.currency),
            "external_line_id": li.external_line_id,
            "backordered": li.backordered,
            "cancelled": li.cancelled,
        }
        for li in o.lines.all()
    ]
    money = totals.money_of(o).as_dict()
    return {
        **summary_out(o, personal=personal),
        **{k: v for k, v in money.items() if k not in ("currency", "total")},
        "customer_email": o.customer_email if personal else "",
        "shipping_address": o.shipping_address if personal else _country_only(o),
        "requested_service": o.requested_service,
        "priority": o.priority,
        "hold_detail": o.hold_detail,
        "allocation": o.allocation,
        "allocated_at": o.allocated_at,
        "despatched_at": o.despatched_at,
        "delivered_at": o.delivered_at,
        "cancelled_at": o.cancelled_at,
        "lines": lines,
        "shipments": [shipment_out(s) for s in o.shipments.all()],
    }


def _country_only(o: Any) -> dict[str, Any]:
    return {"country": (o.shipping_address or {}).get("country", "")}


def _out(request: HttpRequest, o: Any) -> dict[str, Any]:
    return order_out(o, personal=access(request).can("customers.read"))


def draft_from(body: OrderIn, external_id: str) -> OrderDraft:
    def price(amount: Decimal, field: str) -> Money:
        return Money.parse(amount, body.currency, field)

    return OrderDraft(
        channel=body.channel,
        external_id=external_id,
        currency=body.currency,
        lines=tuple(
            LineDraft(li.sku, li.quantity, price(li.unit_price, f"lines[{i}].unit_price"))
            for i, li in enumerate(body.lines)
        ),
        shipping_address=Address.from_dict(body.shipping_address.dict()),
        customer_email=body.customer_email,
        customer_name=body.customer_name,
        payment_status=body.payment_status,
        requested_service=body.requested_service,
        shipping_price=price(body.shipping_price, "shipping_price"),
        priority=body.priority,
        customer_tags=tuple(body.customer_tags),
        extra={"language": body.language} if body.language else {},
    )


@router.post(
    "",
    response={200: OrderOut, 201: OrderOut},
    summary="Receive an order (idempotent)",
    auth=needs("orders.capture"),
)
def create_order(
    request: HttpRequest,
    response: HttpResponse,
    body: OrderIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> Any:
    """Idempotent on (channel, external_id); without an external_id the `Idempotency-Key`
    header is used. A retry returns the stored order with 200; new content under a used key
    is 409. A `payment_status` other than pending counts only when the channel is trusted to
    state it (`settings.trusted_payment_status: true`); otherwise the order is pending until a
    payment notice says otherwise."""
    external_id = body.external_id or idempotency_key
    if not external_id:
        raise ValidationFailed(
            [FieldError("external_id", "send external_id or an Idempotency-Key header", "required")]
        )
    access(request).require_channel(body.channel, "orders.capture")
    draft = draft_from(body, external_id)
    if draft.payment_status != PaymentStatus.PENDING and not catalogue.trusts_payment_status(
        body.channel
    ):  # only the platform (a payment notice) or a trusted channel says an order is paid
        draft = replace(draft, payment_status=PaymentStatus.PENDING)
    order, created = orders.receive_order(draft, actor=actor(request))
    if not created:
        response["Idempotent-Replayed"] = "true"
    return Status(201 if created else 200, _out(request, orders.get_order(order.id)))


class OrderFilters(Schema):
    status: str = ""
    channel: str = ""
    external_id: str = ""
    sku: str = ""
    q: str = Field("", description="search ID, external ID, customer name or email")


@router.get(
    "", response=list[OrderSummary], summary="List orders, newest first", auth=needs("orders.read")
)
@paginate(Pages)
def list_orders(request: HttpRequest, filters: Query[OrderFilters]) -> Any:
    rows = scopes.orders_in(orders.list_orders(**filters.dict()), access(request).scope)
    personal = access(request).can("customers.read")
    return _Lazy(rows, lambda o: summary_out(o, personal=personal))


class _Lazy:
    """Map rows after pagination has sliced the query, so a page costs one query."""

    def __init__(self, rows: Any, fn: Any) -> None:
        self.rows, self.fn = rows, fn

    def __len__(self) -> int:
        return int(self.rows.count())

    def count(self) -> int:
        return len(self)

    def __getitem__(self, index: slice) -> list[Any]:
        return [self.fn(row) for row in self.rows[index]]


@router.get(
    "/{order_id}",
    response=OrderOut | OrderAsOf,
    summary="One order; with as_of, as it was then, rebuilt from the audit trail",
    auth=needs("orders.read"),
)
def get_order(
    request: HttpRequest,
    order_id: str,
    query: Query[AsOfQuery],
) -> Any:
    if query.as_of:
        return audit.order_as_of(order_id, parse_moment(query.as_of, "as_of")).as_dict()
    return _out(request, orders.get_order(order_id))


@router.post(
    "/{order_id}/cancel",
    response=OrderOut,
    summary="Cancel an order before despatch (409 after it: intercept or return instead)",
    auth=needs("orders.write"),
)
def cancel_order(request: HttpRequest, order_id: str, body: Reason) -> Any:
    cancellations.cancel_order(order_id, actor=actor(request), reason=body.reason, note=body.note)
    return _out(request, orders.get_order(order_id))


@router.post(
    "/{order_id}/cancel-lines",
    response=OrderOut,
    summary="Cancel some units of some lines before picking; the rest is planned again",
    auth=needs("orders.write"),
)
def cancel_lines(request: HttpRequest, order_id: str, body: LinesCancel) -> Any:
    cuts: dict[int, int] = {}
    for cut in body.lines:
        cuts[cut.line_no] = cuts.get(cut.line_no, 0) + cut.quantity
    cancellations.cancel_lines(
        order_id, cuts, actor=actor(request), reason=body.reason, note=body.note
    )
    return _out(request, orders.get_order(order_id))


@router.post("/{order_id}/hold", response=OrderOut, auth=needs("orders.write"))
def hold_order(request: HttpRequest, order_id: str, body: Note) -> Any:
    orders.place_hold(order_id, actor=actor(request), note=body.note, reason=body.reason)
    return _out(request, orders.get_order(order_id))


@router.post("/{order_id}/release", response=OrderOut, auth=needs("orders.write"))
def release_order(request: HttpRequest, order_id: str, body: Note) -> Any:
    orders.release_order(order_id, actor=actor(request), note=body.note, reason=body.reason)
    return _out(request, orders.get_order(order_id))


@router.get(
    "/{order_id}/timeline",
    response=list[AuditOut],
    summary="Events and audit trail",
    auth=needs("orders.read"),
)
def timeline(request: HttpRequest, order_id: str) -> Any:
    orders.get_order(order_id)
    return audit.timeline(order_id)
