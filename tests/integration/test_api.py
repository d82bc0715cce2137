import json

import pytest

from despatch import worker
from despatch.services import tokens


def api_for(client, username, roles):
    from despatch.services import channels

    # the API's default channel may state payment status (issue 13: only a trusted channel)
    channels.configure_channel(
        code="api", name="API", type="api", settings={"trusted_payment_status": True}
    )
    tokens.ensure_user(username, "pw", roles=roles)
    token = tokens.create_token(username)

    class Api:
        def call(self, method, path, body=None, **headers):
            extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
            if method != "get":
                extra["data"] = body if isinstance(body, str) else json.dumps(body or {})
            response = getattr(client, method)(
                f"/api{path}",
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
                **extra,
            )
            return response.status_code, response.json() if response.content else None

    return Api()


@pytest.fixture
def api(shop, client):
    """An integrator's token: sends orders and reads them and stock."""
    return api_for(client, "integrator", ("integrator",))


@pytest.fixture
def ops_api(shop, client):
    """An ops manager's token: everything (warehouse floor, stock, catalogue)."""
    return api_for(client, "boss", ("ops_manager",))


ORDER = {
    "external_id": "SHOP-1001",
    "currency": "GBP",
    "lines": [{"sku": "A", "quantity": 2, "unit_price": "12.50"}],
    "shipping_address": {
        "name": "Jo",
        "line1": "1 High St",
        "city": "Leeds",
        "postcode": "LS1 4DY",
        "country": "GB",
    },
}


def test_create_returns_201_then_200_for_the_same_order(api):
    status, body = api.call("post", "/orders", ORDER)
    assert status == 201 and body["status"] == "received" and body["total"] == "25.00"
    again, replay = api.call("post", "/orders", ORDER)
    assert again == 200 and replay["id"] == body["id"]


def test_idempotency_key_stands_in_for_the_external_id(api):
    body = {k: v for k, v in ORDER.items() if k != "external_id"}
    first = api.call("post", "/orders", body, **{"Idempotency-Key": "abc-1"})
    second = api.call("post", "/orders", body, **{"Idempotency-Key": "abc-1"})
    assert (first[0], second[0]) == (201, 200) and first[1]["id"] == second[1]["id"]
    status, problem = api.call("post", "/orders", body)
    assert status == 422 and problem["errors"][0]["field"] == "external_id"


def test_a_reused_key_with_different_content_is_409(api):
    api.call("post", "/orders", ORDER)
    status, problem = api.call("post", "/orders", {**ORDER, "currency": "EUR"})
    assert status == 409 and problem["code"] == "duplicate_order"


@pytest.mark.parametrize(
    "body, field",
    [
        ({**ORDER, "currency": "GBX"}, "currency"),
        ({**ORDER, "lines": [{"sku": "A", "quantity": 0, "unit_price": "1"}]}, "lines[0].quantity"),
        (
            {**ORDER, "lines": [{"sku": "A", "quantity": -3, "unit_price": "1"}]},
            "lines[0].quantity",
        ),
        (
            {**ORDER, "lines": [{"sku": "A", "quantity": 1, "unit_price": "abc"}]},
            "lines[0].unit_price",
        ),
        ({**ORDER, "lines": []}, "lines"),
        ({k: v for k, v in ORDER.items() if k != "shipping_address"}, "shipping_address"),
    ],
)
def test_bad_input_is_a_422_problem_naming_the_field(api, body, field):
    status, problem = api.call("post", "/orders", body)
    assert status == 422
    assert problem["type"].endswith("/validation_failed") and problem["status"] == 422
    assert field in [e["field"] for e in problem["errors"]]


def test_malformed_json_is_a_400_problem(api):
    status, problem = api.call("post", "/orders", '{"currency": ')
    assert status == 400 and problem["code"] == "malformed_request"


def test_no_token_is_a_401_problem(client):
    response = client.get("/api/orders")
    assert response.status_code == 401 and response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "unauthorized"


def test_an_order_flows_to_delivered_through_the_api(ops_api):
    api = ops_api
    _, order = api.call("post", "/orders", ORDER)
    worker.drain("api-test")
    _, order = api.call("get", f"/orders/{order['id']}")
    assert order["status"] == "allocated"
    assert order["allocation"]["explanation"][0].startswith("chose LON")
    shipment = order["shipments"][0]["id"]
    for step in ("pick", "pack"):
        assert api.call("post", f"/shipments/{shipment}/{step}")[0] == 200
    status, body = api.call("post", f"/shipments/{shipment}/despatch", {"tracking_number": "TRK1"})
    assert (status, body["status"], body["tracking_number"]) == (200, "despatched", "TRK1")
    assert api.call("post", f"/shipments/{shipment}/deliver")[1]["status"] == "delivered"
    status, timeline = api.call("get", f"/orders/{order['id']}/timeline")
    last = timeline[-1]
    assert (last["subject_type"], last["before"], last["after"]) == (
        "order",
        "despatched",
        "delivered",
    )
    assert last["actor"] == "user:boss"


def test_an_illegal_change_is_a_409_naming_both_states(ops_api):
    api = ops_api
    _, order = api.call("post", "/orders", ORDER)
    api.call("post", f"/orders/{order['id']}/cancel", {"reason": "fraud"})
    status, problem = api.call("post", f"/orders/{order['id']}/cancel", {})
    assert status == 409 and problem["code"] == "invalid_transition"
    assert (problem["current"], problem["target"]) == ("cancelled", "cancelled")


def test_list_filters_and_paginates(api):
    for n in range(3):
        api.call("post", "/orders", {**ORDER, "external_id": f"L{n}"})
    status, page = api.call("get", "/orders?limit=2&channel=api")
    assert status == 200 and page["count"] == 3 and len(page["items"]) == 2
    _, found = api.call("get", "/orders?channel=api&external_id=L1")
    assert [o["external_id"] for o in found["items"]] == ["L1"]
    status, problem = api.call("get", "/orders?status=lost")
    assert status == 422 and problem["errors"][0]["field"] == "status"


def test_stock_receive_adjust_and_movements(ops_api):
    api = ops_api
    status, level = api.call(
        "post", "/stock/receive", {"sku": "D", "warehouse": "NJ", "quantity": 4}
    )
    assert status == 201 and level["available"] == 4
    status, level = api.call(
        "post",
        "/stock/adjust",
        {"sku": "D", "warehouse": "NJ", "delta": -1, "note": "broken in handling"},
    )
    assert status == 200 and level["on_hand"] == 3
    _, moves = api.call("get", "/stock/movements?sku=D")
    assert [m["quantity"] for m in moves["items"]] == [-1, 4]
    status, problem = api.call(
        "post", "/stock/receive", {"sku": "D", "warehouse": "MARS", "quantity": 1}
    )
    assert status == 422 and problem["errors"][0] == {
        "field": "warehouse",
        "message": "unknown warehouse 'MARS'",
        "code": "unknown_warehouse",
    }
    status, problem = api.call(
        "post", "/stock/adjust", {"sku": "D", "warehouse": "NJ", "delta": -10, "note": "x"}
    )
    assert status == 409 and problem["code"] == "insufficient_stock"


def test_catalogue_endpoints(ops_api):
    api = ops_api
    status, sku = api.call("put", "/skus/E", {"code": "E", "name": "Elephant", "weight_g": 900})
    assert status == 200 and sku["weight_g"] == 900
    assert api.call("get", "/skus/NOPE")[0] == 404
    short = {"code": "E", "name": "Elephant", "gtin": "12345"}  # the SKU file's rule: 8-14
    assert api.call("put", "/skus/E", short)[0] == 422
    status, wh = api.call(
        "put", "/warehouses/SYD", {"code": "SYD", "name": "Sydney", "time_zone": "Australia/Sydney"}
    )
    assert status == 200 and wh["time_zone"] == "Australia/Sydney"
    status, problem = api.call(
        "put", "/warehouses/X", {"code": "X", "name": "X", "time_zone": "Mars/Base"}
    )
    assert status == 422 and problem["errors"][0]["field"] == "time_zone"
    status, problem = api.call(
        "put", "/channels/c1", {"code": "c1", "name": "C", "warehouses": ["ZZ"]}
    )
    assert status == 422 and problem["errors"][0]["code"] == "unknown_warehouse"


def test_openapi_is_served_offline(client):
    assert client.get("/api/docs").status_code == 200
    assert "/api/orders" in client.get("/api/openapi.json").json()["paths"]


def test_ui_order_actions_need_an_order_handling_role(shop, client):
    from despatch.services import orders
    from tests.conftest import make_draft

    order, _ = orders.receive_order(make_draft([("A", 1)]), actor="test")
    tokens.ensure_user("picker1", "pw", roles=("picker",))
    client.login(username="picker1", password="pw")
    response = client.post(f"/orders/{order.id}/cancel/", follow=True)
    assert response.status_code == 403 and "orders.write" in response.content.decode()
    assert orders.get_order(order.id).status == "received"
    tokens.ensure_user("ops1", "pw", roles=("order_ops",))
    client.login(username="ops1", password="pw")
    client.post(f"/orders/{order.id}/cancel/", {"note": "duplicate"})
    assert orders.get_order(order.id).status == "cancelled"


def test_text_with_a_nul_character_is_refused_before_it_reaches_the_database(api, client):
    status, problem = api.call("post", "/orders", {**ORDER, "customer_name": "Jo\u0000"})
    assert (
        status == 400
        and problem["code"] == "nul_character"
        and problem["errors"][0]["field"] == "body"
    )
    status, problem = api.call("get", "/orders?q=%00")
    assert status == 400 and problem["errors"][0]["field"] == "query"


def test_a_webhook_sent_as_a_form_gets_a_client_error_not_a_crash(shop, client):
    from despatch.services import channels

    channels.configure_channel(code="shop", name="Shop", type="shopify", webhook_secret="k")
    response = client.post("/api/channels/shop/webhooks", {"a": "b"})  # multipart form
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    response = client.post(
        "/orders/x/hold/", "note=a%00b", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "form"


def test_a_new_order_is_answered_exactly_as_it_is_stored(api):
    """The 201 answer is built from the order just written; reading it back says the same."""
    order = {
        **ORDER,
        "external_id": "SHOP-2002",
        "customer_email": "jo@example.com",
        "shipping_price": "3.95",
        "customer_tags": ["vip"],
        "language": "en",
        "lines": [
            {"sku": "A", "quantity": 3, "unit_price": "12.50"},
            {"sku": "B", "quantity": 1, "unit_price": "0.99"},
        ],
        "billing_address": {**ORDER["shipping_address"], "name": "Jo Bloggs", "line1": "2 Low St"},
    }
    status, created = api.call("post", "/orders", order)
    assert status == 201, created
    assert [li["line_total"] for li in created["lines"]] == ["37.50", "0.99"]
    assert api.call("get", f"/orders/{created['id']}") == (200, created)
    assert api.call("post", "/orders", order) == (200, created)
