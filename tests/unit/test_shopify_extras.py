"""Shopify money that is in ``total_price`` but in no line, discount, shipping or tax: duties
(as the order totals them, or only on its lines), tips; and gift cards, which pay for an order
and take nothing off it. Built on the documented orders/create example (order
820982911946154508, total 403.00 USD: tests/fixtures/channels/documented)."""

import json
from decimal import Decimal
from pathlib import Path

from despatch.domain.money import Money
from despatch.integrations.channels import shopify

DOCUMENTED = Path(__file__).parents[1] / "fixtures" / "channels" / "documented"


def order():
    return json.loads((DOCUMENTED / "shopify_webhook_orders_create.json").read_text())


def usd(text):
    return {
        "shop_money": {"amount": text, "currency_code": "USD"},
        "presentment_money": {"amount": text, "currency_code": "USD"},
    }


def test_duties_stated_only_as_the_current_total_are_in_the_total():
    payload = order()
    payload.pop("original_total_duties_set", None)
    payload["current_total_duties_set"] = usd("7.50")
    payload["total_price"] = "410.50"
    parsed = shopify.parse(payload, "s")
    assert parsed.draft.fee_total == Money(Decimal("7.50"), "USD")
    assert parsed.draft.total == parsed.platform_total


def test_duties_stated_only_on_the_lines_are_in_the_total():
    payload = order()
    for key in ("original_total_duties_set", "current_total_duties_set"):
        payload.pop(key, None)
    payload["line_items"][0]["duties"] = [{"id": "2", "price_set": usd("3.25")}]
    payload["line_items"][1]["duties"] = [{"id": "3", "price_set": usd("1.75")}]
    payload["total_price"] = "408.00"
    parsed = shopify.parse(payload, "s")
    assert parsed.draft.fee_total == Money(Decimal("5.00"), "USD")
    assert parsed.draft.total == parsed.platform_total


def test_the_original_duties_are_counted_once_when_the_lines_show_them_too():
    payload = order()
    payload["original_total_duties_set"] = usd("5.00")
    payload["current_total_duties_set"] = usd("0.00")  # refunded since: total_price keeps them
    payload["line_items"][0]["duties"] = [{"id": "2", "price_set": usd("5.00")}]
    payload["total_price"] = "408.00"
    parsed = shopify.parse(payload, "s")
    assert parsed.draft.fee_total == Money(Decimal("5.00"), "USD")
    assert parsed.draft.total == parsed.platform_total


def test_a_gift_card_pays_for_the_order_and_takes_nothing_off_it():
    payload = order()
    payload["payment_gateway_names"] = ["gift_card", "bogus"]
    before = shopify.parse(order(), "s").draft
    parsed = shopify.parse(payload, "s")
    assert parsed.draft.discount_total == before.discount_total
    assert parsed.draft.total == parsed.platform_total == Money(Decimal("403.00"), "USD")
