"""Money at the platforms' edges, each read as the platform documents it: amounts an order can
carry beyond lines, discounts, shipping and tax (gift wrap, additional fees, BigCommerce fees),
another currency the buyer saw, and orders that cost nothing (fixtures:
tests/fixtures/channels/documented)."""

import copy
import json
from decimal import Decimal
from pathlib import Path

from despatch.domain.money import Money
from despatch.integrations.channels import amazon, bigcommerce, ebay, shopify, woocommerce

DOCUMENTED = Path(__file__).parents[1] / "fixtures" / "channels" / "documented"


def load(name):
    return json.loads((DOCUMENTED / name).read_text())


def m(text, currency="USD"):
    return Money(Decimal(text), currency)


def amount(text, currency):
    return {"CurrencyCode": currency, "Amount": text}


def reconciles(parsed):
    return parsed.draft.total == parsed.platform_total


def test_amazon_gift_wrap_in_the_items_buyer_info_is_in_the_order_total():
    payload = load("amazon_order_uk.json")
    item = payload["items"][0]["payload"]["OrderItems"][1]
    item["BuyerInfo"] = {
        "GiftWrapPrice": amount("3.00", "GBP"),  # with its VAT, like every UK price
        "GiftWrapTax": amount("0.50", "GBP"),
        "GiftWrapLevel": "Classic",
    }
    payload["order"]["payload"]["OrderTotal"]["Amount"] = "40.32"
    parsed = amazon.parse(payload, "amz-uk")
    assert reconciles(parsed) and parsed.platform_total == m("40.32", "GBP")
    assert parsed.draft.fee_total == m("3.00", "GBP")
    assert parsed.draft.tax_total == m("6.72", "GBP")  # 6.22 + the wrap's 0.50, inside


def test_amazon_us_shipping_discount_and_the_tax_on_both_discounts_come_off():
    payload = load("amazon_order_us.json")
    item = payload["items"][0]["payload"]["OrderItems"][0]
    item.update(
        ShippingPrice=amount("5.99", "USD"),
        ShippingTax=amount("0.60", "USD"),
        ShippingDiscount=amount("5.99", "USD"),
        ShippingDiscountTax=amount("0.60", "USD"),
        PromotionDiscount=amount("2.00", "USD"),
        PromotionDiscountTax=amount("0.20", "USD"),
    )
    item["BuyerInfo"] = {"GiftWrapPrice": amount("1.99", "USD")}
    # 10.00 + 5.99 - 5.99 - 2.00 + 1.99 + (1.01 + 0.60 - 0.60 - 0.20)
    payload["order"]["payload"]["OrderTotal"]["Amount"] = "10.80"
    parsed = amazon.parse(payload, "amz-us")
    d = parsed.draft
    assert reconciles(parsed) and not d.taxes_included
    assert (d.shipping_price, d.discount_total, d.tax_total) == (m("0"), m("2.00"), m("0.81"))


def test_ebay_total_converted_from_the_listing_currency_keeps_what_the_buyer_saw():
    payload = load("ebay_order.json")
    payload["pricingSummary"]["total"].update(
        convertedFromValue="54.32", convertedFromCurrency="EUR"
    )
    parsed = ebay.parse(payload, "ebay-us")
    assert reconciles(parsed)
    assert parsed.draft.presentment_total == m("54.32", "EUR")
    assert ebay.parse(load("ebay_order.json"), "e").draft.presentment_total is None


def test_ebay_price_discount_subtotal_of_older_responses_covers_an_order_discount():
    payload = load("ebay_order.json")
    summary = payload["pricingSummary"]
    del summary["priceDiscount"]
    summary["priceDiscountSubtotal"] = {"value": "-5.00", "currency": "USD"}  # 3.00 + 2.00 order
    summary["total"]["value"] = "57.00"
    parsed = ebay.parse(payload, "e")
    assert reconciles(parsed) and parsed.draft.discount_total == m("5.00")


def test_ebay_several_lines_with_a_delivery_discount_whichever_sign_it_comes_with():
    payload = load("ebay_order.json")
    payload["pricingSummary"]["deliveryDiscount"] = {"value": "-4.50", "currency": "USD"}
    payload["pricingSummary"]["total"]["value"] = "54.50"
    parsed = ebay.parse(copy.deepcopy(payload), "e")
    assert reconciles(parsed) and parsed.draft.shipping_price == m("0.00")
    assert [(li.quantity, li.total) for li in parsed.draft.lines] == [
        (2, m("30.00")),
        (3, m("27.50")),
    ]
    payload["pricingSummary"]["deliveryDiscount"]["value"] = "4.50"  # "should be negative"
    assert reconciles(ebay.parse(payload, "e"))


def test_bigcommerce_documented_order_218_with_its_fees_is_read_as_its_totals_say():
    parsed = bigcommerce.parse(load("bigcommerce_order_218.json"), "bc")
    # the example's products make up subtotal_inc_tax by themselves: its fees are outside it
    assert reconciles(parsed) and parsed.platform_total == m("69.84")
    assert parsed.draft.fee_total == m("0")


def test_bigcommerce_fees_in_the_subtotal_are_counted():
    payload = load("bigcommerce_order_218.json")
    order = payload["order"]
    order["subtotal_inc_tax"] = "92.1400"  # products 67.84 and fees 24.30, before discounts
    order["total_inc_tax"] = "94.1400"
    parsed = bigcommerce.parse(payload, "bc")
    assert reconciles(parsed) and parsed.draft.fee_total == m("24.30")


def test_bigcommerce_fees_given_as_a_link_are_not_a_list_of_fees():
    payload = load("bigcommerce_order_218.json")
    payload["order"]["fees"] = {"url": "https://api.example/v2/orders/218/fees", "resource": "/x"}
    parsed = bigcommerce.parse(payload, "bc")
    assert reconciles(parsed) and parsed.draft.fee_total == m("0")


def test_bigcommerce_handling_wrapping_and_a_coupon():
    payload = load("bigcommerce_order_218.json")
    order = payload["order"]
    order.update(
        handling_cost_inc_tax="2.5000",
        wrapping_cost_inc_tax="3.2500",
        coupon_discount="7.0000",
        discount_amount="0.0000",
        total_inc_tax="78.5900",  # 67.84 + 12.00 + 2.50 + 3.25 - 7.00
    )
    parsed = bigcommerce.parse(payload, "bc")
    d = parsed.draft
    assert reconciles(parsed)
    assert (d.fee_total, d.discount_total, d.tax_total) == (m("5.75"), m("7.00"), m("5.31"))


def test_bigcommerce_display_total_from_a_store_transacting_in_another_currency():
    payload = load("bigcommerce_order_display_currency.json")
    order = payload["order"]
    # store default USD; the shopper pays in GBP (0.80 to the dollar), sees EUR (0.92)
    order.update(
        default_currency_code="GBP",
        store_default_currency_code="USD",
        store_default_to_transactional_exchange_rate="0.8000000000",
    )
    parsed = bigcommerce.parse(payload, "bc")
    assert parsed.platform_total == m("69.84", "GBP")
    assert parsed.draft.presentment_total == m("80.32", "EUR")  # 69.84 / 0.80 * 0.92


def test_shopify_additional_fees_are_in_the_total():
    payload = load("shopify_webhook_orders_create.json")
    payload["original_total_additional_fees_set"] = {
        "shop_money": {"amount": "4.00", "currency_code": "USD"},
        "presentment_money": {"amount": "4.00", "currency_code": "USD"},
    }
    payload["total_price"] = "407.00"
    parsed = shopify.parse(payload, "s")
    assert reconciles(parsed) and parsed.draft.fee_total == m("4.00")


def test_shopify_an_order_discounted_to_nothing_with_no_tax_costs_nothing():
    payload = load("shopify_order_450789469.json")
    for item in payload["line_items"]:
        item["discount_allocations"] = [{"amount": item["price"], "discount_application_index": 0}]
        item["tax_lines"] = []
    payload.update(total_tax="0.00", total_price="0.00", total_discounts="597.00", refunds=[])
    parsed = shopify.parse(payload, "s")
    assert reconciles(parsed) and parsed.platform_total == m("0.00")
    assert [(li.quantity, li.total) for li in parsed.draft.lines] == [(1, m("199.00"))] * 3


def test_woocommerce_a_negative_fee_with_its_tax_in_a_tax_inclusive_shop():
    payload = load("woocommerce_order_prices_include_tax.json")
    payload["fee_lines"] = [
        {
            "id": 9,
            "name": "Loyalty",
            "total": "-5.00",
            "total_tax": "-1.00",
            "tax_status": "taxable",
        }
    ]
    payload["total_tax"] = str(Decimal(payload["total_tax"]) - 1)
    payload["total"] = str(Decimal(payload["total"]) - 6)
    parsed = woocommerce.parse(payload, "w")
    d = parsed.draft
    assert reconciles(parsed) and d.taxes_included
    assert d.fee_total == m("-6.00", "GBP")
    assert d.shipping_price == m(payload["shipping_total"], "GBP") + m(
        payload["shipping_tax"], "GBP"
    )
