"""Stripe signatures and payment notices, as pure rules."""

import hashlib
import hmac
from decimal import Decimal

import pytest

from despatch.domain.errors import Unauthorized, ValidationFailed
from despatch.domain.orders import PaymentStatus
from despatch.domain.payments import read_generic, read_stripe, verify_hex, verify_stripe

SECRET = "whsec_test"
NOW = 1_795_000_000


def stripe_header(body: bytes, t: int = NOW, secret: str = SECRET) -> str:
    sig = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={sig}"


def test_a_stripe_signature_is_checked_with_its_timestamp():
    body = b'{"id": "evt_1"}'
    verify_stripe(body, stripe_header(body), SECRET, NOW + 10)
    verify_stripe(body, "v1=deadbeef," + stripe_header(body), SECRET, NOW)  # any v1 may match
    with pytest.raises(Unauthorized, match="does not match"):
        verify_stripe(body, stripe_header(body, secret="whsec_other"), SECRET, NOW)
    with pytest.raises(Unauthorized, match="does not match"):
        verify_stripe(body + b" ", stripe_header(body), SECRET, NOW)
    with pytest.raises(Unauthorized, match="301 s old; the tolerance is 300 s"):
        verify_stripe(body, stripe_header(body), SECRET, NOW + 301)
    for header in ("", "t=abc,v1=00", f"t={NOW}", "v1=00"):
        with pytest.raises(Unauthorized, match="missing or malformed"):
            verify_stripe(body, header, SECRET, NOW)
    with pytest.raises(Unauthorized, match="no Stripe webhook secret"):
        verify_stripe(body, stripe_header(body), "", NOW)


def test_the_generic_signature_is_a_hex_hmac_of_the_body():
    body = b"{}"
    verify_hex(body, hmac.new(b"k", body, hashlib.sha256).hexdigest().upper(), "k", "bank")
    with pytest.raises(Unauthorized, match="bank's payment secret"):
        verify_hex(body, "00", "k", "bank")
    with pytest.raises(Unauthorized):
        verify_hex(body, "", "", "bank")  # no secret configured: nothing is trusted


def intent(kind, **obj):
    base = {
        "id": "pi_1",
        "currency": "gbp",
        "amount": 2599,
        "metadata": {"despatch_order_id": "ord_1"},
    }
    return {"id": "evt_9", "type": kind, "created": NOW, "data": {"object": {**base, **obj}}}


def test_stripe_events_map_to_payment_states():
    paid = read_stripe(intent("payment_intent.succeeded", amount_received=2599))
    assert (paid.status, str(paid.amount), paid.order.order_id) == (
        PaymentStatus.PAID,
        "25.99 GBP",
        "ord_1",
    )
    assert paid.occurred_at.timestamp() == NOW and paid.reference == "pi_1"
    assert read_stripe(intent("payment_intent.amount_capturable_updated")).status == "authorised"
    assert read_stripe(intent("payment_intent.payment_failed")).status == "failed"
    assert read_stripe(intent("payment_intent.canceled")).status == "voided"
    jpy = read_stripe(intent("payment_intent.succeeded", currency="jpy", amount_received=2599))
    assert jpy.amount.amount == Decimal(2599)  # yen have no minor unit
    part = read_stripe(intent("charge.refunded", amount_refunded=1000, payment_intent="pi_1"))
    assert (part.status, str(part.amount)) == (PaymentStatus.PARTIALLY_REFUNDED, "10.00 GBP")
    full = read_stripe(intent("charge.refunded", amount_refunded=2599))
    assert full.status == PaymentStatus.REFUNDED
    by_channel = read_stripe(
        intent("payment_intent.succeeded", metadata={"channel": "shop", "external_id": "1001"})
    )
    assert str(by_channel.order) == "shop/1001"
    assert read_stripe(intent("customer.created")) is None


def test_a_stripe_event_without_an_order_or_currency_names_the_fields():
    with pytest.raises(ValidationFailed) as failure:
        read_stripe(
            intent("payment_intent.succeeded", metadata={}, currency="zz") | {"created": "x"}
        )
    assert {e.field for e in failure.value.errors} == {
        "created",
        "data.object.currency",
        "data.object.metadata",
    }
    with pytest.raises(ValidationFailed, match="not a Stripe event"):
        read_stripe([])


def test_a_generic_notice_names_every_wrong_field():
    ok = read_generic(
        "bank",
        {
            "id": "n1",
            "channel": "web",
            "external_id": "7",
            "status": "paid",
            "occurred_at": "2026-11-23T10:00:00Z",
            "amount": "12.50",
            "currency": "EUR",
        },
    )
    assert (ok.provider, ok.status, str(ok.amount), str(ok.order)) == (
        "bank",
        PaymentStatus.PAID,
        "12.50 EUR",
        "web/7",
    )
    with pytest.raises(ValidationFailed) as failure:
        read_generic(
            "bank",
            {
                "status": "rich",
                "occurred_at": "2026-11-23T10:00:00",
                "amount": "x",
                "currency": "EUR",
            },
        )
    assert [e.field for e in failure.value.errors] == [
        "id",
        "order_id",
        "status",
        "occurred_at",
        "amount",
    ]
