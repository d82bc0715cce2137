"""The KPIs (as ``services.kpis.as_json`` gives them) as a CSV file."""

from __future__ import annotations

from typing import Any

from despatch.domain.kpi_rows import HEADER, flat
from despatch.domain.kpis import KEYS
from despatch.integrations.rows import write_csv


def csv_text(data: dict[str, Any]) -> str:
    """One row a figure or part of a figure, each naming its period and filter."""
    head = [_moment(data["from"]), _moment(data["to"]), data["time_zone"]]
    where = [data["warehouse"] or "", data["channel"] or ""]
    return write_csv(HEADER, [[*head, *where, *row] for row in flat(data["kpis"], KEYS)])


def _moment(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
