"""Carrier tracking events: the signed webhook and a shipment's tracking history."""

import json
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from despatch.api.auth import needs, public
from despatch.domain.errors import ValidationFailed
from despatch.services import fulfillment, tracking

router = Router(tags=["tracking"])


class RecordedOut(Schema):
    shipment_id: str
    status: str
    new: bool


class TrackingEventOut(Schema):
    status: str
    carrier_code: str
    occurred_at: datetime
    location: str
    source: str


@router.post(
    "/tracking/webhooks/{carrier}",
    auth=public("signed with the carrier's secret"),
    response=list[RecordedOut],
    summary="Carrier tracking events (X-Despatch-Signature: hex HMAC-SHA256 of the body)",
)
def webhook(request: HttpRequest, carrier: str) -> Any:
    """``{"events": [{"tracking_number", "status", "occurred_at", "location"}]}``; a repeat
    changes nothing (``new: false``); a bad signature is 401."""
    tracking.verify(carrier, request.body, request.headers.get("X-Despatch-Signature", ""))
    try:
        payload = json.loads(request.body)
    except ValueError as exc:
        raise ValidationFailed.single("body", f"not JSON: {exc}", "malformed_json") from exc
    return [
        {"shipment_id": r.shipment_id, "status": r.status.value, "new": r.new}
        for r in tracking.record_payload(carrier, payload)
    ]


@router.get(
    "/shipments/{shipment_id}/tracking",
    response=list[TrackingEventOut],
    auth=needs("shipments.read"),
)
def history(request: HttpRequest, shipment_id: str) -> Any:
    return fulfillment.get_shipment(shipment_id).tracking.all()
