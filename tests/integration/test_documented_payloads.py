"""Each platform's documented example order, through every way in it offers (webhook, file, pull):
Despatch's total is the total the platform states, read from its parts without a difference;
an inconsistent payload is held ``total_mismatch`` in the finance queue, naming both amounts."""

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from despatch import worker
from despatch.services import channels, exceptions, orders
from tests.integration.fake_platforms import fake_platform
from tests.integration.test_three_ways_in import (
    SECRET,
    _amazon,
    _bigcommerce,
    _ebay,
    _shopify,
    _webhook_headers,
    _woocommerce,
    stocked,  # noqa: F401  (a fixture)
)

DOCUMENTED = Path(__file__).parents[1] / "fixtures" / "channels" / "documented"


def load(name):
    return json.loads((DOCUMENTED / name).read_text())


def stated_total(kind, payload):
    """The grand total as the platform states it, read straight from the payload."""
    if kind == "woocommerce":
        return Decimal(payload["total"]), payload["currency"]
    if kind == "amazon":
        total = payload["order"]["payload"]["OrderTotal"]
        return Decimal(total["Amount"]), total["CurrencyCode"]
    if kind == "shopify":
        return Decimal(payload["total_price"]), payload["currency"]
    if kind == "ebay":
        total = payload["pricingSummary"]["total"]
        return Decimal(total["value"]), total["currency"]
    order = payload["order"]
    return Decimal(order["total_inc_tax"]), order["default_currency_code"]


def state_wrong_total(kind, payload, wrong):
    """The same payload, stating a total its parts do not add up to."""
    text = f"{wrong:.2f}"
    if kind == "woocommerce":
        payload["total"] = text
    elif kind == "amazon":
        payload["order"]["payload"]["OrderTotal"]["Amount"] = text
    elif kind == "shopify":
        payload["total_price"] = text
    elif kind == "ebay":
        payload["pricingSummary"]["total"]["value"] = text
    else:
        payload["order"]["total_inc_tax"] = text


# platform, fixture, fake server route, and what Despatch must read:
# (taxes included, tax, discount, shipping)
CASES = [
    ("woocommerce", "woocommerce_order_727.json", _woocommerce, (False, "1.35", "0", "10.00")),
    (
        "woocommerce",
        "woocommerce_order_prices_include_tax.json",
        _woocommerce,
        (True, "6.25", "3.00", "4.00"),
    ),
    ("amazon", "amazon_order_us.json", _amazon, (False, "1.01", "0", "0")),
    ("amazon", "amazon_order_uk.json", _amazon, (True, "6.22", "1.00", "2.99")),
    ("shopify", "shopify_order_450789469.json", _shopify, (False, "11.94", "10.00", "0")),
    ("shopify", "shopify_webhook_orders_create.json", _shopify, (False, "0", "5.00", "10.00")),
    ("ebay", "ebay_order.json", _ebay, (False, "0", "3.00", "4.50")),
    ("ebay", "ebay_order_collect_and_remit.json", _ebay, (False, "4.41", "3.00", "4.50")),
    ("bigcommerce", "bigcommerce_order_218.json", _bigcommerce, (True, "5.31", "10.00", "12.00")),
    (
        "bigcommerce",
        "bigcommerce_order_display_currency.json",
        _bigcommerce,
        (True, "5.31", "10.00", "12.00"),
    ),
    ("bigcommerce", "bigcommerce_order_247.json", _bigcommerce, (True, "76.88", "0", "8.00")),
    # our own edge cases, on the documented examples' shapes (see the fixtures' README)
    ("shopify", "shopify_order_discounted_to_nothing.json", _shopify, (False, "0", "597", "0")),
    ("woocommerce", "woocommerce_order_negative_fee.json", _woocommerce, (True, "5.25", "3", "4")),
    ("amazon", "amazon_order_us_discounts.json", _amazon, (False, "0.81", "2.00", "0")),
    ("ebay", "ebay_order_delivery_discount.json", _ebay, (False, "0", "3.00", "0")),
    (
        "bigcommerce",
        "bigcommerce_order_handling_wrapping_coupon.json",
        _bigcommerce,
        (True, "5.31", "7.00", "12.00"),
    ),
]
IDS = [c[1] for c in CASES]
WEBHOOKS = ("shopify", "woocommerce", "bigcommerce")


def _by_webhook(client, kind, body, code="by-hook"):
    if kind == "bigcommerce":  # a thin hook naming the order; Despatch fetches it
        thin = {"scope": "store/order/created", "data": {"type": "order", "id": 218}}
        body = json.dumps({**thin, "hash": "h1"}).encode()
    answer = client.post(
        f"/api/channels/{code}/webhooks",
        body,
        content_type="application/json",
        **_webhook_headers(kind, body, 1),
    )
    assert answer.status_code == 202, answer.content
    worker.drain("w")
    (order,) = orders.list_orders(channel=code)
    return order


def _every_way_in(client, kind, payload, route):
    """The order as stored by each way in: file, webhook (where the platform sends them), pull."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    channels.configure_channel(code="by-file", name="file", type=kind)
    delivery, _ = channels.import_payload("by-file", body, name="order.json")
    assert delivery.status == "processed", delivery.error
    stored = {"file": orders.get_order(delivery.order_id)}
    with fake_platform(route=route(payload)) as api:
        if kind in WEBHOOKS:
            channels.configure_channel(
                code="by-hook", name="hook", type=kind, webhook_secret=SECRET, api_url=api.url
            )
            stored["webhook"] = _by_webhook(client, kind, body)
        channels.configure_channel(
            code="by-pull",
            name="pull",
            type=kind,
            api_url=api.url,
            settings={"marketplace_ids": ["ATVPDKIKX0DER"]},
        )
        assert channels.pull("by-pull").fetched == 1
        worker.drain("w")
        (stored["pull"],) = orders.list_orders(channel="by-pull")
    return {way: orders.get_order(order.id) for way, order in stored.items()}


@pytest.mark.parametrize(("kind", "name", "route", "parts"), CASES, ids=IDS)
def test_the_documented_order_total_is_the_platforms_own(
    stocked,  # noqa: F811
    client,
    kind,
    name,
    route,
    parts,
):
    payload = load(name)
    amount, currency = stated_total(kind, payload)
    included, tax, discount, shipping = parts
    for way, order in _every_way_in(client, kind, payload, route).items():
        assert order.hold_reason != "total_mismatch", (way, order.hold_detail)
        assert (order.total_amount, order.currency) == (amount, currency), way
        assert order.computed_total == amount, way
        assert (order.taxes_included, order.tax_amount) == (included, Decimal(tax)), way
        assert (order.discount_amount, order.shipping_amount) == (
            Decimal(discount),
            Decimal(shipping),
        ), way
        assert all(li.external_line_id for li in order.lines.all()), way
        needed = {"bigcommerce": "order_address_id", "amazon": "marketplace"}.get(kind)
        assert not needed or order.channel_refs.get(needed), (way, needed)  # for write-back


def test_the_display_currency_is_kept_as_the_presentment_total(stocked, client):  # noqa: F811
    payload = load("bigcommerce_order_display_currency.json")
    for way, order in _every_way_in(client, "bigcommerce", payload, _bigcommerce).items():
        assert (order.currency, order.total_amount) == ("USD", Decimal("69.84")), way
        assert (order.presentment_currency, order.presentment_total) == ("EUR", Decimal("64.25"))


def test_ebays_converted_total_is_kept_as_what_the_buyer_paid_in_the_listing_currency(
    stocked,  # noqa: F811
    client,
):
    payload = load("ebay_order_delivery_discount.json")
    for way, order in _every_way_in(client, "ebay", payload, _ebay).items():
        assert (order.currency, order.total_amount) == ("USD", Decimal("54.50")), way
        assert (order.presentment_currency, order.presentment_total) == ("EUR", Decimal("50.14"))


def test_a_line_known_by_its_total_stays_one_line_with_its_platform_id(stocked, client):  # noqa: F811
    payload = load("amazon_order_uk.json")
    order = _every_way_in(client, "amazon", payload, _amazon)["file"]
    first = order.lines.get(sku="SKU-0001")
    assert order.lines.filter(sku="SKU-0001").count() == 1
    assert (first.quantity, first.line_total, first.external_line_id) == (
        2,
        Decimal("18.33"),
        "05015851154159",
    )
    assert first.unit_price == Decimal("9.1650")  # so refunding both units gives back 18.33


@pytest.mark.parametrize(("kind", "name", "route"), [c[:3] for c in CASES], ids=IDS)
def test_an_inconsistent_payload_is_held_total_mismatch_naming_both_amounts(
    stocked,  # noqa: F811
    client,
    kind,
    name,
    route,
):
    payload = copy.deepcopy(load(name))
    payload.pop("cancelled_at", None)  # a cancelled order is not held, only cancelled
    amount, currency = stated_total(kind, payload)
    wrong = amount + Decimal("1.00")
    state_wrong_total(kind, payload, wrong)
    for way, order in _every_way_in(client, kind, payload, route).items():
        assert (order.status, order.hold_reason) == ("on_hold", "total_mismatch"), way
        assert (order.total_amount, order.computed_total) == (wrong, amount), way
        (case,) = exceptions.list_cases(order_id=order.id, kind="total_mismatch")
        assert case.queue == "finance", way
        assert (
            f"{wrong:.2f} {currency}" in case.summary and f"{amount:.2f} {currency}" in case.summary
        )


def test_our_own_json_format_stating_another_total_is_held_too(stocked, client):  # noqa: F811
    fixtures = DOCUMENTED.parent
    payload = {**json.loads((fixtures / "generic_order.json").read_text()), "total": "7401"}
    channels.configure_channel(code="web", name="web", type="api")
    body = json.dumps(payload, ensure_ascii=False).encode()
    delivery, _ = channels.import_payload("web", body, name="order.json")
    order = orders.get_order(delivery.order_id)
    assert (order.status, order.hold_reason) == ("on_hold", "total_mismatch")
    assert (order.total_amount, order.computed_total) == (Decimal("7401"), Decimal("7400"))
    assert "7401 JPY" in order.hold_detail[0]["message"]


def test_ebay_line_promotions_are_taken_off_once_without_a_price_discount(stocked, client):  # noqa: F811
    payload = load("ebay_order.json")
    del payload["pricingSummary"]["priceDiscount"]  # the promotions are on the lines only
    for way, order in _every_way_in(client, "ebay", payload, _ebay).items():
        assert order.hold_reason != "total_mismatch", (way, order.hold_detail)
        assert (order.total_amount, order.discount_amount) == (Decimal("59.00"), Decimal("3.00"))


def test_a_later_update_compares_units_per_sku_not_how_the_lines_were_cut(stocked, client):  # noqa: F811
    from despatch.models import OrderLine
    from despatch.services import audit

    payload = load("amazon_order_uk.json")
    channels.configure_channel(code="am", name="am", type="amazon")
    delivery, _ = channels.import_payload("am", json.dumps(payload).encode(), name="a.json")
    order = orders.get_order(delivery.order_id)
    whole = order.lines.get(sku="SKU-0001")  # stored as it was before lines were kept whole:
    OrderLine.objects.filter(pk=whole.pk).update(quantity=1)  # 18.33 for 2 as 9.17 + 9.16
    OrderLine.objects.create(
        id="line_split", order=order, line_no=9, sku="SKU-0001", quantity=1, unit_price="9.16"
    )
    payload["order"]["payload"]["LastUpdateDate"] = "1970-01-20T00:00:00Z"
    channels.import_payload("am", json.dumps(payload).encode(), name="b.json")
    changed = [e for e in audit.timeline(order.id) if e.action == "channel_lines_changed"]
    assert changed == []
    payload["items"][0]["payload"]["OrderItems"][0]["QuantityOrdered"] = 3
    payload["order"]["payload"]["LastUpdateDate"] = "1970-01-21T00:00:00Z"
    channels.import_payload("am", json.dumps(payload).encode(), name="c.json")
    changed = [e for e in audit.timeline(order.id) if e.action == "channel_lines_changed"]
    assert len(changed) == 1
