"""KPIs for a period, a warehouse and a channel, limited to the caller's scope (docs/kpis.md);
the orders behind each figure; and the dashboard's day at a glance, trend and throughput."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from despatch.domain import kpi_maths
from despatch.domain.audit import parse_moment
from despatch.domain.errors import NotFound, ValidationFailed
from despatch.domain.kpis import KEYS, Period, Report, compute
from despatch.domain.permissions import Scope
from despatch.models import Channel, ExceptionCase, Order, Warehouse
from despatch.services import kpi_facts

MAX_DAYS = 366
DEFAULT_DAYS = 7


@dataclass(frozen=True)
class Query:
    """What was asked, checked: the period in UTC, the filter as a scope, and the time zone
    dates are read and shown in."""

    period: Period
    scope: Scope
    zone: str
    warehouse: str = ""
    channel: str = ""


@dataclass(frozen=True)
class Figures:
    query: Query
    report: Report


def business_zone(warehouse: str = "", scope: Scope | None = None) -> str:
    """The warehouse's time zone; without one, that of the first warehouse (by priority) the
    caller may see; UTC if there is none."""
    rows = Warehouse.objects.order_by("priority", "code")
    if warehouse:
        rows = rows.filter(code=warehouse)
    elif scope is not None and scope.warehouses is not None:
        rows = rows.filter(code__in=scope.warehouses)
    zone = rows.values_list("time_zone", flat=True).first()
    return zone or "UTC"


def _moment(text: str, field: str, zone: str) -> datetime:
    """A date (midnight in ``zone``) or an ISO 8601 time (UTC when it names no zone)."""
    value = text.strip()
    if len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ValidationFailed.single(field, f"{text!r} is not a date (2026-05-01)") from None
        return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone))
    return parse_moment(value, field)


def _scope(warehouse: str, channel: str, caller: Scope) -> Scope:
    """The filter narrowed by the caller's scope; a code the caller may not see, or that does
    not exist, is NotFound."""
    if warehouse and (
        not Warehouse.objects.filter(code=warehouse).exists()
        or (caller.warehouses is not None and warehouse not in caller.warehouses)
    ):
        raise NotFound("warehouse", warehouse)
    if channel and (
        not Channel.objects.filter(code=channel).exists()
        or (caller.channels is not None and channel not in caller.channels)
    ):
        raise NotFound("channel", channel)
    asked = Scope(
        frozenset({warehouse}) if warehouse else None, frozenset({channel}) if channel else None
    )
    return asked.narrowed(caller)


def ask(
    *,
    start: str = "",
    end: str = "",
    warehouse: str = "",
    channel: str = "",
    scope: Scope | None = None,
    now: datetime | None = None,
) -> Query:
    """Check a request: ``end`` defaults to now, ``start`` to seven days before ``end``."""
    now = now or timezone.now()
    narrowed = _scope(warehouse.strip(), channel.strip(), scope or Scope())
    zone = business_zone(warehouse.strip(), scope)
    stop = _moment(end, "to", zone) if end.strip() else now
    begin = _moment(start, "from", zone) if start.strip() else stop - timedelta(DEFAULT_DAYS)
    if begin >= stop:
        raise ValidationFailed.single("from", "must be before 'to'", "bad_period")
    if stop - begin > timedelta(days=MAX_DAYS):
        raise ValidationFailed.single("from", f"a period is at most {MAX_DAYS} days", "too_long")
    period = Period(begin, stop, min(stop, now))
    return Query(period, narrowed, zone, warehouse.strip(), channel.strip())


def figures(query: Query) -> Figures:
    return Figures(query, compute(query.period, kpi_facts.load(query.period, query.scope)))


def check_key(key: str) -> str:
    if key not in KEYS:
        raise NotFound("KPI", key)
    return key


@dataclass(frozen=True)
class OrderRef:
    id: str
    channel: str
    number: str
    status: str


def orders_behind(found: Figures, key: str, group: str = "") -> dict[str, list[str]]:
    """The groups of order IDs behind ``key`` (only ``group`` when given)."""
    groups = found.report.orders.get(check_key(key), {})
    if group:
        if group not in groups:
            known = ", ".join(groups) or "none: this figure counts no orders"
            raise ValidationFailed.single("group", f"{group!r} is not one of {known}")
        return {group: groups[group]}
    return groups


def refs(ids: list[str]) -> list[OrderRef]:
    """The orders named by ``ids`` as a person knows them, in the same order."""
    rows = {
        r["id"]: r
        for r in Order.objects.filter(id__in=ids).values("id", "channel", "external_id", "status")
    }
    return [
        OrderRef(i, rows[i]["channel"], rows[i]["external_id"], rows[i]["status"])
        for i in ids
        if i in rows
    ]


# --- the dashboard ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    zone: str
    today: date
    now: datetime
    figures: Figures  # today's
    to_ship_today: list[str]
    breaching: int  # open exceptions past their due time, now
    trend: list[kpi_maths.Day]
    received_by_hour: list[int]
    despatched_by_hour: list[int]


def dashboard(
    *,
    warehouse: str = "",
    channel: str = "",
    scope: Scope | None = None,
    now: datetime | None = None,
) -> Dashboard:
    """Today (in the business time zone) at a glance, the last 14 days, and today by hour."""
    now = now or timezone.now()
    narrowed = _scope(warehouse, channel, scope or Scope())
    zone = business_zone(warehouse, scope)
    today = now.astimezone(ZoneInfo(zone)).date()
    midnight = datetime.combine(today, datetime.min.time(), ZoneInfo(zone))
    tomorrow = kpi_facts.end_of_day(today, zone)
    window = Period(midnight - timedelta(days=13), tomorrow, now)
    facts = kpi_facts.load(window, narrowed)
    period = Period(midnight, tomorrow, now)
    query = Query(period, narrowed, zone, warehouse, channel)
    today_figures = Figures(query, compute(period, facts))
    due = [
        o.id
        for o in facts.orders
        if o.open_at(now) and any(s.ship_by == tomorrow and s.despatched_at is None for s in o.live)
    ]
    out = [o for o in facts.orders if o.despatched_at is not None]
    return Dashboard(
        zone=zone,
        today=today,
        now=now,
        figures=today_figures,
        to_ship_today=sorted(due),
        breaching=_breaching(narrowed, now),
        trend=kpi_maths.daily(
            [o.received_at for o in facts.orders],
            [(o.despatched_at, o.despatched_on_time()) for o in out],  # type: ignore[misc]
            zone,
            today,
        ),
        received_by_hour=kpi_maths.hourly([o.received_at for o in facts.orders], zone, today),
        despatched_by_hour=kpi_maths.hourly(
            [o.despatched_at for o in out if o.despatched_at], zone, today
        ),
    )


def _breaching(scope: Scope, now: datetime) -> int:
    rows = ExceptionCase.objects.filter(status=ExceptionCase.OPEN, due_at__lt=now)
    if scope.channels is not None or scope.warehouses is not None:
        rows = rows.filter(order_id__in=kpi_facts.orders_in(scope).values("id"))
    return rows.count()


def as_json(found: Figures) -> dict[str, Any]:
    """The figures as the API and ``despatch kpis --json`` give them."""
    q = found.query
    return {
        "from": q.period.start,
        "to": q.period.end,
        "as_of": q.period.as_of,
        "time_zone": q.zone,
        "warehouse": q.warehouse or None,
        "channel": q.channel or None,
        "kpis": {key: found.report.values[key] for key in KEYS},
    }
