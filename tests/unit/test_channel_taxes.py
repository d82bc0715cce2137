"""Tax as the platforms state it: eBay's collect-and-remit tax inside the totals, Amazon's tax
net of the tax on its discounts (fixtures: tests/fixtures/channels/documented)."""

import copy
import json
from decimal import Decimal
from pathlib import Path

from despatch.domain.money import Money
from despatch.integrations.channels import amazon, ebay

DOCUMENTED = Path(__file__).parents[1] / "fixtures" / "channels" / "documented"


def load(name):
    return json.loads((DOCUMENTED / name).read_text())


def usd(text):
    return Money(Decimal(text), "USD")


def test_ebay_collect_and_remit_tax_in_the_totals_is_the_orders_tax_added_on_top():
    parsed = ebay.parse(load("ebay_order_collect_and_remit.json"), "ebay-us")
    d = parsed.draft
    assert [li.total for li in d.lines] == [usd("30.00"), usd("27.50")]
    assert d.tax_total == usd("4.41") and not d.taxes_included
    assert d.total == parsed.platform_total == usd("63.41")


def test_ebay_collect_and_remit_tax_the_lines_do_not_show_is_not_in_the_totals():
    parsed = ebay.parse(load("ebay_order.json"), "ebay-us")  # lineItems[].taxes is empty
    assert parsed.draft.tax_total == usd("0")
    assert parsed.draft.total == parsed.platform_total == usd("59.00")


def test_ebay_collected_tax_shown_for_one_line_only_counts_for_that_line():
    payload = load("ebay_order_collect_and_remit.json")
    payload["lineItems"][1]["taxes"] = [{"amount": {"value": "1.00", "currency": "USD"}}]
    assert ebay.parse(payload, "e").draft.tax_total == usd("2.19")


def test_ebay_pricing_summary_tax_when_given_is_not_added_twice():
    payload = load("ebay_order_collect_and_remit.json")
    payload["pricingSummary"]["tax"] = {"value": "4.41", "currency": "USD"}
    parsed = ebay.parse(payload, "e")
    assert parsed.draft.tax_total == usd("4.41")
    assert parsed.draft.total == parsed.platform_total == usd("63.41")


def _discount_tax(payload, item, field, amount, currency):
    page = payload["items"][0]["payload"]["OrderItems"][item]
    page[field] = {"CurrencyCode": currency, "Amount": amount}


def test_amazon_uk_tax_is_net_of_the_tax_on_its_discounts():
    payload = load("amazon_order_uk.json")  # PromotionDiscountTax 0.17 on the first item
    parsed = amazon.parse(payload, "amz-uk")
    gbp = lambda text: Money(Decimal(text), "GBP")  # noqa: E731
    assert parsed.draft.tax_total == gbp("6.22")  # 3.06 + 0.50 + 2.83 - 0.17
    assert parsed.draft.total == parsed.platform_total == gbp("37.32")  # VAT inside the prices
    _discount_tax(payload, 1, "ShippingDiscountTax", "0.05", "GBP")
    again = amazon.parse(payload, "amz-uk")
    assert again.draft.tax_total == gbp("6.17") and again.draft.total == gbp("37.32")


def test_amazon_us_tax_on_top_is_net_of_the_tax_on_its_discounts():
    payload = load("amazon_order_us.json")
    base = amazon.parse(copy.deepcopy(payload), "amz-us")
    _discount_tax(payload, 0, "PromotionDiscountTax", "0.42", "USD")
    payload["order"]["payload"]["OrderTotal"]["Amount"] = str(
        base.platform_total.amount - Decimal("0.42")
    )
    parsed = amazon.parse(payload, "amz-us")
    assert parsed.draft.tax_total == base.draft.tax_total - usd("0.42")
    assert parsed.draft.total == parsed.platform_total
