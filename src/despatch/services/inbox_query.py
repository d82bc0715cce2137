"""The order inbox's query: filters and a sort read from a query string, checked, and turned
into one scoped query. The web inbox, its CSV export, saved views, bulk actions on "all that
match" and ``GET /api/orders`` all read the same :class:`OrderQuery`, so a link, a saved view
and an export mean the same rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db.models import (
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from despatch.domain.errors import FieldError, ValidationFailed
from despatch.domain.orders import HoldReason, OrderStatus
from despatch.domain.permissions import Scope
from despatch.domain.shipments import ShipmentStatus
from despatch.domain.wording import OPEN
from despatch.models import Order, Shipment, Warehouse
from despatch.services import order_search, scopes

SHIP_BY_WINDOWS = ("today", "late", "week")
# sort key → the column (or annotation) it orders by; the order's ID breaks ties
SORTS: dict[str, str] = {
    "number": "external_id",
    "channel": "channel",
    "customer": "customer_name",
    "country": "dest_country",
    "service": "requested_service",
    "ship_by": "ship_by_day",
    "received": "created_at",
    "status": "status",
    "total": "total_amount",
    "warehouse": "first_warehouse",
}
DEFAULT_SORT = "-received"
COUNT_CAP = 1000  # the inbox counts matches this far ("1,000+"): a page never counts a million
_NULLABLE = {"country", "ship_by", "warehouse"}  # annotations; the other columns are NOT NULL
LIVE = (ShipmentStatus.ALLOCATED, ShipmentStatus.PICKING, ShipmentStatus.PACKED)
# Other names a person may write a filter by (the page says "Received from"): same check
ALIASES = {"from": "since", "to": "until"}
_LIMITS = {"channel": 32, "warehouse": 32, "sku": 64, "service": 64, "q": 200}


@dataclass(frozen=True)
class OrderQuery:
    status: str = ""
    channel: str = ""
    warehouse: str = ""
    ship_by: str = ""  # today | late | week
    since: str = ""  # received on or after this day (YYYY-MM-DD, UTC)
    until: str = ""  # received on or before this day
    sku: str = ""
    country: str = ""
    service: str = ""
    hold_reason: str = ""
    q: str = ""
    sort: str = DEFAULT_SORT

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> OrderQuery:
        """Read the filters from a query string; a bad value is a field error naming it."""
        given = {f.name: params.get(f.name) for f in fields(cls)}
        said: dict[str, str] = {}  # filter -> the name it was given by, where an alias
        for alias, name in ALIASES.items():  # ?from=2026-05-01 reads as ?since=2026-05-01
            if params.get(alias) not in (None, "") and given[name] in (None, ""):
                given[name], said[name] = params.get(alias), alias
        values = {k: str(v).strip() for k, v in given.items() if v not in (None, "")}
        query = cls(**values)
        errors = query.errors()
        if errors:
            raise ValidationFailed(
                [FieldError(said.get(e.field, e.field), e.message, e.code) for e in errors]
            )
        return query

    @property
    def sorting(self) -> str:
        """The sort applied: orders of one status sorted by status are all alike, so they
        come newest first, read on the (status, created_at) index (the flow's index would be
        scanned past every other status to find them)."""
        if self.status and self.sort.removeprefix("-") == "status":
            return DEFAULT_SORT
        return self.sort

    def errors(self) -> list[FieldError]:
        errors = []
        if self.status and self.status not in OrderStatus.__members__.values():
            errors.append(FieldError("status", f"unknown status {self.status!r}", "unknown"))
        if self.hold_reason and self.hold_reason not in HoldReason.__members__.values():
            errors.append(
                FieldError("hold_reason", f"unknown hold {self.hold_reason!r}", "unknown")
            )
        if self.ship_by and self.ship_by not in SHIP_BY_WINDOWS:
            errors.append(FieldError("ship_by", "one of today, late, week", "unknown"))
        if self.sort.removeprefix("-") not in SORTS:
            errors.append(FieldError("sort", f"one of {', '.join(SORTS)}", "unknown"))
        if self.country and not (len(self.country) == 2 and self.country.isalpha()):
            errors.append(FieldError("country", "two letters, e.g. GB", "country"))
        for name, limit in _LIMITS.items():
            if len(getattr(self, name)) > limit:
                errors.append(FieldError(name, f"at most {limit} characters", "too_long"))
        for name in ("since", "until"):
            if getattr(self, name) and _day(getattr(self, name)) is None:
                errors.append(FieldError(name, "a date like 2026-05-01", "date"))
        return errors

    def as_params(self, **changes: str) -> dict[str, str]:
        """The non-default filters (with ``changes``), for links and saved views."""
        values = {**asdict(self), **changes}
        return {k: v for k, v in values.items() if v and not (k == "sort" and v == DEFAULT_SORT)}

    def as_query(self, **changes: str) -> str:
        return urlencode(self.as_params(**changes))

    @property
    def filtered(self) -> bool:
        return bool(set(self.as_params()) - {"sort"})


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def warehouse_days(now: datetime | None = None) -> dict[str, date]:
    """Today's date in each warehouse's own time zone."""
    now = now or timezone.now()
    return {
        code: now.astimezone(ZoneInfo(tz)).date()
        for code, tz in Warehouse.objects.values_list("code", "time_zone")
    }


def _window(kind: str, days: Mapping[str, date]) -> Q:
    """Live shipments whose ship-by day falls in the window, each seen in its warehouse."""
    found = Q(pk__in=[])
    for code, today in days.items():
        if kind == "late":
            due = Q(ship_by__lt=today)
        elif kind == "today":
            due = Q(ship_by=today)
        else:  # this week, Monday to Sunday
            monday = today - timedelta(days=today.weekday())
            due = Q(ship_by__gte=monday, ship_by__lte=monday + timedelta(days=6))
        found |= Q(warehouse_id=code) & due
    return found


def search(
    query: OrderQuery, scope: Scope | None = None, *, now: datetime | None = None
) -> QuerySet[Order]:
    """The orders matching ``query`` inside ``scope``, sorted, with ``ship_by_day``,
    ``first_warehouse`` and ``dest_country`` annotated."""
    return _sorted(_annotated(_matching(query, scope, now)), query.sorting)


def _matching(query: OrderQuery, scope: Scope | None, now: datetime | None) -> QuerySet[Order]:
    """The orders matching ``query`` inside ``scope``, neither sorted nor annotated."""
    rows = Order.objects.all()
    exact = {"status": "status", "channel": "channel", "service": "requested_service"}
    for name, column in exact.items():
        if getattr(query, name):
            rows = rows.filter(**{column: getattr(query, name)})
    if query.hold_reason:
        rows = rows.filter(hold_reason=query.hold_reason)
    if query.country:
        rows = rows.filter(shipping_address__country=query.country.upper())
    if query.warehouse:
        rows = rows.filter(Exists(_shipments().filter(warehouse_id=query.warehouse)))
    if query.sku:
        rows = rows.filter(order_search.with_sku(query.sku))
    if query.since:
        rows = rows.filter(created_at__gte=_start(query.since))
    if query.until:
        rows = rows.filter(created_at__lt=_start(query.until) + timedelta(days=1))
    if query.ship_by:
        window = _window(query.ship_by, warehouse_days(now))
        rows = rows.filter(status__in=_open(), id__in=_live().filter(window).values("order_id"))
    if query.q:
        rows = rows.filter(order_search.matching(query.q, skus=True))
    if scope is not None:
        rows = scopes.orders_in(rows, scope)
    return rows


def count_upto(rows: QuerySet[Order], cap: int) -> int:
    """How many of ``rows`` there are, counted no further than ``cap`` + 1: a list page need
    not count a million orders to say "1,000+" (``cap`` + 1 means more than ``cap``)."""
    return int(rows.order_by().values("pk")[: cap + 1].count())


def status_counts_upto(cap: int, scope: Scope | None = None) -> dict[str, int]:
    """Orders in each status (those with any) inside ``scope``, each counted no further than
    ``cap`` + 1 on the (status, created_at) index: the inbox's status links."""

    def within(rows: QuerySet[Order]) -> QuerySet[Order]:
        return rows if scope is None else scopes.orders_in(rows, scope)

    counts = {
        s.value: count_upto(within(Order.objects.filter(status=s.value)), cap) for s in OrderStatus
    }
    return {status: n for status, n in counts.items() if n}


def _open() -> list[str]:
    return [s.value for s in OPEN]


def _start(text: str) -> datetime:
    return datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)


def _shipments() -> QuerySet[Shipment]:
    return Shipment.objects.filter(order_id=OuterRef("pk"))


def _live() -> QuerySet[Shipment]:
    return Shipment.objects.filter(status__in=LIVE, ship_by__isnull=False)


def _annotated(rows: QuerySet[Order]) -> QuerySet[Order]:
    live = _shipments().exclude(status=ShipmentStatus.CANCELLED)
    return rows.annotate(
        ship_by_day=Subquery(
            live.filter(ship_by__isnull=False).order_by("ship_by").values("ship_by")[:1]
        ),
        first_warehouse=Subquery(live.order_by("warehouse_id").values("warehouse_id")[:1]),
        dest_country=KeyTextTransform("country", "shipping_address"),
    )


def _sorted(rows: QuerySet[Order], sort: str) -> QuerySet[Order]:
    """Sorted by ``sort``, empty values last; a column that is never empty is sorted plainly,
    so that its index serves the sort (PostgreSQL's indexes keep no "nulls last" order)."""
    key = sort.removeprefix("-")
    column = _flow() if key == "status" else F(SORTS[key])
    nulls_last = True if key in _NULLABLE else None
    if sort.startswith("-"):
        return rows.order_by(column.desc(nulls_last=nulls_last), "-id")
    return rows.order_by(column.asc(nulls_last=nulls_last), "id")


def flow_sql(column: str = '"despatch_order"."status"') -> str:
    """An order's status as its place in the flow (received first, then held, ..., delivered,
    cancelled): the inbox sorts statuses as a person reads them, not by their codes. Written
    with constants, not parameters, so that the index of migration 0040 (this expression on
    the bare column) serves the sort on SQLite as on PostgreSQL."""
    steps = " ".join(f"WHEN '{s.value}' THEN {i}" for i, s in enumerate(OrderStatus))
    return f"CASE {column} {steps} ELSE {len(OrderStatus)} END"


def _flow() -> RawSQL:
    return RawSQL(flow_sql(), (), output_field=IntegerField())


def with_parcels(rows: QuerySet[Order]) -> QuerySet[Order]:
    """``rows`` with each order's shipments (warehouse, status, ship-by) in one more query."""
    parcels = Shipment.objects.only("id", "order_id", "warehouse_id", "status", "ship_by")
    return rows.prefetch_related(Prefetch("shipments", queryset=parcels))


class Listing:
    """Matching orders a page at a time, in two steps: the page's IDs in order (narrow rows,
    so that thousands of matches, e.g. a common SKU's, sort quickly), then those orders
    whole, annotated as :func:`search` does, with their parcels. :meth:`count_upto` reads
    the first IDs in order, so that the pages among them need no second search."""

    def __init__(self, rows: QuerySet[Order], sort: str) -> None:
        self.rows, self.sort = rows, sort
        self._first: list[str] | None = None

    def count(self) -> int:
        """Every match, counted (``GET /api/orders``; the inbox uses :meth:`count_upto`)."""
        return int(self.rows.count())

    def count_upto(self, cap: int) -> int:
        """How many match, counted no further than ``cap`` + 1 (more than ``cap``)."""
        self._first = list(self.rows.values_list("id", flat=True)[: cap + 1])
        return len(self._first)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Order]:
        first = self._first
        if first is not None and index.stop is not None and index.stop <= len(first):
            ids = first[index]
        else:
            ids = list(self.rows.values_list("id", flat=True)[index])
        whole = _sorted(_annotated(Order.objects.filter(id__in=ids)), self.sort)
        return list(with_parcels(whole))


def order_ids(query: OrderQuery, scope: Scope | None, limit: int) -> list[str]:
    """The IDs of the first ``limit`` matching orders (bulk actions on all that match)."""
    return list(search(query, scope).values_list("id", flat=True)[:limit])
