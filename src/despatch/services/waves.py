"""Pick release: waves of allocated shipments become routed pick lists.

A wave takes a warehouse's allocated shipments, most urgent first (priority, then the promised
date, then age), into batches bounded by orders and lines; each batch becomes one pick list,
its tasks sequenced along the shortest route (``domain.routing``) through the bins the SKUs live
in. Shipments move to ``picking`` as their list is made; a shipment another wave took first, or
one with a SKU that has no bin, is left out and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from despatch.domain.errors import InvalidTransition, NotFound, ValidationFailed
from despatch.domain.ids import new_id
from despatch.domain.layout import Layout, parse_location
from despatch.domain.routing import METHODS, route
from despatch.domain.shipments import ShipmentStatus
from despatch.models import PickList, PickTask, Shipment, ShipmentLine, SkuLocation, Warehouse
from despatch.services import fulfillment


@dataclass
class WaveReport:
    wave: str
    pick_lists: list[PickList] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # shipment -> why


def layout_of(warehouse: Warehouse) -> Layout:
    if not warehouse.layout:
        raise ValidationFailed.single(
            "layout",
            f"warehouse {warehouse.code} has no layout: despatch warehouses layout "
            f"{warehouse.code} --file LAYOUT.json",
            "required",
        )
    return Layout.from_json(warehouse.layout)


def release(
    warehouse_code: str,
    *,
    actor: str,
    max_orders: int = 20,
    max_lines: int = 100,
    method: str = "best",
    limit: int = 2000,
) -> WaveReport:
    if method not in METHODS:
        raise ValidationFailed.single("method", f"{method!r} is not one of {', '.join(METHODS)}")
    if max_orders < 1 or max_lines < 1:
        raise ValidationFailed.single("max_orders", "batches need room for an order and a line")
    warehouse = Warehouse.objects.filter(code=warehouse_code).first()
    if warehouse is None:
        raise NotFound("warehouse", warehouse_code)
    layout = layout_of(warehouse)
    bins = dict(SkuLocation.objects.filter(warehouse=warehouse).values_list("sku_id", "location"))
    candidates = list(
        Shipment.objects.filter(warehouse=warehouse, status=ShipmentStatus.ALLOCATED)
        .select_related("order")
        .order_by(
            F("order__priority").desc(), F("order__promise_date").asc(nulls_last=True), "created_at"
        )[:limit]
    )
    lines: dict[str, list[ShipmentLine]] = {}
    for line in ShipmentLine.objects.filter(shipment__in=candidates).order_by("id"):
        lines.setdefault(line.shipment_id, []).append(line)
    report = WaveReport(new_id("wave"))
    batch: list[Shipment] = []
    count = 0
    for shipment in candidates:
        own = lines.get(shipment.id, [])
        missing = sorted({li.sku_id for li in own if li.sku_id not in bins})
        if missing:
            report.skipped[shipment.id] = f"no bin for {', '.join(missing)}"
            continue
        if batch and (len(batch) >= max_orders or count + len(own) > max_lines):
            _make_list(report, warehouse, layout, batch, lines, bins, method, actor)
            batch, count = [], 0
        batch.append(shipment)
        count += len(own)
    if batch:
        _make_list(report, warehouse, layout, batch, lines, bins, method, actor)
    return report


def _make_list(
    report: WaveReport,
    warehouse: Warehouse,
    layout: Layout,
    batch: list[Shipment],
    lines: dict[str, list[ShipmentLine]],
    bins: dict[str, str],
    method: str,
    actor: str,
) -> None:
    with transaction.atomic():
        taken = []
        for shipment in batch:
            try:
                with transaction.atomic():
                    fulfillment.start_picking(shipment.id, actor=actor)
            except InvalidTransition:
                report.skipped[shipment.id] = "already released by another wave"
                continue
            taken.append(shipment)
        if not taken:
            return
        spot = {
            li.sku_id: parse_location(bins[li.sku_id], layout) for s in taken for li in lines[s.id]
        }
        path = route(layout, [spot[li.sku_id] for s in taken for li in lines[s.id]], method)
        order = {code: n for n, code in enumerate(path.sequence)}
        pick_list = PickList.objects.create(
            id=new_id("pick_list"),
            warehouse=warehouse,
            wave=report.wave,
            method=path.method,
            length_m=path.length_m,
            created_at=timezone.now(),
        )
        tasks = sorted(
            ((order[spot[li.sku_id].code], s.id, li) for s in taken for li in lines[s.id]),
            key=lambda t: (t[0], t[1], t[2].id),
        )
        PickTask.objects.bulk_create(
            PickTask(
                pick_list=pick_list,
                seq=n,
                shipment_id=shipment_id,
                shipment_line=li,
                sku_id=li.sku_id,
                location=spot[li.sku_id].code,
                quantity=li.quantity,
            )
            for n, (_, shipment_id, li) in enumerate(tasks, start=1)
        )
        report.pick_lists.append(pick_list)
