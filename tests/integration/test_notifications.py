"""Customer emails through a real SMTP server on 127.0.0.1, staff alerts, SMS via a signed hook."""

import json
import time
from datetime import UTC, datetime

from despatch import worker
from despatch.domain.webhooks import verify
from despatch.models import Message
from despatch.services import channels, fulfillment, notifications, orders, tracking
from tests.conftest import make_draft
from tests.integration.conftest import due_now, free_port


def ship(order):
    (shipment,) = order.shipments.all()
    fulfillment.start_picking(shipment.id, actor="t")
    fulfillment.pack(shipment.id, actor="t")
    fulfillment.despatch(shipment.id, actor="t", carrier="royalmail", tracking_number="RR1GB")
    worker.drain("t")
    return shipment


def track(status):
    tracking.record("royalmail", "RR1GB", status, datetime(2026, 11, 24, 9, tzinfo=UTC))
    worker.drain("t")


def test_the_customer_is_emailed_at_each_step_and_only_once(shop, smtp_server):
    order, _ = orders.receive_order(make_draft([("A", 1)], external_id="1001"), actor="t")
    worker.drain("t")
    assert smtp_server.subjects() == ["Your order 1001 is confirmed"]
    shipment = ship(orders.get_order(order.id))
    track("out for delivery")
    track("delivered")
    track("delivered")  # the carrier says it twice: one email
    assert smtp_server.subjects() == [
        "Your order 1001 is confirmed",
        "Your order 1001 is on its way",
        "Your order 1001 is out for delivery",
        "Your order 1001 was delivered",
    ]
    despatched = smtp_server.messages[1]
    assert despatched["To"] == "jo@example.com"
    assert despatched["From"] == "Shop <orders@shop.example>"
    text = smtp_server.text_of(despatched)
    assert "Tracking number: RR1GB" in text and "/track/RR1GB/" in text
    # the tracking link ends its line: the promised date is a sentence of its own after it
    follow = next(line for line in text.splitlines() if line.startswith("Follow it: "))
    assert follow.endswith("/track/RR1GB/") and "\nExpected by " in text, text
    html = despatched.get_body(preferencelist=("html",)).get_content()
    assert '<a href="http://127.0.0.1:8000/track/RR1GB/">RR1GB</a>' in html
    log = notifications.list_messages(order_id=order.id)
    assert {m.status for m in log} == {"sent"} and len(log) == 4
    assert {m.template for m in log} == {"confirmed", "despatched", "out_for_delivery", "delivered"}
    assert orders.get_order(order.id).status == "delivered"
    assert shipment.id in {m.key.split(":")[1] for m in log}


def test_a_refused_send_is_retried_with_backoff_and_logged(shop, monkeypatch, smtp_server):
    import os

    real_port = os.environ["DESPATCH_SMTP_PORT"]
    monkeypatch.setenv("DESPATCH_SMTP_PORT", str(free_port()))  # nothing listens there
    order, _ = orders.receive_order(make_draft([("A", 1)], external_id="1002"), actor="t")
    worker.drain("t")
    (message,) = notifications.list_messages(order_id=order.id)
    assert message.status == "retrying" and message.attempts == 1
    assert "refused the message" in message.last_error
    assert smtp_server.messages == []
    monkeypatch.setenv("DESPATCH_SMTP_PORT", real_port)
    due_now()
    worker.drain("t")
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 2 and message.last_error == ""
    assert smtp_server.subjects() == ["Your order 1002 is confirmed"]


def test_the_customers_language_and_the_channels_own_template_are_used(
    shop, smtp_server, tmp_path, monkeypatch
):
    order, _ = orders.receive_order(
        make_draft([("A", 1)], external_id="1003", extra={"language": "fr-CA"}), actor="t"
    )
    worker.drain("t")
    assert smtp_server.subjects() == ["Votre commande 1003 est confirmée"]
    assert Message.objects.get(order_id=order.id).language == "fr"
    own = tmp_path / "web"
    own.mkdir()
    (own / "despatched.txt").write_text(
        "{% set subject %}Parcel {{ shipment.tracking_number }} from {{ brand }}{% endset %}Hi!"
    )
    monkeypatch.setenv("DESPATCH_NOTIFICATION_TEMPLATES", str(tmp_path))
    other, _ = orders.receive_order(make_draft([("A", 1)], external_id="1004"), actor="t")
    worker.drain("t")
    ship(orders.get_order(other.id))
    assert smtp_server.subjects()[-1] == "Parcel RR1GB from Despatch"


def test_channels_that_forbid_customer_messages_send_none(shop, smtp_server):
    channels.configure_channel(
        code="amazon-uk",
        name="Amazon UK",
        type="api",
        settings={"notifications": {"enabled": False}},
    )
    orders.receive_order(make_draft([("A", 1)], channel="amazon-uk"), actor="t")
    worker.drain("t")
    assert smtp_server.messages == []
    assert Message.objects.count() == 0


def test_staff_alerts_go_to_staff_apart_from_customers(shop, smtp_server, monkeypatch):
    monkeypatch.setenv("DESPATCH_STAFF_ALERT_EMAILS", "ops@shop.example, lead@shop.example")
    order, _ = orders.receive_order(make_draft([("ZZZ", 1)], external_id="1005"), actor="t")
    worker.drain("t")
    assert sorted(str(m["To"]) for m in smtp_server.messages) == [
        "lead@shop.example",
        "ops@shop.example",
    ]
    assert all(s.startswith("[Despatch] unknown_sku") for s in smtp_server.subjects())
    assert {m.audience for m in Message.objects.filter(order_id=order.id)} == {"staff"}


def test_sms_goes_to_the_sellers_gateway_signed(shop, receiver, monkeypatch, smtp_server):
    monkeypatch.setenv("DESPATCH_SMS_WEBHOOK_URL", receiver.url + "/sms")
    monkeypatch.setenv("DESPATCH_SMS_WEBHOOK_SECRET", "sms-secret")
    address = make_draft().shipping_address
    draft = make_draft(
        [("A", 1)],
        external_id="1006",
        shipping_address=type(address)(**{**address.as_dict(), "phone": "+441134960000"}),
    )
    order, _ = orders.receive_order(draft, actor="t")
    worker.drain("t")
    ship(orders.get_order(order.id))
    (request,) = receiver.requests
    path, headers, body = request
    assert path == "/sms"
    assert verify("sms-secret", headers["Despatch-Signature"], body, int(time.time()))
    sent = json.loads(body)
    assert sent["to"] == "+441134960000" and "order 1006 is on its way" in sent["text"]
    sms = Message.objects.get(order_id=order.id, medium="sms")
    assert sms.status == "sent"


def test_a_parcel_past_its_promised_date_opens_a_case_and_tells_the_customer_once(
    shop, smtp_server
):
    from datetime import date

    from despatch.models import ExceptionCase, Order

    order, _ = orders.receive_order(make_draft([("A", 1)], external_id="1007"), actor="t")
    worker.drain("t")
    shipment = ship(orders.get_order(order.id))
    Order.objects.filter(id=order.id).update(promise_date=date(2026, 11, 20))
    assert tracking.warn_late(date(2026, 11, 20)) == []  # due today: not late yet
    assert tracking.warn_late(date(2026, 11, 21)) == [shipment.id]
    assert tracking.warn_late(date(2026, 11, 22)) == []  # once
    worker.drain("t")
    case = ExceptionCase.objects.get(subject=f"shipment:{shipment.id}")
    assert case.kind == "delivery_warning" and "promised Fri 20 Nov" in case.summary
    assert smtp_server.subjects()[-1] == "Your order 1007 is delayed"
    assert "not arrived by the date we promised" in smtp_server.text_of(smtp_server.messages[-1])
    track("delivered")
    case.refresh_from_db()
    assert case.status == "resolved"
