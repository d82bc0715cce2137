"""The Waves page: the allocated work waiting, releasing a wave with its limits, giving lists to
pickers, progress in units, and who may do what."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from despatch.domain.calendars import day_text
from despatch.models import AuditEntry, PickList, Shipment
from despatch.services import picking, tokens, wave_board, waves
from tests.integration.test_fulfillment import allocated
from tests.integration.test_picking_floor import floor  # noqa: F401 (a fixture)

LEAD = ("lead", "lead-the-floor")


@pytest.fixture
def lead(floor, client):  # noqa: F811
    tokens.ensure_user(*LEAD, roles=("order_ops",))
    tokens.ensure_user("pia", "pick-all-day", roles=("picker",))
    tokens.ensure_user("pat", "pack-all-day", roles=("packer",))
    client.login(username=LEAD[0], password=LEAD[1])
    return client


def _flashes(response) -> str:
    return " | ".join(str(m) for m in response.context["messages"])


def test_the_board_shows_the_waiting_work_by_ship_by_service_and_priority(lead):
    allocated([("A", 2)], priority=5)
    allocated([("A", 1), ("B", 1)])
    allocated([("A", 1)], requested_service="express")
    page = lead.get("/waves/")
    assert page.status_code == 200
    rows = page.context["waiting"]
    assert sum(r.shipments for r in rows) == 3 and sum(r.units for r in rows) == 5
    assert [(r.service, r.priority, r.units) for r in rows if r.service == "standard"] == [
        (s, p, u) for s, p, u in [("standard", 5, 2), ("standard", 0, 2)]
    ]
    assert all(r.warehouse == "LON" and r.cutoff.endswith("Europe/London") for r in rows)
    html = page.content.decode()
    assert "Release wave" in html and "No wave released yet." in html


def test_releasing_a_wave_with_limits_makes_that_many_lists(lead):
    for _ in range(3):
        allocated([("A", 1)])
    answer = lead.post(
        "/waves/release/",
        {"warehouse": "LON", "max_orders": "1", "max_lists": "2", "method": "s-shape"},
        follow=True,
    )
    assert "wave released at LON: 2 pick lists, 2 parcels" in _flashes(answer)
    lists = list(PickList.objects.all())
    assert len(lists) == 2 and {pl.method for pl in lists} == {"s-shape"}
    assert Shipment.objects.filter(status="allocated").count() == 1
    assert "0 of 2 units picked" in answer.content.decode()


def test_a_wave_up_to_a_ship_by_day_leaves_later_parcels(lead):
    allocated([("A", 1)])
    ship_by = Shipment.objects.get().ship_by
    before = (ship_by - timedelta(days=1)).isoformat()
    answer = lead.post("/waves/release/", {"warehouse": "LON", "ship_by": before}, follow=True)
    assert "nothing released at LON" in _flashes(answer)
    answer = lead.post(
        "/waves/release/", {"warehouse": "LON", "ship_by": ship_by.isoformat()}, follow=True
    )
    assert "1 pick lists, 1 parcels" in _flashes(answer)


def test_wrong_limits_are_named_and_release_nothing(lead):
    allocated([("A", 1)])
    answer = lead.post(
        "/waves/release/",
        {"warehouse": "LON", "max_orders": "lots", "ship_by": "friday", "method": "zigzag"},
        follow=True,
    )
    said = _flashes(answer)
    assert "Orders a list: enter a whole number 0 to 500" in said
    assert "Ship by: 'friday' is not a date" in said and "Route: 'zigzag'" in said
    assert PickList.objects.count() == 0
    answer = lead.post("/waves/release/", {"warehouse": "LON", "max_orders": "0"}, follow=True)
    assert "max_orders" in _flashes(answer) or "at least 1" in _flashes(answer)
    assert PickList.objects.count() == 0


def test_a_list_is_given_to_a_picker_who_sees_it_first_with_its_progress(lead, client):
    allocated([("A", 2)])
    allocated([("B", 1)])
    first, second = waves.release("LON", actor="t", max_orders=1).pick_lists
    answer = lead.post(f"/waves/lists/{second.id}/assign/", {"picker": "pia"}, follow=True)
    assert f"{second.id} given to pia" in _flashes(answer)
    assert PickList.objects.get(id=second.id).picker == "pia"
    entry = AuditEntry.objects.get(action="pick_list_assigned")
    assert entry.actor == "user:lead" and entry.after == {"picker": "pia"}
    refused = lead.post(f"/waves/lists/{first.id}/assign/", {"picker": "pat"}, follow=True)
    assert "'pat' is not a picker at LON" in _flashes(refused)
    assert PickList.objects.get(id=first.id).picker == ""

    task = first.tasks.get()
    picking.scan(task.pk, location=task.location, item="A", actor="user:pia")
    board = wave_board.progress()[0]
    assert (board.picked, board.units) == (1, 3)
    assert "1 of 3 units picked" in lead.get("/waves/").content.decode()
    client.logout()
    client.login(username="pia", password="pick-all-day")
    mine = client.get("/pick/").content.decode()
    assert mine.index(second.id) < mine.index(first.id)  # hers first
    assert "Yours" in mine and "1/2</strong> units" in mine and "0/1</strong> units" in mine


def test_only_who_may_release_sees_the_board_or_releases(lead, client):
    allocated([("A", 1)])
    (pick_list,) = waves.release("LON", actor="t").pick_lists
    for user, password in (("pia", "pick-all-day"), ("pat", "pack-all-day")):
        client.logout()
        client.login(username=user, password=password)
        assert client.get("/waves/").status_code == 403
        assert client.post("/waves/release/", {"warehouse": "LON"}).status_code == 403
        refused = client.post(f"/waves/lists/{pick_list.id}/assign/", {"picker": "pia"})
        assert refused.status_code == 403
    assert PickList.objects.get().picker == "" and PickList.objects.count() == 1


def test_a_lead_limited_to_another_warehouse_neither_sees_nor_releases_lon(lead, client):
    allocated([("A", 1)])
    (pick_list,) = waves.release("LON", actor="t").pick_lists
    allocated([("A", 1)])
    tokens.set_limits(LEAD[0], scopes=("warehouse:NJ",))
    page = lead.get("/waves/")
    assert page.context["waiting"] == [] and page.context["waves"] == []
    answer = lead.post("/waves/release/", {"warehouse": "LON"}, follow=True)
    assert "not released" in _flashes(answer)
    assert lead.post(f"/waves/lists/{pick_list.id}/assign/", {"picker": "pia"}).status_code == 404
    assert PickList.objects.count() == 1


def test_a_wave_says_when_it_was_released_in_its_warehouse_s_zone(lead):
    allocated([("A", 1)])
    lead.post("/waves/release/", {"warehouse": "LON", "method": "s-shape"})
    summer = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    PickList.objects.update(created_at=summer)
    html = lead.get("/waves/").content.decode()
    assert "released 2026-07-01 10:30 BST" in html  # London in summer, not UTC


def test_pick_lists_are_named_by_warehouse_day_and_orders_with_the_id_beside(lead, client):
    allocated([("A", 1)])
    allocated([("A", 1)])
    (pick_list,) = waves.release("LON", actor="t").pick_lists
    day = day_text(pick_list.created_at.astimezone(ZoneInfo(pick_list.warehouse.time_zone)))
    name = f"{pick_list.warehouse.name}, {day}, 2 orders"
    board = lead.get("/waves/").content.decode()
    assert f'{name} <span class="meta">{pick_list.id}</span>' in board
    assert f"<td>{pick_list.id}</td>" not in board  # the ID is said beside the name
    client.logout()
    client.login(username="pia", password="pick-all-day")
    listed = client.get("/pick/").content.decode()
    assert f'>{name}</a> <span class="meta">{pick_list.id}</span>' in listed
    screen = client.get(f"/pick/{pick_list.id}/").content.decode()
    assert f'<h1 id="pick-name">{name} <span class="meta">{pick_list.id}</span></h1>' in screen
    assert f"<title>Pick {name}" in screen
