"""A stock count is the truth: book it even below what is reserved.

The count sets on-hand to the counted units through the ledger (a ``count`` movement). When
the shelf holds fewer units than the orders reserved, the shortfall is taken from the least
urgent orders first (the re-offer order, reversed): each gives back what it held and is
planned again, so it is re-sourced from another warehouse or backordered, audited with the
count as the reason. Orders already being picked keep their units (they may be in a tote).

Locks: the candidate orders first (in ID order), then the stock level, the same order as
every reservation takes them (order, then level), so a count and a reservation cannot
deadlock; a reservation that lands first is seen, one that comes later waits for the count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from despatch.domain.errors import Conflict
from despatch.domain.events import Topic
from despatch.domain.inventory import MovementReason, check_counted, count_shortfall
from despatch.domain.orders import OrderEvent, OrderStatus
from despatch.domain.reasons import ReasonCode
from despatch.domain.shipments import ShipmentStatus
from despatch.models import Order, PickTask, Reservation, StockLevel
from despatch.services import inventory, outbox, reservations, sourcing
from despatch.services.audit import Trail
from despatch.services.orders import lock_order, set_status

# orders whose units are still on the shelf: they can give them back and be planned again
GIVES_BACK = (
    OrderStatus.RESERVED,
    OrderStatus.ALLOCATED,
    OrderStatus.BACKORDERED,
    OrderStatus.ON_HOLD,
)
REASON = "stock_count"


@dataclass(frozen=True)
class ShortOrder:
    order_id: str
    channel: str
    number: str  # the channel's order number
    units: int  # units of the counted SKU it gave back
    status: str  # where it stands after the re-plan


@dataclass(frozen=True)
class CountResult:
    sku: str
    warehouse: str
    before: int
    counted: int
    on_hand: int
    reserved: int
    short_orders: list[ShortOrder] = field(default_factory=list)


def count_stock(
    *, sku: str, warehouse: str, counted: int, actor: str, note: str = ""
) -> CountResult:
    """Book a count of ``sku`` at ``warehouse``; never refused for reserved stock."""
    check_counted(counted)
    inventory.check_known(sku, warehouse)
    StockLevel.objects.get_or_create(sku_id=sku, warehouse_id=warehouse)
    with transaction.atomic():
        candidates = _least_urgent_first(sku, warehouse)
        for order_id in sorted(candidates):
            lock_order(order_id)
        level = StockLevel.objects.select_for_update().get(sku_id=sku, warehouse_id=warehouse)
        check_counted(counted, level.quarantined)
        trail = Trail(actor)
        need = count_shortfall(counted, level.reserved, level.quarantined)
        victims, need = _give_back(candidates, sku, warehouse, need, trail, counted)
        if need > 0:  # what is still reserved is held by orders being picked
            _refuse(sku, warehouse, need + counted - level.quarantined, counted, level.quarantined)
        _book(level, counted, trail, note)
        short = [_replan(order, units, trail) for order, units in victims]
        trail.save()
        before = level.on_hand
        level.refresh_from_db()
    return CountResult(sku, warehouse, before, counted, level.on_hand, level.reserved, short)


def _least_urgent_first(sku: str, warehouse: str) -> list[str]:
    rows = list(
        Order.objects.filter(
            status__in=list(GIVES_BACK),
            reservations__sku_id=sku,
            reservations__warehouse_id=warehouse,
            reservations__status__in=list(inventory.HELD),
        )
        .values("id", "priority", "promise_date", "created_at", "channel")
        .distinct()
    )
    return reservations.give_back_order(rows)


def _give_back(
    candidates: list[str], sku: str, warehouse: str, need: int, trail: Trail, counted: int
) -> tuple[list[tuple[Order, int]], int]:
    """Release whole orders, least urgent first, until ``need`` units of the level are free;
    the orders released and what is still needed (more than 0 when orders being picked hold
    the rest)."""
    victims: list[tuple[Order, int]] = []
    for order_id in candidates:
        if need <= 0:
            break
        order = Order.objects.get(id=order_id)
        held = Reservation.objects.filter(
            order=order, sku_id=sku, warehouse_id=warehouse, status__in=list(inventory.HELD)
        )
        units = sum(r.quantity for r in held)
        if order.status not in GIVES_BACK or units == 0:
            continue  # it moved on before we locked it
        trail.add(
            "order",
            order.id,
            "count_shortfall",
            order_id=order.id,
            reason_code=REASON,
            sku=sku,
            warehouse=warehouse,
            counted=counted,
            units=units,
        )
        inventory.release_reservations(order, trail, reoffer=False)
        victims.append((order, units))
        need -= units
    return victims, need


def _refuse(sku: str, warehouse: str, picking: int, counted: int, quarantined: int) -> None:
    """Orders being picked keep their units (they may be in a tote), so a count below them
    (and the quarantined units) is refused, naming what they hold, not the shortfall."""
    also = f" and {quarantined} are quarantined" if quarantined else ""
    raise Conflict(
        f"{picking} unit(s) of {sku} at {warehouse} are held by orders being picked{also}, "
        f"more than the {counted} counted: finish or short-pick those orders first, "
        "then count again",
        sku=sku,
        warehouse=warehouse,
        units=picking,
        counted=counted,
    )


def _book(level: StockLevel, counted: int, trail: Trail, note: str) -> None:
    delta = counted - level.on_hand
    key = f"{level.sku_id}@{level.warehouse_id}"
    trail.add(
        "stock",
        key,
        "stock_counted",
        reason_code=ReasonCode.COUNT_CORRECTION.value,
        before={"on_hand": level.on_hand},
        after={"on_hand": counted},
        note=note,
    )
    if delta == 0:
        return
    StockLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") + delta)
    inventory.new_movement(
        level.sku_id,
        level.warehouse_id,
        delta,
        MovementReason.COUNT,
        trail.actor,
        "count",
        note or "stock count",
        trail.at,
    ).save()
    topic = Topic.STOCK_RECEIVED if delta > 0 else Topic.STOCK_ADJUSTED
    outbox.save(
        [
            outbox.emit(
                topic,
                level.sku_id,
                sku=level.sku_id,
                warehouse=level.warehouse_id,
                quantity=delta,
            )
        ]
    )


def _replan(order: Order, units: int, trail: Trail) -> ShortOrder:
    """Plan the order again on the counted stock: another warehouse, or backordered."""
    if order.status != OrderStatus.ON_HOLD:  # on hold: it only kept stock while unpaid
        for shipment in order.shipments.exclude(status=ShipmentStatus.CANCELLED):
            trail.add(
                "shipment",
                shipment.id,
                "cancelled",
                order_id=order.id,
                reason_code=REASON,
                before=shipment.status,
                after=ShipmentStatus.CANCELLED.value,
            )
        PickTask.objects.filter(shipment__order=order, status=PickTask.OPEN).update(
            status=PickTask.CANCELLED
        )
        order.shipments.exclude(status=ShipmentStatus.CANCELLED).update(
            status=ShipmentStatus.CANCELLED, updated_at=trail.at
        )
        set_status(order, OrderEvent.REPLAN, trail, REASON)
        order.save(update_fields=["status", "updated_at"])
        sourcing.plan_again(order, trail)
    return ShortOrder(order.id, order.channel, order.external_id, units, order.status)
