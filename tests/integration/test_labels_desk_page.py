"""Labels on the Manifests page: buy them one by one or for many packed parcels at once (each
answered on its own), reprint, void, then close the day; and who may do which."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from despatch.domain.addresses import Address
from despatch.models import AuditEntry, Shipment
from despatch.services import fulfillment, manifests, tokens
from tests.integration.test_fulfillment import allocated

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


@pytest.fixture
def desk(shop, settings, tmp_path, monkeypatch, client):
    settings.HOME = tmp_path
    monkeypatch.setenv("DESPATCH_RATES", str(EXAMPLES / "rates.json"))
    tokens.ensure_user("sam", "ship-all-day", roles=("shipping",))
    tokens.ensure_user("pat", "pack-all-day", roles=("packer",))
    tokens.ensure_user("sue", "help-all-day", roles=("support",))
    client.login(username="sam", password="ship-all-day")
    return client


def packed(ref: str, abroad: bool = False) -> Shipment:
    address = (
        Address("Jo Bloggs", "Bahnhofstrasse 1", "Zurich", "8001", "CH")
        if abroad
        else Address("Jo Bloggs", "1 High St", "Leeds", "LS1 1AA", "GB")
    )
    order = allocated([("A", 1)], external_id=ref, shipping_address=address)
    shipment = order.shipments.get()
    fulfillment.start_picking(shipment.id, actor="t")
    fulfillment.pack(shipment.id, actor="t")
    return shipment


def _flashes(response) -> str:
    return " | ".join(str(m) for m in response.context["messages"])


def test_labels_for_all_packed_parcels_each_answered(desk):
    ok_one, ok_two, far = packed("SHOP-1"), packed("SHOP-2"), packed("SHOP-3", abroad=True)
    page = desk.get("/manifests/").content.decode()
    assert "Buy labels for all 3" in page and "SHOP-3" in page
    ids = [ok_one.id, ok_two.id, far.id]
    answer = desk.post("/manifests/labels/", {"which": "all", "all": ids}, follow=True)
    said = _flashes(answer)
    assert "2 labels bought: SHOP-1 royalmail " in said
    assert "SHOP-3: no label: no service takes this parcel to CH" in said
    assert all(Shipment.objects.get(id=s.id).tracking_number for s in (ok_one, ok_two))
    assert Shipment.objects.get(id=far.id).tracking_number == ""
    bought = answer.content.decode()
    assert bought.count("reprint PDF") == 2 and "Close the day for royalmail at LON" in bought


def test_the_selected_parcel_only(desk):
    one, other = packed("SHOP-4"), packed("SHOP-5")
    answer = desk.post(
        "/manifests/labels/", {"which": "selected", "ids": [one.id], "all": [one.id, other.id]}
    )
    assert answer.status_code == 302
    assert Shipment.objects.get(id=one.id).tracking_number
    assert Shipment.objects.get(id=other.id).tracking_number == ""
    nothing = desk.post("/manifests/labels/", {"which": "selected"}, follow=True)
    assert "no label bought: select at least one parcel" in _flashes(nothing)


def test_reprint_void_and_buy_again_then_close_the_day(desk, settings):
    parcel = packed("SHOP-6")
    desk.post("/manifests/labels/", {"which": "all", "all": [parcel.id]})
    first = Shipment.objects.get(id=parcel.id).tracking_number
    reprint = desk.get(f"/pack/{parcel.id}/label.pdf")
    assert reprint.status_code == 200 and b"".join(reprint.streaming_content).startswith(b"%PDF")
    voided = desk.post(f"/manifests/labels/{parcel.id}/void/", follow=True)
    assert f"label of {parcel.id} voided" in _flashes(voided)
    parcel.refresh_from_db()
    assert parcel.tracking_number == "" and parcel.carrier == "" and parcel.status == "packed"
    assert (settings.HOME / "labels" / "void" / f"{parcel.id}-{first}.pdf").is_file()
    entry = AuditEntry.objects.get(action="label_voided")
    assert entry.actor == "user:sam" and entry.before["tracking_number"] == first
    assert desk.get(f"/pack/{parcel.id}/label.pdf").status_code == 404
    desk.post("/manifests/labels/", {"which": "all", "all": [parcel.id]})
    second = Shipment.objects.get(id=parcel.id).tracking_number
    assert second and second != first  # a voided number is never issued again
    closed = desk.post("/manifests/close/", {"carrier": "royalmail", "warehouse": "LON"})
    assert closed.status_code == 302
    again = desk.post(f"/manifests/labels/{parcel.id}/void/", follow=True)
    assert "not voided: " in _flashes(again) and "its label stands" in _flashes(again)
    assert Shipment.objects.get(id=parcel.id).tracking_number == second
    assert manifests.recent()[0].parcels == 1


def test_a_packer_buys_labels_but_may_not_void_and_support_only_looks(desk, client):
    parcel = packed("SHOP-7")
    client.logout()
    client.login(username="pat", password="pack-all-day")
    assert (
        client.post("/manifests/labels/", {"which": "all", "all": [parcel.id]}).status_code == 302
    )
    assert Shipment.objects.get(id=parcel.id).tracking_number
    assert client.post(f"/manifests/labels/{parcel.id}/void/").status_code == 403
    client.logout()
    client.login(username="sue", password="help-all-day")
    page = client.get("/manifests/")
    assert page.status_code == 200 and "reprint PDF" not in page.content.decode()
    other = packed("SHOP-8")
    assert client.post("/manifests/labels/", {"which": "all", "all": [other.id]}).status_code == 403
    assert client.post(f"/manifests/labels/{parcel.id}/void/").status_code == 403
    assert Shipment.objects.get(id=other.id).tracking_number == ""


def test_a_parcel_outside_the_users_warehouses_is_not_found(desk):
    parcel = packed("SHOP-9")
    tokens.set_limits("sam", scopes=("warehouse:NJ",))
    assert "SHOP-9" not in desk.get("/manifests/").content.decode()
    assert desk.post("/manifests/labels/", {"which": "all", "all": [parcel.id]}).status_code == 404
    assert Shipment.objects.get(id=parcel.id).tracking_number == ""


def test_a_voided_label_is_told_to_webhook_subscribers(desk, monkeypatch):
    from despatch import worker
    from despatch.models import OutboxEvent, WebhookDelivery
    from despatch.services import webhooks

    monkeypatch.setenv("DESPATCH_WEBHOOK_ALLOW_PRIVATE", "1")
    webhooks.subscribe(url="http://127.0.0.1:9/hook", events=["shipment.label_voided"], actor="t")
    parcel = packed("SHOP-9")
    desk.post("/manifests/labels/", {"which": "all", "all": [parcel.id]})
    number = Shipment.objects.get(id=parcel.id).tracking_number
    desk.post(f"/manifests/labels/{parcel.id}/void/")
    event = OutboxEvent.objects.get(topic="shipment.label_voided")
    assert event.key == parcel.id and event.payload["tracking_number"] == number
    assert AuditEntry.objects.get(action="label_voided").subject_id == parcel.id
    worker.drain("t")
    told = WebhookDelivery.objects.get(event_type="shipment.label_voided")
    assert told.payload["data"]["tracking_number"] == number


def test_packed_and_labelled_times_are_the_warehouse_s(desk):
    waiting, labelled = packed("SHOP-40"), packed("SHOP-41")
    desk.post("/manifests/labels/", {"which": "selected", "ids": [labelled.id]})
    summer = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    Shipment.objects.filter(id=waiting.id).update(updated_at=summer)
    Shipment.objects.filter(id=labelled.id).update(labelled_at=summer + timedelta(hours=1))
    html = desk.get("/manifests/").content.decode()
    assert "<td>2026-07-01 10:30 BST</td>" in html  # packed, at LON
    assert "<td>2026-07-01 11:30 BST</td>" in html  # labelled
