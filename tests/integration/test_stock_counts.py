"""A stock count is the truth: booked even below reserved; the least urgent orders go short
and are re-sourced or backordered, named by their channel order numbers."""

import threading

import pytest
from django import db
from django.db import connection
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.models import AuditEntry, Order, OrderLine, StockMovement
from despatch.services import catalogue, counts, fulfillment, inventory, orders, sourcing
from tests.conftest import make_draft
from tests.integration.conftest import level

runner = CliRunner()


def receive(lines, **overrides):
    order, _ = orders.receive_order(make_draft(lines, **overrides), actor="test")
    worker.drain("test")
    return Order.objects.get(id=order.id)


def warehouses(order):
    return sorted(s.warehouse_id for s in order.shipments.exclude(status="cancelled"))


def test_a_count_below_reserved_resources_the_least_urgent_order(shop):
    urgent = receive([("B", 1)], priority=5)
    calm = receive([("B", 1)])
    assert warehouses(urgent) == warehouses(calm) == ["LON"] and level("B", "LON") == (2, 2)
    done = counts.count_stock(sku="B", warehouse="LON", counted=1, actor="test", note="aisle 3")
    assert (done.before, done.on_hand, done.reserved) == (2, 1, 1)
    assert [(s.number, s.units, s.status) for s in done.short_orders] == [
        (calm.external_id, 1, "allocated")
    ]
    assert warehouses(Order.objects.get(id=calm.id)) == ["NJ"]  # re-sourced
    assert warehouses(Order.objects.get(id=urgent.id)) == ["LON"]  # kept its unit
    assert level("B", "LON") == (1, 1) and level("B", "NJ") == (5, 1)
    move = StockMovement.objects.filter(sku_id="B", warehouse_id="LON", reason="count").get()
    assert move.quantity == -1
    audit = AuditEntry.objects.get(order_id=calm.id, action="count_shortfall")
    assert audit.reason_code == "stock_count" and audit.detail["counted"] == 1
    assert not AuditEntry.objects.filter(order_id=urgent.id, action="count_shortfall").exists()
    assert inventory.ledger_breaks() == []


def test_a_count_to_nothing_backorders_what_no_warehouse_has(shop):
    first = receive([("A", 4)])
    second = receive([("A", 4)])
    assert level("A", "LON") == (10, 8)
    done = counts.count_stock(sku="A", warehouse="LON", counted=5, actor="test")
    # equal priority: the newer order is the less urgent one and gives back
    assert [s.number for s in done.short_orders] == [second.external_id]
    second = Order.objects.get(id=second.id)
    assert second.status == "backordered"
    assert second.lines.get().backordered == 3
    assert Order.objects.get(id=first.id).status == "allocated"
    assert level("A", "LON") == (5, 5)
    assert inventory.ledger_breaks() == []
    # more stock arrives: the backordered order is offered it
    inventory.receive_stock(sku="A", warehouse="LON", quantity=3, actor="test")
    worker.drain("test")
    assert Order.objects.get(id=second.id).status == "allocated"
    assert inventory.ledger_breaks() == []


def test_a_count_above_reserved_only_corrects_on_hand(shop):
    receive([("A", 2)])
    done = counts.count_stock(sku="A", warehouse="LON", counted=12, actor="test")
    assert done.short_orders == [] and level("A", "LON") == (12, 2)
    assert StockMovement.objects.filter(reason="count", quantity=2).exists()
    assert inventory.ledger_breaks() == []


def test_the_cli_names_the_orders_that_went_short_and_check_is_clean(shop):
    calm = receive([("B", 2)])
    result = runner.invoke(
        app, ["stock", "count", "--sku", "B", "--warehouse", "LON", "--counted", "0"]
    )
    assert result.exit_code == 0, result.output
    assert calm.external_id in result.output and "went short" in result.output
    assert "insufficient" not in result.output
    check = runner.invoke(app, ["stock", "check"])
    assert check.exit_code == 0, check.output
    assert warehouses(Order.objects.get(id=calm.id)) == ["NJ"]


def test_the_api_books_a_count_below_reserved(api_call):
    calm = receive([("B", 2)])
    status, body = api_call(
        "post", "/api/stock/count", {"sku": "B", "warehouse": "LON", "counted": 0}
    )
    assert status == 200, body
    assert body["on_hand"] == 0 and body["reserved"] == 0
    assert [s["number"] for s in body["short_orders"]] == [calm.external_id]
    status, body = api_call("post", "/api/stock/count", {"sku": "B", "warehouse": "LON"})
    assert status == 422 and "counted" in str(body)
    status, body = api_call("get", "/api/stock/check")
    assert body["consistent"] is True


def _race(tasks):
    """Run the tasks in threads released together; returns what they raised."""
    gate = threading.Barrier(len(tasks))
    errors: list[BaseException] = []

    def run(task):
        try:
            gate.wait()
            task()
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.connections.close_all()

    threads = [threading.Thread(target=run, args=(t,)) for t in tasks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_a_count_racing_reservations_never_deadlocks_or_oversells():
    """Orders being reserved while the shelf is counted: each round, four orders reserve B at
    LON in threads of their own while a count books fewer units than they want."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: the race is PostgreSQL's")
    catalogue.upsert_warehouse(code="LON", name="London", priority=1)
    catalogue.upsert_warehouse(code="NJ", name="New Jersey", priority=2)
    catalogue.upsert_skus([catalogue.SkuRow("B", "B")])
    inventory.receive_stock(sku="B", warehouse="LON", quantity=8, actor="test")
    inventory.receive_stock(sku="B", warehouse="NJ", quantity=2, actor="test")
    for counted in (5, 3, 1):
        ids = [orders.receive_order(make_draft([("B", 1)]), actor="t")[0].id for _ in range(4)]
        tasks = [lambda i=i: sourcing.process_received(i) for i in ids]
        tasks.append(
            lambda c=counted: counts.count_stock(sku="B", warehouse="LON", counted=c, actor="t")
        )
        errors = _race(tasks)
        assert errors == []
        assert inventory.ledger_breaks() == []
        on_hand, reserved = level("B", "LON")
        assert on_hand == counted and 0 <= reserved <= on_hand
    for line in OrderLine.objects.all():  # every unit is either held somewhere or waits
        held = line.reservations.filter(status__in=["active", "allocated"])
        assert sum(r.quantity for r in held) + line.backordered == line.quantity
    assert set(Order.objects.values_list("status", flat=True)) <= {"allocated", "backordered"}


def test_a_count_below_what_orders_being_picked_hold_names_their_units(shop):
    picking = receive([("A", 5)])
    fulfillment.start_picking(picking.shipments.get().id, actor="test")
    calm = receive([("A", 3)])
    assert level("A", "LON") == (10, 8)
    said = runner.invoke(
        app, ["stock", "count", "--sku", "A", "--warehouse", "LON", "--counted", "3"]
    )
    words = " ".join(said.output.split())
    assert said.exit_code != 0
    assert "5 unit(s) of A at LON are held by orders being picked, more than the 3 counted" in words
    assert level("A", "LON") == (10, 8) and Order.objects.get(id=calm.id).status == "allocated"
    done = counts.count_stock(sku="A", warehouse="LON", counted=5, actor="test")
    assert (done.on_hand, done.reserved) == (5, 5)
    assert [s.number for s in done.short_orders] == [calm.external_id]
