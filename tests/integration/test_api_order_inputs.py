"""POST /api/orders and the CSV import refuse what they cannot take as sent, naming the field:
a price finer than its currency (1.999 GBP was rounded to 2.00), a channel that does not exist
and a country that is not an ISO 3166-1 alpha-2 code (both were stored, then held), and a body
that is not a JSON object (it answered 'currency: Field required; ...')."""

import pytest
from typer.testing import CliRunner

from despatch.cli.app import app
from despatch.models import Order
from despatch.services import orders
from tests.integration.test_api import ORDER, api_for


@pytest.fixture
def api(shop, client):
    return api_for(client, "integrator", ("integrator",))


def _line(price):
    return [{"sku": "A", "quantity": 1, "unit_price": price}]


def _refused(api, body, field):
    status, problem = api.call("post", "/orders", body)
    assert status == 422, problem
    said = {e["field"]: e["message"] for e in problem["errors"]}
    assert field in said, problem
    assert not Order.objects.exists()
    return said[field]


@pytest.mark.parametrize(
    "currency, price, words",
    [
        ("GBP", "1.999", "GBP has 2 decimal places"),
        ("JPY", "100.5", "JPY has no decimal places"),
        ("KWD", "1.2345", "KWD has 3 decimal places"),
    ],
)
def test_a_price_finer_than_its_currency_is_a_422_naming_the_line(api, currency, price, words):
    body = {**ORDER, "currency": currency, "lines": _line(price)}
    assert words in _refused(api, body, "lines[0].unit_price")


def test_a_shipping_price_finer_than_its_currency_is_a_422(api):
    body = {**ORDER, "shipping_price": "4.955"}
    assert "GBP has 2 decimal places" in _refused(api, body, "shipping_price")


@pytest.mark.parametrize(
    "currency, price, stored", [("GBP", "2.0000", "2.00"), ("KWD", "1.234", "1.234")]
)
def test_trailing_zeros_and_a_currencys_own_places_are_taken(api, currency, price, stored):
    status, order = api.call(
        "post", "/orders", {**ORDER, "currency": currency, "lines": _line(price)}
    )
    assert status == 201 and order["lines"][0]["unit_price"].rstrip("0") == stored.rstrip("0")
    assert order["total"] == stored


def test_a_channel_that_does_not_exist_is_a_422(api):
    assert "nope" in _refused(api, {**ORDER, "channel": "nope"}, "channel")


def test_a_country_that_is_not_iso_3166_is_a_422(api):
    address = {**ORDER["shipping_address"], "country": "ZZ"}
    assert "ZZ" in _refused(api, {**ORDER, "shipping_address": address}, "shipping_address.country")
    billing = {**ORDER, "billing_address": address}
    assert "ZZ" in _refused(api, billing, "billing_address.country")


def test_a_real_country_with_a_bad_postcode_is_still_taken_and_a_retry_replays(api):
    address = {**ORDER["shipping_address"], "postcode": "NOT A POSTCODE"}
    body = {**ORDER, "shipping_address": address}
    first, order = api.call("post", "/orders", body)
    again, replay = api.call("post", "/orders", body)
    assert (first, again) == (201, 200) and replay["id"] == order["id"]


@pytest.mark.parametrize("body", ["[1, 2]", '"an order"', "3", "null"])
def test_a_body_that_is_not_a_json_object_says_so(api, body):
    status, problem = api.call("post", "/orders", body)
    assert status == 422, problem
    assert problem["detail"] == "body: the body must be a JSON object"
    assert not Order.objects.exists()


CSV = (
    "external_id,currency,sku,quantity,unit_price,ship_name,ship_line1,ship_city,ship_postcode,"
    "ship_country\n"
)


def test_a_csv_price_finer_than_its_currency_is_refused_by_row_and_field(shop, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        CSV
        + "OK-1,GBP,A,1,2.5000,Jo,1 St,Leeds,LS1 4DY,GB\n"
        + "BAD-1,GBP,A,1,1.999,Jo,1 St,Leeds,LS1 4DY,GB\n"
    )
    result = CliRunner().invoke(app, ["orders", "import", str(path)])
    said = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "row 3, unit_price: " in said and "GBP has 2 decimal places" in said
    assert [o.external_id for o in orders.list_orders()] == ["OK-1"]


def test_the_default_api_channel_takes_orders_without_being_added(shop, client):
    from despatch.models import Channel

    api = api_for(client, "integrator", ("integrator",))
    Channel.objects.filter(code="api").delete()  # api_for adds it; a new install has none
    body = {k: v for k, v in ORDER.items() if k != "channel"}
    status, order = api.call("post", "/orders", body)
    assert status == 201 and order["channel"] == "api"


def test_the_checks_read_the_reference_data_once(api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from despatch.services import catalogue

    catalogue.upsert_channel(code="shop", name="Shop")
    with CaptureQueriesContext(connection) as queries:
        status, _ = api.call("post", "/orders", {**ORDER, "channel": "shop"})
    assert status == 201
    reads = [q for q in queries if "referenceversion" in q["sql"].lower()]
    assert len(reads) == 1, [q["sql"] for q in queries]
