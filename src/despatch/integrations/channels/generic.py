"""The generic JSON order: Despatch's own format, for storefronts without a platform adapter.

The same fields as ``POST /api/orders`` (``external_id``, ``currency``, ``lines`` of
``sku``/``quantity``/``unit_price``, ``shipping_address``, ``customer_name``,
``customer_email``, ``payment_status``, ``requested_service``, ``shipping_price``) plus
``discount_total``, ``tax_total``, ``fee_total``, ``taxes_included``, ``total`` (checked
against the parts when given), ``cancelled``, ``fulfilled`` (shipped elsewhere: recorded,
never picked here) and ``updated_at`` (ISO 8601). Money is a decimal
string in the order's currency. Webhooks are signed like WooCommerce's: ``X-Despatch-Signature``
is the base64 HMAC-SHA256 of the raw body with the channel's secret;
``X-Despatch-Delivery-Id`` names the delivery (retries repeat it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from despatch.domain.addresses import Address
from despatch.domain.errors import ValidationFailed
from despatch.domain.orders import LineDraft, OrderDraft, PaymentStatus
from despatch.integrations.channels.base import (
    ChannelOrder,
    Delivery,
    hmac_base64_matches,
    money,
    phone,
    quantity,
    require,
    timestamp,
)

KIND = "api"


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    return hmac_base64_matches(secret, body, headers.get("x-despatch-signature", ""))


def delivery(headers: Mapping[str, str], payload: dict[str, Any]) -> Delivery:
    return Delivery(delivery_id=headers.get("x-despatch-delivery-id", ""), topic="order")


def _address(data: Any, where: str = "shipping_address") -> Address:
    if not isinstance(data, dict):
        raise ValidationFailed.single(where, "expected an object", "required")
    country = str(data.get("country") or "").upper()
    e164, raw = phone(data.get("phone"), country)
    return Address(
        name=str(data.get("name") or ""),
        line1=str(data.get("line1") or ""),
        line2=str(data.get("line2") or ""),
        city=str(data.get("city") or ""),
        region=str(data.get("region") or ""),
        postcode=str(data.get("postcode") or ""),
        country=country,
        company=str(data.get("company") or ""),
        phone=e164,
        phone_raw=raw,
        email=str(data.get("email") or ""),
    )


def parse(payload: dict[str, Any], channel: str) -> ChannelOrder:
    currency = str(require(payload, "currency")).upper()
    items = require(payload, "lines")
    if not isinstance(items, list):
        raise ValidationFailed.single("lines", "expected a list of lines")
    lines = tuple(
        LineDraft(
            str(item.get("sku") or "").strip(),
            quantity(item.get("quantity"), f"lines[{i}].quantity"),
            money(require(item, "unit_price", f"lines[{i}]."), currency, f"lines[{i}].unit_price"),
            str(item.get("name") or ""),
        )
        for i, item in enumerate(items)
    )
    status = str(payload.get("payment_status") or "paid")
    try:
        payment = PaymentStatus(status)
    except ValueError:
        known = ", ".join(p.value for p in PaymentStatus)
        raise ValidationFailed.single(
            "payment_status", f"{status!r} is not one of: {known}"
        ) from None
    draft = OrderDraft(
        channel=channel,
        external_id=str(require(payload, "external_id")),
        currency=currency,
        lines=lines,
        shipping_address=_address(payload.get("shipping_address")),
        billing_address=_address(payload["billing_address"], "billing_address")
        if payload.get("billing_address") is not None
        else None,
        customer_email=str(payload.get("customer_email") or ""),
        customer_name=str(payload.get("customer_name") or ""),
        payment_status=payment,
        requested_service=str(payload.get("requested_service") or "standard"),
        shipping_price=money(payload.get("shipping_price"), currency, "shipping_price"),
        discount_total=money(payload.get("discount_total"), currency, "discount_total"),
        tax_total=money(payload.get("tax_total"), currency, "tax_total"),
        fee_total=money(payload.get("fee_total"), currency, "fee_total"),
        taxes_included=bool(payload.get("taxes_included", True)),
        paid_at=timestamp(payload.get("paid_at"), "paid_at"),
        channel_ship_by=timestamp(payload.get("ship_by"), "ship_by"),
    )
    stated = payload.get("total")
    return ChannelOrder(
        draft=draft,
        cancelled=bool(payload.get("cancelled")),
        fulfilled_by_channel=bool(payload.get("fulfilled")),
        payment_status=payment,
        platform_total=None if stated in (None, "") else money(stated, currency, "total"),
        updated_at=timestamp(payload.get("updated_at"), "updated_at"),
    )
