"""WooCommerce: the REST API v3 order (``GET /wp-json/wc/v3/orders`` and the ``order.created``
/ ``order.updated`` webhooks).

Signature: ``X-WC-Webhook-Signature`` is the base64 HMAC-SHA256 of the raw body keyed with the
webhook's secret; ``X-WC-Webhook-Delivery-ID`` names the delivery; ``X-WC-Webhook-Topic``
the topic. Every amount of the REST order is without tax, whatever the shop's setting: line
``subtotal`` is before discounts and ``total`` after, ``discount_total``, ``shipping_total``
and fee ``total`` have their tax beside them (``subtotal_tax``, ``discount_tax``,
``shipping_tax``, fee ``total_tax``). ``total`` is what the customer paid, tax included.

With ``prices_include_tax: false`` the order is read as the shop showed it, without tax, and
the tax is added on top: sum(line subtotal) - ``discount_total`` + ``shipping_total`` + fees +
``total_tax`` = ``total``. With ``prices_include_tax: true`` the shop showed prices with tax,
so each amount is read with its tax (``subtotal + subtotal_tax`` and so on) and the tax is
already in them: the same sum, ``total``.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from despatch.domain.addresses import Address
from despatch.domain.errors import DomainError
from despatch.domain.money import Money, total
from despatch.domain.orders import LineDraft, OrderDraft, PaymentStatus
from despatch.integrations.channels import http
from despatch.integrations.channels.base import (
    ChannelOrder,
    Connection,
    Delivery,
    Refund,
    StockUpdate,
    hmac_base64_matches,
    line_for_total,
    money,
    phone,
    quantity,
    require,
    timestamp,
)
from despatch.integrations.channels.confirmations import Confirmation, ShipmentNotice

KIND = "woocommerce"
PAGE_SIZE = 100

PAYMENT = {
    "pending": PaymentStatus.PENDING,
    "on-hold": PaymentStatus.PENDING,
    "processing": PaymentStatus.PAID,
    "completed": PaymentStatus.PAID,
    "refunded": PaymentStatus.REFUNDED,
    "failed": PaymentStatus.FAILED,
    "cancelled": PaymentStatus.VOIDED,
    "checkout-draft": PaymentStatus.PENDING,
}


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    return hmac_base64_matches(secret, body, headers.get("x-wc-webhook-signature", ""))


def delivery(headers: Mapping[str, str], payload: dict[str, Any]) -> Delivery:
    return Delivery(
        delivery_id=headers.get("x-wc-webhook-delivery-id", ""),
        event_id="",
        topic=headers.get("x-wc-webhook-topic", ""),
    )


def _address(data: dict[str, Any], fallback_phone: str) -> Address:
    country = (data.get("country") or "").upper()
    e164, raw = phone(data.get("phone") or fallback_phone, country)
    return Address(
        name=" ".join(p for p in (data.get("first_name"), data.get("last_name")) if p),
        line1=data.get("address_1") or "",
        line2=data.get("address_2") or "",
        city=data.get("city") or "",
        region=data.get("state") or "",
        postcode=data.get("postcode") or "",
        country=country,
        company=data.get("company") or "",
        phone=e164,
        phone_raw=raw,
    )


def _with_tax(data: dict[str, Any], amount: str, tax: str, currency: str, where: str) -> Money:
    return money(data.get(amount), currency, f"{where}{amount}") + money(
        data.get(tax), currency, f"{where}{tax}"
    )


def _line(item: dict[str, Any], i: int, currency: str, inc_tax: bool) -> LineDraft:
    where = f"line_items[{i}]."
    count = quantity(item.get("quantity"), f"{where}quantity")
    subtotal = (
        _with_tax(item, "subtotal", "subtotal_tax", currency, where)
        if inc_tax
        else money(item.get("subtotal"), currency, f"{where}subtotal")
    )
    sku = (item.get("sku") or "").strip()
    # WooCommerce sends product names HTML-encoded ("Ship Your Idea &ndash; Color: Black")
    name = html.unescape(str(item.get("name") or ""))
    return line_for_total(sku, count, subtotal, name, item.get("id"))


def _amounts(payload: dict[str, Any], currency: str, inc_tax: bool) -> tuple[Money, ...]:
    """(shipping, discount, fees), each with its tax when the shop's prices include tax."""
    fees = enumerate(payload.get("fee_lines") or [])
    if inc_tax:
        return (
            _with_tax(payload, "shipping_total", "shipping_tax", currency, ""),
            _with_tax(payload, "discount_total", "discount_tax", currency, ""),
            total(
                [_with_tax(f, "total", "total_tax", currency, f"fee_lines[{i}].") for i, f in fees],
                currency,
            ),
        )
    return (
        money(payload.get("shipping_total"), currency, "shipping_total"),
        money(payload.get("discount_total"), currency, "discount_total"),
        total(
            [money(f.get("total"), currency, f"fee_lines[{i}].total") for i, f in fees], currency
        ),
    )


def _refunds(payload: dict[str, Any], currency: str) -> tuple[Refund, ...]:
    return tuple(
        Refund(
            str(r.get("id")),
            -money(r.get("total"), currency, f"refunds[{i}].total"),
            (),
            r.get("reason") or "",
        )
        for i, r in enumerate(payload.get("refunds") or [])
    )


def parse(payload: dict[str, Any], channel: str) -> ChannelOrder:
    currency = str(require(payload, "currency")).upper()
    inc_tax = payload.get("prices_include_tax") is True
    lines = [
        _line(item, i, currency, inc_tax) for i, item in enumerate(require(payload, "line_items"))
    ]
    shipping_price, discount, fees = _amounts(payload, currency, inc_tax)
    billing = payload.get("billing") or {}
    shipping = payload.get("shipping") or {}
    address = _address(
        shipping if shipping.get("address_1") else billing, billing.get("phone") or ""
    )
    status = str(payload.get("status") or "processing")
    payment = PAYMENT.get(status, PaymentStatus.PENDING)
    method = next((s.get("method_id") for s in payload.get("shipping_lines") or []), "")
    draft = OrderDraft(
        channel=channel,
        external_id=str(require(payload, "id")),
        currency=currency,
        lines=tuple(lines),
        shipping_address=address,
        billing_address=_address(billing, ""),
        customer_email=billing.get("email") or "",
        customer_name=" ".join(
            p for p in (billing.get("first_name"), billing.get("last_name")) if p
        ),
        payment_status=payment,
        requested_service=method or "standard",
        tax_total=money(payload.get("total_tax"), currency, "total_tax"),
        taxes_included=inc_tax,
        shipping_price=shipping_price,
        discount_total=discount,
        fee_total=fees,
        extra={"number": str(payload.get("number") or "")},
        paid_at=timestamp(
            payload.get("date_paid_gmt") or payload.get("date_created_gmt"), "date_paid_gmt"
        ),
    )
    return ChannelOrder(
        draft=draft,
        cancelled=status in ("cancelled", "trash"),
        fulfilled_by_channel=status == "completed",
        payment_status=payment,
        refunds=_refunds(payload, currency),
        platform_total=money(payload.get("total"), currency, "total"),
        updated_at=timestamp(payload.get("date_modified_gmt"), "date_modified_gmt"),
    )


def auth(token: str) -> dict[str, str]:
    """REST API keys as HTTP Basic: the channel token is ``consumer_key:consumer_secret``."""
    return {"Authorization": "Basic " + base64.b64encode(token.encode()).decode()}


def pull(conn: Connection, since: datetime | None) -> Iterator[dict[str, Any]]:
    """Reconciliation: orders modified since ``since``, oldest change first, following
    ``X-WP-TotalPages``."""
    page = 1
    while True:
        query: dict[str, Any] = {
            "per_page": PAGE_SIZE,
            "page": page,
            "orderby": "modified",
            "order": "asc",
        }
        if since is not None:
            query["modified_after"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
            query["dates_are_gmt"] = "true"
        response = http.call(
            "GET", conn.url(f"/wp-json/wc/v3/orders?{urlencode(query)}"), auth(conn.token)
        )
        yield from response.body or []
        if page >= int(response.headers.get("x-wp-totalpages") or 1):
            return
        page += 1


BATCH = 100  # the products/batch endpoint's limit


def push_stock(conn: Connection, updates: list[StockUpdate]) -> dict[str, str]:
    """``POST products/batch`` with ``stock_quantity`` (listing ID = product ID); a variation
    is ``<product>/<variation>`` and goes to ``products/<p>/variations/batch``."""
    failures: dict[str, str] = {}
    groups: dict[str, list[StockUpdate]] = {}
    for update in updates:
        if not update.listing_id:
            failures[update.sku] = "needs the WooCommerce product ID as its listing ID"
            continue
        parent = update.listing_id.rpartition("/")[0]
        groups.setdefault(parent, []).append(update)
    for parent, items in groups.items():
        path = f"/products/{parent}/variations/batch" if parent else "/products/batch"
        for start in range(0, len(items), BATCH):
            chunk = items[start : start + BATCH]
            body = {
                "update": [
                    {
                        "id": int(u.listing_id.rpartition("/")[2]),
                        "manage_stock": True,
                        "stock_quantity": u.quantity,
                    }
                    for u in chunk
                ]
            }
            try:
                answer = http.call(
                    "POST", conn.url(f"/wp-json/wc/v3{path}"), auth(conn.token), body
                )
            except DomainError as exc:
                failures.update({u.sku: str(exc) for u in chunk})
                continue
            refused = {
                str(item.get("id")): (item.get("error") or {}).get("message", "refused")
                for item in (answer.body or {}).get("update") or []
                if item.get("error")
            }
            for u in chunk:
                if u.listing_id.rpartition("/")[2] in refused:
                    failures[u.sku] = refused[u.listing_id.rpartition("/")[2]]
    return failures


def confirm_shipment(conn: Connection, notice: ShipmentNotice) -> Confirmation:
    """WooCommerce has no shipment-lines API in core: each parcel becomes a customer note
    (``POST orders/{id}/notes``) naming the carrier, tracking number and each line (its
    line item ID and units), and the order is set ``completed`` (``PUT orders/{id}``) only
    when its last unit has left. A note already carrying this shipment's marker (an earlier
    attempt) is not added twice."""
    order = f"/wp-json/wc/v3/orders/{quote(notice.external_id)}"
    items = ", ".join(
        f"{line.quantity} x {line.sku}" + (f" (line {line.line_id})" if line.line_id else "")
        for line in notice.lines
    )
    tracking = f", tracking {notice.tracking_number}" if notice.tracking_number else ""
    note = f"Despatched with {notice.carrier or 'our carrier'}{tracking}: {items}. {notice.marker}"
    notes = http.get_json(conn.url(f"{order}/notes"), auth(conn.token)) or []
    found = next(
        (
            str(n.get("id") or "")
            for n in notes
            if isinstance(n, dict) and notice.marker in str(n.get("note") or "")
        ),
        "",
    )
    if not found:
        answer = http.call(
            "POST",
            conn.url(f"{order}/notes"),
            auth(conn.token),
            {"note": note, "customer_note": True},
        )
        found = str((answer.body or {}).get("id") or "")
    if notice.order_complete:
        http.call("PUT", conn.url(order), auth(conn.token), {"status": "completed"})
        return Confirmation("completed", found)
    return Confirmation("noted", found)
