"""eBay: the Sell Fulfillment API v1 order (``getOrder``, and each order of ``getOrders``).

eBay sends no order webhooks here: orders come by file import (and, later, by pulling). Line
``lineItemCost`` is the line total before discounts (unit price x quantity); its
``appliedPromotions`` carry the line's discounts as positive ``discountAmount``s, and the
line's own ``total`` is already net of them (and holds its delivery cost and tax). The order
reconciles as ``pricingSummary``: sum(``lineItemCost``) - promotions (or the negative
``priceDiscount``) + ``deliveryCost`` + ``deliveryDiscount`` (negative) + ``fee`` +
``adjustment`` + ``tax`` = ``total``, what the buyer paid. The address is
``fulfillmentStartInstructions[0].shippingStep.shipTo``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
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
    Refund,
    StockUpdate,
    keyed_money,
    line_for_total,
    no_delivery_ids,
    no_webhooks,
    phone,
    quantity,
    require,
    timestamp,
)

KIND = "ebay"
WEBHOOKS = False
PAGE_SIZE = 50

PAYMENT = {
    "PENDING": PaymentStatus.PENDING,
    "PAID": PaymentStatus.PAID,
    "FAILED": PaymentStatus.FAILED,
    "PARTIALLY_REFUNDED": PaymentStatus.PARTIALLY_REFUNDED,
    "FULLY_REFUNDED": PaymentStatus.REFUNDED,
}

verify = no_webhooks
delivery = no_delivery_ids


def _amount(value: Any, currency: str, where: str) -> Money:
    """eBay's Amount: {"value": "12.50", "currency": "GBP"}."""
    return keyed_money(value, currency, where, amount="value", code="currency")


def _ship_to(payload: dict[str, Any]) -> Address:
    steps = payload.get("fulfillmentStartInstructions") or [{}]
    ship_to = (steps[0].get("shippingStep") or {}).get("shipTo") or {}
    contact = ship_to.get("contactAddress") or {}
    country = (contact.get("countryCode") or "").upper()
    e164, raw = phone((ship_to.get("primaryPhone") or {}).get("phoneNumber"), country)
    return Address(
        name=ship_to.get("fullName") or "",
        line1=contact.get("addressLine1") or "",
        line2=contact.get("addressLine2") or "",
        city=contact.get("city") or "",
        region=contact.get("stateOrProvince") or "",
        postcode=contact.get("postalCode") or "",
        country=country,
        company=ship_to.get("companyName") or "",
        phone=e164,
        phone_raw=raw,
        email=ship_to.get("email") or "",
    )


def _lines(payload: dict[str, Any], currency: str) -> tuple[list[LineDraft], Money]:
    """The lines at ``lineItemCost``, and their promotions added up (a positive amount)."""
    lines: list[LineDraft] = []
    discounts: list[Money] = []
    for i, item in enumerate(require(payload, "lineItems")):
        where = f"lineItems[{i}]"
        count = quantity(item.get("quantity"), f"{where}.quantity")
        cost = _amount(item.get("lineItemCost"), currency, f"{where}.lineItemCost")
        sku = (item.get("sku") or "").strip()
        lines.append(
            line_for_total(sku, count, cost, item.get("title") or "", item.get("lineItemId"))
        )
        discounts += [
            abs_money(
                _amount(
                    p.get("discountAmount"),
                    currency,
                    f"{where}.appliedPromotions[{j}].discountAmount",
                )
            )
            for j, p in enumerate(item.get("appliedPromotions") or [])
        ]
    return lines, total(discounts, currency)


def abs_money(amount: Money) -> Money:
    return -amount if amount.amount < 0 else amount


def _refunds(payload: dict[str, Any], currency: str) -> tuple[Refund, ...]:
    refunds = (payload.get("paymentSummary") or {}).get("refunds") or []
    return tuple(
        Refund(
            str(r.get("refundId") or i), _amount(r.get("amount"), currency, f"refunds[{i}].amount")
        )
        for i, r in enumerate(refunds)
        if r.get("refundStatus", "REFUNDED") == "REFUNDED"
    )


def parse(payload: dict[str, Any], channel: str) -> ChannelOrder:
    summary = require(payload, "pricingSummary")
    currency = str((summary.get("total") or {}).get("currency") or "").upper()
    if not currency:
        raise ValidationFailed.single("pricingSummary.total.currency", "is required", "required")
    lines, line_discounts = _lines(payload, currency)

    def part(name: str) -> Money:
        return _amount(summary.get(name), currency, f"pricingSummary.{name}")

    # priceDiscount (negative) covers the line promotions and any order discount.
    discount = abs_money(part("priceDiscount")) if summary.get("priceDiscount") else line_discounts
    shipping = part("deliveryCost") + part("deliveryDiscount")
    payment = PAYMENT.get(str(payload.get("orderPaymentStatus") or "PAID"), PaymentStatus.PENDING)
    address = _ship_to(payload)
    service = (
        (payload.get("fulfillmentStartInstructions") or [{}])[0].get("shippingStep") or {}
    ).get("shippingServiceCode") or "standard"
    buyer = payload.get("buyer") or {}
    draft = OrderDraft(
        channel=channel,
        external_id=str(require(payload, "orderId")),
        currency=currency,
        lines=tuple(lines),
        shipping_address=address,
        customer_email=address.email
        or ((buyer.get("buyerRegistrationAddress") or {}).get("email") or ""),
        customer_name=address.name or buyer.get("username") or "",
        payment_status=payment,
        requested_service=service,
        shipping_price=shipping,
        discount_total=discount,
        tax_total=part("tax"),
        fee_total=part("fee") + part("adjustment"),
        taxes_included=False,
        extra={"legacy_order_id": str(payload.get("legacyOrderId") or "")},
        paid_at=_paid_at(payload),
        channel_ship_by=_ship_by(payload),
    )
    cancel_state = (payload.get("cancelStatus") or {}).get("cancelState") or "NONE_REQUESTED"
    return ChannelOrder(
        draft=draft,
        cancelled=cancel_state == "CANCELED",
        fulfilled_by_channel=payload.get("orderFulfillmentStatus") == "FULFILLED",
        payment_status=payment,
        refunds=_refunds(payload, currency),
        platform_total=part("total"),
        updated_at=timestamp(payload.get("lastModifiedDate"), "lastModifiedDate"),
    )


def _paid_at(payload: dict[str, Any]) -> datetime | None:
    """When the buyer paid: the first payment's ``paymentDate``, else ``creationDate``."""
    payments = (payload.get("paymentSummary") or {}).get("payments") or []
    dates = [p.get("paymentDate") for p in payments if isinstance(p, dict) and p.get("paymentDate")]
    return timestamp(dates[0] if dates else payload.get("creationDate"), "creationDate")


def _ship_by(payload: dict[str, Any]) -> datetime | None:
    """eBay's own ship-by: the earliest ``lineItemFulfillmentInstructions.shipByDate``."""
    found = [
        timestamp(
            (item.get("lineItemFulfillmentInstructions") or {}).get("shipByDate"),
            f"lineItems[{i}].lineItemFulfillmentInstructions.shipByDate",
        )
        for i, item in enumerate(payload.get("lineItems") or [])
        if isinstance(item, dict)
    ]
    return min((f for f in found if f is not None), default=None)


def pull(conn: Connection, since: datetime | None) -> Iterator[dict[str, Any]]:
    """Every order modified since ``since``, page by page (``getOrders``, following ``next``)."""
    query = f"limit={PAGE_SIZE}"
    if since is not None:
        stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        query += "&filter=" + quote(f"lastmodifieddate:[{stamp}..]")
    url: str | None = conn.url(f"/sell/fulfillment/v1/order?{query}")
    while url:
        page = http.get_json(url, http.bearer(conn.token)) or {}
        yield from page.get("orders") or []
        url = page.get("next")


BULK = 25  # bulkUpdatePriceQuantity takes at most 25 requests


def push_stock(conn: Connection, updates: list[StockUpdate]) -> dict[str, str]:
    """Inventory API ``bulk_update_price_quantity``: the quantity available to ship, by SKU."""
    failures: dict[str, str] = {}
    for start in range(0, len(updates), BULK):
        chunk = updates[start : start + BULK]
        body = {
            "requests": [
                {"sku": u.sku, "shipToLocationAvailability": {"quantity": u.quantity}}
                for u in chunk
            ]
        }
        try:
            answer = http.call(
                "POST",
                conn.url("/sell/inventory/v1/bulk_update_price_quantity"),
                http.bearer(conn.token),
                body,
            )
        except DomainError as exc:
            failures.update({u.sku: str(exc) for u in chunk})
            continue
        for item in (answer.body or {}).get("responses") or []:
            if int(item.get("statusCode") or 200) >= 400:
                errors = item.get("errors") or [{}]
                failures[str(item.get("sku"))] = str(errors[0].get("message") or "refused")
    return failures
