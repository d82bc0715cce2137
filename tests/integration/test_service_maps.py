"""Per-channel service maps: shipping-method text -> a known service, or a typed hold."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.models import AuditEntry, ExceptionCase
from despatch.services import channels, orders, service_maps
from tests.integration.test_three_ways_in import stocked  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

DOCUMENTED = Path(__file__).parents[1] / "fixtures" / "channels" / "documented"


@pytest.fixture
def web(shop):
    channels.configure_channel(code="web", name="Web", type="api", warehouses=["LON", "NJ"])


def receive(draft, service, external_id):
    order, _ = orders.receive_order(
        draft(external_id=external_id, requested_service=service), actor="t"
    )
    worker.drain("w")
    return orders.get_order(order.id)


def test_a_channel_without_a_map_keeps_the_text_as_it_came(web, draft):
    order = receive(draft, "Std", "plain-1")
    assert order.status == "allocated" and order.requested_service == "Std"


def test_an_unknown_text_is_held_with_a_suggestion_then_mapped_once_saved(web, draft):
    service_maps.map_service("web", "Std", "standard", actor="t")
    mapped = receive(draft, "std", "m-1")  # compared without case
    assert mapped.status == "allocated" and mapped.requested_service == "standard"
    entry = AuditEntry.objects.get(order_id=mapped.id, action="service_mapped")
    assert (entry.before, entry.after, entry.reason_code) == (
        "std",
        "standard",
        "channel_service_map",
    )
    assert receive(draft, "Express", "m-2").requested_service == "express"  # known, as written

    held = receive(draft, "UK Prime Next Day", "m-3")
    assert (held.status, held.hold_reason) == ("on_hold", "unknown_service")
    (problem,) = held.hold_detail
    assert problem["field"] == "requested_service" and problem["code"] == "unknown_service"
    assert (problem["text"], problem["suggested"]) == ("UK Prime Next Day", "next_day")
    assert "closest known service: next_day" in problem["message"]
    case = ExceptionCase.objects.get(order_id=held.id, status="open")
    assert case.kind == "unknown_service" and case.queue == "orders"

    runner = CliRunner()
    saved = runner.invoke(app, ["channels", "map-service", "web", "UK Prime Next Day", "next_day"])
    assert saved.exit_code == 0, saved.output
    assert "released 1 held order(s)" in saved.output and held.id in saved.output
    worker.drain("w")
    released = orders.get_order(held.id)
    assert (released.status, released.requested_service) == ("allocated", "next_day")
    assert not ExceptionCase.objects.filter(order_id=held.id, status="open").exists()
    assert receive(draft, "uk prime next-day", "m-4").requested_service == "next_day"
    changes = AuditEntry.objects.filter(action="service_map_changed").order_by("seq")
    assert changes.count() == 2
    assert changes.last().after == {
        "service_map": {"Std": "standard", "UK Prime Next Day": "next_day"}
    }


def test_a_mapping_to_a_service_we_do_not_have_is_refused_by_name(web):
    runner = CliRunner()
    refused = runner.invoke(app, ["channels", "map-service", "web", "Std", "warp_speed"])
    assert refused.exit_code == 1 and "service_map.Std" in refused.output
    assert "Traceback" not in refused.output
    assert service_maps.service_map("web") == {}


def test_the_api_reads_and_replaces_the_map_and_releases_held_orders(web, draft, api_call):
    service_maps.map_service("web", "Std", "standard", actor="t")
    held = receive(draft, "Expedited Intl", "a-1")
    assert held.hold_reason == "unknown_service"
    assert held.hold_detail[0]["suggested"] == "express"
    status, body = api_call("get", "/api/channels/web/service-map")
    assert (status, body) == (200, {"map": {"Std": "standard"}, "released": []})
    status, problem = api_call(
        "put", "/api/channels/web/service-map", {"map": {"Std": "slow-boat"}}
    )
    assert status == 422 and problem["errors"][0]["field"] == "service_map.Std"
    status, body = api_call(
        "put",
        "/api/channels/web/service-map",
        {"map": {"Std": "standard", "Expedited Intl": "express"}, "release": True},
    )
    assert status == 200 and body["released"] == [held.id]
    worker.drain("w")
    assert orders.get_order(held.id).requested_service == "express"
    assert api_call("get", "/api/channels/nope/service-map")[0] == 404


def test_amazons_documented_ship_service_level_goes_through_the_map(stocked):  # noqa: F811
    payload = json.loads((DOCUMENTED / "amazon_order_uk.json").read_text())
    level = payload["order"]["payload"]["ShipServiceLevel"]
    channels.configure_channel(code="amz", name="Amazon", type="amazon", warehouses=["LON"])
    service_maps.map_service("amz", "Expedited", "express", actor="t")
    delivery, _ = channels.import_payload("amz", json.dumps(payload).encode(), name="o.json")
    worker.drain("w")
    order = orders.get_order(delivery.order_id)
    assert order.hold_reason == "unknown_service", order.hold_detail
    assert order.hold_detail[-1]["text"] == level
    assert order.hold_detail[-1]["suggested"] == "standard"  # "Std UK Dom_1"
    service_maps.map_service("amz", level, "standard", actor="t", release=True)
    worker.drain("w")
    assert orders.get_order(order.id).requested_service == "standard"
