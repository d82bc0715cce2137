"""Stock: levels, receipts, adjustments and the movement ledger."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from despatch.api.auth import access, actor, needs
from despatch.api.pages import Pages
from despatch.api.schemas import ObjectIn
from despatch.domain.inventory import MovementReason
from despatch.services import counts, inventory, scopes

router = Router(tags=["stock"])


class LevelOut(Schema):
    sku: str = Field(alias="sku_id")
    warehouse: str = Field(alias="warehouse_id")
    on_hand: int
    reserved: int
    quarantined: int
    available: int

    @staticmethod
    def resolve_available(obj: Any) -> int:
        return int(obj.on_hand - obj.reserved - obj.quarantined)


class MovementOut(Schema):
    id: str
    sku: str = Field(alias="sku_id")
    warehouse: str = Field(alias="warehouse_id")
    quantity: int
    reason: str
    reference: str
    note: str
    actor: str
    created_at: datetime


class StockFilters(Schema):
    sku: str = ""
    warehouse: str = ""


class ReceiveIn(ObjectIn):
    sku: str = Field(min_length=1)
    warehouse: str = Field(min_length=1)
    quantity: int = Field(strict=True, gt=0, le=1_000_000)
    reference: str = Field("", max_length=128)
    note: str = Field("", max_length=500)


class AdjustIn(ObjectIn):
    sku: str = Field(min_length=1)
    warehouse: str = Field(min_length=1)
    delta: int = Field(
        strict=True,
        ge=-1_000_000,
        le=1_000_000,
        description="positive adds, negative removes; never below reserved",
    )
    reason: MovementReason = MovementReason.ADJUSTMENT
    note: str = Field(min_length=1, max_length=500)
    reason_code: str = Field(
        "", max_length=64, description="why (docs/security.md#reason-codes): count_correction"
    )


@router.get(
    "",
    response=list[LevelOut],
    summary="Stock levels per SKU and warehouse",
    auth=needs("stock.read"),
)
@paginate(Pages)
def levels(request: HttpRequest, filters: Query[StockFilters]) -> Any:
    return scopes.levels_in(inventory.levels(**filters.dict()), access(request).scope)


@router.post(
    "/receive", response={201: LevelOut}, summary="Book goods in", auth=needs("stock.write")
)
def receive(request: HttpRequest, body: ReceiveIn) -> Any:
    access(request).require_warehouse(body.warehouse, "stock.write")
    return Status(201, inventory.receive_stock(actor=actor(request), **body.dict()))


@router.post(
    "/adjust",
    response=LevelOut,
    summary="Correct on-hand stock with a reason",
    auth=needs("stock.write"),
)
def adjust(request: HttpRequest, body: AdjustIn) -> Any:
    access(request).require_warehouse(body.warehouse, "stock.write")
    return inventory.adjust_stock(actor=actor(request), **body.dict())


@router.get(
    "/movements",
    response=list[MovementOut],
    summary="The append-only ledger",
    auth=needs("stock.read"),
)
@paginate(Pages)
def movements(request: HttpRequest, filters: Query[StockFilters]) -> Any:
    return scopes.by_warehouse(inventory.movements(**filters.dict()), access(request).scope)


def _breaks() -> list[dict[str, str]]:
    return [b.__dict__ for b in inventory.ledger_breaks()]


@router.get(
    "/check",
    summary="Every level that disagrees with its ledger or reservations",
    auth=needs("stock.read"),
)
def check(request: HttpRequest) -> Any:
    breaks = _breaks()
    return {"consistent": not breaks, "breaks": breaks}


@router.post(
    "/repair",
    summary="Release reservations of finished orders, set reserved to the live reservations; "
    "on-hand drift is reported for a count",
    auth=needs("stock.write"),
)
def repair(request: HttpRequest) -> Any:
    done = inventory.repair(actor=actor(request))
    left = [b.__dict__ for b in done.left]
    return {"released": done.released, "corrected": done.corrected, "left": left}


class CountIn(ObjectIn):
    sku: str = Field(min_length=1)
    warehouse: str = Field(min_length=1)
    counted: int = Field(strict=True, ge=0, le=1_000_000, description="units on the shelf")
    note: str = Field("", max_length=500)


@router.post(
    "/count",
    summary="Book a stock count, even below reserved: the least urgent orders go short",
    auth=needs("stock.write"),
)
def count(request: HttpRequest, body: CountIn) -> Any:
    access(request).require_warehouse(body.warehouse, "stock.write")
    done = counts.count_stock(actor=actor(request), **body.dict())
    return {
        "sku": done.sku,
        "warehouse": done.warehouse,
        "before": done.before,
        "on_hand": done.on_hand,
        "reserved": done.reserved,
        "short_orders": [s.__dict__ for s in done.short_orders],
    }
