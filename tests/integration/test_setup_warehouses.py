"""Set-up in the browser: warehouses, their calendars, layouts and pick bins."""

import html
import json
import re
from pathlib import Path

import pytest

from despatch.models import AuditEntry, SkuLocation, Warehouse
from despatch.services import tokens

MANAGER = ("olga", "run-the-floor-2026")
LAYOUT = json.loads((Path(__file__).parents[2] / "docs/examples/layout.json").read_text())


@pytest.fixture
def manager(shop, client):
    tokens.ensure_user(*MANAGER, roles=("ops_manager",))
    assert client.login(username=MANAGER[0], password=MANAGER[1])
    return client


def audited(action: str, subject: str) -> AuditEntry:
    entry = AuditEntry.objects.filter(action=action, subject_id=subject).latest("seq")
    assert entry.actor == "user:olga"
    return entry


def field_error(answer, name: str) -> str:
    assert answer.status_code == 422
    return html.unescape(re.search(rf'id="{name}-error">([^<]+)<', answer.content.decode())[1])


def test_the_manager_adds_a_warehouse_and_changes_it(manager):
    added = manager.post(
        "/setup/warehouses/",
        {"code": "BRS", "name": "Bristol", "time_zone": "Europe/London", "country": "gb"},
        follow=True,
    )
    assert "warehouse BRS added" in added.content.decode()
    assert Warehouse.objects.get(code="BRS").country == "GB"
    assert audited("warehouse_created", "BRS").after["name"] == "Bristol"
    manager.post(
        "/setup/warehouses/BRS/",
        {
            "action": "basics",
            "name": "Bristol DC",
            "time_zone": "Europe/London",
            "country": "GB",
            "priority": "5",
        },
    )
    assert Warehouse.objects.get(code="BRS").priority == 5
    assert audited("warehouse_changed", "BRS").after == {"name": "Bristol DC", "priority": 5}
    assert b"Bristol DC" in manager.get("/setup/warehouses/").content


def test_wrong_basics_are_said_next_to_their_fields(manager):
    answer = manager.post("/setup/warehouses/", {"code": "B R S", "name": "", "country": "Britain"})
    assert "1 to 32 letters" in field_error(answer, "code")
    assert "is required" in field_error(answer, "name")
    assert "not an ISO 3166 code" in field_error(answer, "country")
    bad_priority = manager.post("/setup/warehouses/", {"code": "BRS", "name": "B", "priority": "x"})
    assert "whole number" in field_error(bad_priority, "priority")
    bad_zone = manager.post(
        "/setup/warehouses/", {"code": "BRS", "name": "B", "time_zone": "Mars/Base"}
    )
    assert bad_zone.status_code == 422 and b"Mars/Base" in bad_zone.content
    assert not Warehouse.objects.filter(code="BRS").exists()


def test_calendar_layout_and_bins_are_saved_checked_and_audited(manager):
    url = "/setup/warehouses/LON/"
    assert manager.get(url).status_code == 200
    manager.post(url, {"action": "calendar", "calendar": '{"cutoffs": {"*": "15:00"}}'})
    assert Warehouse.objects.get(code="LON").calendar == {"cutoffs": {"*": "15:00"}}
    assert audited("calendar_changed", "LON").after == {"cutoffs": {"*": "15:00"}}
    assert "not JSON" in field_error(
        manager.post(url, {"action": "calendar", "calendar": "{"}), "calendar"
    )
    wrong = manager.post(url, {"action": "calendar", "calendar": '{"cutoffs": {"*": "25:99"}}'})
    assert "cutoffs" in field_error(wrong, "calendar")
    assert Warehouse.objects.get(code="LON").calendar == {"cutoffs": {"*": "15:00"}}

    manager.post(url, {"action": "layout", "layout": json.dumps(LAYOUT)})
    assert Warehouse.objects.get(code="LON").layout == LAYOUT
    assert audited("layout_changed", "LON")
    bad = manager.post(url, {"action": "layout", "layout": '{"aisles": 0}'})
    assert field_error(bad, "layout")

    manager.post(url, {"action": "bins", "bins": "sku,location\nA,A01-B03-L\nB A02-B01-R"})
    assert dict(SkuLocation.objects.values_list("sku_id", "location")) == {
        "A": "A01-B03-L",
        "B": "A02-B01-R",
    }
    assert "A01-B03-L" in manager.get(url).content.decode()
    unknown = manager.post(url, {"action": "bins", "bins": "NOPE,A01-B03-L"})
    assert "'NOPE' is not a known SKU" in field_error(unknown, "bins")


@pytest.mark.parametrize("url", ["/setup/warehouses/", "/setup/warehouses/LON/"])
def test_a_non_manager_may_not_change_a_warehouse(shop, client, url):
    tokens.ensure_user("pip", "pick-all-day-1", roles=("picker",))
    client.login(username="pip", password="pick-all-day-1")
    assert client.get(url).status_code == 403
    answer = client.post(url, {"action": "basics", "code": "EVIL", "name": "Evil"})
    assert answer.status_code == 403
    assert not Warehouse.objects.filter(code="EVIL").exists()
