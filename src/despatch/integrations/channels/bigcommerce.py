"""BigCommerce: thin ``store/order/*`` webhooks, then the V2 order with its products and
shipping addresses.

A webhook names only the order (``{"scope": "store/order/created", "data": {"type": "order",
"id": 250}, "hash": ...}``); a re-fired hook repeats its ``hash``, which keys the delivery.
BigCommerce does not sign webhooks: the hook is registered with a custom header,
``X-Webhook-Token``, carrying the channel's webhook secret, which is checked here. The worker
then fetches ``/v2/orders/{id}``, ``/v2/orders/{id}/products`` and
``/v2/orders/{id}/shipping_addresses`` (API URL ``https://api.bigcommerce.com/stores/{hash}``,
header ``X-Auth-Token``).

An exported or fetched order is ``{"order": {...}, "products": [...], "shipping_addresses":
[...]}``. Money comes as 4-decimal strings, dates as RFC 2822.

Amounts are in the transactional currency ``default_currency_code`` (what the shopper pays
in); ``currency_code`` is only the display currency, and the display total is ``total_inc_tax``
/ ``store_default_to_transactional_exchange_rate`` x ``currency_exchange_rate`` (both rates are
from the store's default currency; kept as the presentment figure). The order gives its fees as
a link: they are read from ``/v2/orders/{id}/fees``. ``total_inc_tax`` is what was
paid, already after ``discount_amount`` and ``coupon_discount``; the order is read with tax in
each amount, so it reconciles as sum(product ``total_inc_tax``) + ``shipping_cost_inc_tax`` +
handling and wrapping with tax + fees with tax - ``discount_amount`` - ``coupon_discount`` =
``total_inc_tax``.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import quote

from despatch.domain.errors import DomainError, Unavailable, ValidationFailed
from despatch.domain.money import Money, total
from despatch.domain.orders import LineDraft, OrderDraft, PaymentStatus
from despatch.integrations.channels import bigcommerce_addresses as places
from despatch.integrations.channels import http
from despatch.integrations.channels.base import (
    ChannelOrder,
    Connection,
    Delivery,
    Refund,
    StockUpdate,
    line_for_total,
    money,
    quantity,
    require,
)
from despatch.integrations.channels.confirmations import (
    AFTERSHIP_SLUGS,
    BIGCOMMERCE_PROVIDERS,
    Confirmation,
    ShipmentNotice,
    carrier_key,
    require_line_ids,
)

KIND = "bigcommerce"
IDS_IN_BODY = True  # the delivery ID is the payload's ``hash``
PAGE_SIZE = 250
TOKEN_HEADER = "x-webhook-token"

# status_id → payment state; 5 Cancelled, 4 Refunded, 14 Partially Refunded.
PAYMENT = {
    0: PaymentStatus.PENDING,  # Incomplete
    1: PaymentStatus.PENDING,  # Pending
    2: PaymentStatus.PAID,  # Shipped
    3: PaymentStatus.PAID,  # Partially Shipped
    4: PaymentStatus.REFUNDED,
    5: PaymentStatus.VOIDED,
    6: PaymentStatus.FAILED,  # Declined
    7: PaymentStatus.PENDING,  # Awaiting Payment
    8: PaymentStatus.PAID,  # Awaiting Pickup
    9: PaymentStatus.PAID,  # Awaiting Shipment
    10: PaymentStatus.PAID,  # Completed
    11: PaymentStatus.PAID,  # Awaiting Fulfillment
    12: PaymentStatus.PENDING,  # Manual Verification Required
    13: PaymentStatus.PAID,  # Disputed
    14: PaymentStatus.PARTIALLY_REFUNDED,
}
CANCELLED = 5
FULFILLED = frozenset({2, 10})  # Shipped, Completed: shipped by someone else


def auth(token: str) -> dict[str, str]:
    return {"X-Auth-Token": token}


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    sent = headers.get(TOKEN_HEADER, "")
    return bool(secret and sent) and hmac.compare_digest(sent.encode(), secret.encode())


def delivery(headers: Mapping[str, str], payload: dict[str, Any]) -> Delivery:
    return Delivery(delivery_id=str(payload.get("hash") or ""), topic=str(payload.get("scope", "")))


def rfc2822(value: Any, where: str) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        raise ValidationFailed.single(where, f"{value!r} is not an RFC 2822 date") from None


def _lines(products: list[dict[str, Any]], currency: str) -> list[LineDraft]:
    lines: list[LineDraft] = []
    for i, item in enumerate(products):
        where = f"products[{i}]"
        count = quantity(item.get("quantity"), f"{where}.quantity")
        line_total = money(item.get("total_inc_tax"), currency, f"{where}.total_inc_tax")
        sku = (item.get("sku") or "").strip()
        lines.append(line_for_total(sku, count, line_total, item.get("name") or "", item.get("id")))
    return lines


def _shipped(products: list[dict[str, Any]]) -> tuple[tuple[str, int], ...]:
    """``quantity_shipped`` of each product (a Partially Shipped order's shipped units)."""
    found = (
        (
            (item.get("sku") or "").strip(),
            quantity(
                item.get("quantity_shipped") or 0, f"products[{i}].quantity_shipped", minimum=0
            ),
        )
        for i, item in enumerate(products)
    )
    return tuple((sku, units) for sku, units in found if units > 0)


def _fees(order: dict[str, Any], lines: list[LineDraft], currency: str) -> Money:
    """The order's fees with tax. BigCommerce counts them in ``subtotal_inc_tax`` (products and
    fees, before discounts); an order whose products alone make up its subtotal (the documented
    example 218, whose fees its totals leave out) has them outside its totals. ``fees`` as the
    order resource gives it (a link, not a list) names none: ``fetch`` reads them."""
    listed = order.get("fees")
    fees: list[dict[str, Any]] = listed if isinstance(listed, list) else []
    amount = total(
        [
            money(f.get("cost_inc_tax"), currency, f"order.fees[{i}].cost_inc_tax")
            for i, f in enumerate(fees)
        ],
        currency,
    )
    subtotal = order.get("subtotal_inc_tax")
    products = total([line.total for line in lines], currency)
    stated = money(subtotal, currency, "order.subtotal_inc_tax") if subtotal else None
    if amount.amount and products == stated:
        return Money.zero(currency)
    return amount


def _rate(order: dict[str, Any], name: str) -> Decimal:
    try:
        rate = Decimal(str(order.get(name) or 1))
    except InvalidOperation:
        raise ValidationFailed.single(f"order.{name}", "is not a number") from None
    if rate <= 0:
        raise ValidationFailed.single(f"order.{name}", "must be more than 0")
    return rate


def _presentment(order: dict[str, Any], currency: str) -> Money | None:
    """The display currency's total, when the shopper saw another currency. Both rates are from
    the store's default currency: ``currency_exchange_rate`` to the display currency,
    ``store_default_to_transactional_exchange_rate`` to the transactional one the amounts are
    in (1 when the store transacts in its default currency)."""
    shown = str(order.get("currency_code") or "").upper()
    if not shown or shown == currency:
        return None
    paid = money(order.get("total_inc_tax"), currency, "order.total_inc_tax")
    in_default = paid.amount / _rate(order, "store_default_to_transactional_exchange_rate")
    converted = in_default * _rate(order, "currency_exchange_rate")  # ours: rounding expected
    return Money.parse(converted, shown, "order.currency_code")


def _refunds(
    payload: dict[str, Any], products: list[dict[str, Any]], currency: str
) -> tuple[Refund, ...]:
    """V3 ``/orders/{id}/payment_actions/refunds`` entries, lines named by their SKU."""
    skus = {p.get("id"): (p.get("sku") or "").strip() for p in products}
    refunds = []
    for i, r in enumerate(payload.get("refunds") or []):
        lines = tuple(
            (skus.get(item.get("item_id"), ""), int(item.get("quantity") or 0))
            for item in r.get("items") or []
            if item.get("item_type") == "PRODUCT"
        )
        amount = money(r.get("total_amount"), currency, f"refunds[{i}].total_amount")
        refunds.append(Refund(str(r.get("id") or i), amount, lines, r.get("reason") or ""))
    return tuple(refunds)


def parse(payload: dict[str, Any], channel: str) -> ChannelOrder:
    order = require(payload, "order")
    if not isinstance(order, dict):
        raise ValidationFailed.single("order", "expected the V2 order object")
    currency = str(order.get("default_currency_code") or order.get("currency_code") or "").upper()
    if not currency:
        raise ValidationFailed.single("order.default_currency_code", "is required", "required")
    products = require(payload, "products")
    if not isinstance(products, list):
        raise ValidationFailed.single("products", "expected the order's products (a list)")

    def part(name: str) -> Money:
        return money(order.get(name), currency, f"order.{name}")

    addresses = payload.get("shipping_addresses") or []
    billing = order.get("billing_address") or {}
    ship_to, review = places.ship_to(addresses, products, billing)
    status_id = int(order.get("status_id") or 0)
    payment = PAYMENT.get(status_id, PaymentStatus.PENDING)
    address = places.address(ship_to)
    lines = _lines(products, currency)
    draft = OrderDraft(
        channel=channel,
        external_id=str(require(order, "id", "order.")),
        currency=currency,
        lines=tuple(lines),
        shipping_address=address,
        billing_address=places.address(billing),
        customer_email=billing.get("email") or address.email,
        customer_name=" ".join(
            p for p in (billing.get("first_name"), billing.get("last_name")) if p
        )
        or address.name,
        payment_status=payment,
        requested_service=(addresses and ship_to.get("shipping_method")) or "standard",
        shipping_price=part("shipping_cost_inc_tax"),
        discount_total=part("discount_amount") + part("coupon_discount"),
        tax_total=part("total_tax"),
        fee_total=part("handling_cost_inc_tax")
        + part("wrapping_cost_inc_tax")
        + _fees(order, lines, currency),
        taxes_included=True,
        presentment_total=_presentment(order, currency),
        extra={
            "customer_message": str(order.get("customer_message") or ""),
            "order_address_id": str(ship_to.get("id") or "") if addresses else "",
        },
        paid_at=rfc2822(order.get("date_created"), "order.date_created"),
    )
    return ChannelOrder(
        draft=draft,
        cancelled=status_id == CANCELLED,
        fulfilled_by_channel=status_id in FULFILLED,
        shipped_elsewhere=_shipped(products),
        review=review,
        payment_status=payment,
        refunds=_refunds(payload, products, currency),
        platform_total=part("total_inc_tax"),
        updated_at=rfc2822(order.get("date_modified"), "order.date_modified"),
    )


def _pages(url: str, conn: Connection) -> Iterator[dict[str, Any]]:
    """Every item of a V2 list, page by page; an empty page or 204 ends it."""
    page = 1
    while True:
        sep = "&" if "?" in url else "?"
        items = http.get_json(f"{url}{sep}limit={PAGE_SIZE}&page={page}", auth(conn.token)) or []
        yield from items
        if len(items) < PAGE_SIZE:
            return
        page += 1


def fetch(conn: Connection, order_id: str, order: dict[str, Any] | None = None) -> dict[str, Any]:
    """The order, its products, shipping addresses and refunds: what ``parse`` reads."""
    base = conn.url(f"/v2/orders/{quote(order_id)}")
    refunds = http.get_json(
        conn.url(f"/v3/orders/{quote(order_id)}/payment_actions/refunds"), auth(conn.token)
    )
    order = order or http.get_json(base, auth(conn.token))
    if isinstance(order.get("fees"), dict):  # a link to the fees, as the order gives them
        listed = http.get_json(f"{base}/fees", auth(conn.token)) or {}
        order = {**order, "fees": listed.get("fees", []) if isinstance(listed, dict) else listed}
    return {
        "order": order,
        "products": list(_pages(f"{base}/products", conn)),
        "shipping_addresses": list(_pages(f"{base}/shipping_addresses", conn)),
        "refunds": (refunds or {}).get("data") or [],
    }


def expand(payload: dict[str, Any], conn: Connection) -> dict[str, Any]:
    """A thin webhook becomes the full order; a full payload (a file) is returned as it is."""
    if "order" in payload:
        return payload
    data = payload.get("data") or {}
    if data.get("type") != "order" or not data.get("id"):
        raise ValidationFailed.single(
            "data", f"{payload.get('scope')!r} names no order", "not_an_order"
        )
    if not conn.api_url:
        raise ValidationFailed.single("api_url", "the channel needs an API URL to fetch orders")
    return fetch(conn, str(data["id"]))


def confirm_shipment(conn: Connection, notice: ShipmentNotice) -> Confirmation:
    """V2 ``POST /v2/orders/{id}/shipments`` with ``order_address_id`` (kept from the order's
    shipping address, else read from ``/shipping_addresses``), ``tracking_number``,
    ``shipping_provider`` (or the ``tracking_carrier``), ``comments`` carrying this shipment's
    marker and ``items`` [{``order_product_id``, ``quantity``}]. A retry first reads the
    order's shipments for one whose comments carry the marker."""
    require_line_ids(notice, "BigCommerce")
    base = conn.url(f"/v2/orders/{quote(notice.external_id)}")
    for made in http.get_json(f"{base}/shipments", auth(conn.token)) or []:
        if notice.marker in str(made.get("comments") or ""):
            return Confirmation("already_posted", str(made.get("id") or ""))
    address = notice.refs.get("order_address_id") or _first_address(conn, base)
    key = carrier_key(notice.carrier)
    provider = BIGCOMMERCE_PROVIDERS.get(key, "")
    body = {
        "order_address_id": _whole(address, "order_address_id"),
        "tracking_number": notice.tracking_number,
        "shipping_provider": provider,
        "tracking_carrier": "" if provider else AFTERSHIP_SLUGS.get(key, ""),
        "comments": notice.marker,
        "items": [
            {"order_product_id": _whole(i, "order_product_id"), "quantity": n}
            for i, n in notice.units().items()
        ],
    }
    answer = http.call("POST", f"{base}/shipments", auth(conn.token), body)
    return Confirmation("posted", str((answer.body or {}).get("id") or ""))


def _first_address(conn: Connection, base: str) -> str:
    addresses = http.get_json(f"{base}/shipping_addresses", auth(conn.token)) or []
    if not addresses:
        raise Unavailable("the BigCommerce order has no shipping address to ship", status=422)
    return str(addresses[0].get("id") or "")


def _whole(value: str, name: str) -> int:
    if not str(value).isdigit():
        raise Unavailable(f"BigCommerce {name} {value!r} is not a number", status=422)
    return int(value)


def pull(conn: Connection, since: datetime | None) -> Iterator[dict[str, Any]]:
    """Orders modified since ``since``, oldest change first, each with products and addresses."""
    query = "sort=date_modified:asc"
    if since is not None:
        query += "&min_date_modified=" + quote(format_datetime(since.astimezone(UTC), usegmt=True))
    for order in _pages(conn.url(f"/v2/orders?{query}"), conn):
        yield fetch(conn, str(order["id"]), order)


def push_stock(conn: Connection, updates: list[StockUpdate]) -> dict[str, str]:
    """Inventory API ``PUT /v3/inventory/adjustments/absolute`` at the channel's
    ``location_id`` (default 1): by variant ID when the listing ID is one, else by SKU."""
    location = int(conn.settings.get("location_id") or 1)
    items = [
        {
            "location_id": location,
            **({"variant_id": int(u.listing_id)} if u.listing_id.isdigit() else {"sku": u.sku}),
            "quantity": u.quantity,
        }
        for u in updates
    ]
    try:
        http.call(
            "PUT",
            conn.url("/v3/inventory/adjustments/absolute"),
            auth(conn.token),
            {"reason": "Despatch available to sell", "items": items},
        )
    except DomainError as exc:
        return {u.sku: str(exc) for u in updates}
    return {}
