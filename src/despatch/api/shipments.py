"""Shipments: list, read, and move through pick → pack → despatch → deliver."""

from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from despatch.api.auth import access, actor, needs
from despatch.api.order_schemas import ShipmentOut
from despatch.api.orders_out import shipment_out
from despatch.api.pages import Pages
from despatch.api.picking import pdf_response
from despatch.api.schemas import ObjectIn
from despatch.services import cancellations, fulfillment, manifests, packing, scopes, shipping

router = Router(tags=["shipments"])


class ShipmentFilters(Schema):
    status: str = ""
    warehouse: str = ""
    order_id: str = ""


class DespatchIn(ObjectIn):
    carrier: str = Field("", max_length=64)
    tracking_number: str = Field("", max_length=64)


@router.get("", response=list[ShipmentOut], auth=needs("shipments.read"))
@paginate(Pages)
def list_shipments(request: HttpRequest, filters: Query[ShipmentFilters]) -> Any:
    return [
        shipment_out(s)
        for s in scopes.shipments_in(
            fulfillment.list_shipments(**filters.dict()), access(request).scope
        ).prefetch_related("lines")
    ]


@router.get("/{shipment_id}", response=ShipmentOut, auth=needs("shipments.read"))
def get_shipment(request: HttpRequest, shipment_id: str) -> Any:
    return shipment_out(fulfillment.get_shipment(shipment_id))


@router.post(
    "/{shipment_id}/pick", response=ShipmentOut, summary="Start picking", auth=needs("picking.work")
)
def pick(request: HttpRequest, shipment_id: str) -> Any:
    return shipment_out(fulfillment.start_picking(shipment_id, actor=actor(request)))


class PackIn(ObjectIn):
    carton_id: str = Field("", max_length=64, description="with weight_g: the weight gate")
    weight_g: int | None = Field(
        strict=True, default=None, ge=0, le=1_000_000, description="what the scale read"
    )


class CartonOut(Schema):
    fits_one_carton: bool
    carton_id: str | None
    parcels: list[dict[str, Any]]
    unfit: list[dict[str, str]]


@router.post(
    "/{shipment_id}/pack",
    response=ShipmentOut,
    summary="Packed; with carton_id and weight_g the parcel must weigh what its items and "
    "carton do (409 and a pack.weight_mismatch exception if not)",
    auth=needs("packing.work"),
)
def pack(request: HttpRequest, shipment_id: str, body: PackIn | None = None) -> Any:
    if body is not None and body.weight_g is not None:
        packed = packing.pack_at_bench(
            shipment_id, weighed_g=body.weight_g, carton_id=body.carton_id, actor=actor(request)
        )
        return shipment_out(packed)
    return shipment_out(fulfillment.pack(shipment_id, actor=actor(request)))


@router.get(
    "/{shipment_id}/carton",
    response=CartonOut,
    summary="The carton to pack it in",
    auth=needs("packing.work"),
)
def recommend_carton(request: HttpRequest, shipment_id: str) -> Any:
    return packing.as_json(packing.OrderBoxes(shipment_id, packing.recommend(shipment_id)))


@router.post("/{shipment_id}/despatch", response=ShipmentOut, auth=needs("shipping.work"))
def despatch(request: HttpRequest, shipment_id: str, body: DespatchIn) -> Any:
    return shipment_out(fulfillment.despatch(shipment_id, actor=actor(request), **body.dict()))


class InterceptIn(ObjectIn):
    reason: str = Field("customer_request", max_length=64, description="a cancel reason code")
    note: str = Field("", max_length=500)


@router.post(
    "/{shipment_id}/intercept",
    response=ShipmentOut,
    summary="Ask the carrier to stop a despatched parcel (opens an intercept case)",
    auth=needs("shipping.work"),
)
def intercept(request: HttpRequest, shipment_id: str, body: InterceptIn) -> Any:
    cancellations.request_intercept(
        shipment_id, actor=actor(request), reason=body.reason, note=body.note
    )
    return shipment_out(fulfillment.get_shipment(shipment_id))


@router.post("/{shipment_id}/deliver", response=ShipmentOut, auth=needs("shipping.work"))
def deliver(request: HttpRequest, shipment_id: str) -> Any:
    return shipment_out(fulfillment.deliver(shipment_id, actor=actor(request)))


class LabelIn(ObjectIn):
    extra_weight_g: int = Field(
        strict=True, default=0, ge=0, le=1_000_000, description="carton and packing"
    )


class LabelOut(Schema):
    shipment_id: str
    carrier: str
    service: str
    tracking_number: str
    price: str | None
    currency: str
    weight_g: int
    reasons: list[str]
    already_bought: bool
    files: dict[str, str] = Field(description="label download paths by format")


@router.post(
    "/{shipment_id}/label",
    response=LabelOut,
    summary="Buy the label: the cheapest service in time, a tracking number, PDF and ZPL",
    auth=needs("labels.print"),
)
def buy_label(request: HttpRequest, shipment_id: str, body: LabelIn) -> Any:
    done = shipping.buy_label(shipment_id, actor=actor(request), **body.dict())
    s = done.shipment
    return {
        "shipment_id": s.id,
        "carrier": s.carrier,
        "service": s.service,
        "tracking_number": s.tracking_number,
        "price": None if s.shipping_cost is None else str(s.shipping_cost),
        "currency": s.shipping_currency,
        "weight_g": s.weight_g,
        "reasons": s.rate_reasoning,
        "already_bought": done.shopping is None,
        "files": {kind: f"/api/shipments/{s.id}/label.{kind}" for kind in done.files},
    }


@router.get(
    "/{shipment_id}/label.{kind}",
    summary="Download the label (pdf or zpl)",
    auth=needs("labels.print"),
)
def get_label(request: HttpRequest, shipment_id: str, kind: str) -> Any:
    fulfillment.get_shipment(shipment_id)
    path, media = shipping.label_file(shipment_id, kind)
    return FileResponse(path.open("rb"), content_type=media, filename=path.name)


class ManifestIn(ObjectIn):
    carrier: str = Field(min_length=1, max_length=64)
    warehouse: str = Field(min_length=1, max_length=32)


class ManifestOut(Schema):
    id: str
    carrier: str
    warehouse: str
    shipments: list[str]
    files: list[str]


manifest_router = Router(tags=["shipments"])


@manifest_router.post(
    "",
    response=ManifestOut,
    summary="Close the day for a carrier: despatch and manifest",
    auth=needs("shipping.work"),
)
def close_manifest(request: HttpRequest, body: ManifestIn) -> Any:
    access(request).require_warehouse(body.warehouse, "shipping.work")
    closed = manifests.close(body.carrier, body.warehouse, actor=actor(request))
    return {
        "id": closed.manifest.id,
        "carrier": closed.manifest.carrier,
        "warehouse": closed.manifest.warehouse_id,
        "shipments": [s.id for s in closed.shipments],
        "files": sorted(closed.files),
    }


@router.get(
    "/{shipment_id}/packing-slip.pdf",
    summary="The packing slip to put in the parcel",
    auth=needs("labels.print"),
)
def packing_slip(request: HttpRequest, shipment_id: str) -> Any:
    return pdf_response(packing.packing_slip_pdf(shipment_id), f"{shipment_id}-slip.pdf")
