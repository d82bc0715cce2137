"""Cancellations at every stage: stock correct afterwards, put-away tasks, intercepts, lines."""

import pytest

from despatch import worker
from despatch.domain.cancellations import NotCancellable
from despatch.domain.errors import InvalidTransition, ValidationFailed
from despatch.models import ExceptionCase, PickTask, PutAwayTask
from despatch.services import cancellations, fulfillment, inventory, orders
from tests.conftest import make_draft
from tests.integration.conftest import level
from tests.integration.test_fulfillment import allocated
from tests.integration.test_picking_floor import floor  # noqa: F401  (a fixture)


def test_before_pick_the_stock_goes_back_and_to_the_order_waiting_for_it(shop):
    first = allocated([("A", 10)])
    waiting = allocated([("A", 3)])
    assert waiting.status == "backordered" and level("A", "LON") == (10, 10)
    cancellations.cancel_order(first.id, actor="user:support", reason="customer_request")
    assert level("A", "LON") == (10, 0)
    worker.drain("t")  # stock.freed: offered to the order waiting for it
    assert orders.get_order(waiting.id).status == "allocated"
    assert level("A", "LON") == (10, 3)
    cancelled = orders.get_order(first.id)
    assert cancelled.status == "cancelled"
    assert {s.status for s in cancelled.shipments.all()} == {"cancelled"}
    assert inventory.ledger_breaks() == []


def test_while_picking_picked_units_get_put_away_tasks_and_the_shipment_stops(floor):  # noqa: F811
    order = allocated([("A", 2), ("B", 1)])
    (shipment,) = order.shipments.all()
    fulfillment.start_picking(shipment.id, actor="user:picker")
    cancellations.cancel_order(order.id, actor="user:support", reason="customer_request")
    tasks = {t.sku_id: t for t in cancellations.put_away_tasks(warehouse="LON")}
    assert {(s, t.quantity, t.location) for s, t in tasks.items()} == {
        ("A", 2, "A05-B19-L"),
        ("B", 1, "A01-B02-R"),
    }
    assert level("A", "LON") == (10, 0) and level("B", "LON") == (2, 0)  # never left
    with pytest.raises(InvalidTransition, match="'cancelled' to 'packed'"):
        fulfillment.pack(shipment.id, actor="user:packer")
    from despatch.domain.errors import Conflict

    with pytest.raises(Conflict, match="lives in A05-B19-L"):
        cancellations.complete_put_away(tasks["A"].id, actor="user:picker", location="Z99")
    done = cancellations.complete_put_away(tasks["A"].id, actor="user:picker", location="a05-b19-l")
    assert done.status == "done" and done.done_by == "user:picker"
    again = cancellations.complete_put_away(tasks["A"].id, actor="user:other")
    assert again.done_by == "user:picker"  # done once
    assert [t.sku_id for t in cancellations.put_away_tasks()] == ["B"]
    assert inventory.ledger_breaks() == []


def test_only_the_picked_units_of_a_pick_list_are_put_away(floor):  # noqa: F811
    from despatch.services import waves

    order = allocated([("A", 3)])
    waves.release("LON", actor="t")
    (task,) = PickTask.objects.filter(shipment__order_id=order.id)
    PickTask.objects.filter(id=task.id).update(picked=1)  # one unit in the tote
    cancellations.cancel_order(order.id, actor="t", reason="out_of_stock")
    (put,) = PutAwayTask.objects.filter(order_id=order.id)
    assert put.quantity == 1
    task.refresh_from_db()
    assert task.status == "cancelled"


def test_a_packed_order_puts_every_unit_away(shop):
    order = allocated([("A", 2)])
    (shipment,) = order.shipments.all()
    fulfillment.start_picking(shipment.id, actor="t")
    fulfillment.pack(shipment.id, actor="t")
    cancellations.cancel_order(order.id, actor="t", reason="fraud")
    assert [(t.sku_id, t.quantity) for t in cancellations.put_away_tasks()] == [("A", 2)]
    assert level("A", "LON") == (10, 0)


def test_after_despatch_it_is_an_intercept_not_a_cancellation(shop):
    order = allocated([("A", 1)])
    (shipment,) = order.shipments.all()
    with pytest.raises(NotCancellable, match="only a despatched parcel"):
        cancellations.request_intercept(shipment.id, actor="t", reason="customer_request")
    for step in (fulfillment.start_picking, fulfillment.pack):
        step(shipment.id, actor="t")
    fulfillment.despatch(shipment.id, actor="t", carrier="dpd", tracking_number="DPD1")
    with pytest.raises(NotCancellable, match="request an intercept"):
        cancellations.cancel_order(order.id, actor="t")
    cancellations.request_intercept(
        shipment.id, actor="user:support", reason="customer_request", note="moved house"
    )
    case = ExceptionCase.objects.get(kind="intercept")
    assert case.queue == "delivery" and "ask dpd to stop DPD1" in case.summary
    assert level("A", "LON") == (9, 0)  # despatched stock stays despatched


def test_cancelling_a_line_before_picking_replans_what_remains(shop):
    order = allocated([("A", 3), ("C", 2)])  # A only in LON, C only in NJ: a split
    assert sorted(s.warehouse_id for s in order.shipments.all()) == ["LON", "NJ"]
    cancellations.cancel_lines(order.id, {2: 2}, actor="user:support", reason="out_of_stock")
    order = orders.get_order(order.id)
    assert order.status == "allocated"
    live = [s for s in order.shipments.all() if s.status != "cancelled"]
    assert [(s.warehouse_id, [(li.sku_id, li.quantity) for li in s.lines.all()]) for s in live] == [
        ("LON", [("A", 3)])
    ]
    line = order.lines.get(line_no=2)
    assert (line.quantity, line.cancelled) == (0, 2)
    assert level("C", "NJ") == (3, 0) and level("A", "LON") == (10, 3)
    cancellations.cancel_lines(order.id, {1: 1}, actor="t", reason="customer_request")
    assert level("A", "LON") == (10, 2)
    cancellations.cancel_lines(order.id, {1: 2}, actor="t", reason="customer_request")
    assert orders.get_order(order.id).status == "cancelled"  # nothing left: the whole order
    assert level("A", "LON") == (10, 0)
    assert inventory.ledger_breaks() == []


def test_line_cancels_are_checked(shop):
    order = allocated([("A", 2), ("B", 1)])
    with pytest.raises(ValidationFailed) as caught:
        cancellations.cancel_lines(order.id, {1: 3, 7: 1}, actor="t")
    assert {e.field: e.message for e in caught.value.errors} == {
        "lines[1]": "cannot cancel 3: the line has 2 left",
        "lines[7]": "the order has no line 7",
    }
    with pytest.raises(ValidationFailed, match="not a cancel reason"):
        cancellations.cancel_order(order.id, actor="t", reason="bored")
    (shipment,) = order.shipments.all()
    fulfillment.start_picking(shipment.id, actor="t")
    with pytest.raises(NotCancellable, match="only before picking"):
        cancellations.cancel_lines(order.id, {1: 1}, actor="t")


def test_cancellations_over_the_api(api_call, smtp_server):
    order, _ = orders.receive_order(make_draft([("A", 2), ("B", 1)], external_id="C9"), actor="t")
    worker.drain("t")
    status, body = api_call(
        "post", f"/api/orders/{order.id}/cancel-lines", {"lines": [{"line_no": 2, "quantity": 1}]}
    )
    assert status == 200, body
    assert [(li["sku"], li["quantity"], li["cancelled"]) for li in body["lines"]] == [
        ("A", 2, 0),
        ("B", 0, 1),
    ]
    status, body = api_call("post", f"/api/orders/{order.id}/cancel", {"reason": "bored"})
    assert status == 422 and body["errors"][0]["field"] == "reason"
    worker.drain("t")
    assert "Part of your order C9 was cancelled" in smtp_server.subjects()
    status, body = api_call("post", f"/api/orders/{order.id}/cancel", {"reason": "duplicate"})
    assert status == 200 and body["status"] == "cancelled"
    worker.drain("t")
    assert smtp_server.subjects()[-1] == "Your order C9 was cancelled"
    assert "it duplicated another order" in smtp_server.text_of(smtp_server.messages[-1])


def test_the_cli_names_its_own_intercept_command_for_a_despatched_order(shop):
    from typer.testing import CliRunner

    from despatch.cli.app import app

    order = allocated([("A", 1)])
    (shipment,) = order.shipments.all()
    for step in (fulfillment.start_picking, fulfillment.pack):
        step(shipment.id, actor="t")
    fulfillment.despatch(shipment.id, actor="t", carrier="dpd", tracking_number="DPD1")
    said = CliRunner().invoke(app, ["orders", "cancel", order.id])
    assert said.exit_code == 1
    assert f"despatch shipping intercept {shipment.id}" in " ".join(said.output.split())
    assert "/api/" not in said.output and "not_cancellable" in said.output
