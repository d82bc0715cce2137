"""Partial shipments: a channel's ``partial_shipments`` policy, end to end on the database."""

import pytest
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.domain.errors import ValidationFailed
from despatch.models import AuditEntry
from despatch.services import channels, fulfillment, inventory, orders
from tests.conftest import make_draft
from tests.integration.conftest import level


def _lines(order):
    return {line.sku: line.backordered for line in orders.get_order(order.id).lines.all()}


def _shipped(order):
    return [
        sorted((sl.sku_id, sl.quantity) for sl in s.lines.all())
        for s in orders.get_order(order.id).shipments.order_by("created_at", "id")
    ]


def _out(shipment_id):
    fulfillment.start_picking(shipment_id, actor="t")
    fulfillment.pack(shipment_id, actor="t")
    fulfillment.despatch(shipment_id, actor="t", carrier="dpd", tracking_number="")


def test_a_marketplace_ships_what_is_here_and_the_rest_later(shop):
    channels.configure_channel(code="shop", name="Shop", type="shopify")  # when_available
    order, _ = orders.receive_order(make_draft([("A", 2), ("D", 3)], channel="shop"), actor="t")
    worker.drain("w")
    order = orders.get_order(order.id)
    assert order.status == "allocated"
    assert _shipped(order) == [[("A", 2)]] and _lines(order) == {"A": 0, "D": 3}
    (first,) = order.shipments.all()
    _out(first.id)
    assert orders.get_order(order.id).status == "partially_despatched"  # D is still to come

    inventory.receive_stock(sku="D", warehouse="LON", quantity=2, actor="t")
    worker.drain("w")
    order = orders.get_order(order.id)
    assert _shipped(order) == [[("A", 2)], [("D", 2)]] and _lines(order) == {"A": 0, "D": 1}
    assert order.status == "partially_despatched" and level("D", "LON") == (2, 2)
    second = order.shipments.exclude(id=first.id).get()
    _out(second.id)
    assert orders.get_order(order.id).status == "partially_despatched"  # one D still owed

    inventory.receive_stock(sku="D", warehouse="NJ", quantity=5, actor="t")
    worker.drain("w")
    order = orders.get_order(order.id)
    assert _shipped(order)[2] == [("D", 1)] and _lines(order) == {"A": 0, "D": 0}
    third = order.shipments.exclude(id__in=[first.id, second.id]).get()
    assert third.warehouse_id == "NJ"
    _out(third.id)
    assert orders.get_order(order.id).status == "despatched"
    assert inventory.ledger_breaks() == []


def test_never_waits_until_every_line_can_be_reserved(shop):
    channels.configure_channel(
        code="shop", name="Shop", type="shopify", settings={"partial_shipments": "never"}
    )
    order, _ = orders.receive_order(make_draft([("A", 2), ("D", 3)], channel="shop"), actor="t")
    worker.drain("w")
    order = orders.get_order(order.id)
    assert order.status == "backordered" and not order.shipments.exists()
    assert level("A", "LON") == (10, 2)  # what is there stays reserved
    inventory.receive_stock(sku="D", warehouse="LON", quantity=2, actor="t")
    worker.drain("w")
    assert orders.get_order(order.id).status == "backordered"  # still one D short
    inventory.receive_stock(sku="D", warehouse="LON", quantity=1, actor="t")
    worker.drain("w")
    order = orders.get_order(order.id)
    assert order.status == "allocated" and _shipped(order) == [[("A", 2), ("D", 3)]]


def test_api_and_csv_channels_wait_by_default(shop):
    channels.configure_channel(code="feed", name="Feed", type="csv")
    order, _ = orders.receive_order(make_draft([("A", 1), ("D", 1)], channel="feed"), actor="t")
    worker.drain("w")
    assert orders.get_order(order.id).status == "backordered"


def test_a_remainder_joining_a_packed_order_puts_it_back_to_picking(shop):
    channels.configure_channel(code="shop", name="Shop", type="ebay")
    order, _ = orders.receive_order(make_draft([("A", 1), ("D", 1)], channel="shop"), actor="t")
    worker.drain("w")
    (first,) = orders.get_order(order.id).shipments.all()
    fulfillment.start_picking(first.id, actor="t")
    fulfillment.pack(first.id, actor="t")
    assert orders.get_order(order.id).status == "packed"
    inventory.receive_stock(sku="D", warehouse="LON", quantity=1, actor="t")
    worker.drain("w")
    order = orders.get_order(order.id)
    assert order.status == "picking" and len(_shipped(order)) == 2
    fulfillment.despatch(first.id, actor="t", carrier="dpd", tracking_number="")
    assert orders.get_order(order.id).status == "partially_despatched"


def test_the_policy_is_checked_and_audited_when_set(shop):
    with pytest.raises(ValidationFailed, match="partial_shipments"):
        channels.configure_channel(
            code="shop", name="Shop", type="shopify", settings={"partial_shipments": "maybe"}
        )
    runner = CliRunner()
    refused = runner.invoke(
        app, ["channels", "add", "shop", "--type", "amazon", "--setting", "partial_shipments=no"]
    )
    assert refused.exit_code != 0 and "partial_shipments" in refused.output
    saved = runner.invoke(
        app,
        ["channels", "add", "shop", "--type", "amazon", "--setting", "partial_shipments=never"],
    )
    assert saved.exit_code == 0, saved.output
    change = AuditEntry.objects.filter(subject_type="channel", subject_id="shop").last()
    assert change.after["settings"] == {"partial_shipments": "never"}
    assert not orders.ships_partially("shop")
