"""``despatch kpis``: the KPIs for a period, a warehouse and a channel (docs/kpis.md)."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.table import Table

from despatch.cli.common import console, domain_errors
from despatch.domain.kpis import BUCKET_WORDS, KEYS, LABELS
from despatch.domain.wording import actor_words, kind_words
from despatch.integrations.kpi_csv import csv_text
from despatch.services import kpis as kpi_service

WHEN = "a date (midnight in the business time zone) or an ISO 8601 time"


def kpis(
    start: str = typer.Option("", "--from", help=f"{WHEN}; default: seven days before --to"),
    end: str = typer.Option("", "--to", help=f"{WHEN}, excluded; default: now"),
    warehouse: str = typer.Option("", help="one warehouse's code"),
    channel: str = typer.Option("", help="one channel's code"),
    as_json: bool = typer.Option(False, "--json", help="print JSON, as GET /api/kpis gives it"),
    as_csv: bool = typer.Option(False, "--csv", help="print CSV: one row a figure or part"),
) -> None:
    """Orders in and out, on-time rates, cycle times, backlog, floor rates, exceptions, returns,
    refunds and stock accuracy. A rate with nothing to measure shows as a dash (null)."""
    with domain_errors():
        found = kpi_service.figures(
            kpi_service.ask(start=start, end=end, warehouse=warehouse, channel=channel)
        )
    data = kpi_service.as_json(found)
    if as_json:
        console.print_json(json.dumps(data, default=_plain))
        return
    if as_csv:
        sys.stdout.write(csv_text(data))
        return
    q = found.query
    title = (
        f"{q.period.start.astimezone(_tz(q.zone)):%Y-%m-%d %H:%M} to "
        f"{q.period.end.astimezone(_tz(q.zone)):%Y-%m-%d %H:%M} {q.zone}"
        + (f" · warehouse {q.warehouse}" if q.warehouse else "")
        + (f" · channel {q.channel}" if q.channel else "")
    )
    table = Table("KPI", "value", title=title)
    for key in KEYS:
        table.add_row(LABELS[key], shown(key, data["kpis"][key]))
    console.print(table)


def _tz(zone: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(zone)


def shown(key: str, value: Any) -> str:
    """One figure in plain words: rates as percentages, money as money, null as a dash."""
    if value is None:
        return "-"
    if key.endswith(("_rate", "_accuracy")):
        return f"{value:.1%}"
    if key == "refund_value":
        return ", ".join(f"{m['amount']} {m['currency']}" for m in value) or "none"
    if key == "exceptions_by_reason":
        return "; ".join(_cases(kind, v) for kind, v in value.items()) or "none"
    if isinstance(value, dict):
        parts = [f"{BUCKET_WORDS.get(k) or actor_words(k)}: {v}" for k, v in value.items()]
        return ", ".join(parts) or "none"
    return str(value)


def _plain(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _cases(kind: str, v: dict[str, Any]) -> str:
    wait = v["median_hours_to_resolve"]
    median = "-" if wait is None else f"{wait} h"
    late = v["sla_breaches"]
    return f"{kind_words(kind)}: {v['count']} ({late} past SLA, median to resolve {median})"
