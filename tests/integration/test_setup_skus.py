"""Set-up in the browser: SKUs, and their stock received, adjusted and counted."""

import html
import re

import pytest

from despatch import worker
from despatch.models import AuditEntry, Sku, StockMovement
from despatch.services import orders, tokens
from tests.conftest import make_draft
from tests.integration.conftest import level

MANAGER = ("olga", "run-the-floor-2026")


@pytest.fixture
def manager(shop, client):
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


SKU = {"code": "MUG-9", "name": "Blue Mug", "gtin": "5012345678900", "length_mm": "100",
       "width_mm": "90", "height_mm": "95", "weight_g": "350", "flags": "fragile"}  # fmt: skip


def test_the_manager_adds_a_sku_and_changes_it(manager):
    added = manager.post("/setup/skus/", SKU, follow=True)
    assert "SKU MUG-9 saved" in added.content.decode()
    sku = Sku.objects.get(code="MUG-9")
    assert (sku.weight_g, sku.flags, sku.gtin) == (350, ["fragile"], "5012345678900")
    assert latest("sku_created").subject_id == "MUG-9"
    manager.post("/setup/skus/MUG-9/", SKU | {"name": "Navy Mug", "weight_g": "360"})
    assert Sku.objects.get(code="MUG-9").name == "Navy Mug"
    assert latest("sku_changed").after == {"name": "Navy Mug", "weight_g": 360}
    assert b"MUG-9" in manager.get("/setup/skus/", {"q": "navy"}).content


def test_wrong_sku_fields_are_said_and_nothing_is_saved(manager):
    answer = manager.post("/setup/skus/", SKU | {"gtin": "12AB", "weight_g": "-5", "name": ""})
    assert "is not an 8, 12, 13 or 14 digit GTIN" in field_error(answer, "gtin")
    assert "from 0 to 10,000,000" in field_error(answer, "weight_g")
    assert "1 to 300 characters" in field_error(answer, "name")
    words = manager.post("/setup/skus/", SKU | {"length_mm": "ten"})
    assert "whole number" in field_error(words, "length_mm")
    assert not Sku.objects.filter(code="MUG-9").exists()


def test_the_form_takes_a_gtin_by_the_rule_of_the_sku_file(manager, client):
    """One rule for every edge: 8, 12, 13 or 14 digits (the SKU file, the form, the API)."""
    short = manager.post("/setup/skus/", SKU | {"gtin": "12345"})
    assert "'12345' is not an 8, 12, 13 or 14 digit GTIN" in field_error(short, "gtin")
    assert not Sku.objects.filter(code="MUG-9").exists()
    manager.post("/setup/skus/", SKU | {"gtin": "12345670"})
    assert Sku.objects.get(code="MUG-9").gtin == "12345670"


def test_stock_is_received_adjusted_and_counted_from_the_sku_page(manager):
    url = "/setup/skus/A/stock/"
    page = manager.get("/setup/skus/A/").content.decode()
    assert 'id="stock-count"' in page
    reasons = page.split('<select name="reason_code">', 1)[1].split("</select>", 1)[0]
    assert '<option value="damaged">Units damaged</option>' in reasons
    assert ">count_correction<" not in reasons and ">damaged<" not in reasons
    manager.post(
        url, {"action": "receive", "warehouse": "LON", "quantity": "5", "reference": "PO-7"}
    )
    assert level("A", "LON") == (15, 0)
    assert StockMovement.objects.filter(sku_id="A", reference="PO-7", actor="user:olga").exists()
    manager.post(url, {"action": "adjust", "warehouse": "LON", "delta": "-2", "note": "dropped",
                       "reason_code": "damaged"})  # fmt: skip
    assert level("A", "LON") == (13, 0)
    assert latest("stock_adjusted").reason_code == "damaged"
    counted = manager.post(
        url, {"action": "count", "warehouse": "LON", "counted": "11"}, follow=True
    )
    assert "count: A at LON now 11 on hand" in counted.content.decode()
    assert latest("stock_counted").after == {"on_hand": 11}


def test_a_count_below_reserved_shorts_the_least_urgent_order(manager):
    orders.receive_order(make_draft([("B", 2)], external_id="cnt-1"), actor="t")
    worker.drain("t")
    assert level("B", "LON")[1] == 2
    manager.post("/setup/skus/B/stock/", {"action": "count", "warehouse": "LON", "counted": "0"})
    assert level("B", "LON") == (0, 0)


def test_a_wrong_stock_change_is_said_and_nothing_is_booked(manager):
    url = "/setup/skus/A/stock/"
    typo = manager.post(url, {"action": "count", "warehouse": "LON", "counted": "1O"})
    assert "whole number" in field_error(typo, "count-counted")
    no_note = manager.post(url, {"action": "adjust", "warehouse": "LON", "delta": "-1"})
    assert "needs a reason note" in field_error(no_note, "adjust-note")
    zero = manager.post(url, {"action": "receive", "warehouse": "LON", "quantity": "0"})
    assert "at least 1" in field_error(zero, "receive-quantity")
    nowhere = manager.post(url, {"action": "receive", "warehouse": "XX", "quantity": "1"})
    assert "unknown warehouse" in field_error(nowhere, "receive-warehouse")
    assert level("A", "LON") == (10, 0)


def test_a_picker_may_neither_change_skus_nor_book_stock(shop, client):
    tokens.ensure_user("pip", "pick-all-day-1", roles=("picker",))
    client.login(username="pip", password="pick-all-day-1")
    assert client.get("/setup/skus/").status_code == 403
    assert client.post("/setup/skus/", SKU).status_code == 403
    answer = client.post("/setup/skus/A/stock/", {"action": "receive", "warehouse": "LON",
                                                  "quantity": "5"})  # fmt: skip
    assert answer.status_code == 403
    assert level("A", "LON") == (10, 0) and not Sku.objects.filter(code="MUG-9").exists()


def test_the_sku_page_says_who_moved_stock_by_name(manager):
    manager.post(
        "/setup/skus/A/stock/",
        {"action": "receive", "warehouse": "LON", "quantity": "5", "reference": "PO-8"},
    )
    assert StockMovement.objects.filter(reference="PO-8", actor="user:olga").exists()
    page = manager.get("/setup/skus/A/").content.decode()
    assert "<td>olga</td>" in page and "user:olga" not in page
