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
        "RR999999995GB,delivered,2026-11-25T07:00:00Z,\n"
        "RR123456785GB,delivered,2026-11-25T11:00:00Z,Leeds\n"
        "rr 999 999 999 gb,delivered,2026-11-25T07:00:00Z,\n"
    )
    result = CliRunner().invoke(
        app, ["shipping", "tracking-import", str(csv_file), "--carrier", "royalmail"]
    )
    assert result.exit_code == 1
    assert "row 2: out_for_delivery" in result.output
    assert "row 3: error: tracking number 'RR999999995GB' does not exist" in result.output
    assert "row 4: delivered" in result.output
    wrong = "row 5: error: tracking_number: 'RR999999999GB': check digit should be 5"
    assert wrong in result.output
    assert orders.get_order(order.id).status == "delivered"
    case.refresh_from_db()
    assert (case.status, case.resolution, case.note) == ("resolved", "auto", "delivered")


def test_incoming_numbers_are_normalised_and_checked_before_anything_is_recorded(
    despatched, client
):
    _, shipment = despatched
    event = {"status": "in transit", "occurred_at": "2026-11-24T10:15:00Z"}
    written = post(client, {"events": [{**event, "tracking_number": "rr 123-456-785 gb"}]})
    assert written.status_code == 200, written.content
    assert written.json()[0]["shipment_id"] == shipment.id
    events = [
        {**event, "tracking_number": "RR123456786GB"},
        {**event, "tracking_number": "RB123456785XX"},
        {**event, "tracking_number": "RR123456785GB", "status": "delivered"},
    ]
    refused = post(client, {"events": events})
    assert refused.status_code == 422
    assert {e["field"]: e["message"] for e in refused.json()["errors"]} == {
        "events[0].tracking_number": "'RR123456786GB': check digit should be 5",
        "events[1].tracking_number": "'RB123456785XX': XX is not an ISO 3166 country",
    }
    assert fulfillment.get_shipment(shipment.id).tracking.count() == 1  # nothing of the batch


def test_check_tracking_names_the_scheme_and_why_a_number_is_wrong():
    runner = CliRunner()
    good = ["3318810025", "9400 1112 0108 0805 4830 16", "0414-4176-0228-964", "986578788855"]
    result = runner.invoke(app, ["shipping", "check-tracking", *good, "1z5r89390357567127"])
    assert result.exit_code == 0, result.output
    for line in (
        "3318810025: dhl_express, valid",
        "9400111201080805483016: usps_impb, valid",
        "041441760228964: fedex_ground, valid",
        "986578788855: fedex_express, valid",
        "1Z5R89390357567127: ups, valid",
    ):
        assert line in result.output
    bad = runner.invoke(app, ["shipping", "check-tracking", "RB123456785XX", "--json"])
    assert bad.exit_code == 1
    assert json.loads(bad.output) == [
        {
            "number": "RB123456785XX",
            "scheme": "s10",
            "valid": False,
            "reason": "XX is not an ISO 3166 country",
            "name": "UPU S10 postal item",
        }
    ]
    wrong = runner.invoke(app, ["shipping", "check-tracking", "--carrier", "fedex", "3318810025"])
    assert wrong.exit_code == 1
    assert "invalid: a DHL Express waybill number, not FedEx Express or FedEx Ground" in (
        wrong.output
    )


def test_a_number_given_at_despatch_is_checked_and_normalised(shop):
    order = allocated([("A", 1)])
    shipment = order.shipments.get()
    fulfillment.start_picking(shipment.id, actor="t")
    fulfillment.pack(shipment.id, actor="t")
    with pytest.raises(ValidationFailed, match="'1Z5R89390357567128': check digit should be 7"):
        fulfillment.despatch(
            shipment.id, actor="t", carrier="ups", tracking_number="1Z5R89390357567128"
        )
    with pytest.raises(ValidationFailed, match="not a UPS 1Z number"):
        fulfillment.despatch(shipment.id, actor="t", carrier="ups", tracking_number="DPD1")
    done = fulfillment.despatch(
        shipment.id, actor="t", carrier="ups", tracking_number="1z 5r8 939 0357 5671 27"
    )
    assert (done.status, done.tracking_number) == ("despatched", "1Z5R89390357567127")
