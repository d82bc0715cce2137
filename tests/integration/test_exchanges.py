"""Exchanges: the approved exchange receives its replacement order, linked to the order and
the return, reserved and routed like any order; the platform is never told of it."""

import pytest

from despatch import worker
from despatch.domain.errors import ValidationFailed
from despatch.models import AuditEntry
from despatch.services import channels, fulfillment, orders, refunds, returns, write_backs
from tests.integration.conftest import level
from tests.integration.fake_platforms import Answer, fake_platform
from tests.integration.test_returns import delivered

pytestmark = pytest.mark.django_db


def test_an_exchange_ships_a_replacement_routed_like_any_order(shop):
    with fake_platform(route=lambda *a: Answer(201, {"fulfillment": {"id": 1}})) as platform:
        channels.configure_channel(
            code="shop", name="Shop", type="shopify", api_url=platform.url, token="t"
        )
        order = delivered([("A", 2), ("B", 1)], channel="shop", external_id="EX-1")
        platform.requests.clear()
        rma = returns.request_return(order.id, {1: (1, "too_small")}, actor="t")
        exchange = refunds.request_refund(
            order.id, kind="exchange", lines={1: 1}, swaps={1: "C"}, rma_id=rma.id, actor="t"
        )
        assert exchange.lines[0]["replacement_sku"] == "C"
        worker.drain("w")
        exchange.refresh_from_db()
        assert exchange.status == "succeeded"
        replacement = orders.find_order("shop", f"exchange-{exchange.id}")
        assert exchange.provider_reference == f"order:{replacement.id}"
        assert (replacement.replaces, replacement.exchange_rma) == (order.id, rma.id)
        assert replacement.status == "allocated"
        (line,) = replacement.lines.all()
        assert (line.sku, line.quantity, line.unit_price) == ("C", 1, 0)
        assert replacement.total_amount == 0 and replacement.payment_status == "paid"
        assert replacement.shipping_address == order.shipping_address
        (shipment,) = replacement.shipments.all()
        assert shipment.warehouse_id == "NJ"  # C is only stocked there
        assert level("C", "NJ") == (3, 1)
        assert AuditEntry.objects.filter(
            order_id=order.id, action="exchange_replacement_created", after=replacement.id
        ).exists()
        fulfillment.start_picking(shipment.id, actor="t")
        fulfillment.pack(shipment.id, actor="t")
        fulfillment.despatch(shipment.id, actor="t", carrier="dpd", tracking_number="")
        worker.drain("w")
        assert write_backs.confirm_shipment(shipment.id) == "replacement_order"
    assert platform.requests == []  # the platform knows nothing of the replacement
    from despatch.services import exchanges

    again = exchanges.create_replacement(exchange)
    assert again.id == replacement.id
    assert orders.list_orders(channel="shop").count() == 2


def test_an_exchange_names_its_lines_and_known_skus(shop):
    order = delivered([("A", 1)])
    with pytest.raises(ValidationFailed, match="names the lines"):
        refunds.request_refund(order.id, kind="exchange", amount=5, actor="t")
    with pytest.raises(ValidationFailed) as bad:
        refunds.request_refund(
            order.id, kind="exchange", lines={1: 1}, swaps={1: "NOPE", 2: "A"}, actor="t"
        )
    assert {e.field for e in bad.value.errors} == {"swaps[1]", "swaps[2]"}


def test_the_api_requests_an_exchange_and_shows_the_link(api_call):
    order = delivered([("A", 1)], external_id="EX-API")
    status, exchange = api_call(
        "post", "/api/refunds", {"order_id": order.id, "kind": "exchange", "lines": {"1": 1}}
    )
    assert status == 201, exchange
    worker.drain("w")
    status, shown = api_call("get", f"/api/refunds/{exchange['id']}")
    assert status == 200 and shown["provider_reference"].startswith("order:")
    replacement_id = shown["provider_reference"].removeprefix("order:")
    status, replacement = api_call("get", f"/api/orders/{replacement_id}")
    assert status == 200 and replacement["replaces"] == order.id
    assert replacement["status"] == "allocated"
