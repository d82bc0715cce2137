"""Payment providers' webhooks (Stripe's signed events, a generic signed format) and an
order's payment history."""

import json
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from despatch.api.auth import needs, public
from despatch.domain.errors import ValidationFailed
from despatch.domain.payments import read_generic, read_stripe, verify_hex, verify_stripe
from despatch.services import payments

router = Router(tags=["payments"])


class AppliedOut(Schema):
    event_id: str
    order_id: str
    outcome: str
    payment_status: str
    order_status: str


class IgnoredOut(Schema):
    event_id: str
    outcome: str


class PaymentEventOut(Schema):
    provider: str
    event_id: str
    kind: str
    status: str
    amount: Decimal | None
    currency: str
    reference: str
    occurred_at: datetime
    received_at: datetime
    outcome: str


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ValidationFailed.single("body", f"not JSON: {exc}", "malformed_json") from exc


@router.post(
    "/payments/webhooks/stripe",
    auth=public("signed with Stripe's webhook secret"),
    response={200: AppliedOut | IgnoredOut},
    summary="Stripe events (Stripe-Signature, DESPATCH_STRIPE_WEBHOOK_SECRET)",
)
def stripe(request: HttpRequest) -> Any:
    """PaymentIntent succeeded / amount_capturable_updated / payment_failed / canceled /
    processing and charge.refunded, naming the order in the object's metadata
    (``despatch_order_id``, or ``channel`` and ``external_id``). Other event types are
    acknowledged and ignored; a repeat changes nothing (``duplicate``)."""
    verify_stripe(
        request.body,
        request.headers.get("Stripe-Signature", ""),
        payments.stripe_secret(),
        time.time(),
    )
    event = _json(request.body)
    notice = read_stripe(event)
    if notice is None:
        return {"event_id": str(event.get("id", "")), "outcome": "ignored"}
    return payments.apply(notice)


@router.post(
    "/payments/webhooks/{provider}",
    auth=public("signed with the payment provider's secret"),
    response=AppliedOut,
    summary="Generic payment notices (X-Despatch-Signature: hex HMAC-SHA256 of the body)",
)
def generic(request: HttpRequest, provider: str) -> Any:
    """``{"id", "order_id" | "channel"+"external_id", "status", "occurred_at", "amount",
    "currency", "reference"}``, signed with DESPATCH_PAYMENTS_SECRET_<PROVIDER> (or
    DESPATCH_PAYMENTS_SECRET)."""
    verify_hex(
        request.body,
        request.headers.get("X-Despatch-Signature", ""),
        payments.secret_for(provider),
        provider,
    )
    return payments.apply(read_generic(provider, _json(request.body)))


@router.get(
    "/orders/{order_id}/payments", response=list[PaymentEventOut], auth=needs("orders.read")
)
def history(request: HttpRequest, order_id: str) -> Any:
    return payments.events_of(order_id)
