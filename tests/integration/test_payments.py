"""Payment notices through the webhooks: applied once, the latest wins, holds follow money."""

import hashlib
import hmac
import json
import time

import pytest
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.domain.orders import PaymentStatus
from despatch.models import AuditEntry, ExceptionCase, PaymentEvent
from despatch.services import orders, tokens
from tests.conftest import make_draft
from tests.integration.conftest import level

SECRET = "whsec_local"


@pytest.fixture
def stripe(shop, client, monkeypatch):
    monkeypatch.setenv("DESPATCH_STRIPE_WEBHOOK_SECRET", SECRET)

    def send(event, secret=SECRET, at=None):
        body = json.dumps(event).encode()
        t = int(at or time.time())
        sig = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        return client.post(
            "/api/payments/webhooks/stripe",
            body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=f"t={t},v1={sig}",
        )

    return send


def event(event_id, kind, order_id, created, **obj):
    data = {"id": "pi_7", "currency": "gbp", "amount": 999, "amount_received": 999}
    data["metadata"] = {"despatch_order_id": order_id}
    return {
        "id": event_id,
        "type": kind,
        "created": created,
        "data": {"object": {**data, **obj}},
    }


def unpaid(lines=(("A", 1),)):
    order, _ = orders.receive_order(
        make_draft(lines, payment_status=PaymentStatus.PENDING), actor="t"
    )
    worker.drain("w")
    return orders.get_order(order.id)


def test_a_payment_releases_the_held_order_once(stripe):
    order = unpaid()
    assert (order.status, order.hold_reason) == ("on_hold", "awaiting_payment")
    now = int(time.time())
    paid = event("evt_1", "payment_intent.succeeded", order.id, now)
    answer = stripe(paid)
    assert answer.status_code == 200, answer.content
    assert answer.json()["outcome"] == "applied" and answer.json()["payment_status"] == "paid"
    worker.drain("w")
    assert orders.get_order(order.id).status == "allocated"
    case = ExceptionCase.objects.get(order=order)
    assert (case.status, case.resolution) == ("resolved", "auto")
    again = stripe(paid)  # Stripe retries: nothing changes
    assert again.json()["outcome"] == "duplicate"
    assert PaymentEvent.objects.count() == 1
    assert AuditEntry.objects.filter(order_id=order.id, action="payment_changed").count() == 1


def test_an_older_notice_after_a_newer_one_changes_nothing(stripe):
    order = unpaid()
    now = int(time.time())
    stripe(event("evt_new", "payment_intent.succeeded", order.id, now))
    late = stripe(event("evt_old", "payment_intent.processing", order.id, now - 60))
    assert late.json()["outcome"] == "stale"
    assert orders.get_order(order.id).payment_status == "paid"


def test_a_failed_payment_holds_an_order_before_the_warehouse_and_frees_its_stock(stripe):
    order, _ = orders.receive_order(make_draft([("C", 9)]), actor="t")  # 3 in NJ: backordered
    worker.drain("w")
    assert orders.get_order(order.id).status == "backordered" and level("C", "NJ") == (3, 3)
    failed = stripe(event("evt_f", "payment_intent.payment_failed", order.id, int(time.time())))
    assert failed.json()["order_status"] == "on_hold"
    assert level("C", "NJ") == (3, 0)  # its stock went back
    case = ExceptionCase.objects.get(order_id=order.id, status="open")
    assert case.kind == "awaiting_payment" and "payment failed" in case.summary


def test_refunds_and_unknown_orders_and_ignored_types(stripe):
    order = unpaid()
    now = int(time.time())
    stripe(event("evt_p", "payment_intent.succeeded", order.id, now - 10))
    refund = event("evt_r", "charge.refunded", order.id, now, amount_refunded=400)
    assert stripe(refund).json()["payment_status"] == "partially_refunded"
    lost = stripe(event("evt_x", "payment_intent.succeeded", "ord_nobody", now))
    assert lost.status_code == 200 and lost.json()["outcome"] == "no_order"
    assert PaymentEvent.objects.get(event_id="evt_x").order_ref == "ord_nobody"  # kept
    ignored = stripe({"id": "evt_c", "type": "customer.created", "created": now, "data": {}})
    assert ignored.json() == {"event_id": "evt_c", "outcome": "ignored"}


def test_forged_stale_and_malformed_webhooks_are_refused(stripe):
    order = unpaid()
    paid = event("evt_1", "payment_intent.succeeded", order.id, int(time.time()))
    assert stripe(paid, secret="whsec_forged").status_code == 401
    old = stripe(paid, at=time.time() - 3600)
    assert old.status_code == 401 and "tolerance" in old.json()["detail"]
    bad = stripe(event("evt_2", "payment_intent.succeeded", "", int(time.time())))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "data.object.metadata"
    assert PaymentEvent.objects.count() == 0
    assert orders.get_order(order.id).status == "on_hold"


def test_a_generic_provider_and_a_manual_payment(shop, client, monkeypatch):
    monkeypatch.setenv("DESPATCH_PAYMENTS_SECRET_BANK", "bank-key")
    order = unpaid()
    body = json.dumps(
        {
            "id": "bank-42",
            "channel": order.channel,
            "external_id": order.external_id,
            "status": "authorised",
            "occurred_at": "2026-11-23T10:00:00Z",
            "amount": "9.99",
            "currency": "GBP",
        }
    ).encode()
    signature = hmac.new(b"bank-key", body, hashlib.sha256).hexdigest()
    answer = client.post(
        "/api/payments/webhooks/bank",
        body,
        content_type="application/json",
        HTTP_X_DESPATCH_SIGNATURE=signature,
    )
    assert answer.status_code == 200 and answer.json()["payment_status"] == "authorised"
    other = unpaid()
    runner = CliRunner()
    tokens.ensure_user("kim", "pw", roles=("finance",))  # --by names a user who may
    done = runner.invoke(
        app,
        ["payments", "record", other.id, "--status", "paid", "--amount", "9.99", "--by", "kim"],
    )
    assert done.exit_code == 0, done.output
    assert "payment paid" in done.output
    assert AuditEntry.objects.get(order_id=other.id, action="payment_changed").actor == "user:kim"
    bad = runner.invoke(app, ["payments", "record", other.id, "--status", "paid", "--amount", "x"])
    assert bad.exit_code == 1 and "'x' is not a number" in bad.output
    listed = runner.invoke(app, ["payments", "list", other.id])
    assert listed.exit_code == 0 and "manual" in listed.output


def test_a_full_stripe_refund_before_picking_holds_the_order_for_finance(stripe):
    order = unpaid()
    now = int(time.time())
    stripe(event("evt_p", "payment_intent.succeeded", order.id, now - 10))
    worker.drain("w")
    assert orders.get_order(order.id).status == "allocated"
    refund = event("evt_full", "charge.refunded", order.id, now, amount_refunded=999)
    assert stripe(refund).json()["order_status"] == "on_hold"
    order = orders.get_order(order.id)
    assert (order.payment_status, order.hold_reason) == ("refunded", "payment_refunded")
    assert level("C", "NJ") == (3, 0)  # its stock went back
    case = ExceptionCase.objects.get(order_id=order.id, kind="payment_refunded")
    assert case.queue == "finance" and "stripe" in case.summary
