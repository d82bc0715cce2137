"""Sizes and shapes are checked at the edge: a person's order that does not fit is refused
naming the field; a platform's signed order is kept with its text cut, and the cut recorded."""

import copy

import pytest

from despatch import worker
from despatch.domain.limits import MAX_LINES
from despatch.services import audit, orders
from tests.integration.test_channels import fixture, post_shopify, shop_channels  # noqa: F401

ORDER = {
    "external_id": "BIG-1",
    "currency": "GBP",
    "lines": [{"sku": "A", "quantity": 1, "unit_price": "1.00"}],
    "shipping_address": {
        "name": "Jo",
        "line1": "1 High St",
        "city": "Leeds",
        "postcode": "LS1 4DY",
        "country": "GB",
    },
}


def with_(**changes):
    body = copy.deepcopy(ORDER)
    for path, value in changes.items():
        target, *keys = body, *path.split("__")
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return body


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"customer_name": "x" * 201}, "customer_name"),
        ({"customer_email": "a" * 250 + "@x.com"}, "customer_email"),
        ({"requested_service": "s" * 65}, "requested_service"),
        ({"shipping_address__name": "n" * 201}, "shipping_address.name"),
        ({"channel": "c" * 33}, "channel"),
        ({"external_id": "e" * 129}, "external_id"),
        ({"lines": [{"sku": "A", "quantity": True, "unit_price": "1"}]}, "lines[0].quantity"),
        ({"lines": [{"sku": "A", "quantity": 1.5, "unit_price": "1"}]}, "lines[0].quantity"),
        ({"lines": [{"sku": "A", "quantity": 1, "unit_price": "1"}] * (MAX_LINES + 1)}, "lines"),
    ],
)
def test_an_api_order_that_does_not_fit_is_a_422_naming_the_field(api_call, changes, field):
    status, body = api_call("post", "/api/orders", with_(**changes))
    assert status == 422, body
    assert field in [e["field"] for e in body["errors"]]
    assert orders.list_orders().count() == 0


def test_an_order_of_exactly_the_limit_is_taken(api_call):
    lines = [{"sku": "A", "quantity": 1, "unit_price": "1"}] * MAX_LINES
    status, body = api_call("post", "/api/orders", with_(lines=lines, customer_name="y" * 200))
    assert status == 201, body


def test_a_stock_quantity_of_true_is_refused(api_call):
    body = {"sku": "A", "warehouse": "LON", "quantity": True}
    status, problem = api_call("post", "/api/stock/receive", body)
    assert status == 422 and problem["errors"][0]["field"] == "quantity"


def test_a_signed_channel_order_with_a_long_name_is_kept_cut_and_flagged(
    shop_channels,  # noqa: F811
    client,
):
    payload = fixture("shopify_order_multicurrency.json")
    payload["customer"]["first_name"] = "Z" * 300
    payload["shipping_address"]["first_name"] = "Z" * 300
    payload["shipping_address"]["name"] = "Z" * 300
    assert post_shopify(client, payload).status_code == 202
    worker.drain("w")
    order = orders.find_order("shop-de", "5678901234001")
    assert len(order.customer_name) == 200 and order.customer_name.startswith("ZZZ")
    assert len(order.shipping_address["name"]) == 200
    (flag,) = [e for e in audit.timeline(order.id) if e.action == "text_truncated"]
    assert "customer_name" in flag.detail["note"] and flag.reason_code == "too_long"


def test_a_payment_notice_with_an_overlong_event_id_is_a_422_not_a_500(shop, client, monkeypatch):
    from tests.integration.test_payments import event, unpaid

    send = stripe_sender(client, monkeypatch)
    order = unpaid()
    response = send(event("evt_" + "x" * 300, "payment_intent.succeeded", order.id, 1795430400))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "event_id"
    response = send(event("evt_ok", "k" * 100, order.id, 1795430400))
    assert response.status_code == 200


def stripe_sender(client, monkeypatch):
    import hashlib
    import hmac
    import json
    import time

    monkeypatch.setenv("DESPATCH_STRIPE_WEBHOOK_SECRET", "whsec_x")

    def send(body_object):
        body = json.dumps(body_object).encode()
        t = int(time.time())
        sig = hmac.new(b"whsec_x", f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        return client.post(
            "/api/payments/webhooks/stripe",
            body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=f"t={t},v1={sig}",
        )

    return send


def test_a_channel_price_too_large_for_its_column_fails_the_delivery_by_name(
    shop_channels,  # noqa: F811
    client,
):
    from despatch.services import channels

    payload = fixture("shopify_order_multicurrency.json")
    payload["line_items"][0]["price"] = "1e20"
    assert post_shopify(client, payload).status_code == 202
    worker.drain("w")
    (delivery,) = channels.deliveries("shop-de")
    assert delivery.status == "failed" and "too large" in delivery.error
