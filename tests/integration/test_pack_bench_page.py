"""The packing bench in the web app: a parcel opens from a scanned pick list, tote, packing slip
or channel order number (never a typed internal ID); the screen names the items, shows their
pictures and the carton; after the weight gate the label prints."""

import json
from pathlib import Path

import pytest

from despatch.models import AuditEntry, PickList, Shipment, Sku
from despatch.services import picking, tokens, waves
from tests.integration.test_fulfillment import allocated

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@pytest.fixture
def bench(shop, settings, tmp_path, monkeypatch, client):
    settings.HOME = tmp_path
    monkeypatch.setenv("DESPATCH_RATES", str(EXAMPLES / "rates.json"))
    monkeypatch.setenv("DESPATCH_CARTONS", str(EXAMPLES / "cartons.csv"))
    picking.set_layout("LON", json.loads((EXAMPLES / "layout.json").read_text()))
    picking.set_locations("LON", [("A", "A05-B19-L"), ("B", "A01-B02-R")])
    Sku.objects.filter(code__in=["A", "B"]).update(
        length_mm=100, width_mm=90, height_mm=95, weight_g=350
    )
    Sku.objects.filter(code="A").update(name="Black Mug")
    tokens.ensure_user("pat", "pack-all-day", roles=("packer",))
    tokens.ensure_user("pia", "pick-all-day", roles=("picker",))
    client.login(username="pat", password="pack-all-day")
    return client


def picked_wave(*orders):
    """Orders allocated, released onto one list, every unit picked; (pick list, orders)."""
    placed = [allocated(lines, external_id=ref) for ref, lines in orders]
    (pick_list,) = waves.release("LON", actor="t").pick_lists
    for task in pick_list.tasks.all():
        for _ in range(task.quantity):
            picking.scan(task.pk, location=task.location, item=task.sku_id, actor="user:pia")
    return pick_list, placed


def test_the_pick_list_barcode_lists_its_parcels_and_the_order_number_opens_one(bench):
    pick_list, (_, second) = picked_wave(("SHOP-1001", [("A", 1)]), ("SHOP-1002", [("B", 1)]))
    listed = bench.get("/pack/", {"code": pick_list.id})
    assert listed.status_code == 200
    html = listed.content.decode()
    assert "Pick list " + pick_list.id in html and "2 of 2 parcels to pack" in html
    assert "Order SHOP-1001" in html and "Order SHOP-1002" in html
    opened = bench.get("/pack/", {"code": "shop-1002"}).content.decode()  # as a scanner types it
    assert "Order SHOP-1002" in opened and 'id="scan-item"' in opened
    assert "SHOP-1001" not in opened
    slip = bench.get("/pack/", {"code": second.shipments.get().id}).content.decode()
    assert "Order SHOP-1002" in slip  # the packing slip's barcode is the parcel's


def test_the_tote_of_zone_lists_opens_their_parcels(bench):
    pick_list, _ = picked_wave(("SHOP-2001", [("A", 1)]))
    PickList.objects.filter(id=pick_list.id).update(batch="pkl_TOTE7")
    opened = bench.get("/pack/", {"code": "pkl_TOTE7"}).content.decode()
    assert "Order SHOP-2001" in opened and 'id="scan-item"' in opened


def test_an_unknown_scan_is_said_plainly(bench):
    answer = bench.get("/pack/", {"code": "NOPE-42"})
    assert answer.status_code == 404
    assert "NOPE-42 is no pick list, tote, packing slip or order number here" in (
        answer.content.decode()
    )


def test_a_parcel_at_another_warehouse_is_not_found_for_a_packer_limited_to_one(bench):
    picked_wave(("SHOP-3001", [("A", 1)]))
    tokens.set_limits("pat", scopes=("warehouse:NJ",))
    assert bench.get("/pack/", {"code": "SHOP-3001"}).status_code == 404


def test_names_pictures_carton_weight_gate_then_the_label(bench, settings):
    (settings.HOME / "images").mkdir()
    (settings.HOME / "images" / "A.png").write_bytes(PNG)
    _, (order,) = picked_wave(("SHOP-4001", [("A", 2)]))
    parcel = order.shipments.get()
    page = bench.get("/pack/", {"code": "SHOP-4001"}).content.decode()
    assert "Black Mug" in page and 'src="/skus/A/image"' in page
    image = bench.get("/skus/A/image")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == PNG
    assert bench.get("/skus/B/image").status_code == 404
    url, scanned = f"/pack/{parcel.id}/", "{}"
    for code, said in (("B", "B is not in this parcel"), ("A", "OK: A"), ("A", "OK: A")):
        answer = bench.post(url, {"action": "scan", "item": code, "scanned": scanned})
        assert said in answer.content.decode()
        scanned = answer.context["scanned_json"]
    carton = answer.context["carton"]
    assert carton.carton_id == "M" and "Medium box" in answer.content.decode()
    assert "350 \u00d7 250 \u00d7 150 mm" in answer.content.decode()  # the inner size
    light = bench.post(
        url, {"action": "pack", "weight_g": "400", "carton": "M", "scanned": scanned}
    )
    assert "open the parcel and check its items" in light.content.decode()
    assert Shipment.objects.get(id=parcel.id).status == "picking"
    packed = bench.post(url, {"action": "pack", "weight_g": "700", "carton": "M"})
    html = packed.content.decode()
    parcel.refresh_from_db()
    assert parcel.status == "packed" and parcel.tracking_number
    assert f"Packed, 700 g. Label: royalmail {parcel.tracking_number}" in html
    assert f'href="/pack/{parcel.id}/label.pdf"' in html
    label = bench.get(f"/pack/{parcel.id}/label.pdf")
    assert label.status_code == 200 and b"".join(label.streaming_content).startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="labelled", actor="user:pat").count() == 1


def test_the_printed_slip_and_pick_list_carry_what_the_bench_scans(bench, client):
    pick_list, (order,) = picked_wave(("SHOP-5001", [("A", 1)]))
    slip = bench.get(f"/pack/{order.shipments.get().id}/slip.pdf")
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF")
    client.logout()
    client.login(username="pia", password="pick-all-day")
    printed = client.get(f"/pick/{pick_list.id}/print.pdf")
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF")
    assert printed["Content-Type"] == "application/pdf"
    assert printed["Content-Disposition"] == f'inline; filename="{pick_list.id}.pdf"'


def test_both_printed_documents_answer_inline_and_a_missing_one_is_not_found(bench, client):
    _, (order,) = picked_wave(("SHOP-5101", [("A", 1)]))
    parcel = order.shipments.get().id
    slip = bench.get(f"/pack/{parcel}/slip.pdf")
    assert slip["Content-Disposition"] == f'inline; filename="{parcel}-slip.pdf"'
    assert bench.get("/pack/shp_nope/slip.pdf").status_code == 404
    client.logout()
    client.login(username="pia", password="pick-all-day")
    assert client.get("/pick/pl_nope/print.pdf").status_code == 404


def test_a_picker_may_not_open_the_bench(bench, client):
    _, (order,) = picked_wave(("SHOP-6001", [("A", 1)]))
    client.logout()
    client.login(username="pia", password="pick-all-day")
    parcel = order.shipments.get().id
    assert client.get("/pack/", {"code": "SHOP-6001"}).status_code == 403
    refused = client.post(f"/pack/{parcel}/", {"action": "pack", "weight_g": "350", "carton": "S"})
    assert refused.status_code == 403
    assert client.get(f"/pack/{parcel}/slip.pdf").status_code == 403
    assert Shipment.objects.get(id=parcel).status == "picking"
