"""Billing addresses: read from each platform's documented order, stored, shown, and scored."""

import copy

import pytest

from despatch import worker
from despatch.services import channels, orders, tokens
from tests.integration.test_documented_payloads import CASES, IDS, _every_way_in, load
from tests.integration.test_three_ways_in import _ebay, stocked  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def billing_of(kind, payload):
    """(name, country) of the billing address as the payload states it; None when it has none."""
    if kind == "shopify":
        b = payload["billing_address"]
        return b["name"], b["country_code"]
    if kind == "woocommerce":
        b = payload["billing"]
        return f"{b['first_name']} {b['last_name']}", b["country"]
    if kind == "bigcommerce":
        b = payload["order"]["billing_address"]
        return f"{b['first_name']} {b['last_name']}", b["country_iso2"]
    if kind == "ebay":
        b = (payload.get("buyer") or {}).get("buyerRegistrationAddress")
        return (b["fullName"], b["contactAddress"]["countryCode"]) if b else None
    return None  # Amazon gives BuyerInfo, no billing address


@pytest.mark.parametrize(("kind", "name", "route", "parts"), CASES, ids=IDS)
def test_each_platforms_billing_address_is_stored_every_way_in(
    stocked,  # noqa: F811
    client,
    kind,
    name,
    route,
    parts,
):
    payload = load(name)
    expected = billing_of(kind, payload)
    for way, order in _every_way_in(client, kind, payload, route).items():
        if expected is None:
            assert order.billing_address == {}, way
        else:
            stored = (order.billing_address["name"], order.billing_address["country"])
            assert stored == expected, way
            assert order.billing_address.get("line1"), way


def test_an_ebay_buyer_registration_address_is_the_billing_address(stocked, client):  # noqa: F811
    payload = copy.deepcopy(load("ebay_order.json"))
    payload["buyer"]["buyerRegistrationAddress"] = {  # eBay's ExtendedContact
        "fullName": "Chris Tran",
        "contactAddress": {
            "addressLine1": "20 Rue de Rivoli",
            "city": "Paris",
            "postalCode": "75004",
            "countryCode": "FR",
        },
        "primaryPhone": {"phoneNumber": "0142765432"},
        "email": "buyer@members.ebay.com",
    }
    for way, order in _every_way_in(client, "ebay", payload, _ebay).items():
        assert order.billing_address["country"] == "FR", way
        assert order.billing_address["line1"] == "20 Rue de Rivoli", way
        assert order.shipping_address["country"] == "US", way
        assert any("billed in FR, shipped to US" in r for r in order.fraud_reasons), way


def _api_order(api_call, external_id, billing_country, total="900.00", service="express"):
    channels.configure_channel(
        code="api", name="API", type="api", settings={"trusted_payment_status": True}
    )
    body = {
        "external_id": external_id,
        "currency": "GBP",
        "lines": [{"sku": "A", "quantity": 1, "unit_price": total}],
        "shipping_address": {
            "name": "Jo Bloggs",
            "line1": "1 High St",
            "city": "Leeds",
            "postcode": "LS1 1AA",
            "country": "GB",
            "phone": "+447700900123",
        },
        "customer_email": f"{external_id}@example.com",
        "requested_service": service,
    }
    if billing_country:
        body["billing_address"] = {
            "name": "J Bloggs",
            "line1": "5 Main St",
            "city": "Lagos",
            "country": billing_country,
        }
    status, order = api_call("post", "/api/orders", body)
    assert status == 201, order
    worker.drain("w")
    return api_call("get", f"/api/orders/{order['id']}")[1]


def test_billed_abroad_high_value_first_express_order_is_held_for_review(api_call):
    held = _api_order(api_call, "far-1", "NG")
    assert held["status"] == "on_hold" and held["hold_reason"] == "fraud_review", held
    assert held["billing_address"]["country"] == "NG"
    assert held["billing_address"]["line1"] == "5 Main St"
    same = _api_order(api_call, "near-1", "GB")
    assert same["status"] == "allocated", same["hold_detail"]
    none = _api_order(api_call, "none-1", "")
    assert none["billing_address"] == {} and none["status"] == "allocated"


def test_a_mismatch_alone_is_scored_but_not_held(api_call):
    gift = _api_order(api_call, "gift-1", "IE", total="20.00", service="standard")
    assert gift["status"] == "allocated"
    stored = orders.get_order(gift["id"])
    assert stored.fraud_score == 20
    assert stored.fraud_reasons == ["+20 billed in IE, shipped to GB"]


def test_the_order_page_shows_bill_to(api_call, client):
    order = _api_order(api_call, "page-1", "NG")
    tokens.ensure_user("viewer", "pw", roles=("order_ops",))
    client.login(username="viewer", password="pw")
    page = client.get(f"/orders/{order['id']}/").content.decode()
    assert "Bill to" in page and "5 Main St" in page
    assert "Billed in NG, shipped to GB." in page
