"""Payment notices from payment providers: Stripe's signed events and a generic signed format.

A notice says what a provider now knows of an order's payment (paid, authorised, failed,
voided, refunded, partially refunded) and when; the service applies it to the order unless a
later notice was already applied. Signature checks are stdlib HMAC-SHA256 with constant-time
comparison.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from despatch.domain.errors import FieldError, Unauthorized, ValidationFailed
from despatch.domain.money import Money, is_currency
from despatch.domain.orders import NOT_PICKED, RELEASABLE_PAYMENTS, OrderStatus, PaymentStatus
from despatch.domain.signatures import hex_hmac_matches

STRIPE_TOLERANCE_SECONDS = 300  # Stripe's own libraries default to five minutes
# orders a failed payment holds: not yet in the warehouse's hands, nor held already
HOLDABLE = NOT_PICKED - {OrderStatus.ON_HOLD, OrderStatus.ALLOCATED}
# orders whose goods have not left: a full refund must stop them (a partial one changes nothing)
NOT_DESPATCHED = NOT_PICKED | {OrderStatus.PICKING, OrderStatus.PACKED}


class NoticeEffect(StrEnum):
    RELEASE = "release"  # money arrived: an order held only for it may go forward
    HOLD = "hold"  # the payment failed or was voided: hold the order, give its stock back
    # all the money went back before the goods left: hold the order not yet picked (its
    # stock given back) for a person, or open the case for the floor
    REFUNDED = "refunded"
    NONE = "none"


def notice_effect(payment: PaymentStatus, order: OrderStatus) -> NoticeEffect:
    """What a payment notice does to an order, beyond recording its new payment status."""
    if payment in RELEASABLE_PAYMENTS:
        return NoticeEffect.RELEASE
    if payment in (PaymentStatus.FAILED, PaymentStatus.VOIDED) and order in HOLDABLE:
        return NoticeEffect.HOLD
    if payment == PaymentStatus.REFUNDED and order in NOT_DESPATCHED:
        return NoticeEffect.REFUNDED
    return NoticeEffect.NONE


def verify_stripe(body: bytes, header: str, secret: str, now: float) -> None:
    """Check a ``Stripe-Signature`` header (``t=TIMESTAMP,v1=HEX[,v1=HEX]``): the HMAC-SHA256
    of ``"{t}.{body}"`` with the endpoint secret, made within the tolerance window."""
    if not secret:
        raise Unauthorized(
            "no Stripe webhook secret is configured (DESPATCH_STRIPE_WEBHOOK_SECRET)"
        )
    parts = [p.partition("=") for p in (header or "").split(",")]
    stamps = [v for k, _, v in parts if k.strip() == "t"]
    signatures = [v.strip() for k, _, v in parts if k.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not signatures:
        raise Unauthorized("the Stripe-Signature header is missing or malformed")
    timestamp = int(stamps[0])
    if abs(now - timestamp) > STRIPE_TOLERANCE_SECONDS:
        raise Unauthorized(
            f"the Stripe signature is {int(abs(now - timestamp))} s old; the tolerance is "
            f"{STRIPE_TOLERANCE_SECONDS} s"
        )
    signed = f"{timestamp}.".encode() + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        raise Unauthorized("the Stripe signature does not match the webhook secret")


def verify_hex(body: bytes, signature: str, secret: str, who: str) -> None:
    """The generic format: hex HMAC-SHA256 of the raw body."""
    if not hex_hmac_matches(secret, body, signature):
        raise Unauthorized(f"the signature does not match {who}'s payment secret")


@dataclass(frozen=True)
class OrderRef:
    order_id: str = ""
    channel: str = ""
    external_id: str = ""

    def __str__(self) -> str:
        return self.order_id or f"{self.channel}/{self.external_id}"


@dataclass(frozen=True)
class PaymentNotice:
    provider: str
    event_id: str
    kind: str  # the provider's event type
    status: PaymentStatus
    occurred_at: datetime
    order: OrderRef
    amount: Money | None = None
    reference: str = ""  # the provider's payment ID


_STRIPE_INTENT = {
    "payment_intent.succeeded": PaymentStatus.PAID,
    "payment_intent.amount_capturable_updated": PaymentStatus.AUTHORISED,
    "payment_intent.payment_failed": PaymentStatus.FAILED,
    "payment_intent.canceled": PaymentStatus.VOIDED,
    "payment_intent.processing": PaymentStatus.PENDING,
}
STRIPE_EVENTS = frozenset({*_STRIPE_INTENT, "charge.refunded"})


def _ref(metadata: Any) -> OrderRef:
    data = metadata if isinstance(metadata, dict) else {}
    return OrderRef(
        str(data.get("despatch_order_id", "")),
        str(data.get("channel", "")),
        str(data.get("external_id", "")),
    )


def read_stripe(event: Any) -> PaymentNotice | None:
    """A Stripe event (``{"id", "type", "created", "data": {"object": ...}}``) as a notice, or
    None for event types that say nothing about an order's payment. The order is named in the
    PaymentIntent's (or Charge's) metadata: ``despatch_order_id``, or ``channel`` and
    ``external_id``."""
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
        raise ValidationFailed.single("body", "not a Stripe event object")
    kind = str(event.get("type", ""))
    if kind not in STRIPE_EVENTS:
        return None
    obj = event["data"].get("object")
    errors: list[FieldError] = []
    if not isinstance(obj, dict):
        raise ValidationFailed.single("data.object", "expected the PaymentIntent or Charge")
    if not isinstance(event.get("id"), str) or not event["id"]:
        errors.append(FieldError("id", "the event has no ID", "required"))
    created = event.get("created")
    if isinstance(created, bool) or not isinstance(created, int):
        errors.append(FieldError("created", "expected a Unix time", "type"))
        created = 0
    currency = str(obj.get("currency", "")).upper()
    if not is_currency(currency):
        errors.append(FieldError("data.object.currency", f"{currency!r} is not ISO 4217"))
    ref = _ref(obj.get("metadata"))
    if not (ref.order_id or (ref.channel and ref.external_id)):
        errors.append(
            FieldError(
                "data.object.metadata",
                "name the order: despatch_order_id, or channel and external_id",
                "required",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    if kind == "charge.refunded":
        refunded, paid = int(obj.get("amount_refunded") or 0), int(obj.get("amount") or 0)
        status = PaymentStatus.REFUNDED if refunded >= paid else PaymentStatus.PARTIALLY_REFUNDED
        amount = Money.from_minor(refunded, currency)
        reference = str(obj.get("payment_intent") or obj.get("id", ""))
    else:
        status = _STRIPE_INTENT[kind]
        field = "amount_received" if status == PaymentStatus.PAID else "amount"
        amount = Money.from_minor(int(obj.get(field) or obj.get("amount") or 0), currency)
        reference = str(obj.get("id", ""))
    return PaymentNotice(
        "stripe",
        event["id"],
        kind,
        status,
        datetime.fromtimestamp(created, UTC),
        ref,
        amount,
        reference,
    )


def read_generic(provider: str, payload: Any) -> PaymentNotice:
    """``{"id", "order_id" | ("channel", "external_id"), "status", "occurred_at",
    "amount", "currency", "reference"}``; every wrong field is named."""
    if not isinstance(payload, dict):
        raise ValidationFailed.single("body", "expected a JSON object")
    errors: list[FieldError] = []
    event_id = payload.get("id")
    if not isinstance(event_id, str) or not event_id:
        errors.append(FieldError("id", "the notice needs a unique ID", "required"))
    ref = OrderRef(
        str(payload.get("order_id") or ""),
        str(payload.get("channel") or ""),
        str(payload.get("external_id") or ""),
    )
    if not (ref.order_id or (ref.channel and ref.external_id)):
        errors.append(FieldError("order_id", "name the order, or its channel and external_id"))
    status = str(payload.get("status", ""))
    if status not in PaymentStatus.__members__.values():
        known = ", ".join(s.value for s in PaymentStatus)
        errors.append(FieldError("status", f"{status!r} is not one of {known}", "status"))
    when: datetime | None = None
    try:
        when = datetime.fromisoformat(str(payload.get("occurred_at", "")).replace("Z", "+00:00"))
        if when.tzinfo is None:
            errors.append(FieldError("occurred_at", "give the time zone (e.g. Z)", "time"))
    except ValueError:
        errors.append(FieldError("occurred_at", "expected an ISO 8601 time", "time"))
    amount = None
    if payload.get("amount") is not None:
        try:
            amount = Money.parse(str(payload["amount"]), str(payload.get("currency", "")))
        except ValidationFailed as exc:
            errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    assert when is not None and isinstance(event_id, str)
    return PaymentNotice(
        provider,
        event_id,
        "generic",
        PaymentStatus(status),
        when,
        ref,
        amount,
        str(payload.get("reference", "")),
    )
