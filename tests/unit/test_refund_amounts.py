"""Refunds written back to a platform state the amount in the currency's own minor units: a
3-decimal dinar is not rounded to cents (over- or under-refunding the buyer), a yen amount has
no cents."""

from decimal import Decimal

import pytest

from despatch.domain.money import Money
from despatch.integrations.channels import order_actions
from despatch.integrations.channels.base import Connection


@pytest.mark.parametrize(
    ("amount", "currency", "written"),
    [
        ("1.235", "KWD", "1.235"),
        ("0.125", "BHD", "0.125"),
        ("1500", "JPY", "1500"),
        ("12.5", "USD", "12.50"),
    ],
)
@pytest.mark.parametrize("kind", ["woocommerce", "ebay", "shopify"])
def test_a_refund_states_its_amount_in_the_currencys_minor_units(
    monkeypatch, kind, amount, currency, written
):
    sent = []

    def call(method, url, auth, body=None):
        sent.append(body)
        return {"id": 9, "refund": {"id": 9, "transactions": [{"parent_id": 1}]}}

    monkeypatch.setattr(order_actions, "_call", call)
    value = Money(Decimal(amount), currency)
    request = order_actions.RefundRequest("1001", "rf_1", value, (("77", 1, value),))
    order_actions.REFUND[kind](Connection("http://platform.test"), request)
    body = sent[-1]
    if kind == "woocommerce":
        stated = [body["amount"], body["line_items"][0]["refund_total"]]
    elif kind == "ebay":
        stated = [body["refundItems"][0]["refundAmount"]["value"]]
    else:
        stated = [body["refund"]["transactions"][0]["amount"]]
    assert stated == [written] * len(stated)
