"""The API, the CLI and the web say what the customer paid, in which currency, how much of it was
tax, and what the shopper saw, the same way; money is printed as money (40.00 GBP, not 4E+1)."""

import json
from pathlib import Path

from typer.testing import CliRunner

from despatch.cli.app import app
from despatch.services import channels, orders, tokens
from tests.integration.test_three_ways_in import stocked  # noqa: F401  (a fixture)

DOCUMENTED = Path(__file__).parents[1] / "fixtures" / "channels" / "documented"
MONEY = {
    "currency": "USD",
    "total": "69.84",
    "tax_total": "5.31",
    "taxes_included": True,
    "discount_total": "10.00",
    "shipping_total": "12.00",
    "presentment": {"currency": "EUR", "total": "64.25"},
}
LINES = [("SKU-0001", 2, "36.66", "65"), ("SKU-0002", 1, "31.18", "66")]


def invoke(*args):
    return CliRunner().invoke(app, list(args))


def _lines(shown):
    return [
        (li["sku"], li["quantity"], li["line_total"], li["external_line_id"])
        for li in shown["lines"]
    ]


def test_an_order_imported_by_the_cli_shows_its_money_in_api_cli_and_web(
    stocked,  # noqa: F811
    api_call,
    client,
):
    channels.configure_channel(code="bc", name="BigCommerce", type="bigcommerce")
    path = str(DOCUMENTED / "bigcommerce_order_display_currency.json")
    imported = invoke("orders", "import", "--channel", "bc", path)
    assert imported.exit_code == 0, imported.output
    order = orders.find_order("bc", "219")

    status, shown = api_call("get", f"/api/orders/{order.id}")
    assert status == 200 and {k: shown[k] for k in MONEY} == MONEY
    assert _lines(shown) == LINES and shown["computed_total"] == "69.84"

    printed = invoke("orders", "show", order.id, "--json")
    assert printed.exit_code == 0, printed.output
    as_json = json.loads(printed.output)
    assert {k: as_json[k] for k in MONEY} == MONEY and _lines(as_json) == LINES
    said = " ".join(invoke("orders", "show", order.id).output.split())
    assert "69.84 USD (tax 5.31 included; shown as 64.25 EUR)" in said

    tokens.ensure_user("viewer", "pw", roles=("order_ops",))
    client.login(username="viewer", password="pw")
    page = client.get(f"/orders/{order.id}/").content.decode()
    assert "paid 69.84 USD (tax 5.31 USD included" in page and "64.25 EUR" in page
    assert "36.66 USD" in page


def test_a_round_total_is_printed_as_money_never_in_exponent_form(
    stocked,  # noqa: F811
    api_call,
    client,
):
    order = {
        "external_id": "ROUND-1",
        "currency": "GBP",
        "lines": [{"sku": "SKU-0001", "quantity": 2, "unit_price": "20"}],
        "shipping_address": {
            "name": "Jo",
            "line1": "1 High St",
            "city": "Leeds",
            "postcode": "LS1 4DY",
            "country": "GB",
        },
    }
    status, created = api_call("post", "/api/orders", order)
    assert status == 201 and created["total"] == "40.00" and created["presentment"] is None
    shown = json.loads(invoke("orders", "show", created["id"], "--json").output)
    assert shown["total"] == "40.00" and shown["tax_total"] == "0.00"
    listed = invoke("orders", "list").output
    assert "40.00 GBP" in listed and "4E+1" not in listed
    tokens.ensure_user("viewer", "pw", roles=("order_ops",))
    client.login(username="viewer", password="pw")
    assert "40.00 GBP" in client.get("/orders/").content.decode()


def test_an_ebay_total_converted_from_the_listing_currency_shows_what_the_buyer_paid_in_it(
    stocked,  # noqa: F811
    api_call,
):
    channels.configure_channel(code="eb", name="eBay", type="ebay")
    path = str(DOCUMENTED / "ebay_order_delivery_discount.json")
    imported = invoke("orders", "import", "--channel", "eb", path)
    assert imported.exit_code == 0, imported.output
    order = orders.find_order("eb", "27-11963-40518")
    status, shown = api_call("get", f"/api/orders/{order.id}")
    assert status == 200
    assert {k: shown[k] for k in ("currency", "total", "discount_total", "shipping_total")} == {
        "currency": "USD",
        "total": "54.50",
        "discount_total": "3.00",
        "shipping_total": "0.00",
    }
    assert shown["presentment"] == {"currency": "EUR", "total": "50.14"}
    assert [(li["quantity"], li["line_total"]) for li in shown["lines"]] == [
        (2, "30.00"),
        (3, "27.50"),
    ]
