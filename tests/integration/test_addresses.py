"""Addresses and phones without false alarms: regions in every form, optional postcodes, and a
corrected phone checked as corrected."""

import pytest
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.domain.addresses import Address
from despatch.domain.orders import PaymentStatus
from despatch.models import AuditEntry, ExceptionCase
from despatch.services import channels, orders
from tests.conftest import make_draft

CORK = Address("Siobhán Murphy", "12 Oliver Plunkett St", "Cork", "", "IE", region="Co. Cork")
TOKYO = Address("Tanaka Hanako", "1-1 Marunouchi", "Chiyoda-ku", "100-0005", "JP", region="13")


def received(**overrides):
    order, _ = orders.receive_order(make_draft([("A", 1)], **overrides), actor="t")
    worker.drain("w")
    return orders.get_order(order.id)


def test_an_irish_order_without_eircode_and_a_japanese_one_with_13_are_not_held(shop):
    irish = received(currency="EUR", shipping_address=CORK)
    japanese = received(currency="JPY", shipping_address=TOKYO)
    for order in (irish, japanese):
        assert order.status == "allocated", order.hold_detail
    assert (irish.shipping_address["region"], irish.shipping_address["postcode"]) == ("CO", "")
    assert japanese.shipping_address["region"] == "13"


def test_a_csv_import_from_ireland_and_japan_goes_through(shop, tmp_path):
    (tmp_path / "orders.csv").write_text(
        "external_id,currency,sku,quantity,unit_price,ship_name,ship_line1,ship_city,"
        "ship_postcode,ship_country,ship_region,ship_phone\n"
        "IE-1,EUR,A,1,5.00,Siobhán Murphy,12 Oliver Plunkett St,Cork,,IE,Co. Cork,021 427 0000\n"
        "JP-1,JPY,A,1,500,Tanaka Hanako,1-1 Marunouchi,Chiyoda-ku,100-0005,JP,13,\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["orders", "import", "--channel", "csv", str(tmp_path / "orders.csv")]
    )
    assert result.exit_code == 0, result.output
    worker.drain("w")
    irish, japanese = orders.find_order("csv", "IE-1"), orders.find_order("csv", "JP-1")
    assert (irish.status, japanese.status) == ("allocated", "allocated")
    assert irish.shipping_address["region"] == "CO"
    assert irish.shipping_address["phone"] == "+353214270000"


def test_regions_arrive_through_the_api_as_the_platforms_write_them(api_call):
    channels.configure_channel(
        code="api", name="API", type="api", settings={"trusted_payment_status": True}
    )
    stored = {}
    for n, (country, region, postcode, city) in enumerate(
        [
            ("IE", "IE-CO", "", "Cork"),
            ("JP", "Tokyo", "100-0005", "Chiyoda-ku"),
            ("JP", "JP-13", "100-0005", "Chiyoda-ku"),
            ("US", "California", "94103", "San Francisco"),
        ]
    ):
        address = {"name": "Jo", "line1": "1 Main St", "city": city, "country": country}
        body = {
            "external_id": f"region-{n}",
            "currency": "EUR",
            "lines": [{"sku": "A", "quantity": 1, "unit_price": "5.00"}],
            "shipping_address": {**address, "region": region, "postcode": postcode},
        }
        status, order = api_call("post", "/api/orders", body)
        assert status == 201, order
        stored[region] = order["id"]
    worker.drain("w")
    for region, code in (("IE-CO", "CO"), ("Tokyo", "13"), ("JP-13", "13"), ("California", "CA")):
        order = orders.get_order(stored[region])
        assert order.status == "allocated", order.hold_detail
        assert order.shipping_address["region"] == code


def test_an_unreadable_phone_is_kept_and_counts_as_none(shop):
    order = received(
        shipping_address=Address("Jo", "1 High St", "Leeds", "LS1 1AA", "GB", phone="n/a")
    )
    assert order.status == "allocated"
    assert (order.shipping_address["phone"], order.shipping_address["phone_raw"]) == ("", "n/a")


@pytest.fixture
def needs_phone(shop):
    channels.configure_channel(
        code="courier", name="Courier", type="api", settings={"phone_required": True}
    )


def held_for_phone():
    bad = Address("Jo", "1 High St", "Leeds", "LS1 1AA", "GB", phone="0113 496")
    order = received(channel="courier", shipping_address=bad)
    assert (order.status, order.hold_reason) == ("on_hold", "invalid_address")
    assert order.hold_detail[0]["field"] == "shipping_address.phone"
    assert order.hold_detail[0]["message"] == "'0113 496' is not a valid GB phone number"
    return order, ExceptionCase.objects.get(order=order, status="open")


def test_a_phone_fixed_through_the_api_is_checked_as_fixed_and_the_order_goes_on(
    needs_phone, api_call
):
    order, case = held_for_phone()
    path = f"/api/exceptions/{case.id}/resolve"
    status, body = api_call(
        "post", path, {"action": "fix_address", "address": {"phone": "call me"}}
    )
    assert status == 422 and body["errors"][0]["field"] == "shipping_address.phone"
    status, body = api_call(
        "post", path, {"action": "fix_address", "address": {"phone": "0113 496 0000"}}
    )
    assert status == 200 and body["status"] == "resolved", body
    worker.drain("w")
    order = orders.get_order(order.id)
    assert order.status == "allocated", order.hold_detail
    assert order.shipping_address["phone"] == "+441134960000"
    assert order.shipping_address["phone_raw"] == "0113 496 0000"
    fixed = AuditEntry.objects.get(order_id=order.id, action="address_corrected")
    assert (fixed.before["phone"], fixed.after["phone"]) == ("", "+441134960000")


def test_a_phone_fixed_from_the_shell_releases_the_order(needs_phone):
    order, case = held_for_phone()
    result = CliRunner().invoke(
        app,
        [
            "exceptions",
            "resolve",
            case.id,
            "--action",
            "fix_address",
            "--address",
            "phone=+44 113 496 0000",
        ],
    )
    assert result.exit_code == 0, result.output
    worker.drain("w")
    assert orders.get_order(order.id).status == "allocated"


def test_cash_on_delivery_reads_the_corrected_phone(shop):
    channels.configure_channel(
        code="cod", name="COD", type="api", settings={"cash_on_delivery": True}
    )
    bad = Address("Jo", "1 High St", "Leeds", "LS1 1AA", "GB", phone="12")
    order = received(channel="cod", payment_status=PaymentStatus.PENDING, shipping_address=bad)
    assert order.hold_reason == "invalid_address"
    case = ExceptionCase.objects.get(order=order, status="open")
    result = CliRunner().invoke(
        app,
        [
            "exceptions",
            "resolve",
            case.id,
            "--action",
            "fix_address",
            "--address",
            "phone=07400 123456",
        ],
    )
    assert result.exit_code == 0, result.output
    worker.drain("w")
    order = orders.get_order(order.id)
    assert order.status == "allocated", order.hold_detail
    assert order.shipping_address["phone"] == "+447400123456"
