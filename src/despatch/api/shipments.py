"""Shipments: list, read, and move through pick → pack → despatch → deliver."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from despatch.api.auth import actor
from despatch.api.orders import ShipmentOut, shipment_out
from despatch.api.pages import Pages
from despatch.services import fulfillment

router = Router(tags=["shipments"])


class ShipmentFilters(Schema):
    status: str = ""
    warehouse: str = ""
    order_id: str = ""


class DespatchIn(Schema):
    carrier: str = Field("", max_length=64)
    tracking_number: str = Field("", max_length=64)


@router.get("", response=list[ShipmentOut])
@paginate(Pages)
def list_shipments(request: HttpRequest, filters: Query[ShipmentFilters]) -> Any:
    return [
        shipment_out(s)
        for s in fulfillment.list_shipments(**filters.dict()).prefetch_related("lines")
    ]


@router.get("/{shipment_id}", response=ShipmentOut)
def get_shipment(request: HttpRequest, shipment_id: str) -> Any:
    return shipment_out(fulfillment.get_shipment(shipment_id))


@router.post("/{shipment_id}/pick", response=ShipmentOut, summary="Start picking")
def pick(request: HttpRequest, shipment_id: str) -> Any:
    return shipment_out(fulfillment.start_picking(shipment_id, actor=actor(request)))


@router.post("/{shipment_id}/pack", response=ShipmentOut)
def pack(request: HttpRequest, shipment_id: str) -> Any:
    return shipment_out(fulfillment.pack(shipment_id, actor=actor(request)))


@router.post("/{shipment_id}/despatch", response=ShipmentOut)
def despatch(request: HttpRequest, shipment_id: str, body: DespatchIn) -> Any:
    return shipment_out(fulfillment.despatch(shipment_id, actor=actor(request), **body.dict()))


@router.post("/{shipment_id}/deliver", response=ShipmentOut)
def deliver(request: HttpRequest, shipment_id: str) -> Any:
    return shipment_out(fulfillment.deliver(shipment_id, actor=actor(request)))
