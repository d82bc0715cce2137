"""Pick release: waves of allocated shipments become routed pick lists.

A wave takes a warehouse's allocated shipments, most urgent first (priority, then the promised
date, then age), into batches bounded by orders, lines, units and tote volume; each batch becomes
one pick list (or one per zone), its tasks sequenced along the shortest route
(``domain.routing``) through the bins the SKUs live in. Shipments move to ``picking`` as their
list is made; a shipment another wave took first, or one with a SKU that has no bin, is left out
and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from despatch.domain.batching import BatchLimits, Load, batches, unbinned
from despatch.domain.errors import InvalidTransition, NotFound, ValidationFailed
from despatch.domain.ids import new_id
from despatch.domain.layout import Layout, Location, parse_location
from despatch.domain.orders import OrderStatus
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
    max_units: int = 0,
    tote_litres: float = 0.0,
    single_lines: int = 0,
    zones: bool = False,
    service: str = "",
    method: str = "best",
    limit: int = 2000,
    max_lists: int = 0,
    ship_by: date | None = None,
) -> WaveReport:
    """Release the warehouse's allocated shipments (only those of ``service``, and only those
    due to ship by ``ship_by``, if given) into batches (``domain.batching``), at most
    ``max_lists`` of them (0: no bound); with ``zones`` each batch becomes one list per zone of
    the layout, so each picker walks one zone and the lists of a batch meet at packing."""
    _check_options(method, max_lists)
    limits = BatchLimits(max_orders, max_lines, max_units, tote_litres, single_lines)
    limits.check()
    warehouse = Warehouse.objects.filter(code=warehouse_code).first()
    if warehouse is None:
        raise NotFound("warehouse", warehouse_code)
    layout = _zoned_layout(warehouse, zones)
    bins = dict(SkuLocation.objects.filter(warehouse=warehouse).values_list("sku_id", "location"))
    ordered = _candidates(warehouse, service, ship_by, limit)
    lines = _lines_of(ordered)
    report = WaveReport(new_id("wave"))
    loads = _loads(report, ordered, lines, bins)
    by_id = {s.id: s for s in ordered}
    for keys in batches(loads, limits)[: max_lists or None]:
        batch = [by_id[k] for k in keys]
        _make_lists(report, warehouse, layout, batch, lines, bins, method, actor, zones)
    return report


def _check_options(method: str, max_lists: int) -> None:
    if method not in METHODS:
        raise ValidationFailed.single("method", f"{method!r} is not one of {', '.join(METHODS)}")
    if max_lists < 0:
        raise ValidationFailed.single("max_lists", "must be 0 (no bound) or more", "bound")


def _zoned_layout(warehouse: Warehouse, zones: bool) -> Layout:
    """The warehouse's layout; picking by zone needs one that names its zones."""
    layout = layout_of(warehouse)
    if zones and not layout.zones:
        raise ValidationFailed.single(
            "zones", f"the layout of {warehouse.code} names no zones", "no_zones"
        )
    return layout


def _candidates(
    warehouse: Warehouse, service: str, ship_by: date | None, limit: int
) -> list[Shipment]:
    """Allocated shipments of the warehouse, most urgent first: priority, then the promised
    date, then age; a held order's parcel waits for its release."""
    candidates = Shipment.objects.filter(
        warehouse=warehouse, status=ShipmentStatus.ALLOCATED
    ).exclude(order__status=OrderStatus.ON_HOLD)
    if service:
        candidates = candidates.filter(order__requested_service=service)
    if ship_by:
        candidates = candidates.filter(ship_by__lte=ship_by)
    return list(
        candidates.select_related("order").order_by(
            F("order__priority").desc(), F("order__promise_date").asc(nulls_last=True), "created_at"
        )[:limit]
    )


def _lines_of(shipments: list[Shipment]) -> dict[str, list[ShipmentLine]]:
    """Each shipment's lines still to pick (with their SKUs), in one query."""
    lines: dict[str, list[ShipmentLine]] = {}
    for line in (
        ShipmentLine.objects.filter(shipment__in=shipments, quantity__gt=0)
        .select_related("sku")
        .order_by("id")
    ):
        lines.setdefault(line.shipment_id, []).append(line)
    return lines


def _loads(
    report: WaveReport,
    shipments: list[Shipment],
    lines: dict[str, list[ShipmentLine]],
    bins: dict[str, str],
) -> list[Load]:
    """What each shipment puts in a tote, in order; one with a SKU that has no bin is left
    out and reported why."""
    loads = []
    for shipment in shipments:
        own = lines.get(shipment.id, [])
        why = unbinned((li.sku_id for li in own), bins)
        if why:
            report.skipped[shipment.id] = why
            continue
        loads.append(Load(shipment.id, len(own), sum(li.quantity for li in own), _litres(own)))
    return loads


def _litres(lines: list[ShipmentLine]) -> float:
    return sum(
        li.quantity * li.sku.length_mm * li.sku.width_mm * li.sku.height_mm / 1_000_000
        for li in lines
    )


def _make_lists(
    report: WaveReport,
    warehouse: Warehouse,
    layout: Layout,
    batch: list[Shipment],
    lines: dict[str, list[ShipmentLine]],
    bins: dict[str, str],
    method: str,
    actor: str,
    zones: bool,
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
        work = [(s.id, li) for s in taken for li in lines.get(s.id, [])]
        by_zone: dict[str, list[tuple[str, ShipmentLine]]] = {}
        for shipment_id, li in work:
            zone = layout.zone_of(spot[li.sku_id].aisle) if zones else ""
            by_zone.setdefault(zone, []).append((shipment_id, li))
        batch_id = new_id("pick_list") if len(by_zone) > 1 else ""
        for zone, items in sorted(by_zone.items()):
            report.pick_lists.append(
                _make_list(warehouse, layout, items, spot, method, report.wave, zone, batch_id)
            )


def _make_list(
    warehouse: Warehouse,
    layout: Layout,
    items: list[tuple[str, ShipmentLine]],
    spot: dict[str, Location],
    method: str,
    wave: str,
    zone: str,
    batch_id: str,
) -> PickList:
    path = route(layout, [spot[li.sku_id] for _, li in items], method)
    order = {code: n for n, code in enumerate(path.sequence)}
    pick_list = PickList.objects.create(
        id=new_id("pick_list"),
        warehouse=warehouse,
        wave=wave,
        batch=batch_id,
        zone=zone,
        method=path.method,
        length_m=path.length_m,
        created_at=timezone.now(),
    )
    tasks = sorted(
        ((order[spot[li.sku_id].code], shipment_id, li) for shipment_id, li in items),
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
    return pick_list
