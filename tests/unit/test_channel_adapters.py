import copy
import json
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from despatch.domain.money import Money
from despatch.domain.orders import PaymentStatus
from despatch.integrations.channels import shopify, woocommerce
from despatch.integrations.channels.base import line_for_total, sign_base64

FIXTURES = Path(__file__).parents[1] / "fixtures" / "channels"


def load(name):
    return json.loads((FIXTURES / name).read_text())


def test_shopify_order_reconciles_to_the_platform_total_to_the_cent():
    parsed = shopify.parse(load("shopify_order_multicurrency.json"), "shop-de")
    d = parsed.draft
    assert (d.channel, d.external_id, d.currency) == ("shop-de", "5678901234001", "USD")
    assert [(li.sku, li.quantity, li.unit_price.amount) for li in d.lines] == [
        ("SKU-0001", 2, Decimal("24.99")),
        ("SKU-0002", 1, Decimal("10.00")),
    ]
    assert d.discount_total == Money(Decimal("6.00"), "USD")
    assert d.shipping_price == Money(Decimal("7.00"), "USD")
    assert d.tax_total == Money(Decimal("6.10"), "USD") and not d.taxes_included
    assert d.total == parsed.platform_total == Money(Decimal("67.08"), "USD")
    assert d.presentment_total == Money(Decimal("61.90"), "EUR")
    assert d.requested_service == "express" and d.lines[0].name == "Black Mug - Large"


def test_shopify_keeps_unicode_exactly_and_normalises_the_phone():
    address = shopify.parse(load("shopify_order_multicurrency.json"), "s").draft.shipping_address
    assert address.name == "Zoë Łukasiewicz" and address.line1 == "Straße des 17. Juni 135"
    assert (address.phone, address.phone_raw) == ("+493012345678", "030 12345678")
    assert (address.country, address.region, address.postcode) == ("DE", "BE", "10623")


def test_shopify_empty_and_unknown_skus_are_kept_for_the_pipeline_to_hold():
    parsed = shopify.parse(load("shopify_order_unknown_sku_no_phone.json"), "s")
    assert [li.sku for li in parsed.draft.lines] == ["NOT-IN-CATALOGUE", ""]
    assert parsed.draft.shipping_address.phone == "" and parsed.draft.structural_errors() == []
    assert parsed.draft.total == parsed.platform_total == Money(Decimal("32.50"), "GBP")


def test_shopify_cancellation_and_refunds():
    assert shopify.parse(load("shopify_order_cancelled.json"), "s").cancelled
    parsed = shopify.parse(load("shopify_order_partially_refunded.json"), "s")
    assert parsed.payment_status == PaymentStatus.PARTIALLY_REFUNDED
    (refund,) = parsed.refunds
    assert refund.amount == Money(Decimal("10.71"), "USD") and refund.lines == (("SKU-0002", 1),)
    assert refund.reason == "damaged in transit"


def test_shopify_a_150_line_order_reconciles():
    payload = copy.deepcopy(load("shopify_order_multicurrency.json"))
    payload["line_items"] = [
        {
            "id": i,
            "sku": f"SKU-{i:04d}",
            "title": f"Item {i}",
            "quantity": 1 + i % 3,
            "price": f"{1 + i % 7}.{i % 100:02d}",
            "discount_allocations": [],
        }
        for i in range(1, 151)
    ]
    subtotal = sum(Decimal(li["price"]) * li["quantity"] for li in payload["line_items"])
    payload["total_price"] = str(subtotal + Decimal("7.00") + Decimal("6.10"))
    parsed = shopify.parse(payload, "s")
    assert len(parsed.draft.lines) == 150 and parsed.draft.total == parsed.platform_total


def test_signatures_are_checked_against_the_raw_body():
    body = (FIXTURES / "shopify_order_multicurrency.json").read_bytes()
    good = {"x-shopify-hmac-sha256": sign_base64("s3cret", body)}
    assert shopify.verify(good, body, "s3cret")
    assert not shopify.verify(good, body + b" ", "s3cret")
    assert not shopify.verify(good, body, "other")
    assert not shopify.verify({}, body, "s3cret")
    assert not shopify.verify(good, body, "")
    woo = {"x-wc-webhook-signature": sign_base64("w", body)}
    assert woocommerce.verify(woo, body, "w") and not woocommerce.verify(woo, body[:-1], "w")


def test_woocommerce_order_reconciles_with_fees_coupons_and_an_uneven_line():
    parsed = woocommerce.parse(load("woocommerce_order.json"), "woo-fr")
    d = parsed.draft
    assert [(li.sku, li.quantity, li.unit_price.amount, li.total.amount) for li in d.lines] == [
        ("SKU-0001", 3, Decimal("3.33"), Decimal("10.00")),
        ("SKU-0002", 1, Decimal("15.50"), Decimal("15.50")),
    ]
    assert d.fee_total == Money(Decimal("2.00"), "EUR")
    assert d.total == parsed.platform_total == Money(Decimal("37.13"), "EUR")
    assert (
        d.shipping_address.name == "Élodie Dupré"
        and d.shipping_address.line1 == "12 rue de l'Église"
    )
    assert d.shipping_address.phone == "+33123456789"
    assert parsed.payment_status == PaymentStatus.PAID and not parsed.cancelled
    assert woocommerce.parse(load("woocommerce_order_cancelled.json"), "w").cancelled


def test_woocommerce_line_names_are_html_decoded_and_money_is_untouched():
    payload = load("documented/woocommerce_order_727.json")
    parsed = woocommerce.parse(payload, "w")
    names = [line.name for line in parsed.draft.lines]
    assert "Ship Your Idea \u2013 Color: Black, Size: M Test" in names
    assert not any("&" in n for n in names)
    assert parsed.platform_total == Money(Decimal(payload["total"]), payload["currency"])


@given(st.integers(0, 10**7), st.integers(1, 50))
def test_a_line_known_by_its_total_stays_one_line_with_its_exact_total(minor, quantity):
    total = Money.from_minor(minor, "EUR")
    line = line_for_total("X", quantity, total, "x", 42)
    assert line.quantity == quantity and line.total == total and line.external_line_id == "42"
    assert abs((line.unit_price * quantity - total).minor) <= quantity


def test_ebay_order_reconciles_and_keeps_the_buyers_details():
    from despatch.integrations.channels import ebay

    parsed = ebay.parse(load("ebay_order.json"), "ebay-uk")
    d = parsed.draft
    assert (d.external_id, d.currency) == ("27-11963-40517", "GBP")
    assert [(li.sku, li.quantity, li.unit_price.amount) for li in d.lines] == [
        ("SKU-0001", 2, Decimal("15.00")),
        ("SKU-0002", 1, Decimal("12.49")),
    ]
    assert d.discount_total == Money(Decimal("3.00"), "GBP")
    assert d.shipping_price == Money(Decimal("3.99"), "GBP")
    assert d.total == parsed.platform_total == Money(Decimal("43.48"), "GBP")
    assert (
        d.shipping_address.name == "Siobhán Ó Conchúir"
        and d.shipping_address.phone == "+442890321234"
    )
    assert d.requested_service == "UK_RoyalMailSecondClassStandard"
    assert parsed.payment_status == PaymentStatus.PARTIALLY_REFUNDED
    assert [r.amount for r in parsed.refunds] == [Money(Decimal("4.00"), "GBP")]
    cancelled = load("ebay_order.json")
    cancelled["cancelStatus"]["cancelState"] = "CANCELED"
    assert ebay.parse(cancelled, "e").cancelled and not parsed.cancelled


def test_amazon_order_reads_every_items_page_and_reconciles():
    from despatch.integrations.channels import amazon

    parsed = amazon.parse(load("amazon_order_mfn.json"), "amz-us")
    d = parsed.draft
    assert [(li.sku, li.quantity, li.unit_price.amount) for li in d.lines] == [
        ("SKU-0001", 2, Decimal("19.99")),
        ("SKU-0002", 1, Decimal("12.00")),
    ]
    assert d.total == parsed.platform_total == Money(Decimal("58.13"), "USD")
    assert d.shipping_address.name == "José Álvarez" and d.shipping_address.phone == "+12065550143"
    assert parsed.payment_status == PaymentStatus.PAID and not parsed.fulfilled_by_channel
    assert amazon.parse(load("amazon_order_afn.json"), "a").fulfilled_by_channel
    assert (
        amazon.parse(load("amazon_order_pending.json"), "a").payment_status == PaymentStatus.PENDING
    )


def test_amazon_items_of_another_order_are_refused():
    import pytest

    from despatch.domain.errors import ValidationFailed
    from despatch.integrations.channels import amazon

    payload = load("amazon_order_mfn.json")
    payload["items"][1]["payload"]["AmazonOrderId"] = "999-0000000-0000000"
    with pytest.raises(ValidationFailed) as exc:
        amazon.parse(payload, "a")
    assert exc.value.errors[0].field == "items[1].payload.AmazonOrderId"


def test_bigcommerce_order_reconciles_and_reads_rfc2822_dates_and_4_decimal_money():
    from despatch.integrations.channels import bigcommerce

    parsed = bigcommerce.parse(load("bigcommerce_order.json"), "bc")
    d = parsed.draft
    assert (d.external_id, d.currency, d.requested_service) == ("250", "GBP", "DHL Paket")
    # read with tax in each amount: total_inc_tax is after the discount and the coupon
    assert [(li.sku, li.quantity, li.unit_price.amount) for li in d.lines] == [
        ("SKU-0001", 2, Decimal("14.40")),
        ("SKU-0002", 1, Decimal("18.60")),
    ]
    assert d.discount_total == Money(Decimal("3.50"), "GBP") and d.taxes_included
    assert d.fee_total == Money(Decimal("1.20"), "GBP")
    assert d.total == parsed.platform_total == Money(Decimal("51.10"), "GBP")
    assert parsed.updated_at.isoformat() == "2026-11-20T09:20:41+00:00"
    address = d.shipping_address
    assert (address.name, address.company) == ("Jürgen Müller-Lüdenscheidt", "Bäckerei Müller")
    assert (address.phone, address.phone_raw) == ("+49711123456", "0711 123456")
    assert parsed.payment_status == PaymentStatus.PAID and not parsed.cancelled


def test_bigcommerce_refunds_name_lines_and_cancelled_status():
    from despatch.integrations.channels import bigcommerce

    payload = load("bigcommerce_order.json")
    payload["order"]["status_id"] = 14
    payload["refunds"] = [
        {
            "id": 3,
            "order_id": 250,
            "total_amount": 15.5,
            "reason": "arrived torn",
            "items": [{"item_type": "PRODUCT", "item_id": 17, "quantity": 1}],
        }
    ]
    parsed = bigcommerce.parse(payload, "bc")
    assert parsed.payment_status == PaymentStatus.PARTIALLY_REFUNDED
    assert parsed.refunds[0].lines == (("SKU-0002", 1),)
    assert parsed.refunds[0].amount == Money(Decimal("15.50"), "GBP")
    payload["order"]["status_id"] = 5
    assert bigcommerce.parse(payload, "bc").cancelled


def test_bigcommerce_webhooks_are_checked_by_their_custom_header_and_keyed_by_hash():
    from despatch.integrations.channels import bigcommerce

    thin = {"scope": "store/order/created", "data": {"type": "order", "id": 250}, "hash": "ab12"}
    assert bigcommerce.verify({"x-webhook-token": "s3cret"}, b"{}", "s3cret")
    assert not bigcommerce.verify({"x-webhook-token": "guess"}, b"{}", "s3cret")
    assert not bigcommerce.verify({}, b"{}", "")
    ids = bigcommerce.delivery({}, thin)
    assert (ids.delivery_id, ids.topic) == ("ab12", "store/order/created")


def test_generic_json_order_checks_its_total_and_keeps_unicode():
    import pytest

    from despatch.domain.errors import ValidationFailed
    from despatch.integrations.channels import generic

    payload = load("generic_order.json")
    parsed = generic.parse(payload, "web")
    d = parsed.draft
    assert d.total == Money(Decimal("7400"), "JPY") and d.shipping_address.name == "山田 花子"
    assert d.shipping_address.phone == "+81312345678"
    wrong = generic.parse({**payload, "total": "7401"}, "web")  # held total_mismatch on receipt
    assert (wrong.platform_total, wrong.draft.total) == (Money(7401, "JPY"), Money(7400, "JPY"))
    with pytest.raises(ValidationFailed, match="payment_status"):
        generic.parse({**payload, "payment_status": "maybe"}, "web")
    with pytest.raises(ValidationFailed, match=r"lines\[0\].quantity"):
        generic.parse({**payload, "lines": [{"sku": "A", "quantity": 0, "unit_price": "1"}]}, "w")


def test_amazon_street_in_address_line_2_with_line_1_empty_is_the_first_line():
    from despatch.integrations.channels import amazon

    payload = load("amazon_order_mfn.json")
    address = payload["order"]["payload"]["ShippingAddress"]
    address.update(AddressLine1="", AddressLine2="Meininger Strasse 58", AddressLine3="c/o Max")
    shipped_to = amazon.parse(payload, "amz-de").draft.shipping_address
    assert (shipped_to.line1, shipped_to.line2) == ("Meininger Strasse 58", "c/o Max")
