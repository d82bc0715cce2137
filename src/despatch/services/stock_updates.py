"""The hot path's conditional stock update: one statement for all of an order's lines.

The same rule as ``filter(on_hand__gte=F("reserved") + F("quarantined") + q)
.update(reserved=F("reserved") + q)`` for every (SKU, warehouse) at once, written once in SQL
so an order costs one statement, not one per line, and no ORM compilation. The statement
returns the rows it changed; when one row lacked the units, the rows it took are given back
in the same transaction and the caller re-plans (all or nothing, without a savepoint).

On PostgreSQL the rows are locked first in (SKU, warehouse) order, as the per-line updates
did, so two orders wanting the same rows cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from despatch.domain.allocation import Assignment

_TABLE = "despatch_stocklevel"
_WANTED = (
    "SELECT column1 AS sku, column2 AS warehouse, column3 AS quantity FROM (VALUES {rows}) AS v"
)
_ROW = "(%s, %s, CAST(%s AS integer))"

_TAKE_PG = (
    f"WITH wanted AS ({_WANTED}), locked AS ("
    f" SELECT s.id FROM {_TABLE} s JOIN wanted w"
    " ON s.sku_id = w.sku AND s.warehouse_id = w.warehouse"
    " ORDER BY s.sku_id, s.warehouse_id FOR UPDATE OF s)"
    f" UPDATE {_TABLE} s SET reserved = s.reserved + w.quantity FROM wanted w"
    " WHERE s.id IN (SELECT id FROM locked) AND s.sku_id = w.sku"
    " AND s.warehouse_id = w.warehouse AND s.on_hand >= s.reserved + s.quarantined + w.quantity"
    " RETURNING s.sku_id, s.warehouse_id"
)
_TAKE_SQLITE = (
    f"UPDATE {_TABLE} SET reserved = reserved + w.quantity FROM ({_WANTED}) AS w"
    f" WHERE {_TABLE}.sku_id = w.sku AND {_TABLE}.warehouse_id = w.warehouse"
    f" AND {_TABLE}.on_hand >= {_TABLE}.reserved + {_TABLE}.quarantined + w.quantity"
    f" RETURNING {_TABLE}.sku_id, {_TABLE}.warehouse_id"
)
_GIVE_BACK = (
    f"UPDATE {_TABLE} SET reserved = reserved - w.quantity FROM ({_WANTED}) AS w"
    f" WHERE {_TABLE}.sku_id = w.sku AND {_TABLE}.warehouse_id = w.warehouse"
)


def _units(assignments: Iterable[Assignment]) -> dict[tuple[str, str], int]:
    units: dict[tuple[str, str], int] = {}
    for a in assignments:
        units[(a.sku, a.warehouse)] = units.get((a.sku, a.warehouse), 0) + a.quantity
    return dict(sorted(units.items()))


def _params(units: dict[tuple[str, str], int]) -> list[str | int]:
    return [value for (sku, warehouse), q in units.items() for value in (sku, warehouse, q)]


def take(assignments: Iterable[Assignment]) -> bool:
    """Reserve every assignment or none; False when some row lacked the units."""
    units = _units(assignments)
    if not units:
        return True
    rows = ", ".join([_ROW] * len(units))
    sql = _TAKE_PG if connection.vendor == "postgresql" else _TAKE_SQLITE
    with connection.cursor() as cursor:
        cursor.execute(sql.format(rows=rows), _params(units))
        taken = {(sku, warehouse) for sku, warehouse in cursor.fetchall()}
        if len(taken) == len(units):
            return True
        back = {key: q for key, q in units.items() if key in taken}
        if back:
            rows = ", ".join([_ROW] * len(back))
            cursor.execute(_GIVE_BACK.format(rows=rows), _params(back))
    return False


def available(skus: list[str], warehouses: list[str]) -> dict[tuple[str, str], int]:
    """Units free to reserve (on hand less reserved and quarantined) per (SKU, warehouse)."""
    if not skus or not warehouses:
        return {}
    sql = (
        f"SELECT sku_id, warehouse_id, on_hand - reserved - quarantined FROM {_TABLE}"
        f" WHERE sku_id IN ({', '.join(['%s'] * len(skus))})"
        f" AND warehouse_id IN ({', '.join(['%s'] * len(warehouses))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*skus, *warehouses])
        return {(sku, warehouse): int(free) for sku, warehouse, free in cursor.fetchall()}
