"""The backordered remainder of an order already on its way gets its own later shipment.

An order of a ``partial_shipments: when_available`` channel ships the units in stock at once;
its short lines keep their ``backordered`` units (a short pick leaves some the same way).
When stock of such a SKU arrives or is freed, the waiting remainders are offered it in the
re-offer order: what can be reserved becomes a new shipment (under ``never`` only a
remainder that can be reserved whole), and the order follows its shipments.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from despatch.domain.allocation import LineNeed, Plan, plan_allocation
from despatch.domain.events import Topic
from despatch.domain.ids import new_id
from despatch.domain.inventory import ReservationStatus
from despatch.domain.partials import REMAINDER_WAITS, remainder_ships
from despatch.models import Order, OrderLine, Reservation
from despatch.services import allocation, fulfillment, inventory, outbox, reservations
from despatch.services.audit import Trail
from despatch.services.orders import lock_order, ships_partially

RACE_RETRIES = 8


class _StockMoved(Exception):
    """Raised inside a savepoint when a conditional reservation lost a race."""


def waiting_orders(sku: str, limit: int) -> list[str]:
    """Orders past allocation whose lines wait for ``sku``, in the re-offer order."""
    rows = list(
        Order.objects.filter(
            status__in=list(REMAINDER_WAITS), lines__sku=sku, lines__backordered__gt=0
        )
        .values("id", "priority", "promise_date", "created_at", "channel")
        .distinct()[: limit * 5]
    )
    return reservations.reoffer_order(rows)[:limit]


def retry_remainders(sku: str, *, actor: str = "system:backorders", limit: int = 200) -> int:
    """Offer stock of ``sku`` to the waiting remainders; returns the shipments made."""
    made = 0
    for rank, order_id in enumerate(waiting_orders(sku, limit), start=1):
        with transaction.atomic():
            order = lock_order(order_id)
            if order.status not in REMAINDER_WAITS:
                continue
            trail = Trail(actor)
            made += len(ship_remainder(order, trail, sku=sku, rank=rank))
            trail.save()
    return made


def ship_remainder(order: Order, trail: Trail, *, sku: str = "", rank: int = 0) -> list[str]:
    """Reserve what the order's backordered lines can have now and ship it as new shipments;
    call with the order locked. Returns the new shipments' IDs."""
    lines = list(order.lines.filter(backordered__gt=0))
    if not lines:
        return []
    plan = _reserve([LineNeed(li.id, li.sku, li.backordered) for li in lines], order, trail)
    if plan is None:
        return []
    held = Reservation.objects.bulk_create(
        Reservation(
            id=new_id("reservation"),
            order=order,
            line_id=a.line_id,
            sku_id=a.sku,
            warehouse_id=a.warehouse,
            quantity=a.quantity,
            status=ReservationStatus.ALLOCATED,
            created_at=trail.at,
        )
        for a in plan.assignments
    )
    short = {b.line_id: b.quantity for b in plan.backorders}
    for line in lines:
        OrderLine.objects.filter(id=line.id).update(backordered=short.get(line.id, 0))
    shipments = allocation.create_shipments(order, held, trail)
    order.save(update_fields=["allocation", "promise_date", "tags"])
    ids = sorted(s.id for s in shipments.values())
    _record(order, trail, plan, ids, sku, rank)
    fulfillment.follow(order, trail)
    return ids


def _reserve(needs: Sequence[LineNeed], order: Order, trail: Trail) -> Plan | None:
    """The plan whose units are now reserved, or None when nothing (or, for a channel that
    never ships part of an order, not everything) can be."""
    candidates, sourcing = allocation.sourcing_for(order, trail.at)
    allowed = [c for c in candidates if not c.excluded]
    partial_ok = ships_partially(order.channel)
    for _ in range(RACE_RETRIES):
        stock = inventory.snapshot({n.sku for n in needs}, [c.code for c in allowed])
        plan = plan_allocation(list(needs), stock, allowed, sourcing)
        if not remainder_ships(plan, partial_ok=partial_ok):
            return None
        try:
            with transaction.atomic():  # a lost race undoes the units already taken
                if not inventory.try_reserve(plan.assignments):
                    raise _StockMoved
            return plan
        except _StockMoved:
            continue
    return None


def _record(order: Order, trail: Trail, plan: Plan, ids: list[str], sku: str, rank: int) -> None:
    trail.add(
        "order",
        order.id,
        "remainder_allocated",
        order_id=order.id,
        reason_code="stock_available",
        sku=sku or None,
        rank=rank or None,
        shipments=ids,
        units={a.line_id: a.quantity for a in plan.assignments},
        still_backordered={b.line_id: b.quantity for b in plan.backorders},
    )
    outbox.save(
        [
            outbox.emit(
                Topic.ORDER_ALLOCATED,
                order.id,
                trail.at,
                order_id=order.id,
                warehouses=sorted({a.warehouse for a in plan.assignments}),
                remainder=True,
            )
        ]
    )
