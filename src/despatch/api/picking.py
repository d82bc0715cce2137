"""Picking: release waves, read pick lists, scan and short-pick tasks."""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Body, Field, Router, Schema

from despatch.api.auth import access, actor, needs
from despatch.api.schemas import ObjectIn
from despatch.services import cancellations, picking, waves

router = Router(tags=["picking"])


def pdf_response(document: bytes, name: str) -> HttpResponse:
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


class WaveIn(ObjectIn):
    warehouse: str = Field(min_length=1, max_length=32)
    max_orders: int = Field(strict=True, default=20, ge=1, le=500)
    max_lines: int = Field(strict=True, default=100, ge=1, le=5000)
    max_units: int = Field(
        strict=True, default=0, ge=0, description="units a tote takes (0: no bound)"
    )
    tote_litres: float = Field(0, ge=0, description="what a tote holds in litres (0: no bound)")
    single_lines: int = Field(
        strict=True,
        default=0,
        ge=0,
        description="shipments with at least this many lines are picked alone (0: never)",
    )
    zones: bool = Field(False, description="one list per zone of the layout for each batch")
    service: str = Field("", max_length=64, description="only orders asking for this service")
    method: str = Field("best", description="s-shape, largest-gap, optimal or best")
    max_lists: int = Field(
        strict=True, default=0, ge=0, le=1000, description="batches to release (0: all)"
    )
    ship_by: date | None = Field(None, description="only shipments due to ship by this day")


class TaskOut(Schema):
    id: int
    seq: int
    location: str
    sku: str = Field(alias="sku_id")
    quantity: int
    picked: int
    short: int
    status: str
    shipment_id: str
    pick_list: str = Field(alias="pick_list_id")


class PickListOut(Schema):
    id: str
    warehouse: str = Field(alias="warehouse_id")
    wave: str
    batch: str
    zone: str
    method: str
    length_m: float
    status: str
    created_at: datetime
    tasks: list[TaskOut]

    @staticmethod
    def resolve_tasks(obj: Any) -> list[Any]:
        return list(obj.tasks.all())


class WaveOut(Schema):
    wave: str
    pick_lists: list[PickListOut]
    skipped: dict[str, str]


class ScanIn(ObjectIn):
    location: str = Field(max_length=32, description="the bin's barcode")
    item: str = Field(max_length=64, description="the item's barcode (GTIN) or SKU")


class ShortIn(ObjectIn):
    note: str = Field("", max_length=500)


@router.post(
    "/waves",
    response=WaveOut,
    summary="Release a wave into routed pick lists",
    auth=needs("picking.release"),
)
def release(request: HttpRequest, body: WaveIn) -> Any:
    access(request).require_warehouse(body.warehouse, "picking.release")
    return waves.release(body.warehouse, actor=actor(request), **body.dict(exclude={"warehouse"}))


@router.get(
    "/pick-lists/{pick_list_id}.pdf",
    summary="The pick list to print (A4 PDF)",
    auth=needs("picking.work"),
)
def pick_list_pdf(request: HttpRequest, pick_list_id: str) -> Any:
    return pdf_response(picking.pick_list_pdf(pick_list_id), f"{pick_list_id}.pdf")


@router.get("/pick-lists/{pick_list_id}", response=PickListOut, auth=needs("picking.work"))
def get_pick_list(request: HttpRequest, pick_list_id: str) -> Any:
    return picking.get_pick_list(pick_list_id)


@router.post(
    "/pick-tasks/{task_id}/scan",
    response=TaskOut,
    summary="Pick one unit: the bin and item scanned must be the task's (422 wrong_scan if not)",
    auth=needs("picking.work"),
)
def scan(request: HttpRequest, task_id: int, body: ScanIn) -> Any:
    return picking.scan(task_id, location=body.location, item=body.item, actor=actor(request))


@router.post(
    "/pick-tasks/{task_id}/short",
    response=TaskOut,
    summary="Record a short pick",
    auth=needs("picking.work"),
)
def short(request: HttpRequest, task_id: int, body: ShortIn) -> Any:
    return picking.short(task_id, actor=actor(request), note=body.note)


class BinIn(Schema):
    sku: str = Field(min_length=1, max_length=64)
    location: str = Field(min_length=1, max_length=32, description="A<aisle>-B<bin>-<L|R>")


@router.put(
    "/warehouses/{code}/layout",
    response=dict[str, Any],
    summary="Load the warehouse's layout (the LAYOUT.json of docs/picking.md)",
    auth=needs("warehouses.manage"),
)
def put_layout(request: HttpRequest, code: str, body: Body[dict[str, Any]]) -> Any:
    picking.set_layout(code, body, actor=actor(request))
    return body


@router.put(
    "/warehouses/{code}/locations",
    response=dict[str, int],
    summary="Set SKU bins",
    auth=needs("warehouses.manage"),
)
def put_locations(request: HttpRequest, code: str, body: Body[list[BinIn]]) -> Any:
    rows = [(b.sku, b.location) for b in body]
    return {"saved": picking.set_locations(code, rows, actor=actor(request))}


class PutAwayOut(Schema):
    id: str
    warehouse_id: str
    sku_id: str
    location: str
    quantity: int
    reason: str
    order_id: str
    shipment_id: str
    status: str
    created_at: datetime
    done_at: datetime | None
    done_by: str


class PutAwayDone(ObjectIn):
    location: str = Field("", max_length=32, description="the bin scanned (checked if known)")


@router.get(
    "/put-away",
    response=list[PutAwayOut],
    summary="Units to return to their bins",
    auth=needs("picking.work"),
)
def put_away_tasks(request: HttpRequest, warehouse: str = "", status: str = "open") -> Any:
    allowed = access(request).may_warehouse
    rows = cancellations.put_away_tasks(warehouse=warehouse, status=status)
    return [task for task in rows if allowed(task.warehouse_id)]


@router.post(
    "/put-away/{task_id}/done",
    response=PutAwayOut,
    summary="The units are back",
    auth=needs("picking.work"),
)
def put_away_done(request: HttpRequest, task_id: str, body: PutAwayDone) -> Any:
    return cancellations.complete_put_away(task_id, actor=actor(request), location=body.location)
