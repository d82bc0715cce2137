"""The warehouse floor end to end: wave, scan-picking, packing, label, manifest, despatch and
the channel told, against a local fake Shopify and WooCommerce."""

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.domain import tracking_numbers
from despatch.domain.money import Money
from despatch.domain.orders import LineDraft
from despatch.models import Sku
from despatch.services import channels, fulfillment, manifests, orders, picking, shipping, waves
from tests.conftest import make_draft
from tests.integration.conftest import level
from tests.integration.fake_platforms import Answer, fake_platform

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


@pytest.fixture
def floor(shop, monkeypatch, tmp_path, settings):
    settings.HOME = tmp_path
    monkeypatch.setenv("DESPATCH_RATES", str(EXAMPLES / "rates.json"))
    picking.set_layout("LON", json.loads((EXAMPLES / "layout.json").read_text()))
    picking.set_locations("LON", [("A", "A05-B19-L")])
    Sku.objects.filter(code="A").update(weight_g=300)


FULFILLMENT_ORDER = {  # Shopify's documented fulfillment order, for the line 466157049
    "id": 1046000778,
    "order_id": 450789469,
    "assigned_location_id": 24826418,
    "status": "open",
    "supported_actions": ["create_fulfillment"],
    "line_items": [
        {
            "id": 1058737482,
            "fulfillment_order_id": 1046000778,
            "quantity": 2,
            "line_item_id": 466157049,
            "inventory_item_id": 49148385,
            "fulfillable_quantity": 2,
            "variant_id": 49148385,
        }
    ],
}


def platform_route(method, path, body):
    if path.endswith("/fulfillment_orders.json"):
        return Answer(200, {"fulfillment_orders": [FULFILLMENT_ORDER]})
    if path.endswith("/fulfillments.json") and method == "GET":
        return Answer(200, {"fulfillments": []})
    if path.endswith("/fulfillments.json"):
        return Answer(201, {"fulfillment": {"id": 255858046, "status": "success"}})
    return Answer(200, {"id": 1})


def walk_the_floor(external_id, channel):
    line = LineDraft("A", 2, Money(Decimal("9.99"), "GBP"), external_line_id="466157049")
    order, _ = orders.receive_order(
        replace(make_draft(channel=channel, external_id=external_id), lines=(line,)), actor="t"
    )
    worker.drain("w")
    (pick_list,) = waves.release("LON", actor="user:lead").pick_lists
    task = pick_list.tasks.get()
    for _ in range(2):
        picking.scan(task.pk, location="A05-B19-L", item="A", actor="user:picker")
    shipment = order.shipments.get()
    fulfillment.pack(shipment.id, actor="user:packer")
    labelled = shipping.buy_label(shipment.id, actor="user:packer", extra_weight_g=120)
    return order, labelled.shipment


def test_from_wave_to_the_channel_being_told(floor):
    with fake_platform(route=platform_route) as shop:
        channels.configure_channel(
            code="shop-de", name="Shop", type="shopify", api_url=shop.url, token="shpat"
        )
        channels.configure_channel(
            code="woo-fr", name="Woo", type="woocommerce", api_url=shop.url, token="ck:cs"
        )
        first, parcel = walk_the_floor("5001", "shop-de")
        _, other = walk_the_floor("727", "woo-fr")
        assert tracking_numbers.check(parcel.tracking_number).valid
        closed = manifests.close("royalmail", "LON", actor="user:shipper")
        assert {s.id for s in closed.shipments} == {parcel.id, other.id}
        assert "tracking_number" in closed.files["csv"].read_text()
        assert closed.files["pdf"].read_bytes().startswith(b"%PDF")
        assert orders.get_order(first.id).status == "despatched"
        assert level("A", "LON") == (6, 0)  # 10 - 2 - 2 left through the ledger
        worker.drain("w")
        worker.drain("w")  # the channel is told once, however often the worker runs
    posted = shop.calls("POST", "/admin/api/2025-01/fulfillments.json")
    assert len(posted) == 1
    sent = posted[0]["body"]["fulfillment"]
    assert sent["tracking_info"] == {"number": parcel.tracking_number, "company": "royalmail"}
    assert sent["line_items_by_fulfillment_order"] == [
        {
            "fulfillment_order_id": 1046000778,
            "fulfillment_order_line_items": [{"id": 1058737482, "quantity": 2}],
        }
    ]
    notes = shop.calls("POST", "/wp-json/wc/v3/orders/727/notes")
    assert len(notes) == 1 and other.tracking_number in notes[0]["body"]["note"]
    assert shop.calls("PUT", "/wp-json/wc/v3/orders/727")[0]["body"] == {"status": "completed"}
    with pytest.raises(Exception, match="no packed, labelled royalmail parcels"):
        manifests.close("royalmail", "LON", actor="user:shipper")


def test_a_platform_outage_is_retried_by_the_outbox(floor, monkeypatch):
    from despatch.integrations.channels import http
    from despatch.models import OutboxEvent

    monkeypatch.setattr(http, "BACKOFF", (0.0,))

    state = {"down": True}

    def flaky(method, path, body):
        if state["down"]:
            return Answer(503, {"errors": "maintenance"})
        return platform_route(method, path, body)

    with fake_platform(route=flaky) as shop:
        channels.configure_channel(
            code="shop-de", name="Shop", type="shopify", api_url=shop.url, token="shpat"
        )
        walk_the_floor("5002", "shop-de")
        runner = CliRunner()
        closed = runner.invoke(
            app, ["shipping", "manifest", "--carrier", "royalmail", "--warehouse", "LON"]
        )
        assert closed.exit_code == 0 and "1 parcel despatched with Royal Mail" in closed.output, (
            closed.output
        )
        worker.drain("w")
        event = OutboxEvent.objects.get(topic="shipment.despatched")
        assert event.status == "pending" and event.attempts == 1 and "503" in event.last_error
        state["down"] = False
        OutboxEvent.objects.filter(pk=event.pk).update(available_at=event.created_at)
        worker.drain("w")
    assert OutboxEvent.objects.get(topic="shipment.despatched").status == "done"
    assert len(shop.calls("POST", "/admin/api/2025-01/fulfillments.json")) == 1


CARTONS = (
    "carton_id,name,inner_length_mm,inner_width_mm,inner_height_mm,max_content_weight_g,cost,tare_g\n"
    "S,Small,200,150,100,2000,0.30,80\n"
    "M,Medium,350,250,150,10000,0.60,200\n"
)


def test_the_weight_gate_holds_a_parcel_that_weighs_wrong(floor, tmp_path, monkeypatch, client):
    from despatch.domain.errors import Conflict
    from despatch.models import OutboxEvent
    from despatch.services import packing, tokens

    (tmp_path / "cartons.csv").write_text(CARTONS)
    Sku.objects.filter(code="A").update(length_mm=90, width_mm=90, height_mm=90)
    order, _ = orders.receive_order(make_draft([("A", 2)], external_id="W-1"), actor="t")
    worker.drain("w")
    task = waves.release("LON", actor="t").pick_lists[0].tasks.get()
    for _ in range(2):
        picking.scan(task.pk, location="A05-B19-L", item="A", actor="p")
    shipment = order.shipments.get()
    choice = packing.recommend(shipment.id)
    assert choice.single and choice.parcels[0].carton.carton_id == "S"  # 2 x 90 mm cubes
    with pytest.raises(Conflict, match="expected 680 g"):  # 2 x 300 g + 80 g carton
        packing.pack_at_bench(shipment.id, weighed_g=390, carton_id="S", actor="packer")
    assert OutboxEvent.objects.get(topic="pack.weight_mismatch").payload["weighed_g"] == 390
    from despatch.models import ExceptionCase

    case = ExceptionCase.objects.get(kind="weight_mismatch")
    assert (case.queue, case.owner, case.status) == ("floor", "group:packing", "open")
    assert case.subject == f"shipment:{shipment.id}" and "weighed 390 g" in case.summary
    with pytest.raises(Conflict):  # weighed wrong again: still the one case
        packing.pack_at_bench(shipment.id, weighed_g=395, carton_id="S", actor="packer")
    assert ExceptionCase.objects.filter(kind="weight_mismatch").count() == 1
    assert fulfillment.get_shipment(shipment.id).status == "picking"
    tokens.ensure_user("packer", "pw", roles=("packer",))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('packer')}"}
    recommended = client.get(f"/api/shipments/{shipment.id}/carton", **auth)
    assert recommended.json()["carton_id"] == "S"
    packed = client.post(
        f"/api/shipments/{shipment.id}/pack",
        {"carton_id": "S", "weight_g": 690},
        content_type="application/json",
        **auth,
    )
    assert packed.status_code == 200 and packed.json()["status"] == "packed"
    assert fulfillment.get_shipment(shipment.id).weight_g == 690
    case.refresh_from_db()  # re-weighed right: the case closed itself
    assert (case.status, case.resolution, case.resolved_by) == ("resolved", "auto", "user:packer")


def test_the_packing_screen_asks_plainly_for_a_weight(floor, tmp_path, client):
    from despatch.services import tokens

    (tmp_path / "cartons.csv").write_text(CARTONS)
    order, _ = orders.receive_order(make_draft([("A", 1)], external_id="W-2"), actor="t")
    worker.drain("w")
    task = waves.release("LON", actor="t").pick_lists[0].tasks.get()
    picking.scan(task.pk, location="A05-B19-L", item="A", actor="p")
    shipment = order.shipments.get()
    tokens.ensure_user("packer", "pw", roles=("packer",))
    client.login(username="packer", password="pw")
    url = f"/pack/{shipment.id}/"
    wrong = client.post(
        url, {"action": "scan", "item": "B", "scanned": "{}"}, HTTP_HX_REQUEST="true"
    )
    assert "B is not in this parcel" in wrong.content.decode()
    scanned = client.post(
        url, {"action": "scan", "item": "A", "scanned": "{}"}, HTTP_HX_REQUEST="true"
    )
    assert 'id="carton">S<' in scanned.content.decode()
    typo = client.post(
        url, {"action": "pack", "carton": "S", "weight_g": "3OO", "scanned": '{"A": 1}'}
    )
    assert "enter the weight in grams" in typo.content.decode()
    packed = client.post(
        url, {"action": "pack", "carton": "S", "weight_g": "380", "scanned": '{"A": 1}'}
    )
    assert "Packed, 380 g" in packed.content.decode()
    assert fulfillment.get_shipment(shipment.id).status == "packed"


def test_a_parcel_not_picked_is_refused_before_the_weight_gate(floor, tmp_path, client):
    """Packing is refused by the shipment's status first: a wrong weight on a parcel that
    cannot be packed yet opens no weight case, by the CLI, the API or the bench."""
    from despatch.models import ExceptionCase
    from despatch.services import tokens

    (tmp_path / "cartons.csv").write_text(CARTONS)
    order, _ = orders.receive_order(make_draft([("A", 1)], external_id="W-3"), actor="t")
    worker.drain("w")
    shipment = order.shipments.get()
    assert shipment.status == "allocated"
    said = CliRunner().invoke(app, ["packing", "pack", shipment.id, "--weight-g", "900"])
    assert said.exit_code != 0 and "'allocated'" in said.output
    assert "invalid_transition" in said.output and "expected" not in said.output
    tokens.ensure_user("packer", "pw", roles=("packer",))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('packer')}"}
    refused = client.post(
        f"/api/shipments/{shipment.id}/pack",
        {"carton_id": "S", "weight_g": 900},
        content_type="application/json",
        **auth,
    )
    assert refused.status_code == 409 and refused.json()["current"] == "allocated"
    client.login(username="packer", password="pw")
    bench = client.post(
        f"/pack/{shipment.id}/", {"action": "pack", "carton": "S", "weight_g": "900"}
    )
    assert bench.context["wrong"] and "from 'allocated' to 'packed'" in bench.context["message"]
    assert not ExceptionCase.objects.filter(kind="weight_mismatch").exists()
    assert fulfillment.get_shipment(shipment.id).status == "allocated"
