"""Buying labels: rate shopping against the rate card, tracking numbers, files, audit."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from despatch.cli.app import app
from despatch.domain import tracking_numbers
from despatch.domain.addresses import Address
from despatch.domain.errors import Conflict, ValidationFailed
from despatch.models import Order, Sku
from despatch.services import audit, fulfillment, shipping, tokens
from tests.integration.test_fulfillment import allocated

RATES = Path(__file__).parents[2] / "docs" / "examples" / "rates.json"


@pytest.fixture
def rated(shop, monkeypatch, tmp_path, settings):
    settings.HOME = tmp_path
    monkeypatch.setenv("DESPATCH_RATES", str(RATES))
    Sku.objects.filter(code="A").update(weight_g=400)


def test_a_label_is_the_cheapest_service_in_time_with_a_valid_number(rated):
    order = allocated([("A", 2)])
    (shipment,) = order.shipments.all()
    done = shipping.buy_label(shipment.id, actor="user:shipper", extra_weight_g=150)
    s = done.shipment
    assert (s.carrier, s.service, s.weight_g) == ("royalmail", "tracked-48", 950)
    assert s.shipping_cost == Decimal("3.22")  # 3.10 + 4% fuel
    assert tracking_numbers.check(s.tracking_number).valid and s.tracking_number.endswith("GB")
    assert done.files["pdf"].read_bytes().startswith(b"%PDF")
    assert s.tracking_number in done.files["zpl"].read_text()
    entry = next(e for e in audit.timeline(order.id) if e.action == "labelled")
    assert entry.actor == "user:shipper" and "cheapest in time" in " ".join(entry.detail["reasons"])
    again = shipping.buy_label(shipment.id, actor="user:shipper")
    assert again.shopping is None and again.shipment.tracking_number == s.tracking_number
    fulfillment.start_picking(shipment.id, actor="t")
    fulfillment.pack(shipment.id, actor="t")
    fulfillment.despatch(shipment.id, actor="t")  # keeps the label's carrier and number
    assert fulfillment.get_shipment(shipment.id).tracking_number == s.tracking_number


def test_a_rate_card_whose_s10_country_is_no_country_is_named(rated, tmp_path, monkeypatch):
    card = json.loads(RATES.read_text())
    card["carriers"][0]["tracking"]["country"] = "XX"
    (tmp_path / "rates.json").write_text(json.dumps(card))
    monkeypatch.setenv("DESPATCH_RATES", str(tmp_path / "rates.json"))
    order = allocated([("A", 1)])
    (shipment,) = order.shipments.all()
    with pytest.raises(ValidationFailed) as refused:
        shipping.buy_label(shipment.id, actor="t")
    (error,) = refused.value.errors
    assert error.field == "carriers[royalmail].tracking"
    assert error.message.endswith("XX is not an ISO 3166 country")
    assert fulfillment.get_shipment(shipment.id).tracking_number == ""


def test_a_carrier_that_needs_a_phone_is_left_out_without_one(rated, tmp_path, monkeypatch):
    card = json.loads(RATES.read_text())
    card["carriers"][0]["needs_phone"] = True  # Royal Mail, the cheapest for GB
    (tmp_path / "rates.json").write_text(json.dumps(card))
    monkeypatch.setenv("DESPATCH_RATES", str(tmp_path / "rates.json"))
    unreadable = Address("Jo", "1 High St", "Leeds", "LS1 1AA", "GB", phone="n/a")
    order = allocated([("A", 1)], shipping_address=unreadable)
    (shipment,) = order.shipments.all()
    s = shipping.buy_label(shipment.id, actor="t").shipment
    assert s.carrier == "ups"
    assert any("royalmail/tracked-48: needs the customer's phone" in r for r in s.rate_reasoning)
    reachable = Address("Jo", "1 High St", "Leeds", "LS1 1AA", "GB", phone="0113 496 0000")
    order = allocated([("A", 1)], shipping_address=reachable)
    (shipment,) = order.shipments.all()
    assert shipping.buy_label(shipment.id, actor="t").shipment.carrier == "royalmail"


def test_tracking_numbers_never_repeat(rated):
    numbers = set()
    for _ in range(5):
        order = allocated([("A", 1)])
        (shipment,) = order.shipments.all()
        numbers.add(shipping.buy_label(shipment.id, actor="t").shipment.tracking_number)
    assert len(numbers) == 5


def test_a_late_parcel_takes_the_earliest_service_and_says_it_is_late(rated, client):
    order = allocated([("A", 1)])
    Order.objects.filter(id=order.id).update(promise_date=date(2026, 11, 20))
    (shipment,) = order.shipments.all()
    bought = shipping.buy_label(shipment.id, actor="t", ship_date=date(2026, 11, 23))
    assert bought.shopping is not None and bought.shopping.late
    assert bought.shopping.chosen is not None
    assert bought.shopping.chosen.delivery_date == min(
        q.delivery_date for q in bought.shopping.quotes
    )
    assert any(r.startswith("late: nothing arrives by 2026-11-20") for r in bought.shopping.reasons)
    entry = next(e for e in audit.timeline(order.id) if e.action == "labelled")
    assert entry.reason_code == "earliest_late"


def test_no_service_to_the_destination_is_a_conflict_with_the_reasons(rated, client):
    order = allocated(
        [("A", 1)],
        shipping_address=Address("Jo", "1 Main St", "New York", "10001", "US", region="NY"),
    )
    (shipment,) = order.shipments.all()
    with pytest.raises(Conflict):
        shipping.buy_label(shipment.id, actor="t")
    tokens.ensure_user("ship", "pw", roles=("shipping",))
    token = tokens.create_token("ship")
    answer = client.post(
        f"/api/shipments/{shipment.id}/label",
        {},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert answer.status_code == 409
    assert any("does not deliver to US" in r for r in answer.json()["reasons"])


def test_labels_through_the_api_and_the_cli(rated, client):
    order = allocated([("A", 1)])
    (shipment,) = order.shipments.all()
    tokens.ensure_user("ship", "pw", roles=("shipping",))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('ship')}"}
    bought = client.post(
        f"/api/shipments/{shipment.id}/label",
        {"extra_weight_g": 100},
        content_type="application/json",
        **auth,
    )
    assert bought.status_code == 200, bought.content
    body = bought.json()
    assert body["already_bought"] is False and body["weight_g"] == 500
    pdf = client.get(body["files"]["pdf"], **auth)
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert client.get(f"/api/shipments/{shipment.id}/label.png", **auth).status_code == 404

    other = allocated([("A", 1)]).shipments.get()
    runner = CliRunner()
    result = runner.invoke(app, ["shipping", "label", other.id, "--rates", str(RATES)])
    assert result.exit_code == 0 and "label bought: royalmail/tracked-48 RR" in result.output
    rate = runner.invoke(
        app,
        [
            "shipping",
            "rate",
            "--to",
            "DE",
            "--postcode",
            "10115",
            "--weight-g",
            "800",
            "--rates",
            str(RATES),
            "--json",
        ],
    )
    assert json.loads(rate.output)["chosen"]["carrier"] == "ups"
    checked = runner.invoke(app, ["shipping", "check-tracking", "RR123456785GB", "RR123456786GB"])
    assert checked.exit_code == 1 and "RR123456785GB: s10, valid" in checked.output
