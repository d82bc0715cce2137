"""Cancellations and refunds made in Despatch reach the platform through its own API, against
local fake platform servers answering as each platform documents."""

from dataclasses import replace
from decimal import Decimal

import pytest

from despatch import worker
from despatch.domain.money import Money
from despatch.domain.orders import LineDraft
from despatch.integrations.channels import http
from despatch.models import AuditEntry, ExceptionCase, OutboxEvent
from despatch.services import (
    cancellations,
    channels,
    fulfillment,
    orders,
    platform_sync,
    refunds,
)
from tests.conftest import make_draft
from tests.integration.conftest import due_now
from tests.integration.fake_platforms import Answer, fake_platform

pytestmark = pytest.mark.django_db

# platform, its order ID, its line IDs for lines 1 and 2
ORDERS = {
    "shopify": ("450789469", ("466157049", "518995019")),
    "woocommerce": ("727", ("315", "316")),
    "bigcommerce": ("100", ("64", "65")),
    "ebay": ("12-34567-89012", ("10000000001", "10000000002")),
    "amazon": ("202-1234567-1234567", ("52986411826454", "52986411826455")),
}


def answers(method, path, body):
    """Each platform's documented answer to the calls Despatch makes."""
    if path.endswith("/cancel.json"):
        return Answer(200, {"order": {"id": 450789469, "cancelled_at": "2026-11-23T10:00:00Z"}})
    if path.endswith("/refunds/calculate.json"):
        suggested = {"parent_id": 801038806, "amount": "9.99", "kind": "suggested_refund"}
        return Answer(200, {"refund": {"transactions": [{**suggested, "gateway": "bogus"}]}})
    if path.endswith("/refunds.json"):
        return Answer(201, {"refund": {"id": 929361464, "order_id": 450789469}})
    if path.startswith("/wp-json/wc/v3/orders/727/refunds"):
        return Answer(201, {"id": 726, "amount": body["amount"]})
    if path.startswith("/wp-json/wc/v3/orders/727"):
        return Answer(200, {"id": 727, "status": body["status"]})
    if path.endswith("/refund_quotes"):
        method_ = {"provider_id": "braintree", "amount": 9.99, "offline": False}
        return Answer(201, {"data": {"order_id": 100, "refund_methods": [[method_]]}})
    if path.endswith("/payment_actions/refunds"):
        return Answer(201, {"data": {"id": 4, "order_id": 100}})
    if path == "/v2/orders/100":
        return Answer(200, {"id": 100, "status_id": body["status_id"]})
    if path == "/post-order/v2/cancellation":
        return Answer(201, {"cancelId": "5000012345"})
    if path.endswith("/issue_refund"):
        return Answer(200, {"refundId": "5000000001", "refundStatus": "PENDING"})
    return Answer(404, {"errors": ["not here"]})


@pytest.fixture
def platform(shop):
    with fake_platform(route=answers) as fake:
        for kind in ORDERS:
            channels.configure_channel(
                code=kind, name=kind, type=kind, api_url=fake.url, token="tok", warehouses=["LON"]
            )
        yield fake


def draft(kind, **changes):
    external_id, line_ids = ORDERS[kind]
    lines = tuple(
        LineDraft(sku, 1, Money(Decimal("9.99"), "GBP"), "", None, line_id)
        for sku, line_id in zip(("A", "B"), line_ids, strict=True)
    )
    return replace(make_draft(channel=kind, external_id=external_id, **changes), lines=lines)


def received(kind):
    order, _ = orders.receive_order(draft(kind), actor="t")
    worker.drain("w")
    return orders.get_order(order.id)


CANCELS = {
    "shopify": ("POST", "/admin/api/2025-01/orders/450789469/cancel.json", "reason", "customer"),
    "woocommerce": ("PUT", "/wp-json/wc/v3/orders/727", "status", "cancelled"),
    "bigcommerce": ("PUT", "/v2/orders/100", "status_id", 5),
    "ebay": ("POST", "/post-order/v2/cancellation", "cancelReason", "BUYER_ASKED_CANCEL"),
}


@pytest.mark.parametrize("kind", sorted(CANCELS))
def test_a_cancellation_in_despatch_cancels_the_order_on_its_platform(platform, kind):
    order = received(kind)
    platform.requests.clear()
    cancellations.cancel_order(order.id, actor="user:ops", reason="customer_request")
    worker.drain("w")
    method, path, field, value = CANCELS[kind]
    (call,) = platform.requests
    assert (call["method"], call["path"], call["body"][field]) == (method, path, value)
    (action,) = orders.get_order(order.id).platform_actions
    assert (action["action"], action["status"]) == ("cancel", "done")
    assert AuditEntry.objects.filter(order_id=order.id, action="platform_cancel_done").exists()
    again = platform_sync.cancel_on_platform(
        order.id, reason="customer_request", lines=None, key=f"cancel:{order.id}", attempt=1
    )
    assert again == "already_done" and len(platform.requests) == 1


def test_a_cancellation_the_platform_sent_is_not_sent_back(platform):
    order = received("shopify")
    platform.requests.clear()
    assert cancellations.cancel_for_channel(order.id, actor="channel:shopify") == "cancelled"
    worker.drain("w")
    assert platform.requests == [] and orders.get_order(order.id).platform_actions == []


def test_amazon_cancellations_become_a_task_on_seller_central(platform):
    order = received("amazon")
    platform.requests.clear()
    cancellations.cancel_order(order.id, actor="user:ops", reason="out_of_stock")
    worker.drain("w")
    assert platform.requests == []
    (action,) = orders.get_order(order.id).platform_actions
    assert action["status"] == "by_hand" and "Seller Central" in action["answer"]
    case = ExceptionCase.objects.get(order_id=order.id, kind="platform_action", status="open")
    assert case.queue == "channels" and "Seller Central" in case.summary


def test_cancelled_lines_go_to_shopify_and_are_a_task_elsewhere(platform):
    order = received("shopify")
    woo = received("woocommerce")
    platform.requests.clear()
    cancellations.cancel_lines(order.id, {2: 1}, actor="user:ops")
    cancellations.cancel_lines(woo.id, {2: 1}, actor="user:ops")
    worker.drain("w")
    (call,) = platform.requests
    assert call["path"] == "/admin/api/2025-01/orders/450789469/refunds.json"
    assert call["body"]["refund"]["refund_line_items"] == [
        {"line_item_id": 518995019, "quantity": 1, "restock_type": "cancel"}
    ]
    assert "transactions" not in call["body"]["refund"]  # no money moves
    assert orders.get_order(order.id).platform_actions[0]["status"] == "done"
    (task,) = orders.get_order(woo.id).platform_actions
    assert task["status"] == "by_hand" and "cancels whole orders only" in task["answer"]


def test_an_outage_is_retried_and_a_refusal_opens_a_case(shop, monkeypatch):
    monkeypatch.setattr(http, "BACKOFF", (0.0,))
    script = {"n": 0}

    def flaky(method, path, body):
        script["n"] += 1
        if path.endswith("/cancel.json") and script["n"] <= http.ATTEMPTS:
            return Answer(503, {"errors": "Service unavailable"})
        if path.endswith("/cancel.json") and "/1001/" in path:
            return Answer(422, {"error": "Order cannot be cancelled. Order has been fulfilled"})
        return answers(method, path, body)

    with fake_platform(route=flaky) as fake:
        channels.configure_channel(code="shopify", name="s", type="shopify", api_url=fake.url)
        order = received("shopify")
        cancellations.cancel_order(order.id, actor="user:ops")
        worker.drain("w")
        event = OutboxEvent.objects.get(topic="order.cancelled")
        assert event.status == "pending" and event.attempts == 1 and "503" in event.last_error
        assert orders.get_order(order.id).platform_actions == []
        due_now()
        worker.drain("w")
        assert orders.get_order(order.id).platform_actions[0]["status"] == "done"
        other, _ = orders.receive_order(
            make_draft(channel="shopify", external_id="1001"), actor="t"
        )
        worker.drain("w")
        cancellations.cancel_order(other.id, actor="user:ops")
        worker.drain("w")
    (refused,) = orders.get_order(other.id).platform_actions
    assert refused["status"] == "refused" and "already" not in refused["answer"]
    assert "cannot be cancelled" in refused["answer"]
    case = ExceptionCase.objects.get(order_id=other.id, kind="platform_action")
    assert case.status == "open" and "refused" in case.summary


REFUNDS = {
    "shopify": ("/admin/api/2025-01/orders/450789469/refunds.json", "refund:929361464"),
    "woocommerce": ("/wp-json/wc/v3/orders/727/refunds", "refund:726"),
    "bigcommerce": ("/v3/orders/100/payment_actions/refunds", "refund:4"),
    "ebay": ("/sell/fulfillment/v1/order/12-34567-89012/issue_refund", "refund:5000000001:PENDING"),
}


@pytest.mark.parametrize("kind", sorted(REFUNDS))
def test_an_approved_refund_refunds_the_lines_on_the_platform(platform, kind):
    _, line_ids = ORDERS[kind]
    order = _delivered(kind)
    platform.requests.clear()
    refund = refunds.request_refund(order.id, lines={2: 1}, actor="user:support")
    worker.drain("w")
    refund.refresh_from_db()
    path, reference = REFUNDS[kind]
    assert refund.status == "succeeded", refund.last_error
    assert refund.provider_reference == reference
    sent = {r["path"]: r["body"] for r in platform.requests}
    body = sent[path]
    if kind == "shopify":
        assert body["refund"]["refund_line_items"][0]["line_item_id"] == int(line_ids[1])
        assert body["refund"]["transactions"] == [
            {"parent_id": 801038806, "amount": "9.99", "kind": "refund", "gateway": "bogus"}
        ]
    elif kind == "woocommerce":
        assert body["amount"] == "9.99" and body["api_refund"] is True
        assert body["line_items"] == [{"id": 316, "quantity": 1, "refund_total": "9.99"}]
    elif kind == "bigcommerce":
        assert body["items"] == [{"item_type": "PRODUCT", "item_id": 65, "quantity": 1}]
        assert body["payments"] == [{"provider_id": "braintree", "amount": 9.99, "offline": False}]
    else:
        assert body["refundItems"] == [
            {"lineItemId": line_ids[1], "refundAmount": {"currency": "GBP", "value": "9.99"}}
        ]
    placed = orders.get_order(order.id)
    assert placed.payment_status == "partially_refunded"
    assert placed.platform_actions[-1]["action"] == "refund"


def _delivered(kind):
    order = received(kind)
    for shipment in order.shipments.all():
        fulfillment.start_picking(shipment.id, actor="t")
        fulfillment.pack(shipment.id, actor="t")
        fulfillment.despatch(shipment.id, actor="t", carrier="dpd", tracking_number="")
        fulfillment.deliver(shipment.id, actor="t")
    worker.drain("t")
    return orders.get_order(order.id)


def test_an_amazon_refund_is_a_task_and_fails_until_done_there(platform):
    order = _delivered("amazon")
    refund = refunds.request_refund(order.id, lines={1: 1}, actor="user:support")
    worker.drain("w")
    refund.refresh_from_db()
    assert refund.status == "failed" and "Seller Central" in refund.last_error
    assert ExceptionCase.objects.filter(order_id=order.id, kind="platform_action").exists()


def test_the_order_page_and_api_show_what_the_platform_answered(platform, api_call, client):
    from despatch.services import tokens

    order = received("shopify")
    cancellations.cancel_order(order.id, actor="user:ops", reason="customer_request")
    worker.drain("w")
    status, shown = api_call("get", f"/api/orders/{order.id}")
    assert status == 200
    (action,) = shown["platform_actions"]
    assert action["status"] == "done" and action["answer"].startswith("cancelled_at:2026-11-23")
    tokens.ensure_user("viewer", "pw", roles=("order_ops",))
    client.login(username="viewer", password="pw")
    page = client.get(f"/orders/{order.id}/").content.decode()
    assert "Told the platform" in page and "cancelled_at:2026-11-23T10:00:00Z" in page
