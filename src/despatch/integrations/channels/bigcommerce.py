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
in); ``currency_code`` is only the display currency, and the display total is ``total_inc_tax
x currency_exchange_rate`` (kept as the presentment figure). ``total_inc_tax`` is what was
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

from despatch.domain.addresses import Address
from despatch.domain.errors import DomainError, ValidationFailed
from despatch.domain.money import Money, total
from despatch.domain.orders import LineDraft, OrderDraft, PaymentStatus
from despatch.integrations.channels import http
from despatch.integrations.channels.base import (
    ChannelOrder,
    Connection,
    Delivery,
    Refund,
    StockUpdate,
    line_for_total,
    money,
    phone,
    quantity,
    require,
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


def _address(data: dict[str, Any]) -> Address:
    country = (data.get("country_iso2") or "").upper()
    e164, raw = phone(data.get("phone"), country)
    return Address(
        name=" ".join(p for p in (data.get("first_name"), data.get("last_name")) if p),
        line1=data.get("street_1") or "",
        line2=data.get("street_2") or "",
        city=data.get("city") or "",
        region=data.get("state") or "",
        postcode=data.get("zip") or "",
        country=country,
        company=data.get("company") or "",
        phone=e164,
        phone_raw=raw,
        email=data.get("email") or "",
    )


def _lines(products: list[dict[str, Any]], currency: str) -> list[LineDraft]:
    lines: list[LineDraft] = []
    for i, item in enumerate(products):
        where = f"products[{i}]"
        count = quantity(item.get("quantity"), f"{where}.quantity")
        line_total = money(item.get("total_inc_tax"), currency, f"{where}.total_inc_tax")
        sku = (item.get("sku") or "").strip()
        lines.append(line_for_total(sku, count, line_total, item.get("name") or "", item.get("id")))
    return lines


def _fees(order: dict[str, Any], currency: str) -> Money:
    fees: list[dict[str, Any]] = order.get("fees") or []
    return total(
        [
            money(f.get("cost_inc_tax"), currency, f"order.fees[{i}].cost_inc_tax")
            for i, f in enumerate(fees)
        ],
        currency,
    )


def _presentment(order: dict[str, Any], currency: str) -> Money | None:
    """The display currency's total, when the shopper saw another currency."""
    shown = str(order.get("currency_code") or "").upper()
    if not shown or shown == currency:
        return None
    try:
        rate = Decimal(str(order.get("currency_exchange_rate") or 1))
    except InvalidOperation:
        raise ValidationFailed.single("order.currency_exchange_rate", "is not a number") from None
    paid = money(order.get("total_inc_tax"), currency, "order.total_inc_tax")
    return money(paid.amount * rate, shown, "order.currency_code")


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
    ship_to = addresses[0] if addresses else order.get("billing_address") or {}
    billing = order.get("billing_address") or {}
    status_id = int(order.get("status_id") or 0)
    payment = PAYMENT.get(status_id, PaymentStatus.PENDING)
    address = _address(ship_to)
    draft = OrderDraft(
        channel=channel,
        external_id=str(require(order, "id", "order.")),
        currency=currency,
        lines=tuple(_lines(products, currency)),
        shipping_address=address,
        customer_email=billing.get("email") or address.email,
        customer_name=" ".join(
            p for p in (billing.get("first_name"), billing.get("last_name")) if p
        )
        or address.name,
        payment_status=payment,
        requested_service=(ship_to.get("shipping_method") or "standard")
        if addresses
        else "standard",
        shipping_price=part("shipping_cost_inc_tax"),
        discount_total=part("discount_amount") + part("coupon_discount"),
        tax_total=part("total_tax"),
        fee_total=part("handling_cost_inc_tax")
        + part("wrapping_cost_inc_tax")
        + _fees(order, currency),
        taxes_included=True,
        presentment_total=_presentment(order, currency),
        extra={"customer_message": str(order.get("customer_message") or "")},
        paid_at=rfc2822(order.get("date_created"), "order.date_created"),
    )
    return ChannelOrder(
        draft=draft,
        cancelled=status_id == CANCELLED,
        fulfilled_by_channel=status_id in FULFILLED,
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
    return {
        "order": order or http.get_json(base, auth(conn.token)),
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
