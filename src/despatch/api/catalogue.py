"""Warehouses, SKUs and channels."""

from datetime import UTC, date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Body, Field, Query, Router, Schema
from ninja.pagination import paginate

from despatch.api.auth import actor, needs
from despatch.api.pages import Pages
from despatch.api.schemas import ObjectIn
from despatch.domain import gtins
from despatch.services import calendars, catalogue, shipping

router = Router(tags=["catalogue"])


class WarehouseIn(ObjectIn):
    name: str = Field(min_length=1, max_length=200)
    time_zone: str = Field("UTC", max_length=64)
    country: str = Field("GB", min_length=2, max_length=2)
    priority: int = Field(strict=True, default=100, ge=0, le=1_000_000)


class WarehouseOut(Schema):
    code: str
    name: str
    time_zone: str
    country: str
    priority: int
    active: bool
    calendar: dict[str, Any]
    location: dict[str, Any]


class PromiseOut(Schema):
    warehouse: str
    service: str
    ship_by: date
    deliver_by: date
    transit_days: int
    reason: str


class SkuIn(ObjectIn):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=300)
    gtin: str = Field("", max_length=14, pattern=gtins.PATTERN)  # 8, 12, 13 or 14 digits
    length_mm: int = Field(strict=True, default=0, ge=0, le=100_000)
    width_mm: int = Field(strict=True, default=0, ge=0, le=100_000)
    height_mm: int = Field(strict=True, default=0, ge=0, le=100_000)
    weight_g: int = Field(strict=True, default=0, ge=0, le=10_000_000)
    flags: list[str] = []


class SkuOut(Schema):
    code: str
    name: str
    gtin: str
    length_mm: int
    width_mm: int
    height_mm: int
    weight_g: int
    flags: list[str]
    active: bool


@router.put(
    "warehouses/{code}/calendar",
    response=WarehouseOut,
    summary="Set a warehouse's working days, public holidays, closed dates and cut-offs",
    auth=needs("warehouses.manage"),
)
def put_calendar(request: HttpRequest, code: str, body: Body[dict[str, Any]]) -> Any:
    return calendars.set_calendar(code, body, actor=actor(request))


@router.put(
    "warehouses/{code}/location",
    response=WarehouseOut,
    summary="Set the countries a warehouse serves and its parcel costs, for sourcing",
    auth=needs("warehouses.manage"),
)
def put_location(request: HttpRequest, code: str, body: Body[dict[str, Any]]) -> Any:
    return calendars.set_location(code, body, actor=actor(request))


class RateCardOut(Schema):
    carriers: list[str]
    services: list[str]


@router.put(
    "rates",
    response=RateCardOut,
    summary="Replace the carriers' rate card (docs/shipping.md); a wrong field is a 422 naming it",
    auth=needs("warehouses.manage", shared="rates"),
)
def put_rates(request: HttpRequest, body: Body[dict[str, Any]]) -> Any:
    services = shipping.set_rate_card(body, actor=actor(request))
    carriers = sorted({s.carrier for s in services})
    return {"carriers": carriers, "services": [f"{s.carrier}/{s.code}" for s in services]}


@router.get(
    "warehouses/{code}/promise",
    response=PromiseOut,
    summary="The ship-by and delivery dates for an order ready at a given time",
    auth=needs("catalogue.read"),
)
def get_promise(
    request: HttpRequest, code: str, at: datetime | None = None, service: str = "standard"
) -> Any:
    p = calendars.promise_from(code, at or datetime.now(UTC), service)
    return {"warehouse": code, "service": service, **p.__dict__}


@router.get(
    "warehouses", response=list[WarehouseOut], tags=["catalogue"], auth=needs("catalogue.read")
)
def list_warehouses(request: HttpRequest) -> Any:
    return catalogue.warehouses()


@router.put(
    "warehouses/{code}",
    response=WarehouseOut,
    summary="Create or update a warehouse",
    auth=needs("warehouses.manage"),
)
def put_warehouse(request: HttpRequest, code: str, body: WarehouseIn) -> Any:
    return catalogue.upsert_warehouse(**{**body.dict(), "code": code}, actor=actor(request))


@router.get("skus", response=list[SkuOut], auth=needs("catalogue.read"))
@paginate(Pages)
def list_skus(request: HttpRequest, q: Query[str] = "") -> Any:
    return catalogue.skus(q)


@router.get("skus/{code}", response=SkuOut, auth=needs("catalogue.read"))
def get_sku(request: HttpRequest, code: str) -> Any:
    return catalogue.get_sku(code)


@router.put(
    "skus/{code}", response=SkuOut, summary="Create or update a SKU", auth=needs("catalogue.write")
)
def put_sku(request: HttpRequest, code: str, body: SkuIn) -> Any:
    data = body.dict()
    data["code"], data["flags"] = code, tuple(data["flags"])
    catalogue.upsert_skus([catalogue.SkuRow(**data)], actor=actor(request))
    return catalogue.get_sku(code)
