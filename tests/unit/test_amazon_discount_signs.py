"""Amazon states its discounts (``PromotionDiscount``, ``ShippingDiscount``, ``CODFeeDiscount``
and the tax on them) as amounts taken off; some exports give them negative. Either sign is read
as the same discount, so the documented order still adds up to its ``OrderTotal``. Built on
the documented getOrder/getOrderItems sandbox order 902-1845936-5435065 (fixture
amazon_order_us_discounts.json: OrderTotal 10.80)."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from despatch.domain.money import Money
from despatch.integrations.channels import amazon

DOCUMENTED = Path(__file__).parents[1] / "fixtures" / "channels" / "documented"
SIGNED = ("PromotionDiscount", "PromotionDiscountTax", "ShippingDiscount", "ShippingDiscountTax")


def payload():
    return json.loads((DOCUMENTED / "amazon_order_us_discounts.json").read_text())


@pytest.mark.parametrize("name", [*SIGNED, "all"])
def test_a_discount_given_negative_is_the_same_discount(name):
    as_given = amazon.parse(payload(), "amz").draft
    turned = payload()
    item = turned["items"][0]["payload"]["OrderItems"][0]
    for field in SIGNED if name == "all" else (name,):
        item[field]["Amount"] = f"-{item[field]['Amount']}"
    parsed = amazon.parse(turned, "amz")
    assert parsed.draft.total == parsed.platform_total == Money(Decimal("10.80"), "USD")
    assert parsed.draft.discount_total == as_given.discount_total == Money(Decimal("2.00"), "USD")
    assert (parsed.draft.tax_total, parsed.draft.shipping_price) == (
        as_given.tax_total,
        as_given.shipping_price,
    )
