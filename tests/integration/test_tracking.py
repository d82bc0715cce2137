"""Carrier tracking events through the signed webhook and CSV files."""

import hashlib
import hmac
import json

import pytest
from typer.testing import CliRunner

from despatch.cli.app import app
from despatch.domain.errors import ValidationFailed
from despatch.domain.tracking import TrackingStatus, normalise
from despatch.models import ExceptionCase, OutboxEvent
from despatch.services import fulfillment, orders, tracking
from tests.integration.test_fulfillment import allocated

SECRET = "trk-secret"


@pytest.fixture
def despatched(shop, monkeypatch):
    monkeypatch.setenv("DESPATCH_TRACKING_SECRET_ROYALMAIL", SECRET)
    order = allocated([("A", 1)])
    shipment = order.shipments.get()
    fulfillment.start_picking(shipment.id, actor="t")
    fulfillment.pack(shipment.id, actor="t")
    fulfillment.despatch(
        shipment.id, actor="t", carrier="royalmail", tracking_number="RR123456785GB"
    )
    return order, shipment


def post(client, body, secret=SECRET):
    raw = json.dumps(body).encode()
    signature = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(
        "/api/tracking/webhooks/royalmail",
        raw,
        content_type="application/json",
        HTTP_X_DESPATCH_SIGNATURE=signature,
    )


def test_carrier_words_map_to_one_vocabulary():
    assert normalise("Out For Delivery") == TrackingStatus.OUT_FOR_DELIVERY
    assert normalise("failed-attempt") == TrackingStatus.ATTEMPTED_DELIVERY
    assert normalise("Signed For") == TrackingStatus.DELIVERED
    with pytest.raises(ValidationFailed, match="'teleported' is not a tracking status"):
        normalise("teleported")


def test_delivered_moves_the_shipment_and_the_order_once(despatched, client):
    order, shipment = despatched
    event = {
        "tracking_number": "RR123456785GB",
        "status": "Delivered",
        "occurred_at": "2026-11-24T10:15:00Z",
        "location": "Leeds",
    }
    first = post(client, {"events": [{**event, "status": "in transit"}, event]})
    assert first.status_code == 200, first.content
    assert [r["status"] for r in first.json()] == ["in_transit", "delivered"]
    assert orders.get_order(order.id).status == "delivered"
    again = post(client, {"events": [event]})
    assert again.json() == [{"shipment_id": shipment.id, "status": "delivered", "new": False}]
    assert fulfillment.get_shipment(shipment.id).tracking.count() == 2
    assert post(client, {"events": [event]}, secret="forged").status_code == 401
    bad = post(client, {"events": [{**event, "status": "teleported", "occurred_at": "soon"}]})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {
        "events[0].status",
        "events[0].occurred_at",
    }


def test_warnings_are_written_for_a_person_and_files_report_each_row(despatched, tmp_path):
    order, _ = despatched
    tracking.record(
        "royalmail", "RR123456785GB", "carded", tracking._when("2026-11-24T09:00:00", "t")
    )
    warning = OutboxEvent.objects.get(topic="shipment.tracking_warning")
    assert warning.payload["status"] == "attempted_delivery"
    case = ExceptionCase.objects.get(kind="delivery_warning")
    assert (case.queue, case.status, case.order_id) == ("delivery", "open", order.id)
    assert "attempted delivery" in case.summary
    csv_file = tmp_path / "events.csv"
    csv_file.write_text(
        "tracking_number,status,occurred_at,location\n"
        "RR123456785GB,out for delivery,2026-11-25T07:00:00Z,Leeds DO\n"
        "RR999999999GB,delivered,2026-11-25T07:00:00Z,\n"
        "RR123456785GB,delivered,2026-11-25T11:00:00Z,Leeds\n"
    )
    result = CliRunner().invoke(
        app, ["shipping", "tracking-import", str(csv_file), "--carrier", "royalmail"]
    )
    assert result.exit_code == 1
    assert "row 2: out_for_delivery" in result.output
    assert "row 3: error: tracking number 'RR999999999GB' does not exist" in result.output
    assert "row 4: delivered" in result.output
    assert orders.get_order(order.id).status == "delivered"
    case.refresh_from_db()
    assert (case.status, case.resolution, case.note) == ("resolved", "auto", "delivered")
