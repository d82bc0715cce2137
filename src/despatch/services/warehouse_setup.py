"""Warehouses as the set-up pages read them: one warehouse, its bins, counts per warehouse.
(Changes go through catalogue.upsert_warehouse, calendars.set_calendar / set_location and
picking.set_layout / set_locations, as from the CLI.)"""

from __future__ import annotations

from django.db.models import Count

from despatch.domain.errors import NotFound
from despatch.models import SkuLocation, Warehouse


def get_warehouse(code: str) -> Warehouse:
    warehouse = Warehouse.objects.filter(code=code).first()
    if warehouse is None:
        raise NotFound("warehouse", code)
    return warehouse


def bins(code: str) -> list[tuple[str, str]]:
    """(SKU, bin) of every SKU with a pick bin in the warehouse, by bin."""
    rows = SkuLocation.objects.filter(warehouse_id=code).order_by("location", "sku_id")
    return list(rows.values_list("sku_id", "location"))


def bin_counts() -> dict[str, int]:
    rows = SkuLocation.objects.values("warehouse_id").annotate(n=Count("id"))
    return {r["warehouse_id"]: r["n"] for r in rows}
