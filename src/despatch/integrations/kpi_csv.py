"""The KPIs (as ``services.kpis.as_json`` gives them) as a CSV file."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from despatch.domain.kpi_rows import HEADER, flat
from despatch.domain.kpis import KEYS
from despatch.integrations.rows import write_csv


def csv_text(data: dict[str, Any]) -> str:
    """One row a figure or part of a figure, each naming its period and filter."""
    zone = data["time_zone"]
    head = [_moment(data["from"], zone), _moment(data["to"], zone), zone]
    where = [data["warehouse"] or "", data["channel"] or ""]
    return write_csv(HEADER, [[*head, *where, *row] for row in flat(data["kpis"], KEYS)])


def _moment(value: Any, zone: str) -> str:
    """A moment in ISO 8601 to the second, in the report's time zone and saying its offset:
    ``2026-03-02T00:00:00+00:00`` (not ``…00:00:00.123456``, which spreadsheets misread)."""
    moment: datetime
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone or "UTC")).isoformat(timespec="seconds")
