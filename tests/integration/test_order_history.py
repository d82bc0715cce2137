"""An order as it was at a moment, rebuilt from its audit trail: the answer to a dispute."""

import json
import time
from datetime import timedelta

from django.utils import timezone
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.domain import audit as chain
from despatch.services import audit, cancellations, fulfillment, orders, tokens
from tests.conftest import make_draft

runner = CliRunner()


def moment():
    """A time after everything done so far and before anything done next."""
    time.sleep(0.002)
    at = timezone.now()
    time.sleep(0.002)
    return at


def life_of_a_despatched_order():
    before = moment()
    order, _ = orders.receive_order(make_draft([("A", 2), ("C", 1)]), actor="test")
    received = moment()
    worker.drain("test-worker")
    allocated = moment()
    shipment = orders.get_order(order.id).shipments.get(warehouse_id="LON")
    for step in (fulfillment.start_picking, fulfillment.pack, fulfillment.despatch):
        step(shipment.id, actor="user:floor")
    return order.id, shipment.id, (before, received, allocated, moment())


def test_the_as_of_view_reproduces_an_order_at_three_points_of_its_life(shop):
    order_id, lon, (_, received, allocated, despatched) = life_of_a_despatched_order()

    then = audit.order_as_of(order_id, received)
    assert then.status == "received" and then.plan == {} and then.shipments == {}
    assert [(li["line_no"], li["sku"], li["quantity"]) for li in then.lines] == [
        (1, "A", 2),
        (2, "C", 1),
    ]

    then = audit.order_as_of(order_id, allocated)
    assert then.status == "allocated"
    assigned = {(a["sku"], a["warehouse"], a["quantity"]) for a in then.plan["assignments"]}
    assert assigned == {("A", "LON", 2), ("C", "NJ", 1)}
    assert {s["warehouse"]: s["status"] for s in then.shipments.values()} == {
        "LON": "allocated",
        "NJ": "allocated",
    }

    then = audit.order_as_of(order_id, despatched)
    assert then.status == "partially_despatched" == orders.get_order(order_id).status
    assert then.shipments[lon]["status"] == "despatched"
    assert then.last_change["action"] == "despatch_part"


def test_a_cancelled_order_is_shown_before_and_after_its_lines_were_cut(shop):
    order, _ = orders.receive_order(make_draft([("A", 3), ("B", 1)]), actor="test")
    worker.drain("test-worker")
    allocated = moment()
    cancellations.cancel_lines(order.id, {1: 2}, actor="user:desk")
    worker.drain("test-worker")
    cut = moment()
    cancellations.cancel_order(order.id, actor="user:desk", reason="customer_request")
    cancelled = moment()

    assert [li["quantity"] for li in audit.order_as_of(order.id, allocated).lines] == [3, 1]
    then = audit.order_as_of(order.id, cut)
    assert then.status == "allocated"
    assert [(li["quantity"], li["cancelled"]) for li in then.lines] == [(1, 2), (1, 0)]
    assert {a["quantity"] for a in then.plan["assignments"] if a["sku"] == "A"} == {1}
    then = audit.order_as_of(order.id, cancelled)
    assert then.status == "cancelled"
    assert {s["status"] for s in then.shipments.values()} == {"cancelled"}


def test_a_hold_shows_its_reason_until_released(shop):
    order, _ = orders.receive_order(make_draft([("A", 1)]), actor="test")
    orders.place_hold(order.id, actor="user:desk", note="customer rang")
    held = moment()
    orders.release_order(order.id, actor="user:desk")
    worker.drain("test-worker")
    released = moment()
    assert (
        audit.order_as_of(order.id, held).status,
        audit.order_as_of(order.id, held).hold_reason,
    ) == (
        "on_hold",
        "manual",
    )
    assert audit.order_as_of(order.id, released).hold_reason == ""
    assert audit.order_as_of(order.id, released).status == "allocated"


def test_the_api_and_the_cli_answer_as_of_and_refuse_a_time_before_the_order(shop, client):
    order_id, _, (before, received, allocated, _) = life_of_a_despatched_order()
    tokens.ensure_user("desk", "pw", roles=("order_ops",))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('desk')}"}
    url = f"/api/orders/{order_id}"

    shown = client.get(url, {"as_of": chain.format_at(allocated)}, **auth)
    assert shown.status_code == 200, shown.content
    assert (
        shown.json()["status"] == "allocated" and len(shown.json()["allocation"]["shipments"]) == 2
    )
    assert client.get(url, **auth).json()["status"] == "partially_despatched"

    early = client.get(url, {"as_of": chain.format_at(before)}, **auth)
    assert early.status_code == 404
    assert "did not exist yet" in early.json()["detail"] and "received at" in early.json()["detail"]
    bad = client.get(url, {"as_of": "tomorrow"}, **auth)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "as_of"
    missing = client.get("/api/orders/ord_nope", {"as_of": "2026-05-01T12:00Z"}, **auth)
    assert missing.status_code == 404

    result = runner.invoke(
        app, ["orders", "show", order_id, "--as-of", chain.format_at(received), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "received"
    text = runner.invoke(app, ["orders", "show", order_id, "--as-of", chain.format_at(allocated)])
    assert text.exit_code == 0 and "allocated" in text.output and "2 x A from LON" in text.output
    too_early = (before - timedelta(days=1)).date().isoformat()
    refused = runner.invoke(app, ["orders", "show", order_id, "--as-of", too_early])
    assert refused.exit_code == 1 and "did not exist yet" in refused.output
