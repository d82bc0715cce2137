"""More documented examples through every way in (file, webhook, pull): BigCommerce orders that
name more than one shipping address, built on the documented "Get Order Shipping Addresses"
example (order 229, addresses 132 and 133), where each product names the address it ships to
(``order_address_id``); and WooCommerce's documented order 723 with its refunds."""

import copy
from decimal import Decimal

from tests.integration.test_documented_payloads import _every_way_in, load
from tests.integration.test_three_ways_in import (  # noqa: F401
    _bigcommerce,
    _woocommerce,
    stocked,
)

TWO = "bigcommerce_order_229_two_addresses.json"


def test_an_order_for_two_addresses_is_held_naming_what_goes_where(stocked, client):  # noqa: F811
    payload = load(TWO)
    for way, order in _every_way_in(client, "bigcommerce", payload, _bigcommerce).items():
        assert (order.total_amount, order.computed_total) == (Decimal("83.82"),) * 2, way
        assert order.shipping_amount == Decimal("25.98"), way
        assert order.hold_reason == "invalid_order", (way, order.status)
        said = " ".join(p["message"] for p in order.hold_detail)
        assert "2 addresses" in said, (way, said)
        assert "SKU-0001 x 2 to Trishy Smith, 666 Sussex St, San Antonio 78251" in said, way
        assert "SKU-0002 x 1 to Jane Doe, 555 Main Street, Austin 78751" in said, way


def test_the_order_ships_to_the_address_its_products_name(stocked, client):  # noqa: F811
    payload = copy.deepcopy(load(TWO))
    for product in payload["products"]:  # everything to the documented example's second address
        product["order_address_id"] = 133
    for way, order in _every_way_in(client, "bigcommerce", payload, _bigcommerce).items():
        assert order.hold_reason != "invalid_order", (way, order.hold_detail)
        assert order.shipping_address["line1"] == "555 Main Street", way
        assert order.channel_refs["order_address_id"] == "133", way  # the shipment names it
        assert order.total_amount == Decimal("83.82"), way


def test_woocommerce_documented_order_723_with_its_two_refunds(stocked, client):  # noqa: F811
    """WooCommerce REST API v3, "List all orders", the second order of the example (723):
    completed, paid 39.00 (9.00 + 20.00 + 10.00 shipping), refunds 726 (-10.00) and 724
    (-9.00)."""
    payload = load("woocommerce_order_723_refunded.json")
    for way, order in _every_way_in(client, "woocommerce", payload, _woocommerce).items():
        assert order.hold_reason != "total_mismatch", (way, order.hold_detail)
        assert (order.currency, order.total_amount, order.computed_total) == (
            "USD",
            Decimal("39.00"),
            Decimal("39.00"),
        ), way
        assert order.shipping_amount == Decimal("10.00"), way
        assert sorted((li.sku, li.quantity, li.line_total) for li in order.lines.all()) == [
            ("SKU-0001", 1, Decimal("9.00")),
            ("SKU-0002", 1, Decimal("20.00")),
        ], way
        assert (order.shipping_address["line1"], order.shipping_address["country"]) == (
            "Av. Brasil, 432",
            "BR",
        ), way
        refunds = sorted((r["refund_id"], r["amount"]) for r in order.refunds)
        assert refunds == [("724", "9.00"), ("726", "10.00")], (way, order.refunds)
