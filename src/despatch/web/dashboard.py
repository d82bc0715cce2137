"""The home page: the dashboard for those who may read the KPIs (docs/kpis.md), the floor page
for pickers and packers, the orders list for everyone else; and the orders behind a figure."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from despatch.domain.calendars import day_text
from despatch.domain.errors import NotFound, ValidationFailed
from despatch.domain.kpis import BUCKET_WORDS, KEYS, LABELS
from despatch.integrations.kpi_csv import csv_text
from despatch.services import catalogue, kpis
from despatch.web import charts, inbox, packing, picking
from despatch.web.access import access, requires

IN, OUT = charts.Series("received", "bar-in"), charts.Series("despatched", "bar-out")
RATE = charts.Series("on-time despatch", "line-rate")


@requires("orders.read")
def home(request: HttpRequest) -> HttpResponse:
    """Each role's own first page, at ``/``."""
    caller = access(request)
    if caller.can("reports.read"):
        return dashboard(request)
    if caller.can("picking.work"):
        return picking.pick_lists(request)  # type: ignore[no-any-return]
    if caller.can("packing.work"):
        return packing.pack_start(request)  # type: ignore[no-any-return]
    return inbox.inbox(request)  # type: ignore[no-any-return]


def _choices(request: HttpRequest) -> tuple[list[str], list[str]]:
    caller = access(request)
    warehouses = [w.code for w in catalogue.warehouses() if caller.may_warehouse(w.code)]
    channels = [c.code for c in catalogue.channels() if caller.may_channel(c.code)]
    return warehouses, channels


def _filter(request: HttpRequest) -> dict[str, str]:
    found = {k: request.GET.get(k, "").strip()[:32] for k in ("warehouse", "channel")}
    return {k: v for k, v in found.items() if v}


def _where(filters: dict[str, str]) -> tuple[str, str]:
    return filters.get("warehouse", ""), filters.get("channel", "")


def link(key: str, day: date, filters: dict[str, str], group: str = "", days: int = 1) -> str:
    query = {"from": day.isoformat(), "to": (day + timedelta(days=days)).isoformat(), **filters}
    return f"/kpis/{key}/?" + urlencode({**query, **({"group": group} if group else {})})


def dashboard(request: HttpRequest) -> HttpResponse:
    filters = _filter(request)
    try:
        dash = kpis.dashboard(
            scope=access(request).scope, warehouse=_where(filters)[0], channel=_where(filters)[1]
        )
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    values = dash.figures.report.values
    day = dash.today
    warehouses, channels = _choices(request)
    context = {
        "dash": dash,
        "when": shown_time(dash.now, dash.zone, "%A %-d %B %Y, %H:%M"),
        "filters": filters,
        "filters_query": urlencode(filters),
        "warehouses": warehouses,
        "channels": channels,
        "tiles": _tiles(dash, values, day, filters),
        "backlog": [
            (BUCKET_WORDS[name], n, link("backlog_by_age", day, filters, name))
            for name, n in values["backlog_by_age"].items()
        ],
        "trend": _trend(dash, filters),
        "trend_rate": _trend_rate(dash, filters),
        "hourly": _hourly(dash, filters),
        "exceptions_link": access(request).can("exceptions.read"),
    }
    return render(request, "despatch/dashboard.html", context)


def shown_time(moment: datetime, zone: str, form: str = "%a %-d %b %Y %H:%M") -> str:
    """A time as the warehouse reads it, with its zone: ``Mon 1 Jun 2026 09:00 BST``."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.strftime(form)} {local.tzname()}"


def _percent(value: float | None) -> str:
    return "no despatches yet" if value is None else f"{value:.0%}"


def _tiles(
    dash: kpis.Dashboard, values: dict[str, Any], day: date, filters: dict[str, str]
) -> list[tuple[str, str, str, bool]]:
    """(label, figure, link, needs attention) of today's headline figures."""
    return [
        (
            "Received today",
            str(values["orders_received"]),
            link("orders_received", day, filters),
            False,
        ),
        (
            "Despatched today",
            str(values["orders_despatched"]),
            link("orders_despatched", day, filters),
            False,
        ),
        ("To ship today", str(len(dash.to_ship_today)), link("to_ship_today", day, filters), False),
        (
            "Late now",
            str(values["late_orders"]),
            link("late_orders", day, filters, "late"),
            values["late_orders"] > 0,
        ),
        (
            "Despatched on time today",
            _percent(values["on_time_despatch_rate"]),
            link("on_time_despatch_rate", day, filters, "late"),
            (values["on_time_despatch_rate"] or 1) < 0.95,
        ),
        ("Exceptions past their SLA", str(dash.breaching), "", dash.breaching > 0),
    ]


def _axis_days(days: list[date], every: int = 1) -> list[str]:
    """A chart's day labels ("6 Mar"), of which every ``every``-th is shown: when the days
    cross a new year's day, the first shown and the first shown of the new year say their
    year ("30 Dec 2026", "1 Jan 2027"), so that no label is taken for another year's day."""
    crossing = len({d.year for d in days}) > 1
    labels = []
    for n, day in enumerate(days):
        new_year = n == 0 or (n >= every and days[n - every].year != day.year)
        labels.append(f"{day.day} {day:%b %Y}" if crossing and new_year else f"{day.day} {day:%b}")
    return labels


def _trend(dash: kpis.Dashboard, filters: dict[str, str]) -> charts.Chart:
    labels = _axis_days([d.day for d in dash.trend], every=2)
    groups = [
        (
            label,
            [
                (
                    d.received,
                    f"{day_text(d.day)}: {d.received} received",
                    link("orders_received", d.day, filters),
                ),
                (
                    d.despatched,
                    f"{day_text(d.day)}: {d.despatched} despatched",
                    link("orders_despatched", d.day, filters),
                ),
            ],
        )
        for label, d in zip(labels, dash.trend, strict=True)
    ]
    return charts.bars("Orders in and out, last 14 days", [IN, OUT], groups, label_every=2)


def _trend_rate(dash: kpis.Dashboard, filters: dict[str, str]) -> charts.Chart:
    labels = _axis_days([d.day for d in dash.trend])
    points = [
        (
            label,
            d.on_time_rate,
            f"{day_text(d.day)}: "
            + ("nothing despatched" if d.on_time_rate is None else f"{d.on_time_rate:.0%} on time"),
            link("on_time_despatch_rate", d.day, filters, "late"),
        )
        for label, d in zip(labels, dash.trend, strict=True)
    ]
    return charts.line("Despatched on time, last 14 days", RATE, points)


def _hourly(dash: kpis.Dashboard, filters: dict[str, str]) -> charts.Chart:
    groups = [
        (
            f"{hour:02d}",
            [
                (
                    dash.received_by_hour[hour],
                    f"{hour:02d}:00: {dash.received_by_hour[hour]} received",
                    "",
                ),
                (
                    dash.despatched_by_hour[hour],
                    f"{hour:02d}:00: {dash.despatched_by_hour[hour]} despatched",
                    "",
                ),
            ],
        )
        for hour in range(24)
    ]
    return charts.bars("Today by hour", [IN, OUT], groups, label_every=2, width=1200)


@requires("reports.read")
def kpi_orders(request: HttpRequest, key: str) -> HttpResponse:
    """The orders behind one figure, by group, for the period and filter in the link."""
    if key not in KEYS and key != "to_ship_today":
        raise Http404(f"no figure called {key!r}")
    filters = _filter(request)
    asked = (request.GET.get("from", "")[:40], request.GET.get("to", "")[:40])
    try:
        query = kpis.ask(
            scope=access(request).scope,
            start=asked[0],
            end=asked[1],
            warehouse=_where(filters)[0],
            channel=_where(filters)[1],
        )
        if key == "to_ship_today":
            found = kpis.dashboard(
                scope=access(request).scope,
                warehouse=_where(filters)[0],
                channel=_where(filters)[1],
            )
            groups = {"to_ship_today": found.to_ship_today}
        else:
            figures = kpis.figures(query)
            groups = kpis.orders_behind(figures, key, request.GET.get("group", "").strip())
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    except ValidationFailed as exc:
        return render(
            request,
            "despatch/kpi_orders.html",
            {"label": LABELS.get(key, key), "error": exc.detail},
            status=400,
        )
    context = {
        "label": LABELS.get(key, key.replace("_", " ")),
        "start": shown_time(query.period.start, query.zone),
        "end": shown_time(query.period.end, query.zone),
        "zone": query.zone,
        "filters": filters,
        "groups": [
            (BUCKET_WORDS.get(name, name.replace("_", " ")), len(ids), _rows(ids[:500]))
            for name, ids in groups.items()
        ],
    }
    return render(request, "despatch/kpi_orders.html", context)


@requires("reports.read")
def kpi_csv(request: HttpRequest) -> HttpResponse:
    """Every figure for the period and filter in the link, as a CSV file."""
    filters = _filter(request)
    try:
        query = kpis.ask(
            scope=access(request).scope,
            start=request.GET.get("from", "")[:40],
            end=request.GET.get("to", "")[:40],
            warehouse=_where(filters)[0],
            channel=_where(filters)[1],
        )
        data = kpis.as_json(kpis.figures(query))
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    except ValidationFailed as exc:
        return HttpResponse(exc.detail, status=400, content_type="text/plain; charset=utf-8")
    answer = HttpResponse(csv_text(data), content_type="text/csv; charset=utf-8")
    answer["Content-Disposition"] = f'attachment; filename="kpis-{query.period.end:%Y%m%d}.csv"'
    return answer


def _rows(ids: list[str]) -> list[dict[str, str]]:
    return [
        {
            "id": r.id,
            "number": r.number,
            "channel": r.channel,
            "status": r.status,  # said in words by the template's status filter
        }
        for r in kpis.refs(ids)
    ]
