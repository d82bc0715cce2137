"""The KPIs as flat rows (one figure, or one part of a figure, a row), for CSV export."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

HEADER = ("from", "to", "time_zone", "warehouse", "channel", "kpi", "part", "value")


def flat(values: Mapping[str, Any], keys: Iterable[str]) -> list[tuple[str, str, str]]:
    """``(kpi, part, value)`` for every KPI of ``keys``: a figure with parts (buckets, people,
    reasons, currencies) gives a row a part, a figure with nothing to measure an empty value."""
    rows: list[tuple[str, str, str]] = []
    for key in keys:
        parts = list(_parts(values.get(key)))
        rows.extend((key, part, value) for part, value in parts or [("", "")])
    return rows


def _parts(value: Any) -> Iterable[tuple[str, str]]:
    if isinstance(value, Mapping):
        for name, inner in value.items():
            if isinstance(inner, Mapping):  # exceptions_by_reason: reason → its figures
                for field, figure in inner.items():
                    yield f"{name} {field}", _cell(figure)
            else:
                yield str(name), _cell(inner)
    elif isinstance(value, list):  # refund_value: one amount a currency
        for money in value:
            yield str(money["currency"]), _cell(money["amount"])
    else:
        yield "", _cell(value)


def _cell(value: Any) -> str:
    return "" if value is None else str(value)
