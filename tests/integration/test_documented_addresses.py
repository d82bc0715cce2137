"""BigCommerce orders that name more than one shipping address, built on the documented
"Get Order Shipping Addresses" example (order 229, addresses 132 and 133): each product names
the address it ships to (``order_address_id``), so the order is never sent whole to the first
address. Through every way in (file, webhook, pull)."""

import copy
from decimal import Decimal

from tests.integration.test_documented_payloads import _every_way_in, load
from tests.integration.test_three_ways_in import _bigcommerce, stocked  # noqa: F401

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
