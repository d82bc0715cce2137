import pytest

from despatch import worker
from despatch.domain.cancellations import NotCancellable
from despatch.domain.errors import InvalidTransition
from despatch.services import cancellations, fulfillment, inventory, orders
from tests.conftest import make_draft
from tests.integration.conftest import level


def allocated(lines, **overrides):
    order, _ = orders.receive_order(make_draft(lines, **overrides), actor="test")
    worker.drain("test-worker")
    return orders.get_order(order.id)


def test_despatch_takes_stock_out_through_the_ledger(shop):
    order = allocated([("A", 3)])
    (shipment,) = order.shipments.all()
    for step in (fulfillment.start_picking, fulfillment.pack):
        step(shipment.id, actor="user:picker")
    fulfillment.despatch(shipment.id, actor="user:shipper", carrier="dpd", tracking_number="T123")
    assert orders.get_order(order.id).status == "despatched"
    assert level("A", "LON") == (7, 0)
    assert inventory.movements(sku="A").first().reason == "despatch"
    assert inventory.ledger_breaks() == []
    fulfillment.deliver(shipment.id, actor="carrier")
    order = orders.get_order(order.id)
    assert order.status == "delivered" and order.delivered_at is not None


def test_a_split_order_is_partially_despatched_then_despatched(shop):
    order = allocated([("A", 1), ("C", 1)])
    first, second = order.shipments.all()
    for shipment in (first, second):
        fulfillment.start_picking(shipment.id, actor="t")
        fulfillment.pack(shipment.id, actor="t")
    fulfillment.despatch(first.id, actor="t")
    assert orders.get_order(order.id).status == "partially_despatched"
    fulfillment.despatch(second.id, actor="t")
    assert orders.get_order(order.id).status == "despatched"


def test_a_shipment_cannot_be_despatched_before_it_is_packed(shop):
    order = allocated([("A", 1)])
    (shipment,) = order.shipments.all()
    fulfillment.start_picking(shipment.id, actor="t")
    with pytest.raises(InvalidTransition) as exc:
        fulfillment.despatch(shipment.id, actor="t")
    assert exc.value.data == {"kind": "shipment", "current": "picking", "target": "despatched"}
    assert level("A", "LON") == (10, 1)


def test_a_despatched_order_cannot_be_cancelled(shop):
    order = allocated([("A", 1)])
    (shipment,) = order.shipments.all()
    for step in (fulfillment.start_picking, fulfillment.pack, fulfillment.despatch):
        step(shipment.id, actor="t")
    with pytest.raises(NotCancellable, match="request an intercept"):
        cancellations.cancel_order(order.id, actor="t")


def test_adjusting_below_reserved_is_refused(shop):
    allocated([("A", 8)])
    from despatch.domain.errors import InsufficientStock

    with pytest.raises(InsufficientStock) as exc:
        inventory.adjust_stock(sku="A", warehouse="LON", delta=-5, actor="t", note="count")
    assert exc.value.data["available"] == 2
    inventory.adjust_stock(sku="A", warehouse="LON", delta=-2, actor="t", note="damaged")
    assert level("A", "LON") == (8, 8) and inventory.ledger_breaks() == []
