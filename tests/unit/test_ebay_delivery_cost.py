"""eBay's delivery cost: ``pricingSummary.deliveryCost`` is the order's, before delivery
discounts; each line's ``deliveryCost`` (``shippingCost``, ``handlingCost``, ``importCharges``)
is its share. The summary is read when it is there, never added to the lines' again; a summary
without it takes the lines'. On the fixture ebay_order.json (after the Sell Fulfillment API
``Order``, ``LineItem`` and ``PricingSummary`` types; total 59.00 USD)."""

import json
from decimal import Decimal
from pathlib import Path

from despatch.domain.money import Money
from despatch.integrations.channels import ebay

DOCUMENTED = Path(__file__).parents[1] / "fixtures" / "channels" / "documented"


def payload():
    return json.loads((DOCUMENTED / "ebay_order.json").read_text())


def usd(text):
    return Money(Decimal(text), "USD")


def test_the_summary_delivery_cost_is_counted_once_with_the_lines_showing_theirs():
    parsed = ebay.parse(payload(), "e")
    assert parsed.draft.shipping_price == usd("4.50")
    assert parsed.draft.total == parsed.platform_total == usd("59.00")


def test_a_summary_without_a_delivery_cost_takes_the_lines_shipping_and_handling():
    order = payload()
    del order["pricingSummary"]["deliveryCost"]
    cost = order["lineItems"][1]["deliveryCost"]
    cost["handlingCost"] = {"value": "1.25", "currency": "USD"}
    order["pricingSummary"]["total"]["value"] = "60.25"
    parsed = ebay.parse(order, "e")
    assert parsed.draft.shipping_price == usd("5.75")
    assert parsed.draft.total == parsed.platform_total == usd("60.25")
