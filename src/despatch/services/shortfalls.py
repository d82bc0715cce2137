"""A short pick: the bin held fewer units than the stock record said.

The missing units are written off the bin's warehouse through the ledger (a count
discrepancy: on-hand and reserved go down together, so nothing else loses stock), the
shipment ships what was picked, and the missing units are re-sourced at once from the
channel's other warehouses as a new shipment; what no warehouse has is backordered on the
line. The exception case says which, and asks the floor to count the bin.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from despatch.domain.allocation import LineNeed, plan_allocation
from despatch.domain.ids import new_id
from despatch.domain.inventory import MovementReason, ReservationStatus
from despatch.domain.shipments import ShipmentStatus
from despatch.models import (
    Order,
    OrderLine,
    PickTask,
    Reservation,
    Shipment,
    ShipmentLine,
)
from despatch.services import inventory
from despatch.services.allocation import warehouses_for
from despatch.services.audit import Trail


@dataclass(frozen=True)
class Shortfall:
    missing: int
    resourced: dict[str, int]  # warehouse -> units, on a new shipment each
    backordered: int
    shipment_cancelled: bool

    def describe(self, sku: str) -> str:
        parts = [f"{warehouse} ships {n}" for warehouse, n in sorted(self.resourced.items())]
        if self.backordered:
            parts.append(f"{self.backordered} backordered: no other warehouse has {sku}")
        return "; ".join(parts)


def settle(order: Order, task: PickTask, trail: Trail) -> Shortfall:
    """Account for a short task of ``order`` (locked by the caller)."""
    missing = task.short
    line = task.shipment_line
    shipment = Shipment.objects.get(id=task.shipment_id)
    _write_off(shipment, line, missing, task, trail)
    resourced, backordered = _resource(order, shipment, line.line_id, task.sku_id, missing, trail)
    cancelled = False
    if not ShipmentLine.objects.filter(shipment=shipment, quantity__gt=0).exists():
        shipment.status, shipment.updated_at = ShipmentStatus.CANCELLED, trail.at
        shipment.save(update_fields=["status", "updated_at"])
        trail.add(
            "shipment",
            shipment.id,
            "cancelled",
            order_id=order.id,
            reason_code="nothing_picked",
            before=ShipmentStatus.PICKING.value,
            after=ShipmentStatus.CANCELLED.value,
        )
        cancelled = True
    return Shortfall(missing, resourced, backordered, cancelled)


def _write_off(
    shipment: Shipment, line: ShipmentLine, missing: int, task: PickTask, trail: Trail
) -> None:
    inventory.take_out_reserved(
        [(line.sku_id, shipment.warehouse_id, missing)],
        MovementReason.COUNT,
        trail,
        reference=f"pick_task:{task.pk}",
        note=f"short pick at {task.location}",
    )
    if missing < line.quantity:
        Reservation.objects.filter(id=line.reservation_id).update(quantity=F("quantity") - missing)
    else:  # nothing of it was there: the reservation holds nothing any more
        Reservation.objects.filter(id=line.reservation_id).update(status=ReservationStatus.RELEASED)
    ShipmentLine.objects.filter(pk=line.pk).update(quantity=F("quantity") - missing)


def _resource(
    order: Order, shipment: Shipment, line_id: str, sku: str, missing: int, trail: Trail
) -> tuple[dict[str, int], int]:
    others = [w for w in warehouses_for(order) if w != shipment.warehouse_id]
    need = [LineNeed(line_id, sku, missing)]
    for _ in range(3):  # stock may move under us: plan again on fresh figures
        plan = plan_allocation(need, inventory.snapshot({sku}, others), others)
        try:
            with transaction.atomic():
                if not inventory.try_reserve(plan.assignments):
                    raise _Moved
            break
        except _Moved:
            continue
    else:
        plan = plan_allocation(need, {}, others)
    placed: dict[str, int] = {}
    for a in plan.assignments:
        reservation = Reservation.objects.create(
            id=new_id("reservation"),
            order=order,
            line_id=line_id,
            sku_id=sku,
            warehouse_id=a.warehouse,
            quantity=a.quantity,
            status=ReservationStatus.ALLOCATED,
            created_at=trail.at,
        )
        new = Shipment.objects.create(
            id=new_id("shipment"),
            order=order,
            warehouse_id=a.warehouse,
            status=ShipmentStatus.ALLOCATED,
            created_at=trail.at,
            updated_at=trail.at,
        )
        ShipmentLine.objects.create(
            shipment=new, line_id=line_id, sku_id=sku, quantity=a.quantity, reservation=reservation
        )
        placed[a.warehouse] = placed.get(a.warehouse, 0) + a.quantity
        trail.add(
            "shipment",
            new.id,
            "resourced",
            order_id=order.id,
            reason_code="short_pick",
            after=ShipmentStatus.ALLOCATED.value,
            sku=sku,
            quantity=a.quantity,
            warehouse=a.warehouse,
            instead_of=shipment.id,
        )
    backordered = sum(b.quantity for b in plan.backorders)
    if backordered:
        OrderLine.objects.filter(id=line_id).update(backordered=F("backordered") + backordered)
    return placed, backordered


class _Moved(Exception):
    """Raised inside the reservation savepoint when another order took the stock first."""
