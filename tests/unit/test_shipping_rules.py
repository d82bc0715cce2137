import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from despatch.domain import tracking_numbers as tn
from despatch.domain.addresses import Address
from despatch.domain.errors import ValidationFailed
from despatch.domain.rates import Parcel, add_working_days, read_rate_card, shop
from despatch.integrations import labels

RATES = json.loads((Path(__file__).parents[2] / "docs" / "examples" / "rates.json").read_text())
MONDAY = date(2026, 11, 23)


def test_s10_and_ups_numbers_carry_their_check_digits():
    assert tn.s10("RR", 12345678, "GB") == "RR123456785GB"
    assert tn.check("RR 473 124 829 GB").valid  # UPU's own example
    assert tn.check("1Z999AA10123456784").valid  # UPS's published example
    issued = tn.ups("A1B2C3", "11", 42)
    assert issued.startswith("1ZA1B2C311") and tn.check(issued).valid
    bad = tn.check("RR123456786GB")
    assert (bad.scheme, bad.valid, bad.reason) == ("s10", False, "check digit should be 5")
    assert tn.check("1Z999AA10123456785").reason == "check digit should be 4"
    assert tn.check("hello").scheme == "unknown"
    for serial in (0, 1, 99_999_999, 31_415_926):
        assert tn.check(tn.s10("CP", serial, "DE")).valid
    with pytest.raises(ValidationFailed):
        tn.s10("RR", 10**8, "GB")


def test_the_cheapest_service_in_time_is_chosen_with_reasons():
    services = read_rate_card(RATES)
    small = Parcel(800, 200, 150, 100)
    anytime = shop(services, small, "GB", "SW1A 1AA", MONDAY)
    assert (anytime.chosen.service.code, anytime.chosen.price.amount) == (
        "tracked-48",
        Decimal("3.22"),  # 3.10 + 4% fuel
    )
    tomorrow = shop(services, small, "GB", "SW1A 1AA", MONDAY, deliver_by=date(2026, 11, 24))
    assert tomorrow.chosen.service.code == "tracked-24"
    assert "royalmail/tracked-48: arrives 2026-11-25, after 2026-11-24" in tomorrow.reasons
    remote = shop(services, small, "GB", "BT1 1AA", MONDAY)
    by_service = {q.service.code: q for q in remote.quotes}
    assert by_service["tracked-48"].zone == "UK-REMOTE"  # the more specific zone wins
    assert by_service["tracked-48"].price.amount == Decimal("6.14")  # 5.90 + 4% fuel
    assert (remote.chosen.service.code, remote.chosen.price.amount) == (
        "tracked-24",
        Decimal("4.78"),
    )
    abroad = shop(services, small, "DE", "10115", MONDAY)
    assert abroad.chosen.service.carrier == "ups" and abroad.chosen.price.amount == Decimal("17.50")
    assert "royalmail/tracked-24: does not deliver to DE 10115" in abroad.reasons
    nowhere = shop(services, small, "US", "10001", MONDAY)
    assert nowhere.chosen is None and len(nowhere.reasons) == 3


def test_dimensional_weight_and_bands():
    services = read_rate_card(RATES)
    bulky = Parcel(500, 600, 400, 300)  # 72,000,000 mm3 / 5000 = 14,400 g chargeable
    result = shop(services, bulky, "GB", "LS1 1AA", MONDAY)
    assert result.chosen.chargeable_g == 14_400 and result.chosen.service.carrier == "ups"
    assert (
        "royalmail/tracked-48: 14400 g chargeable is over its heaviest band for UK"
        in result.reasons
    )
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Friday -> Monday


def test_a_wrong_rate_card_names_every_field():
    bad = json.loads(json.dumps(RATES))
    bad["carriers"][0]["services"][0]["currency"] = "XXX"
    bad["carriers"][0]["services"][0]["bands"][0]["zone"] = "MARS"
    bad["carriers"][1]["services"][0]["bands"][0]["price"] = "cheap"
    with pytest.raises(ValidationFailed) as exc:
        read_rate_card(bad)
    assert {e.field for e in exc.value.errors} == {
        "carriers[0].services[0].currency",
        "carriers[0].services[0].bands[0].zone",
        "carriers[1].services[0].bands[0].price",
    }


def test_labels_render_as_pdf_and_zpl():
    label = labels.Label(
        tracking_number="RR123456785GB",
        carrier="royalmail",
        service="Tracked 48",
        sender=Address("Despatch Ltd", "1 Dock Rd", "London", "E16 1AA", "GB"),
        to=Address("Zoë Łukasiewicz", "Straße des 17. Juni 135", "Berlin", "10623", "DE"),
        reference="#1042",
        weight_g=1250,
    )
    document = labels.pdf(label)
    assert document.startswith(b"%PDF") and len(document) > 2000
    zpl = labels.zpl(label)
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert "^BCN,180,Y,N,N^FDRR123456785GB^FS" in zpl
    assert "^FDQA,RR123456785GB|10623|DE^FS" in zpl and "Zoë Łukasiewicz" in zpl
