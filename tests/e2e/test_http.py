"""The API over real HTTP against a running server and worker."""

ORDER = {
    "channel": "shop",
    "currency": "GBP",
    "lines": [
        {"sku": "MUG-1", "quantity": 2, "unit_price": "8.00"},
        {"sku": "TEE-1", "quantity": 1, "unit_price": "15.00"},
    ],
    "shipping_address": {
        "name": "Ada Okafor",
        "line1": "4 Quay St",
        "city": "Bristol",
        "postcode": "BS1 4DJ",
        "country": "GB",
    },
    "customer_name": "Ada Okafor",
}


def test_an_order_goes_from_capture_to_delivery_over_http(server):
    status, order = server.call("POST", "/orders", ORDER, headers={"Idempotency-Key": "e2e-1"})
    assert status == 201
    status, replay = server.call("POST", "/orders", ORDER, headers={"Idempotency-Key": "e2e-1"})
    assert (status, replay["id"]) == (200, order["id"])

    allocated = server.wait_for(
        lambda: (
            (o := server.call("GET", f"/orders/{order['id']}")[1])["status"] == "allocated" and o
        ),
        "the worker allocating the order",
    )
    assert allocated["allocation"]["split"] is True
    assert sorted(s["warehouse"] for s in allocated["shipments"]) == ["LON", "NJ"]

    for shipment in allocated["shipments"]:
        for step in ("pick", "pack", "despatch", "deliver"):
            status, body = server.call("POST", f"/shipments/{shipment['id']}/{step}", {})
            assert status == 200, body
    status, done = server.call("GET", f"/orders/{order['id']}")
    assert done["status"] == "delivered"
    status, page = server.call("GET", "/stock/movements?sku=MUG-1")
    assert page["items"][0]["reason"] == "despatch" and page["items"][0]["quantity"] == -2


def test_bad_requests_get_problem_bodies_over_http(server):
    status, problem = server.call("POST", "/orders", raw=b"{not json")
    assert status == 400 and problem["code"] == "malformed_request"
    status, problem = server.call(
        "POST", "/orders", {**ORDER, "external_id": "x", "currency": "ZZZ"}
    )
    assert status == 422 and problem["errors"][0]["field"] == "currency"
    status, problem = server.call("POST", "/orders/ord_nope/cancel", {})
    assert status == 404 and problem["code"] == "not_found"


def test_an_unknown_sku_is_kept_on_hold_not_dropped(server):
    body = {
        **ORDER,
        "external_id": "ghost-1",
        "lines": [{"sku": "GHOST", "quantity": 1, "unit_price": "1"}],
    }
    status, order = server.call("POST", "/orders", body)
    assert status == 201
    held = server.wait_for(
        lambda: (o := server.call("GET", f"/orders/{order['id']}")[1])["status"] == "on_hold" and o,
        "the order being held",
    )
    assert held["hold_reason"] == "unknown_sku"


def test_a_signed_shopify_webhook_becomes_an_order_once(server):
    import json
    import urllib.request
    from pathlib import Path

    from despatch.integrations.channels.base import sign_base64

    payload = json.loads(
        (
            Path(__file__).parents[1] / "fixtures" / "channels" / "shopify_order_multicurrency.json"
        ).read_text()
    )
    payload["line_items"][0]["sku"], payload["line_items"][1]["sku"] = "MUG-1", "TEE-1"
    body = json.dumps(payload).encode()

    def deliver(signature):
        request = urllib.request.Request(
            f"{server.url}/api/channels/shop/webhooks",
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Shopify-Topic": "orders/create",
                "X-Shopify-Webhook-Id": "e2e-wh-1",
                "X-Shopify-Hmac-Sha256": signature,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    assert deliver("Zm9yZ2Vk") == 401
    assert deliver(sign_base64("e2e-secret", body)) == 202
    assert deliver(sign_base64("e2e-secret", body)) == 200
    found = server.wait_for(
        lambda: server.call("GET", "/orders?channel=shop&external_id=5678901234001")[1]["items"],
        "the worker creating the order",
    )
    assert len(found) == 1 and found[0]["customer_name"] == "Zoë Łukasiewicz"
    order = server.wait_for(
        lambda: (
            (o := server.call("GET", f"/orders/{found[0]['id']}")[1])["status"] == "allocated" and o
        ),
        "allocation",
    )
    assert order["total"] == "67.08"
