"""Shopify: the REST Admin API Order resource, as the ``orders/*`` webhooks deliver it.

Signature: ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of the raw body keyed with the
app's client secret. ``X-Shopify-Webhook-Id`` names the delivery (retries repeat it);
``X-Shopify-Event-Id`` names the event (several subscriptions may deliver one event).

Money comes as strings in the shop's currency (``currency``); ``*_set`` objects carry the
shop and presentment amounts. Line ``discount_allocations`` carry every discount on the line,
order-level ones included; a shipping line's ``discounted_price`` is after its shipping
discounts (which Shopify's ``total_discounts`` counts too, and ``total_shipping_price_set``
does not). With ``taxes_included`` the prices already hold the tax. An order reconciles as:
sum(price x quantity) - line discount allocations + shipping lines' discounted prices + tips +
duties + additional fees + ``total_tax`` (unless ``taxes_included``) = ``total_price``, what
the customer paid in the shop's ``currency``; ``total_price_set.presentment_money`` is the same
in the currency the customer saw.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from despatch.domain.addresses import Address
from despatch.domain.errors import Unavailable
from despatch.domain.money import Money, total
from despatch.domain.orders import LineDraft, OrderDraft, PaymentStatus
from despatch.integrations.channels import http
from despatch.integrations.channels.base import (
    ChannelOrder,
    Connection,
    Delivery,
    Refund,
    hmac_base64_matches,
    money,
    phone,
    quantity,
    require,
    timestamp,
)
from despatch.integrations.channels.confirmations import (
    Confirmation,
    ShipmentNotice,
    already_there,
    require_line_ids,
)
from despatch.integrations.channels.shopify_stock import push_stock  # noqa: F401 (GraphQL)

KIND = "shopify"
API_VERSION = "2025-01"
PAGE_SIZE = 250
NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')

PAYMENT = {
    "pending": PaymentStatus.PENDING,
    "authorized": PaymentStatus.AUTHORISED,
    "partially_paid": PaymentStatus.AUTHORISED,
    "paid": PaymentStatus.PAID,
    "partially_refunded": PaymentStatus.PARTIALLY_REFUNDED,
    "refunded": PaymentStatus.REFUNDED,
    "voided": PaymentStatus.VOIDED,
    "expired": PaymentStatus.FAILED,
}


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    return hmac_base64_matches(secret, body, headers.get("x-shopify-hmac-sha256", ""))


def delivery(headers: Mapping[str, str], payload: dict[str, Any]) -> Delivery:
    return Delivery(
        delivery_id=headers.get("x-shopify-webhook-id", ""),
        event_id=headers.get("x-shopify-event-id", ""),
        topic=headers.get("x-shopify-topic", ""),
    )


def _address(data: dict[str, Any] | None) -> Address:
    data = data or {}
    country = (data.get("country_code") or "").upper()
    e164, raw = phone(data.get("phone"), country)
    name = data.get("name") or " ".join(
        p for p in (data.get("first_name"), data.get("last_name")) if p
    )
    return Address(
        name=name or "",
        line1=data.get("address1") or "",
        line2=data.get("address2") or "",
        city=data.get("city") or "",
        region=data.get("province_code") or data.get("province") or "",
        postcode=data.get("zip") or "",
        country=country,
        company=data.get("company") or "",
        phone=e164,
        phone_raw=raw,
    )


def _presentment(payload: dict[str, Any], currency: str) -> Money | None:
    shown = (payload.get("total_price_set") or {}).get("presentment_money") or {}
    code = shown.get("currency_code")
    if not code or code == currency:
        return None
    return money(shown.get("amount"), code, "total_price_set.presentment_money.amount")


def _current_quantity(item: dict[str, Any], count: int, where: str) -> int:
    """The units the line has now: ``current_quantity`` (REST 2024-01 and later) is the
    ``quantity`` less what order edits (and refunds that removed items) took off; 0 is a line
    removed. Absent (older versions), the line is as placed."""
    now = item.get("current_quantity")
    if now is None:
        return count
    return quantity(now, f"{where}current_quantity", minimum=0)


def _lines(payload: dict[str, Any], currency: str) -> tuple[list[LineDraft], Money]:
    """The lines as they are now (``current_quantity``; a removed line is left out) and
    the discounts allocated to the lines as placed."""
    lines, discounts = [], []
    for i, item in enumerate(require(payload, "line_items")):
        where = f"line_items[{i}]."
        placed = quantity(item.get("quantity"), f"{where}quantity")
        count = _current_quantity(item, placed, where)
        price = money(item.get("price"), currency, f"{where}price")
        name = " - ".join(p for p in (item.get("title"), item.get("variant_title")) if p)
        sku = (item.get("sku") or "").strip()
        if count:
            line_id = str(item.get("id") or "")
            lines.append(LineDraft(sku, count, price, name, external_line_id=line_id))
        discounts += [
            money(d.get("amount"), currency, f"{where}discount_allocations[{j}].amount")
            for j, d in enumerate(item.get("discount_allocations") or [])
        ]
    return lines, total(discounts, currency)


def _shop(amounts: Any) -> Any:
    return ((amounts or {}).get("shop_money") or {}).get("amount")


def _duties(payload: dict[str, Any], currency: str) -> Money:
    """What ``total_price`` holds of duties: ``original_total_duties_set``; a payload without
    it states them as ``current_total_duties_set`` or only on its lines (``duties``)."""
    for name in ("original_total_duties_set", "current_total_duties_set"):
        if _shop(payload.get(name)) not in (None, ""):
            return money(_shop(payload.get(name)), currency, f"{name}.shop_money.amount")
    return total(
        [
            money(_shop(d.get("price_set")), currency, f"line_items[{i}].duties[{j}].price_set")
            for i, item in enumerate(payload.get("line_items") or [])
            for j, d in enumerate(item.get("duties") or [])
        ],
        currency,
    )


def _now(payload: dict[str, Any], name: str, currency: str) -> Money | None:
    """A ``current_*`` amount (after edits, refunds and returns): the string, else its
    ``_set``'s shop money; None when the payload has neither."""
    value = payload.get(name)
    if value in (None, ""):
        value = ((payload.get(f"{name}_set") or {}).get("shop_money") or {}).get("amount")
        name = f"{name}_set.shop_money.amount"
    return None if value in (None, "") else money(value, currency, name)


def _edited(payload: dict[str, Any], lines: list[LineDraft], currency: str) -> dict[str, Any]:
    """An order whose lines were edited (a line's ``current_quantity`` differs from its
    ``quantity``) is checked as it is now: the platform's ``current_total_price``, tax
    ``current_total_tax``, and the discounts on the goods the lines as they are now less
    ``current_subtotal_price`` (after discounts, before shipping, tax and tips). Shopify's
    ``current_total_discounts`` is not read: like ``total_discounts`` it counts shipping's."""
    items = payload.get("line_items") or []
    if all(i.get("current_quantity") in (None, i.get("quantity")) for i in items):
        return {}
    changes: dict[str, Any] = {}
    subtotal = _now(payload, "current_subtotal_price", currency)
    if subtotal is not None:
        changes["discount_total"] = total([ln.total for ln in lines], currency) - subtotal
    tax = _now(payload, "current_total_tax", currency)
    if tax is not None:
        changes["tax_total"] = tax
    stated = _now(payload, "current_total_price", currency)
    return {**changes, "platform_total": stated} if stated is not None else changes


def _extras(payload: dict[str, Any], currency: str) -> Money:
    """Tips, duties and additional fees: in ``total_price`` but in no line."""
    name = "original_total_additional_fees_set"
    fees = money(_shop(payload.get(name)), currency, f"{name}.shop_money.amount")
    tips = money(payload.get("total_tip_received"), currency, "total_tip_received")
    return tips + _duties(payload, currency) + fees


def _refunds(payload: dict[str, Any], currency: str) -> tuple[Refund, ...]:
    skus = {item.get("id"): (item.get("sku") or "") for item in payload.get("line_items") or []}
    refunds = []
    for i, refund in enumerate(payload.get("refunds") or []):
        paid_back = [
            money(t.get("amount"), currency, f"refunds[{i}].transactions[{j}].amount")
            for j, t in enumerate(refund.get("transactions") or [])
            if t.get("kind") == "refund" and t.get("status", "success") == "success"
        ]
        items = refund.get("refund_line_items") or []
        amount = (
            total(paid_back, currency)
            if paid_back
            else total(
                [money(r.get("subtotal"), currency, f"refunds[{i}].subtotal") for r in items],
                currency,
            )
        )
        lines = tuple(
            (skus.get(r.get("line_item_id"), ""), int(r.get("quantity") or 0)) for r in items
        )
        refunds.append(Refund(str(refund.get("id")), amount, lines, refund.get("note") or ""))
    return tuple(refunds)


def parse(payload: dict[str, Any], channel: str) -> ChannelOrder:
    currency = str(require(payload, "currency")).upper()
    lines, discount = _lines(payload, currency)
    shipping = total(
        [
            money(s.get("discounted_price", s.get("price")), currency, f"shipping_lines[{i}].price")
            for i, s in enumerate(payload.get("shipping_lines") or [])
        ],
        currency,
    )
    customer = payload.get("customer") or {}
    address = _address(payload.get("shipping_address"))
    payment = PAYMENT.get(str(payload.get("financial_status") or "paid"), PaymentStatus.PENDING)
    service = next(
        (s.get("code") or s.get("title") for s in payload.get("shipping_lines") or []), ""
    )
    draft = OrderDraft(
        channel=channel,
        external_id=str(require(payload, "id")),
        currency=currency,
        lines=tuple(lines),
        shipping_address=address,
        billing_address=_address(payload.get("billing_address")),
        customer_email=payload.get("email") or customer.get("email") or "",
        customer_name=" ".join(
            p for p in (customer.get("first_name"), customer.get("last_name")) if p
        )
        or address.name,
        payment_status=payment,
        requested_service=service or "standard",
        shipping_price=shipping,
        discount_total=discount,
        tax_total=money(payload.get("total_tax"), currency, "total_tax"),
        fee_total=_extras(payload, currency),
        taxes_included=bool(payload.get("taxes_included")),
        presentment_total=_presentment(payload, currency),
        extra={"name": str(payload.get("name") or "")},
        paid_at=timestamp(payload.get("processed_at") or payload.get("created_at"), "processed_at"),
    )
    edited = _edited(payload, lines, currency)
    stated = edited.pop("platform_total", None)
    return ChannelOrder(
        draft=replace(draft, **edited),
        cancelled=bool(payload.get("cancelled_at")),
        payment_status=payment,
        refunds=_refunds(payload, currency),
        platform_total=stated or money(payload.get("total_price"), currency, "total_price"),
        updated_at=timestamp(payload.get("updated_at"), "updated_at"),
        fulfilled_by_channel=payload.get("fulfillment_status") == "fulfilled",
        shipped_elsewhere=_fulfilled_lines(payload),
    )


def _fulfilled_lines(payload: dict[str, Any]) -> tuple[tuple[str, int], ...]:
    """Units of each line in the order's fulfillments (those not cancelled or failed)."""
    units: dict[str, int] = {}
    for i, made in enumerate(payload.get("fulfillments") or []):
        if made.get("status") in ("cancelled", "error", "failure"):
            continue
        for j, item in enumerate(made.get("line_items") or []):
            sku = (item.get("sku") or "").strip()
            where = f"fulfillments[{i}].line_items[{j}].quantity"
            units[sku] = units.get(sku, 0) + quantity(item.get("quantity") or 0, where, minimum=0)
    return tuple((sku, n) for sku, n in units.items() if n > 0)


def auth(token: str) -> dict[str, str]:
    return {"X-Shopify-Access-Token": token}


def pull(conn: Connection, since: datetime | None) -> Iterator[dict[str, Any]]:
    """Reconciliation: every order updated since ``since`` (``GET orders.json``), following
    the ``Link: <...>; rel="next"`` cursor."""
    query: dict[str, Any] = {"status": "any", "limit": PAGE_SIZE}
    if since is not None:
        query["updated_at_min"] = since.isoformat()
    url: str | None = conn.url(f"/admin/api/{API_VERSION}/orders.json?{urlencode(query)}")
    while url:
        response = http.call("GET", url, auth(conn.token))
        yield from (response.body or {}).get("orders") or []
        found = NEXT_LINK.search(response.headers.get("link", ""))
        url = found.group(1) if found else None


def confirm_shipment(conn: Connection, notice: ShipmentNotice) -> Confirmation:
    """Fulfillment orders: ``GET orders/{id}/fulfillment_orders.json``, then one
    ``POST fulfillments.json`` whose ``line_items_by_fulfillment_order`` names each
    ``fulfillment_order_line_items`` {id, quantity} mapped from the order's line item IDs, with
    the tracking number. Shopify wants the fulfillment orders of one fulfillment to share a
    location, and refuses more units than a line has left to fulfil. A retry first reads
    ``orders/{id}/fulfillments.json`` for the one an earlier attempt made."""
    require_line_ids(notice, "Shopify")
    base = f"/admin/api/{API_VERSION}/orders/{quote(notice.external_id)}"
    made = http.get_json(conn.url(f"{base}/fulfillments.json"), auth(conn.token)) or {}
    found = already_there(
        notice,
        (
            (str(f.get("id") or ""), f.get("tracking_number") or "", _fulfilled(f))
            for f in made.get("fulfillments") or []
            if f.get("status") not in ("cancelled", "error", "failure")
        ),
    )
    if found:
        return Confirmation("already_posted", found)
    listed = http.get_json(conn.url(f"{base}/fulfillment_orders.json"), auth(conn.token)) or {}
    tracking = {"number": notice.tracking_number} if notice.tracking_number else {}
    body = {
        "fulfillment": {
            "line_items_by_fulfillment_order": _by_fulfillment_order(listed, notice),
            "tracking_info": {**tracking, "company": notice.carrier},
            "notify_customer": True,
        }
    }
    answer = http.call(
        "POST", conn.url(f"/admin/api/{API_VERSION}/fulfillments.json"), auth(conn.token), body
    )
    made_now = (answer.body or {}).get("fulfillment") or {}
    return Confirmation("posted", str(made_now.get("id") or ""))


def _fulfilled(fulfillment: dict[str, Any]) -> list[tuple[object, object]]:
    return [(li.get("id"), li.get("quantity")) for li in fulfillment.get("line_items") or []]


def _by_fulfillment_order(listed: dict[str, Any], notice: ShipmentNotice) -> list[dict[str, Any]]:
    """The parcel's units spread over the open fulfillment order line items of each line."""
    wanted = notice.units()
    picked: dict[Any, list[dict[str, Any]]] = {}
    for fo in listed.get("fulfillment_orders") or []:
        if fo.get("status") not in ("open", "in_progress"):
            continue
        for item in fo.get("line_items") or []:
            line = str(item.get("line_item_id") or "")
            take = min(wanted.get(line, 0), int(item.get("fulfillable_quantity") or 0))
            if take > 0:
                wanted[line] -= take
                picked.setdefault(fo["id"], []).append({"id": item["id"], "quantity": take})
    short = {line: n for line, n in wanted.items() if n > 0}
    if short:
        said = ", ".join(f"{n} of line {line}" for line, n in sorted(short.items()))
        raise Unavailable(f"Shopify has no open fulfillment order for {said}", status=422)
    return [
        {"fulfillment_order_id": fo, "fulfillment_order_line_items": items}
        for fo, items in picked.items()
    ]
