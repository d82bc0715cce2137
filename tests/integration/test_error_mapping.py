"""Every error the API documents answers as a problem body, never an HTML page or a 500."""

import json

from despatch import worker
from despatch.services import fulfillment, orders
from tests.conftest import make_draft


def _despatched_order():
    order, _ = orders.receive_order(make_draft([("A", 1)]), actor="t")
    worker.drain("t")
    (shipment,) = orders.get_order(order.id).shipments.all()
    for step in (fulfillment.start_picking, fulfillment.pack):
        step(shipment.id, actor="t")
    fulfillment.despatch(shipment.id, actor="t", carrier="dpd", tracking_number="DPD1")
    return order


def test_cancelling_a_despatched_order_is_a_409_not_cancellable(api_call):
    order = _despatched_order()
    status, body = api_call("post", f"/api/orders/{order.id}/cancel", {"reason": "fraud"})
    assert (status, body["code"], body["status"]) == (409, "not_cancellable", 409)
    assert body["current_status"] == "despatched" and "intercept" in body["detail"]


def test_an_unknown_api_route_is_a_404_problem(api_call, client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_a_wrong_method_is_a_405_problem_naming_the_allowed_ones(api_call, client):
    response = client.delete("/api/orders")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_the_web_ui_keeps_its_own_404_page(client):
    response = client.get("/no-such-page/deeper/still/")
    assert response.status_code == 404 and "problem" not in response["Content-Type"]


def test_the_webhook_delivery_log_is_reachable(api_call):
    status, body = api_call("get", "/api/webhooks/deliveries")
    assert (status, body) == (200, [])


def test_a_body_over_the_limit_is_a_413_problem(api_call, client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post(
        "/api/orders", data=json.dumps({"external_id": "x" * 2000}), content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "body"


def test_json_nested_too_deeply_is_a_400_problem(api_call, client):
    deep = "[" * 5000 + "]" * 5000
    response = client.post("/api/orders", data=deep, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "too_deep"
    response = client.post("/api/channels/x/webhooks", data=deep, content_type="text/plain")
    assert response.status_code == 400 and response.json()["code"] == "too_deep"
    shallow = json.dumps({"note": "[[[[{{{{" * 100})  # brackets inside strings do not count
    response = client.post("/api/orders", data=shallow, content_type="application/json")
    assert response.status_code not in (400, 500)


def test_a_time_with_an_offset_no_database_keeps_is_converted_or_refused(api_call):
    from urllib.parse import quote

    status, body = api_call(
        "get", "/api/returns/reasons?since=" + quote("0873-12-20T08:01:29+18:56")
    )
    assert status == 200, body
    status, body = api_call("get", "/api/returns/reasons?since=" + quote("0001-01-01T00:00+05:00"))
    assert status == 422 and body["errors"][0]["field"] == "since"
    order = _despatched_order()
    when = quote("2030-01-01T00:00+18:56")
    status, body = api_call("get", f"/api/orders/{order.id}?as_of={when}")
    assert status == 200, body
