"""Picking: route pick lists, set up a warehouse's layout and bins, and pick by scanning.

``plan_routes`` checks a layout and pick lists given as JSON (the formats of
``despatch picking route``) and routes each list with the chosen method; with ``best`` it
routes with every method and keeps the shortest, reporting all their lengths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from despatch.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from despatch.domain.events import Topic
from despatch.domain.exceptions import Kind
from despatch.domain.layout import Layout, Location, parse_location
from despatch.domain.routing import METHODS, Route, route
from despatch.domain.shipments import ShipmentCancelled
from despatch.integrations import paperwork
from despatch.models import PickList, PickTask, Sku, SkuLocation, Warehouse
from despatch.services import exceptions, fulfillment, outbox, shortfalls, waves
from despatch.services.audit import Trail
from despatch.services.orders import lock_order


@dataclass(frozen=True)
class PickListRoute:
    pick_list_id: str
    route: Route
    lengths: dict[str, float]  # every method tried -> its length


def read_pick_lists(data: Any, layout: Layout) -> list[tuple[str, list[Location]]]:
    """PICKS.json: ``{"pick_lists": [{"pick_list_id": ..., "locations": [...]}]}``; every wrong
    entry is named by its list and position."""
    lists = data.get("pick_lists") if isinstance(data, dict) else None
    if not isinstance(lists, list):
        raise ValidationFailed.single("pick_lists", "expected a list of pick lists", "required")
    errors: list[FieldError] = []
    result: list[tuple[str, list[Location]]] = []
    for i, entry in enumerate(lists):
        where = f"pick_lists[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("locations"), list):
            errors.append(FieldError(f"{where}.locations", "expected a list of location codes"))
            continue
        name = str(entry.get("pick_list_id", i + 1))
        picks: list[Location] = []
        for k, code in enumerate(entry["locations"]):
            try:
                picks.append(parse_location(code, layout, f"{where}.locations[{k}]"))
            except ValidationFailed as exc:
                errors += exc.errors
        result.append((name, picks))
    if errors:
        raise ValidationFailed(errors)
    return result


def plan_routes(layout_data: Any, picks_data: Any, method: str = "best") -> list[PickListRoute]:
    if method not in METHODS:
        raise ValidationFailed.single("method", f"{method!r} is not one of {', '.join(METHODS)}")
    layout = Layout.from_json(layout_data)
    planned = []
    for name, picks in read_pick_lists(picks_data, layout):
        tried = METHODS[:-1] if method == "best" else (method,)
        routes = [route(layout, picks, m) for m in tried]
        chosen = min(routes, key=lambda r: (r.length_m, tried.index(r.method)))
        planned.append(PickListRoute(name, chosen, {r.method: r.length_m for r in routes}))
    return planned


# --- the floor: layouts, bins, and scan-verified picking --------------------------------------


def set_layout(warehouse_code: str, data: Any, *, actor: str = "system") -> Layout:
    layout = Layout.from_json(data)  # names every wrong key before anything is stored
    with transaction.atomic():
        warehouse = Warehouse.objects.select_for_update().filter(code=warehouse_code).first()
        if warehouse is None:
            raise NotFound("warehouse", warehouse_code)
        before, warehouse.layout = warehouse.layout, data
        warehouse.save(update_fields=["layout"])
        trail = Trail(actor)
        trail.add("warehouse", warehouse_code, "layout_changed", before=before, after=data)
        trail.save()
    return layout


def set_locations(
    warehouse_code: str, rows: list[tuple[str, str]], *, actor: str = "system"
) -> int:
    """Bins from (sku, location) rows; every unknown SKU or bad location is named by row."""
    warehouse = Warehouse.objects.filter(code=warehouse_code).first()
    if warehouse is None:
        raise NotFound("warehouse", warehouse_code)
    layout = waves.layout_of(warehouse)
    known = set(Sku.objects.filter(code__in=[s for s, _ in rows]).values_list("code", flat=True))
    errors: list[FieldError] = []
    for n, (sku, code) in enumerate(rows, start=2):
        if sku not in known:
            errors.append(FieldError(f"row {n}.sku", f"{sku!r} is not a known SKU", "unknown_sku"))
        try:
            parse_location(code, layout, f"row {n}.location")
        except ValidationFailed as exc:
            errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        old = dict(
            SkuLocation.objects.filter(warehouse=warehouse, sku_id__in=known).values_list(
                "sku_id", "location"
            )
        )
        for sku, code in rows:
            SkuLocation.objects.update_or_create(
                warehouse=warehouse, sku_id=sku, defaults={"location": code.strip()}
            )
        new = {**old, **{sku: code.strip() for sku, code in rows}}
        trail = Trail(actor)
        trail.change("warehouse", warehouse_code, old, new, action="locations_changed")
        trail.save()
    return len(rows)


def get_pick_list(pick_list_id: str) -> PickList:
    found = PickList.objects.filter(id=pick_list_id).first()
    if found is None:
        raise NotFound("pick list", pick_list_id)
    return found


def open_lists(warehouse: str = "", *, warehouses: frozenset[str] | None = None) -> list[PickList]:
    """Open pick lists, of one warehouse or of those in ``warehouses`` (None: every one)."""
    rows = PickList.objects.filter(status=PickList.OPEN)
    if warehouses is not None:
        rows = rows.filter(warehouse_id__in=warehouses)
    return list(rows.filter(warehouse_id=warehouse) if warehouse else rows)


def current_task(pick_list: PickList) -> PickTask | None:
    return pick_list.tasks.filter(status=PickTask.OPEN).select_related("sku").first()


def _lock_task(task_id: int) -> PickTask:
    task = PickTask.objects.select_for_update().filter(pk=task_id).first()
    if task is None:
        raise NotFound("pick task", str(task_id))
    return task


def scan(task_id: int, *, location: str, item: str, actor: str) -> PickTask:
    """One unit picked: the bin and the item scanned must be the task's. A wrong scan is
    refused with what was expected, and recorded."""
    with transaction.atomic():
        task = _lock_task(task_id)
        _must_be_open(task)
        bin_code, code = location.strip().upper(), item.strip()
        sku = Sku.objects.get(code=task.sku_id)
        problem = ""
        if bin_code != task.location:
            problem = f"wrong bin: scanned {bin_code or 'nothing'}, go to {task.location}"
        elif code not in {sku.code, sku.gtin} - {""}:
            problem = f"wrong item: scanned {code or 'nothing'}, {task.location} holds {sku.code}"
        if problem:
            trail = Trail(actor)
            trail.add(
                "pick_task",
                str(task.pk),
                "wrong_scan",
                order_id=task.shipment.order_id,
                note=problem,
                warehouse=task.shipment.warehouse_id,
            )
            trail.save()
        else:
            task.picked += 1
            if task.picked == task.quantity:
                task.status = PickTask.PICKED
                _record_picked(task, actor)
            task.save(update_fields=["picked", "status"])
            _close_if_done(task.pick_list_id)
    if problem:  # outside the transaction, so the record of the wrong scan is kept
        raise ValidationFailed.single("scan", problem, "wrong_scan")
    return task


def _record_picked(task: PickTask, actor: str) -> None:
    """A task picked in full: who picked how many units, for the pick rate (docs/kpis.md)."""
    trail = Trail(actor)
    trail.add(
        "pick_task",
        str(task.pk),
        "picked",
        order_id=task.shipment.order_id,
        units=task.picked,
        sku=task.sku_id,
        warehouse=task.shipment.warehouse_id,
    )
    trail.save()


def _must_be_open(task: PickTask) -> None:
    if task.status == PickTask.CANCELLED:  # the picker's screen says so, loudly
        raise ShipmentCancelled("pick task", task.status, "picked")
    if task.status != PickTask.OPEN:
        raise Conflict(f"this task is already {task.status}", current=task.status)


def short(task_id: int, *, actor: str, note: str = "") -> PickTask:
    """The bin holds fewer than the task needs: the shortfall is written off the bin, the
    missing units are re-sourced from another warehouse or backordered, and an exception asks
    the floor to count the bin (``services.shortfalls``)."""
    with transaction.atomic():
        order_id = _order_of_task(task_id)
        order = lock_order(order_id)  # the order's lock guards its shipments and stock
        task = _lock_task(task_id)
        _must_be_open(task)
        task.short = task.quantity - task.picked
        task.status = PickTask.SHORT
        task.save(update_fields=["short", "status"])
        trail = Trail(actor)
        detail: dict[str, Any] = {
            "sku": task.sku_id,
            "location": task.location,
            "missing": task.short,
        }
        trail.add(
            "pick_task",
            str(task.pk),
            "short_pick",
            order_id=order_id,
            note=note,
            **detail,
            units=task.picked,
            warehouse=task.shipment.warehouse_id,
        )
        found = shortfalls.settle(order, task, trail)
        if found.shipment_cancelled:
            fulfillment.follow(order, trail)
        detail |= {"resourced": found.resourced, "backordered": found.backordered}
        _report_short(task, order_id, found, detail, note, trail)
        _close_if_done(task.pick_list_id)
    return task


def _order_of_task(task_id: int) -> str:
    """The order a pick task is for, read before the order's lock is taken (then the task's)."""
    order_id = (
        PickTask.objects.filter(pk=task_id).values_list("shipment__order_id", flat=True).first()
    )
    if order_id is None:
        raise NotFound("pick task", str(task_id))
    return order_id


def _report_short(
    task: PickTask,
    order_id: str,
    found: shortfalls.Shortfall,
    detail: dict[str, Any],
    note: str,
    trail: Trail,
) -> None:
    """A short-pick case asking the floor to count the bin, the audit trail saved, and a
    ``pick.short`` event, in the caller's transaction."""
    exceptions.open_case(
        Kind.SHORT_PICK,
        subject=f"pick_task:{task.pk}",
        summary=f"{task.short} x {task.sku_id} missing at {task.location}: count the bin; "
        + found.describe(task.sku_id)
        + (f" ({note})" if note else ""),
        trail=trail,
        order_id=order_id,
        shipment_id=task.shipment_id,
        detail=detail,
    )
    trail.save()
    outbox.save(
        [
            outbox.emit(
                Topic.PICK_SHORT,
                task.shipment_id,
                trail.at,
                order_id=order_id,
                shipment_id=task.shipment_id,
                **detail,
            )
        ]
    )


def _close_if_done(pick_list_id: str) -> None:
    if not PickTask.objects.filter(pick_list_id=pick_list_id, status=PickTask.OPEN).exists():
        PickList.objects.filter(id=pick_list_id, status=PickList.OPEN).update(
            status=PickList.DONE, completed_at=timezone.now()
        )


def pick_list_pdf(pick_list_id: str) -> bytes:
    pick_list = get_pick_list(pick_list_id)
    rows = [
        paperwork.PickRow(t.seq, t.location, t.sku_id, t.sku.name, t.quantity, t.shipment_id)
        for t in pick_list.tasks.select_related("sku")
    ]
    return paperwork.pick_list_pdf(
        pick_list.id,
        pick_list.warehouse_id,
        pick_list.length_m,
        pick_list.method,
        rows,
        tote=pick_list.batch,
    )
