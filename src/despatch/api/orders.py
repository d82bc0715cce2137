"""Orders: create (idempotent), read, list, cancel, hold, release, timeline."""

from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router, Status
from ninja.pagination import paginate

from despatch.api.auth import access, actor, needs
from despatch.api.order_schemas import (
    AsOfQuery,
    AuditOut,
    LinesCancel,
    Note,
    OrderAsOf,
    OrderFilters,
    OrderIn,
    OrderListed,
    OrderOut,
    Reason,
)
from despatch.api.orders_out import listed_out, order_out
from despatch.api.pages import Pages
from despatch.domain.addresses import Address
from despatch.domain.audit import parse_moment
from despatch.domain.errors import FieldError, ValidationFailed
from despatch.domain.money import Money
from despatch.domain.orders import LineDraft, OrderDraft, PaymentStatus
from despatch.services import (
    audit,
    cancellations,
    catalogue,
    inbox_query,
    orders,
    sourcing,
)

router = Router(tags=["orders"])


def _out(request: HttpRequest, o: Any) -> dict[str, Any]:
    return order_out(o, personal=access(request).can("customers.read"))


def draft_from(body: OrderIn, external_id: str) -> OrderDraft:
    def price(amount: Decimal, field: str) -> Money:
        return Money.exact(amount, body.currency, field)

    return OrderDraft(
        channel=body.channel,
        external_id=external_id,
        currency=body.currency,
        lines=tuple(
            LineDraft(li.sku, li.quantity, price(li.unit_price, f"lines[{i}].unit_price"))
            for i, li in enumerate(body.lines)
        ),
        shipping_address=Address.from_dict(body.shipping_address.dict()),
        billing_address=Address.from_dict(body.billing_address.dict())
        if body.billing_address
        else None,
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
    process: str = Query("", description="inline: validate, reserve and allocate at once"),  # type: ignore[type-arg]
) -> Any:
    """Idempotent on (channel, external_id); without an external_id the `Idempotency-Key`
    header is used. A retry returns the stored order with 200; new content under a used key
    is 409. A `payment_status` other than pending counts only when the channel is trusted to
    state it (`settings.trusted_payment_status: true`); otherwise the order is pending until a
    payment notice says otherwise. With `?process=inline` the new order is validated, reserved
    and allocated in the capturing transaction and answered as it then stands (if that step
    fails the order is still kept, received, for the workers); by default the workers do it."""
    if process not in ("", "inline"):
        raise ValidationFailed([FieldError("process", "leave it out, or inline", "invalid")])
    external_id = body.external_id or idempotency_key
    if not external_id:
        raise ValidationFailed(
            [FieldError("external_id", "send external_id or an Idempotency-Key header", "required")]
        )
    access(request).require_channel(body.channel, "orders.capture")
    addresses = {"shipping_address": body.shipping_address, "billing_address": body.billing_address}
    trusted = catalogue.check_api_order(
        body.channel, {f"{k}.country": a.country for k, a in addresses.items() if a is not None}
    )
    draft = draft_from(body, external_id)
    if draft.payment_status != PaymentStatus.PENDING and not trusted:
        # only the platform (a payment notice) or a trusted channel says an order is paid
        draft = replace(draft, payment_status=PaymentStatus.PENDING)
    if process == "inline":
        order, created = sourcing.receive_and_process(draft, actor=actor(request))
    else:
        order, created = orders.receive_order(draft, actor=actor(request))
    if not created:
        response["Idempotent-Replayed"] = "true"
    if not created or process == "inline":  # as stored, or as processing left it: read it
        order = orders.get_order(order.id)
    return Status(201 if created else 200, _out(request, order))  # new: as just written


@router.get(
    "",
    response=list[OrderListed],
    summary="List orders (the inbox's filters and sort), newest first",
    auth=needs("orders.read"),
)
@paginate(Pages)
def list_orders(request: HttpRequest, filters: Query[OrderFilters]) -> Any:
    params = filters.dict()
    external_id = params.pop("external_id")
    query = inbox_query.OrderQuery.parse(params)
    rows = inbox_query.search(query, access(request).scope)
    if external_id:
        rows = rows.filter(external_id=external_id)
    listing = inbox_query.Listing(rows, query.sorting)
    personal = access(request).can("customers.read")
    days = inbox_query.warehouse_days()
    return _Lazy(listing, lambda o: listed_out(o, days, personal=personal))


class _Lazy:
    """Map rows after pagination has sliced them, so only a page's orders are read."""

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
