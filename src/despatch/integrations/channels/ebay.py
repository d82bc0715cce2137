"""eBay: the Sell Fulfillment API v1 order (``getOrder``, and each order of ``getOrders``).

eBay sends no order webhooks here: orders come by file import (and, later, by pulling). Line
``lineItemCost`` is the line total before discounts (unit price x quantity); its
``appliedPromotions`` carry the line's discounts as positive ``discountAmount``s, and the
line's own ``total`` is already net of them (and holds its delivery cost and tax). The order
reconciles as ``pricingSummary``: sum(``lineItemCost``) - promotions (or the negative
``priceDiscount``) + ``deliveryCost`` + ``deliveryDiscount`` (negative) + ``fee`` +
``adjustment`` + ``tax`` = ``total``, what the buyer paid. The address is
``fulfillmentStartInstructions[0].shippingStep.shipTo``.

Tax eBay collects and remits itself (``lineItems[].ebayCollectAndRemitTaxes``: US sales tax,
GST, VAT on imports) is in ``lineItems[].total``, ``pricingSummary.total`` and
``totalDueSeller`` when the line's ``taxes`` also shows it with the same amount (eBay's
``EbayCollectAndRemitTax`` reference). Where ``pricingSummary.tax`` is absent, that collected tax
is the order's tax, added on top of the lines like any other.
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
from despatch.integrations.channels.confirmations import (
    EBAY_CARRIERS,
    Confirmation,
    ShipmentNotice,
    already_there,
    carrier_key,
    require_line_ids,
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

PRICE_DISCOUNT = ("priceDiscount", "priceDiscountSubtotal")

verify = no_webhooks
delivery = no_delivery_ids


def _amount(value: Any, currency: str, where: str) -> Money:
    """eBay's Amount: {"value": "12.50", "currency": "GBP"}."""
    return keyed_money(value, currency, where, amount="value", code="currency")


def _ship_to(payload: dict[str, Any]) -> Address:
    steps = payload.get("fulfillmentStartInstructions") or [{}]
    return _contact((steps[0].get("shippingStep") or {}).get("shipTo") or {})


def _contact(ship_to: dict[str, Any]) -> Address:
    """An eBay ``ExtendedContact`` (``shipTo``, ``buyerRegistrationAddress``)."""
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


def _presentment(stated: dict[str, Any], currency: str) -> Money | None:
    """What the buyer paid in the listing's currency, when eBay converted it to the seller's:
    the total's ``convertedFromValue`` in ``convertedFromCurrency``."""
    code = str(stated.get("convertedFromCurrency") or "").upper()
    if not code or code == currency or stated.get("convertedFromValue") in (None, ""):
        return None
    return Money.parse(
        str(stated["convertedFromValue"]), code, "pricingSummary.total.convertedFromValue"
    )


LINE_DELIVERY = ("shippingCost", "handlingCost", "importCharges", "shippingIntermediationFee")


def _delivery(payload: dict[str, Any], currency: str) -> Money:
    """The order's delivery cost before delivery discounts: ``pricingSummary.deliveryCost``,
    else (a summary that does not state it) its lines' ``lineItems[].deliveryCost``."""
    stated = payload["pricingSummary"].get("deliveryCost")
    if stated:
        return _amount(stated, currency, "pricingSummary.deliveryCost")
    return total(
        [
            _amount(
                (item.get("deliveryCost") or {}).get(name),
                currency,
                f"lineItems[{i}].deliveryCost.{name}",
            )
            for i, item in enumerate(payload.get("lineItems") or [])
            for name in LINE_DELIVERY
        ],
        currency,
    )


def abs_money(amount: Money) -> Money:
    return -amount if amount.amount < 0 else amount


def _collected_tax(payload: dict[str, Any], currency: str) -> Money:
    """The collect-and-remit tax that is in the totals: on each line, every
    ``ebayCollectAndRemitTaxes`` amount that the line's ``taxes`` also shows."""
    found: list[Money] = []
    for i, item in enumerate(payload.get("lineItems") or []):
        where = f"lineItems[{i}]"
        shown = [
            _amount(t.get("amount"), currency, f"{where}.taxes[{j}].amount")
            for j, t in enumerate(item.get("taxes") or [])
        ]
        for j, tax in enumerate(item.get("ebayCollectAndRemitTaxes") or []):
            amount = _amount(
                tax.get("amount"), currency, f"{where}.ebayCollectAndRemitTaxes[{j}].amount"
            )
            if amount in shown:
                shown.remove(amount)
                found.append(amount)
    return total(found, currency)


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

    # priceDiscount (negative; priceDiscountSubtotal in older responses) covers the line
    # promotions and any order discount.
    stated_discount = next((n for n in PRICE_DISCOUNT if summary.get(n)), "")
    discount = abs_money(part(stated_discount)) if stated_discount else line_discounts
    shipping = _delivery(payload, currency) - abs_money(part("deliveryDiscount"))
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
        billing_address=_contact(buyer.get("buyerRegistrationAddress") or {}),
        customer_email=address.email
        or ((buyer.get("buyerRegistrationAddress") or {}).get("email") or ""),
        customer_name=address.name or buyer.get("username") or "",
        payment_status=payment,
        requested_service=service,
        shipping_price=shipping,
        discount_total=discount,
        # pricingSummary.tax is the order's tax when given; else what eBay collects is.
        tax_total=part("tax") if summary.get("tax") else _collected_tax(payload, currency),
        fee_total=part("fee") + part("adjustment"),
        taxes_included=False,
        presentment_total=_presentment(summary.get("total") or {}, currency),
        extra={"legacy_order_id": str(payload.get("legacyOrderId") or "")},
        paid_at=_paid_at(payload),
        channel_ship_by=_ship_by(payload),
    )
    cancel_status = payload.get("cancelStatus") or {}
    return ChannelOrder(
        draft=draft,
        cancelled=cancel_status.get("cancelState") == "CANCELED",
        cancel_requested=_cancel_request(cancel_status),
        fulfilled_by_channel=payload.get("orderFulfillmentStatus") == "FULFILLED",
        shipped_elsewhere=tuple(
            (line.sku, line.quantity)
            for line, item in zip(lines, payload["lineItems"], strict=True)
            if item.get("lineItemFulfillmentStatus") == "FULFILLED"
        ),
        payment_status=payment,
        refunds=_refunds(payload, currency),
        platform_total=part("total"),
        updated_at=timestamp(payload.get("lastModifiedDate"), "lastModifiedDate"),
    )


def _cancel_request(status: dict[str, Any]) -> str:
    """The buyer's request to cancel that waits for the seller: ``cancelState`` is
    ``IN_PROGRESS`` (the others are ``NONE_REQUESTED`` and ``CANCELED``) and a request's
    ``cancelRequestState`` is still ``REQUESTED`` (not ``REJECTED`` nor ``COMPLETED``)."""
    if status.get("cancelState") != "IN_PROGRESS":
        return ""
    requests = [r for r in status.get("cancelRequests") or [] if isinstance(r, dict)]
    waiting = [r for r in requests if r.get("cancelRequestState", "REQUESTED") == "REQUESTED"]
    if requests and not waiting:
        return ""  # every request was declined
    named = [str(r["cancelRequestId"]) for r in waiting if r.get("cancelRequestId")]
    return f"eBay cancellation request {named[-1]}" if named else "eBay cancellation request"


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


def confirm_shipment(conn: Connection, notice: ShipmentNotice) -> Confirmation:
    """Fulfillment API ``createShippingFulfillment``: ``POST /sell/fulfillment/v1/order/
    {orderId}/shipping_fulfillment`` with ``lineItems`` [{``lineItemId``, ``quantity``}],
    ``shippedDate``, ``shippingCarrierCode`` and ``trackingNumber``; eBay answers 201 with the
    new fulfillment's URI in ``Location``. A retry first reads the order's fulfillments
    (``GET`` the same path) for the one an earlier attempt made."""
    require_line_ids(notice, "eBay")
    url = conn.url(f"/sell/fulfillment/v1/order/{quote(notice.external_id)}/shipping_fulfillment")
    listed = http.get_json(url, http.bearer(conn.token)) or {}
    found = already_there(
        notice,
        (
            (
                str(f.get("fulfillmentId") or ""),
                f.get("shipmentTrackingNumber") or "",
                [(li.get("lineItemId"), li.get("quantity")) for li in f.get("lineItems") or []],
            )
            for f in listed.get("fulfillments") or []
        ),
    )
    if found:
        return Confirmation("already_posted", found)
    body: dict[str, Any] = {
        "lineItems": [{"lineItemId": i, "quantity": n} for i, n in notice.units().items()],
        "shippedDate": notice.shipped_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }
    if notice.carrier:
        key = carrier_key(notice.carrier)
        body["shippingCarrierCode"] = EBAY_CARRIERS.get(key, notice.carrier)
    if notice.tracking_number:
        body["trackingNumber"] = notice.tracking_number
    answer = http.call("POST", url, http.bearer(conn.token), body)
    location = answer.headers.get("location", "")
    return Confirmation("posted", location.rstrip("/").rsplit("/", 1)[-1] if location else "")


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
