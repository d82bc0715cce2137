"""The worker's batches: received orders run together in one transaction, reference data is
cached per process and a change to it is seen at the next order, and a failing event fails
alone."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from despatch import worker
from despatch.models import Channel, OutboxEvent, Reservation, Shipment, Sku
from despatch.services import audit, orders, outbox, reference, rules
from tests.conftest import make_draft
from tests.integration.conftest import level

pytestmark = pytest.mark.django_db


def receive(lines=(("A", 1),), **overrides):
    order, _ = orders.receive_order(make_draft(lines, **overrides), actor="test")
    return order


def status(order):
    order.refresh_from_db()
    return order.status


def test_orders_claimed_together_are_allocated_in_one_batch(shop):
    placed = [receive([("A", 1), ("B", 1)]) for _ in range(2)]
    worker.drain("w1")
    assert [status(o) for o in placed] == ["allocated", "allocated"]
    assert Reservation.objects.filter(order__in=placed, status="allocated").count() == 4
    assert Shipment.objects.filter(order__in=placed).count() == 2
    assert level("A", "LON") == (10, 2) and level("B", "LON") == (2, 2)
    assert audit.verify().ok


def test_a_batch_of_orders_costs_few_statements_each(shop):
    for n in range(10):
        receive([("A", 1)], customer_email=f"buyer{n}@example.com")
    events = outbox.claim("w1", 100)
    with CaptureQueriesContext(connection) as queries:
        stats = worker.process("w1", events)
    assert stats.handled == 10
    # an order: fraud history, stock figures, the stock update, the order's update; the batch:
    # reading reference data (first time), the orders, their lines and holds, one INSERT a
    # table, the audit chain's head, settling the events
    shown = "\n".join(q["sql"][:150] for q in queries.captured_queries)
    assert len(queries) <= 10 * 4 + 20, shown


def test_a_failing_event_in_a_batch_fails_alone(shop):
    first = receive([("A", 1)])
    outbox.save([outbox.emit("order.received", "ord_gone", order_id="ord_gone")])
    last = receive([("A", 2)])
    stats = worker.drain_once("w1")
    assert (stats.handled, stats.failed) == (2, 1)
    assert (status(first), status(last)) == ("allocated", "allocated")
    failed = OutboxEvent.objects.get(key="ord_gone")
    assert (failed.status, failed.attempts) == ("pending", 1)
    assert level("A", "LON") == (10, 3)
    assert audit.verify().ok


def test_a_channel_change_is_seen_at_the_next_order(shop):
    Channel.objects.create(code="web", name="Web shop", warehouses=["LON", "NJ"])
    first = receive([("B", 1)])
    worker.drain("w1")
    assert Shipment.objects.get(order=first).warehouse_id == "LON"
    Channel.objects.filter(code="web").update(warehouses=["NJ"])  # no service told the cache
    second = receive([("B", 1)])
    worker.drain("w1")
    assert Shipment.objects.get(order=second).warehouse_id == "NJ"


def test_a_sku_withdrawn_is_unknown_to_the_next_order(shop):
    worker.drain("w1")
    assert reference.active_skus(["C"]) == {"C"}  # cached now
    Sku.objects.filter(code="C").update(active=False)
    order = receive([("C", 1)])
    worker.drain("w1")
    assert status(order) == "on_hold" and order.hold_reason == "unknown_sku"


def test_a_rule_set_activated_applies_to_the_next_order(shop):
    receive([("A", 1)])
    worker.drain("w1")  # the cache holds "no rule set"
    text = "rules:\n  - id: hold-big\n    when: {order_value: {gte: 5}}\n    then: {hold: manual}\n"
    rules.load(text, actor="test", activate=True)
    order = receive([("A", 1)])
    worker.drain("w1")
    assert status(order) == "on_hold"


def test_a_change_rolled_back_is_not_seen():
    before = reference.current().token
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        Channel.objects.create(code="gone", name="Gone")
        assert reference.channel("gone") is not None
        raise RuntimeError("undo")
    assert reference.channel("gone") is None
    assert reference.current().token == before


INLINE = {
    "channel": "api",
    "external_id": "INLINE-1",
    "currency": "GBP",
    "payment_status": "paid",
    "lines": [{"sku": "A", "quantity": 2, "unit_price": "12.50"}],
    "shipping_address": {
        "name": "Jo",
        "line1": "1 High St",
        "city": "Leeds",
        "postcode": "LS1 4DY",
        "country": "GB",
    },
}


def test_an_order_posted_with_process_inline_is_allocated_in_the_answer(shop, client):
    from tests.integration.test_api import api_for

    api = api_for(client, "integrator", ("integrator",))
    status, body = api.call("post", "/orders?process=inline", INLINE)
    assert status == 201 and body["status"] == "allocated"
    assert level("A", "LON") == (10, 2)
    again, replay = api.call("post", "/orders?process=inline", INLINE)
    assert again == 200 and replay["id"] == body["id"] and level("A", "LON") == (10, 2)
    worker.drain("w1")  # its order.received event finds it moved on: nothing changes
    assert level("A", "LON") == (10, 2) and audit.verify().ok
    default, queued = api.call("post", "/orders", {**INLINE, "external_id": "INLINE-2"})
    assert default == 201 and queued["status"] == "received"
    bad, problem = api.call("post", "/orders?process=later", {**INLINE, "external_id": "X"})
    assert bad == 422 and problem["errors"][0]["field"] == "process"


def test_an_inline_order_held_by_validation_is_answered_held(shop, client):
    from tests.integration.test_api import api_for

    api = api_for(client, "integrator", ("integrator",))
    Sku.objects.filter(code="A").update(active=False)
    status, body = api.call("post", "/orders?process=inline", INLINE)
    assert status == 201 and body["status"] == "on_hold"


def test_an_inline_order_whose_processing_fails_is_kept_for_the_workers(shop, client, monkeypatch):
    from django.db import OperationalError

    from despatch.services import sourcing
    from tests.integration.test_api import api_for

    api = api_for(client, "integrator", ("integrator",))
    real = sourcing.process_received

    def lock_timeout(order_id, **kwargs):
        Reservation.objects.all().delete()  # a write the savepoint must undo
        raise OperationalError("canceling statement due to lock timeout")

    monkeypatch.setattr(sourcing, "process_received", lock_timeout)
    status, body = api.call("post", "/orders?process=inline", INLINE)
    assert status == 201 and body["status"] == "received"
    monkeypatch.setattr(sourcing, "process_received", real)
    worker.drain("w1")
    assert orders.get_order(body["id"]).status == "allocated" and level("A", "LON") == (10, 2)
