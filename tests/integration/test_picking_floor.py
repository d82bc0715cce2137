"""Waves, routed pick lists and scan-verified picking, end to end on the database."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from despatch.cli.app import app
from despatch.domain.errors import Conflict, ValidationFailed
from despatch.models import (
    AuditEntry,
    ExceptionCase,
    OrderLine,
    OutboxEvent,
    PickTask,
    ShipmentLine,
    Sku,
    SkuLocation,
    StockMovement,
)
from despatch.services import fulfillment, inventory, picking, tokens, waves
from tests.integration.conftest import level
from tests.integration.test_fulfillment import allocated

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


@pytest.fixture
def floor(shop, tmp_path):
    picking.set_layout("LON", json.loads((EXAMPLES / "layout.json").read_text()))
    Sku.objects.filter(code="A").update(gtin="05012345678900")
    picking.set_locations("LON", [("A", "A05-B19-L"), ("B", "A01-B02-R")])


def test_a_wave_becomes_routed_pick_lists_and_moves_shipments_to_picking(floor):
    first = allocated([("A", 2), ("B", 1)]).shipments.get()
    second = allocated([("A", 1)]).shipments.get()
    report = waves.release("LON", actor="user:lead", max_orders=1)
    assert len(report.pick_lists) == 2 and report.skipped == {}
    one = report.pick_lists[0]
    assert [t.location for t in one.tasks.all()] == ["A01-B02-R", "A05-B19-L"]  # route order
    assert one.length_m > 0 and one.method in ("s-shape", "largest-gap", "optimal")
    assert {fulfillment.get_shipment(s.id).status for s in (first, second)} == {"picking"}
    assert waves.release("LON", actor="user:lead").pick_lists == []  # nothing left to release


def test_shipments_with_an_unbinned_sku_are_left_out_and_said_so(floor):
    SkuLocation.objects.filter(sku_id="A").delete()
    shipment = allocated([("A", 1)]).shipments.get()
    report = waves.release("LON", actor="t")
    assert report.skipped == {shipment.id: "no bin for A"}
    assert fulfillment.get_shipment(shipment.id).status == "allocated"


def test_scans_must_match_the_bin_and_the_item(floor):
    shipment = allocated([("A", 2)]).shipments.get()
    (pick_list,) = waves.release("LON", actor="t").pick_lists
    task = pick_list.tasks.get()
    with pytest.raises(ValidationFailed, match="wrong bin: scanned A01-B02-R, go to A05-B19-L"):
        picking.scan(task.pk, location="A01-B02-R", item="A", actor="user:picker")
    with pytest.raises(ValidationFailed, match="wrong item: scanned B, A05-B19-L holds A"):
        picking.scan(task.pk, location="A05-B19-L", item="B", actor="user:picker")
    assert AuditEntry.objects.filter(action="wrong_scan").count() == 2  # kept though refused
    with pytest.raises(Conflict):
        fulfillment.pack(shipment.id, actor="t")  # not everything is picked
    picking.scan(task.pk, location="a05-b19-l", item="05012345678900", actor="user:picker")
    done = picking.scan(task.pk, location="A05-B19-L", item="A", actor="user:picker")
    assert (done.picked, done.status) == (2, "picked")
    assert picking.get_pick_list(pick_list.id).status == "done"
    assert fulfillment.pack(shipment.id, actor="t").status == "packed"
    with pytest.raises(Conflict):
        picking.scan(task.pk, location="A05-B19-L", item="A", actor="user:picker")


def test_a_short_pick_ships_what_was_picked_and_backorders_the_rest(floor):
    order = allocated([("A", 3)])
    shipment = order.shipments.get()
    task = waves.release("LON", actor="t").pick_lists[0].tasks.get()
    picking.scan(task.pk, location="A05-B19-L", item="A", actor="p")
    shorted = picking.short(task.pk, actor="p", note="bin empty")
    assert (shorted.status, shorted.short) == ("short", 2)
    event = OutboxEvent.objects.get(topic="pick.short")
    assert event.payload["missing"] == 2 and event.payload["location"] == "A05-B19-L"
    assert event.payload["backordered"] == 2 and event.payload["resourced"] == {}
    assert level("A", "LON") == (8, 1)  # the 2 missing written off; 1 still reserved
    assert inventory.ledger_breaks() == []
    count = StockMovement.objects.get(reason="count")
    assert (count.quantity, count.reference) == (-2, f"pick_task:{task.pk}")
    assert OrderLine.objects.get(order=order).backordered == 2
    case = ExceptionCase.objects.get(kind="short_pick")
    assert (case.queue, case.owner, case.shipment_id) == ("floor", "group:warehouse", shipment.id)
    assert "2 x A missing at A05-B19-L: count the bin" in case.summary
    assert "2 backordered: no other warehouse has A" in case.summary
    assert fulfillment.pack(shipment.id, actor="t").status == "packed"  # the one picked unit
    assert ShipmentLine.objects.get(shipment=shipment).quantity == 1


def test_a_short_pick_is_resourced_from_another_warehouse(floor):
    order = allocated([("B", 2)])  # B: 2 in LON, 5 in NJ
    first = order.shipments.get()
    assert first.warehouse_id == "LON"
    task = waves.release("LON", actor="t").pick_lists[0].tasks.get()
    picking.short(task.pk, actor="p")
    assert level("B", "LON") == (0, 0) and level("B", "NJ") == (5, 2)
    assert fulfillment.get_shipment(first.id).status == "cancelled"  # nothing left in it
    (second,) = order.shipments.exclude(id=first.id)
    assert (second.warehouse_id, second.status) == ("NJ", "allocated")
    assert second.lines.get().quantity == 2
    order.refresh_from_db()
    assert order.status == "allocated"  # back from picking: the units wait in NJ
    entry = AuditEntry.objects.get(action="resourced")
    assert (entry.subject_id, entry.detail["instead_of"]) == (second.id, first.id)
    assert "NJ ships 2" in ExceptionCase.objects.get(kind="short_pick").summary
    assert inventory.ledger_breaks() == []


def test_the_floor_over_the_api_and_the_cli(floor, client, tmp_path):
    tokens.ensure_user("lead", "pw", roles=("ops_manager",))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('lead')}"}
    allocated([("A", 1)])
    wave = client.post("/api/waves", {"warehouse": "LON"}, content_type="application/json", **auth)
    assert wave.status_code == 200, wave.content
    (pick_list,) = wave.json()["pick_lists"]
    task = pick_list["tasks"][0]
    wrong = client.post(
        f"/api/pick-tasks/{task['id']}/scan",
        {"location": task["location"], "item": "B"},
        content_type="application/json",
        **auth,
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["code"] == "wrong_scan"
    right = client.post(
        f"/api/pick-tasks/{task['id']}/scan",
        {"location": task["location"], "item": "A"},
        content_type="application/json",
        **auth,
    )
    assert right.json()["status"] == "picked"
    assert client.get(f"/api/pick-lists/{pick_list['id']}", **auth).json()["status"] == "done"

    allocated([("B", 1)])
    runner = CliRunner()
    released = runner.invoke(app, ["picking", "release", "--warehouse", "LON"])
    assert released.exit_code == 0 and "1 pick lists" in released.output, released.output
    pick_id = PickTask.objects.filter(sku_id="B").get().pick_list_id
    shown = runner.invoke(app, ["picking", "show", pick_id])
    assert "A01-B02-R" in shown.output
    bad = tmp_path / "bins.csv"
    bad.write_text("sku,location\nA,A09-B01-L\nNOPE,A01-B01-L\n")
    refused = runner.invoke(app, ["warehouses", "locations", "LON", "--file", str(bad)])
    assert refused.exit_code == 1
    assert "row 2.location" in refused.output and "row 3.sku" in refused.output


def test_layout_and_bins_over_the_api(shop, client):
    tokens.ensure_user("lead", "pw", roles=("ops_manager",))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('lead')}"}
    layout = json.loads((EXAMPLES / "layout.json").read_text())
    bad = client.put(
        "/api/warehouses/LON/layout",
        {**layout, "aisles": 9},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "aisle_x_m"
    ok = client.put("/api/warehouses/LON/layout", layout, content_type="application/json", **auth)
    assert ok.status_code == 200
    saved = client.put(
        "/api/warehouses/LON/locations",
        [{"sku": "A", "location": "A02-B05-L"}],
        content_type="application/json",
        **auth,
    )
    assert saved.json() == {"saved": 1}
    assert SkuLocation.objects.get(sku_id="A").location == "A02-B05-L"


def test_pick_list_and_packing_slip_print(floor, client, tmp_path):
    tokens.ensure_user("lead", "pw", roles=("ops_manager",))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('lead')}"}
    shipment = allocated([("A", 2), ("B", 1)]).shipments.get()
    (pick_list,) = waves.release("LON", actor="t").pick_lists
    printed = client.get(f"/api/pick-lists/{pick_list.id}.pdf", **auth)
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF")
    assert printed["Content-Type"] == "application/pdf"
    assert client.get(f"/api/pick-lists/{pick_list.id}", **auth).json()["id"] == pick_list.id
    slip = client.get(f"/api/shipments/{shipment.id}/packing-slip.pdf", **auth)
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF")
    assert client.get("/api/shipments/shp_nope/packing-slip.pdf", **auth).status_code == 404
    out = tmp_path / "list.pdf"
    shown = CliRunner().invoke(app, ["picking", "show", pick_list.id, "--pdf", str(out)])
    assert shown.exit_code == 0 and out.read_bytes().startswith(b"%PDF")


def test_zone_picking_splits_a_batch_into_one_list_per_zone(floor):
    layout = json.loads((EXAMPLES / "layout.json").read_text())
    layout["zones"] = {"FRONT": [1, 2, 3], "BACK": [4, 5, 6]}
    picking.set_layout("LON", layout)
    first = allocated([("A", 1), ("B", 1)]).shipments.get()  # A in aisle 5, B in aisle 1
    second = allocated([("A", 2)]).shipments.get()
    with pytest.raises(ValidationFailed, match="max_orders: must be at least 1"):
        waves.release("LON", actor="t", zones=True, max_orders=0)
    report = waves.release("LON", actor="t", zones=True)
    by_zone = {pl.zone: pl for pl in report.pick_lists}
    assert set(by_zone) == {"BACK", "FRONT"}
    assert by_zone["BACK"].batch == by_zone["FRONT"].batch != ""  # one tote, two pickers
    assert [(t.location, t.shipment_id) for t in by_zone["FRONT"].tasks.all()] == [
        ("A01-B02-R", first.id)
    ]
    assert {t.shipment_id for t in by_zone["BACK"].tasks.all()} == {first.id, second.id}


def test_a_wave_respects_the_tote_and_picks_big_orders_alone(floor):
    Sku.objects.filter(code__in=["A", "B"]).update(length_mm=200, width_mm=100, height_mm=100)
    small = [allocated([("A", 1)]).shipments.get() for _ in range(3)]  # 2 litres each
    big = allocated([("A", 1), ("B", 1)]).shipments.get()
    with pytest.raises(ValidationFailed, match="names no zones"):
        waves.release("LON", actor="t", zones=True)
    report = waves.release("LON", actor="t", tote_litres=4.5, single_lines=2)
    lists = [sorted(t.shipment_id for t in pl.tasks.all()) for pl in report.pick_lists]
    assert lists == [sorted([small[0].id, small[1].id]), [big.id, big.id], [small[2].id]]


def test_a_wave_for_one_service_leaves_the_others(floor):
    express = allocated([("A", 1)], requested_service="express").shipments.get()
    standard = allocated([("A", 1)]).shipments.get()
    report = waves.release("LON", actor="t", service="express")
    assert [t.shipment_id for pl in report.pick_lists for t in pl.tasks.all()] == [express.id]
    assert fulfillment.get_shipment(standard.id).status == "allocated"


def test_the_api_and_the_cli_bound_a_wave_by_lists_and_ship_by_day(floor, client):
    from datetime import date

    from despatch.models import Shipment

    tokens.ensure_user("lead", "pw", roles=("ops_manager",))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('lead')}"}
    due = [allocated([("A", 1)]).shipments.get() for _ in range(2)]
    later = allocated([("A", 1)]).shipments.get()
    Shipment.objects.filter(id__in=[s.id for s in due]).update(ship_by=date(2026, 12, 1))
    Shipment.objects.filter(id=later.id).update(ship_by=date(2026, 12, 10))
    body = {"warehouse": "LON", "max_orders": 1, "max_lists": 1, "ship_by": "2026-12-05"}
    wave = client.post("/api/waves", body, content_type="application/json", **auth)
    assert wave.status_code == 200, wave.content
    assert len(wave.json()["pick_lists"]) == 1  # two due, one list this time
    runner = CliRunner()
    helped = runner.invoke(app, ["picking", "release", "--help"]).output
    assert "--max-lists" in helped and "--ship-by" in helped
    argv = ["picking", "release", "--warehouse", "LON", "--max-orders", "1"]
    refused = runner.invoke(app, [*argv, "--ship-by", "soon"])
    assert refused.exit_code != 0 and "ship_by" in refused.output, refused.output
    released = runner.invoke(app, [*argv, "--max-lists", "5", "--ship-by", "2026-12-05"])
    assert released.exit_code == 0 and "1 pick lists" in released.output, released.output
    statuses = dict(
        Shipment.objects.filter(order__in=[s.order_id for s in [*due, later]]).values_list(
            "id", "status"
        )
    )
    assert [statuses[s.id] for s in due] == ["picking", "picking"]
    assert statuses[later.id] == "allocated"  # due later: left for another wave
