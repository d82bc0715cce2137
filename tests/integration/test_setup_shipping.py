"""Set-up in the browser: the carton list of the packing bench and the carriers' rate card."""

import copy
import html
import json
import re
from decimal import Decimal

import pytest

from despatch.models import AuditEntry
from despatch.services import packing, shipping, tokens
from despatch.services.demo_floor import CARTONS_CSV, RATE_CARD

MANAGER = ("olga", "run-the-floor-2026")
CARTON = {"carton_id": "J", "name": "Jumbo box", "inner_length_mm": "600",
          "inner_width_mm": "400", "inner_height_mm": "400", "max_content_weight_g": "25000",
          "cost": "1.80", "tare_g": "900"}  # fmt: skip


@pytest.fixture
def manager(db, client, settings, tmp_path):
    settings.HOME = tmp_path
    (tmp_path / "cartons.csv").write_text(CARTONS_CSV)
    tokens.ensure_user(*MANAGER, roles=("ops_manager",))
    assert client.login(username=MANAGER[0], password=MANAGER[1])
    return client


def field_error(answer, name: str) -> str:
    assert answer.status_code == 422
    return html.unescape(re.search(rf'id="{name}-error">([^<]+)<', answer.content.decode())[1])


def latest(action: str) -> AuditEntry:
    entry = AuditEntry.objects.filter(action=action).latest("seq")
    assert entry.actor == "user:olga"
    return entry


def test_a_carton_is_added_changed_and_removed(manager):
    before = {c.carton_id for c in packing.load_cartons()}
    assert manager.get("/setup/cartons/").status_code == 200
    added = manager.post("/setup/cartons/", CARTON, follow=True)
    assert "carton J added" in added.content.decode()
    jumbo = next(c for c in packing.load_cartons() if c.carton_id == "J")
    assert (jumbo.length, jumbo.max_weight_g, str(jumbo.cost), jumbo.tare_g) == (
        600,
        25000,
        "1.80",
        900,
    )
    assert latest("carton_created").after["name"] == "Jumbo box"

    manager.post("/setup/cartons/", CARTON | {"cost": "2.10"})
    assert latest("carton_changed").after == {"cost": "2.10"}
    assert len(packing.load_cartons()) == len(before) + 1

    manager.post("/setup/cartons/J/remove/")
    assert {c.carton_id for c in packing.load_cartons()} == before
    assert latest("carton_deleted").before["carton_id"] == "J"


def test_a_wrong_carton_is_said_and_the_list_is_unchanged(manager):
    text = packing.cartons_path().read_text()
    answer = manager.post("/setup/cartons/", CARTON | {"inner_width_mm": "wide", "cost": "-1"})
    assert "whole number" in field_error(answer, "inner_width_mm")
    assert field_error(answer, "inner_width_mm").startswith("inside width mm: ")
    assert "not an amount" in field_error(answer, "cost")
    assert "is required" in field_error(manager.post("/setup/cartons/", {"name": "x"}), "carton_id")
    assert packing.cartons_path().read_text() == text


def test_the_rate_card_is_shown_checked_and_replaced(manager):
    shipping.set_rate_card(RATE_CARD, actor="t")
    page = manager.get("/setup/carriers/").content.decode()
    assert "Royal Mail" in page or "royalmail" in page
    card = copy.deepcopy(RATE_CARD)
    card["carriers"][0]["name"] = "Royal Mail Group"
    saved = manager.post("/setup/carriers/", {"card": json.dumps(card)}, follow=True)
    assert "rate card saved" in saved.content.decode()
    assert json.loads(shipping.rates_path().read_text()) == card
    assert latest("rate_card_changed")

    wrong = manager.post("/setup/carriers/", {"card": '{"carriers": [{"code": ""}]}'})
    assert "carriers" in field_error(wrong, "card")
    assert "not JSON" in field_error(manager.post("/setup/carriers/", {"card": "{"}), "card")
    assert json.loads(shipping.rates_path().read_text()) == card


def test_no_rate_card_yet_is_said_on_a_page_that_still_answers(manager):
    page = manager.get("/setup/carriers/")
    assert page.status_code == 200 and b"no usable rate card yet" in page.content


@pytest.mark.parametrize("url", ["/setup/cartons/", "/setup/carriers/"])
def test_a_packer_may_not_change_cartons_or_carriers(db, client, url, settings, tmp_path):
    settings.HOME = tmp_path
    tokens.ensure_user("pat", "bench-and-tape", roles=("packer", "shipping"))
    client.login(username="pat", password="bench-and-tape")
    assert client.get(url).status_code == 403
    assert client.post(url, CARTON | {"card": "{}"}).status_code == 403
    assert not (tmp_path / "cartons.csv").exists() and not (tmp_path / "rates.json").exists()


def test_a_carton_cost_is_shown_as_money_in_its_currency(manager):
    manager.post("/setup/cartons/", CARTON | {"cost": "1.2", "currency": "gbp"})
    jumbo = next(c for c in packing.load_cartons() if c.carton_id == "J")
    assert (jumbo.cost, jumbo.currency) == (Decimal("1.2"), "GBP")
    page = manager.get("/setup/cartons/").content.decode()
    row = page.split("<td>J</td>", 1)[1].split("</tr>", 1)[0]
    assert '<td class="num">1.20 GBP</td>' in row
    wrong = manager.post("/setup/cartons/", CARTON | {"currency": "pounds"})
    assert "not a currency code" in field_error(wrong, "currency")
