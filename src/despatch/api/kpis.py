"""KPIs for a period, a warehouse and a channel (docs/kpis.md), and the orders behind each."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from despatch.api.auth import access, needs
from despatch.services import kpis

router = Router(tags=["kpis"])

PERIOD = "a date (midnight in the business time zone) or an ISO 8601 time"


class KpiQuery(Schema):
    start: str = Field("", alias="from", max_length=40, description=f"{PERIOD}; default: to - 7d")
    end: str = Field("", alias="to", max_length=40, description=f"{PERIOD}, excluded; default: now")
    warehouse: str = Field("", max_length=32, description="one warehouse's code")
    channel: str = Field("", max_length=32, description="one channel's code")


class BehindQuery(KpiQuery):
    group: str = Field("", max_length=32, description="one group, e.g. late, over_2d")
    limit: int = Field(500, ge=1, le=5000, description="at most this many orders per group")


class MoneyOut(Schema):
    amount: Decimal
    currency: str


class ExceptionsOut(Schema):
    count: int
    resolved: int
    median_hours_to_resolve: float | None
    sla_breaches: int


class Kpis(Schema):
    orders_received: int
    orders_despatched: int
    on_time_despatch_rate: float | None
    on_time_delivery_rate: float | None
    median_cycle_time_hours: float | None
    p90_cycle_time_hours: float | None
    backlog_by_age: dict[str, int]
    late_orders: int
    perfect_order_rate: float | None
    pick_rate_units_per_hour: dict[str, float] = Field(description="per person (the actor)")
    pack_rate_parcels_per_hour: dict[str, float] = Field(description="per person (the actor)")
    pick_accuracy: float | None
    exceptions_by_reason: dict[str, ExceptionsOut]
    oversold_units: int
    split_rate: float | None
    cancel_rate: float | None
    return_rate: float | None
    refund_value: list[MoneyOut] = Field(description="one amount per currency")
    stock_accuracy: float | None


class KpisOut(Schema):
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    as_of: datetime = Field(description="backlog and late orders are counted at this time")
    time_zone: str
    warehouse: str | None
    channel: str | None
    kpis: Kpis


class OrderRefOut(Schema):
    id: str
    channel: str
    number: str = Field(description="the channel's order number")
    status: str


class GroupOut(Schema):
    total: int
    orders: list[OrderRefOut]


class BehindOut(Schema):
    key: str
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    groups: dict[str, GroupOut]


def _ask(request: HttpRequest, query: KpiQuery) -> kpis.Query:
    return kpis.ask(
        start=query.start,
        end=query.end,
        warehouse=query.warehouse,
        channel=query.channel,
        scope=access(request).scope,
    )


@router.get(
    "",
    response=KpisOut,
    by_alias=True,
    summary="Every KPI for a period, a warehouse and a channel",
    auth=needs("reports.read"),
)
def get_kpis(request: HttpRequest, query: Query[KpiQuery]) -> Any:
    """Rates are 0 to 1, or null when nothing was there to measure (docs/kpis.md defines each
    figure, its denominator and its empty case). Limited to the caller's scope."""
    return kpis.as_json(kpis.figures(_ask(request, query)))


@router.get(
    "/{key}/orders",
    response=BehindOut,
    by_alias=True,
    summary="The orders behind one KPI, by group (late, on_time, over_2d...)",
    auth=needs("reports.read"),
)
def orders_behind(request: HttpRequest, key: str, query: Query[BehindQuery]) -> Any:
    kpis.check_key(key)
    found = kpis.figures(_ask(request, query))
    groups = kpis.orders_behind(found, key, query.group)
    return {
        "key": key,
        "from": found.query.period.start,
        "to": found.query.period.end,
        "groups": {
            name: {"total": len(ids), "orders": kpis.refs(ids[: query.limit])}
            for name, ids in groups.items()
        },
    }
