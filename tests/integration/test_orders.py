import pytest

from despatch import worker
from despatch.domain.errors import DuplicateOrder, InvalidTransition, ValidationFailed
from despatch.services import audit, cancellations, orders
from despatch.services import outbox as outbox_service
from tests.conftest import make_draft
from tests.integration.conftest import level


def run_pipeline():
    return worker.drain("test-worker")


def test_receiving_the_same_order_twice_changes_nothing(shop):
    d = make_draft([("A", 2)])
    first, created = orders.receive_order(d, actor="test")
    again, created_again = orders.receive_order(d, actor="test")
    assert (created, created_again) == (True, False)
    assert again.id == first.id
    assert orders.list_orders(channel="web").count() == 1
    assert outbox_service.counts().get("pending") == 1


def test_the_same_external_id_with_other_content_is_a_conflict(shop):
    orders.receive_order(make_draft([("A", 2)], external_id="X1"), actor="test")
    with pytest.raises(DuplicateOrder) as exc:
        orders.receive_order(make_draft([("A", 3)], external_id="X1"), actor="test")
    assert exc.value.data["external_id"] == "X1"


def test_an_order_with_no_lines_is_refused_with_the_field(shop):
    with pytest.raises(ValidationFailed) as exc:
        orders.receive_order(make_draft([]), actor="test")
    assert exc.value.errors[0].field == "lines"


def test_a_received_order_is_validated_reserved_and_allocated(shop):
    order, _ = orders.receive_order(make_draft([("A", 2), ("B", 1)]), actor="test")
    run_pipeline()
    order = orders.get_order(order.id)
    assert order.status == "allocated"
    assert [s.warehouse_id for s in order.shipments.all()] == ["LON"]
    assert level("A", "LON") == (10, 2) and level("B", "LON") == (2, 1)
    actions = [e.action for e in audit.timeline(order.id)]
    assert actions == ["received", "validate", "allocation_planned", "reserve", "allocate"]


def test_an_unknown_sku_puts_the_order_on_hold_and_keeps_it(shop):
    order, _ = orders.receive_order(make_draft([("A", 1), ("NOPE", 1)]), actor="test")
    run_pipeline()
    order = orders.get_order(order.id)
    assert order.status == "on_hold" and order.hold_reason == "unknown_sku"
    assert order.hold_detail == [
        {"field": "lines[1].sku", "message": "unknown SKU 'NOPE'", "code": "unknown_sku"}
    ]
    assert level("A", "LON") == (10, 0)


def test_an_address_without_a_street_is_held(shop):
    from despatch.domain.addresses import Address

    d = make_draft(shipping_address=Address("Jo", "", "Leeds", "LS1", "GB"))
    order, _ = orders.receive_order(d, actor="test")
    run_pipeline()
    order = orders.get_order(order.id)
    assert (order.status, order.hold_reason) == ("on_hold", "invalid_address")
    assert order.hold_detail[0]["field"] == "shipping_address.line1"


def test_a_released_order_is_validated_again(shop):
    from despatch.services import catalogue

    order, _ = orders.receive_order(make_draft([("NEW", 1)]), actor="test")
    run_pipeline()
    catalogue.upsert_skus([catalogue.SkuRow("NEW", "New thing")])
    from despatch.services import inventory

    inventory.receive_stock(sku="NEW", warehouse="NJ", quantity=1, actor="test")
    orders.release_order(order.id, actor="user:ops", note="SKU added")
    run_pipeline()
    assert orders.get_order(order.id).status == "allocated"


def test_split_order_gets_one_shipment_per_warehouse(shop):
    order, _ = orders.receive_order(make_draft([("A", 1), ("C", 1)]), actor="test")
    run_pipeline()
    order = orders.get_order(order.id)
    assert sorted(s.warehouse_id for s in order.shipments.all()) == ["LON", "NJ"]
    assert order.allocation["split"] is True


def test_short_lines_are_backordered_and_filled_when_stock_arrives(shop):
    from despatch.services import inventory

    order, _ = orders.receive_order(make_draft([("C", 5)]), actor="test")
    run_pipeline()
    order = orders.get_order(order.id)
    assert order.status == "backordered"
    assert order.lines.get().backordered == 2
    assert level("C", "NJ") == (3, 3)  # what exists is held for the order
    inventory.receive_stock(sku="C", warehouse="NJ", quantity=2, actor="test")
    run_pipeline()
    order = orders.get_order(order.id)
    assert order.status == "allocated" and order.lines.get().backordered == 0
    assert level("C", "NJ") == (5, 5)


def test_cancelling_gives_the_stock_back(shop):
    order, _ = orders.receive_order(make_draft([("A", 4)]), actor="test")
    run_pipeline()
    cancellations.cancel_order(order.id, actor="user:support", reason="customer_request")
    order = orders.get_order(order.id)
    assert order.status == "cancelled"
    assert [s.status for s in order.shipments.all()] == ["cancelled"]
    assert level("A", "LON") == (10, 0)
    entries = {e.action: e for e in audit.timeline(order.id)}
    cancel = entries["cancel"]
    assert (cancel.actor, cancel.reason_code, cancel.before, cancel.after) == (
        "user:support",
        "customer_request",
        "allocated",
        "cancelled",
    )
    assert entries["stock_released"].detail["units"] == 4


def test_a_cancelled_order_cannot_be_cancelled_again(shop):
    order, _ = orders.receive_order(make_draft([("A", 1)]), actor="test")
    cancellations.cancel_order(order.id, actor="test")
    with pytest.raises(InvalidTransition) as exc:
        cancellations.cancel_order(order.id, actor="test")
    assert "from 'cancelled' to 'cancelled'" in str(exc.value)


def test_expired_reservations_are_released_and_the_order_goes_round_again(shop):
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from despatch.services import reservations, validation
    from despatch.services.audit import Trail

    order, _ = orders.receive_order(make_draft([("A", 3)]), actor="test")
    with transaction.atomic():  # reserve without allocating, as a hold between the two would
        locked = orders.lock_order(order.id)
        trail = Trail("test")
        assert validation.validate(locked, trail, list(locked.lines.all()))
        reservations.reserve(locked, trail)
        trail.save()
    assert level("A", "LON") == (10, 3)
    released = reservations.expire_reservations(timezone.now() + timedelta(hours=1))
    assert released == 1 and level("A", "LON") == (10, 0)
    assert orders.get_order(order.id).status == "validated"
    run_pipeline()
    assert orders.get_order(order.id).status == "allocated"
