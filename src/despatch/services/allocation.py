"""Allocation: the plan's candidates (sourcing), recording a plan, and shipments with
their promise dates."""

from __future__ import annotations

from datetime import datetime

from despatch.domain.allocation import (
    Candidate,
    Plan,
    Sourcing,
    read_sourcing,
)
from despatch.domain.allocation_state import AllocationState
from despatch.domain.calendars import day_text
from despatch.domain.candidates import candidate, order_sourcing, ships_from
from despatch.domain.channel_settings import ChannelSettings
from despatch.domain.events import Topic
from despatch.domain.ids import new_id
from despatch.domain.inventory import ReservationStatus, reservation_expiry
from despatch.domain.orders import (
    OrderEvent,
    OrderStatus,
)
from despatch.models import (
    Channel,
    Order,
    OrderLine,
    Reservation,
    Shipment,
    ShipmentLine,
    Warehouse,
)
from despatch.services import deferred, outbox, reference, rows
from despatch.services.audit import Trail
from despatch.services.orders import set_status


def _ships_from(channel: Channel | None) -> list[Warehouse]:
    """The active warehouses a channel ships from, in its priority order (all, if it names
    none)."""
    active = {w.code: w for w in reference.active_warehouses()}
    named = (channel.warehouses if channel else None) or []
    return [active[code] for code in ships_from(list(active), named)]


def warehouses_for(order: Order) -> list[str]:
    """The active warehouses the order's channel ships from, in its priority order."""
    return [w.code for w in _ships_from(reference.channel(order.channel))]


def sourcing_for(order: Order, at: datetime) -> tuple[list[Candidate], Sourcing]:
    """The channel's strategy and its warehouses as candidates for this order: distance and
    cost to the destination, the day each would ship, and any rule that excludes one."""
    channel = reference.channel(order.channel)
    sourcing = read_sourcing(ChannelSettings.read(channel.settings if channel else {}).sourcing)
    # decisions a person or a rule made that outlive a re-plan
    decided = dict(AllocationState.read(order.allocation).rules or {})
    country = str(order.shipping_address.get("country", "")).upper()
    candidates = [
        candidate(
            w.code,
            w.country,
            w.location or {},
            country,
            ship_by=reference.calendar(w, at).ship_by(at, order.requested_service),
            decided=decided,
        )
        for w in _ships_from(channel)
    ]
    return candidates, order_sourcing(sourcing, decided)


def reservation_rows(
    order: Order, plan: Plan, status: str, expires: datetime | None, at: datetime
) -> list[Reservation]:
    """The reservation rows of a plan whose units ``inventory.try_reserve`` has taken."""
    return deferred.insert(
        Reservation,
        (
            rows.new(
                Reservation,
                id=new_id("reservation"),
                order=order,
                line_id=a.line_id,
                sku_id=a.sku,
                warehouse_id=a.warehouse,
                quantity=a.quantity,
                status=status,
                expires_at=expires,
                created_at=at,
            )
            for a in plan.assignments
        ),
    )


def record(
    order: Order, lines: list[OrderLine], plan: Plan, trail: Trail, bound: bool
) -> list[Reservation]:
    complete = plan.is_complete
    expires = reservation_expiry(trail.at) if complete and not bound else None
    status = ReservationStatus.ALLOCATED if bound else ReservationStatus.ACTIVE
    held = reservation_rows(order, plan, status, expires, trail.at)
    short = {b.line_id: b.quantity for b in plan.backorders}
    for line in lines:
        if line.backordered != short.get(line.id, 0):
            line.backordered = short.get(line.id, 0)
            line.save(update_fields=["backordered"])
    order.allocation = AllocationState.read(order.allocation).replanned(plan.as_dict()).to_json()
    trail.add(
        "order",
        order.id,
        "allocation_planned",
        order_id=order.id,
        reason_code=plan.reason_code,
        plan=plan.as_dict(),
    )
    move = plan.order_move(OrderStatus(order.status), bound=bound)
    if move is not None:
        event, reason = move
        set_status(order, event, trail, reason)
    if not bound:  # else allocate() saves the order once, with everything
        order.save(update_fields=["status", "allocation", "updated_at"])
    if not complete:
        outbox.save(
            [
                outbox.emit(
                    Topic.ORDER_BACKORDERED,
                    order.id,
                    trail.at,
                    order_id=order.id,
                    short={b.sku: b.quantity for b in plan.backorders},
                )
            ]
        )
    return held


_ALLOCATED_FIELDS = ("status", "allocation", "allocated_at", "promise_date", "tags", "updated_at")


def allocate(order: Order, trail: Trail, held: list[Reservation] | None = None) -> list[Shipment]:
    """Turn the order's reservations into one shipment per warehouse."""
    if held is None:
        held = list(Reservation.objects.filter(order=order, status=ReservationStatus.ACTIVE))
        Reservation.objects.filter(id__in=[r.id for r in held]).update(
            status=ReservationStatus.ALLOCATED, expires_at=None
        )
    shipments = create_shipments(order, held, trail)
    set_status(
        order,
        OrderEvent.ALLOCATE,
        trail,
        shipments=sorted(s.id for s in shipments.values()),
        warehouses={s.id: w for w, s in shipments.items()},
    )
    order.allocated_at = trail.at
    rows.update(order, _ALLOCATED_FIELDS)  # one prepared UPDATE, not the ORM's save
    outbox.save(
        [
            outbox.emit(
                Topic.ORDER_ALLOCATED,
                order.id,
                trail.at,
                order_id=order.id,
                warehouses=sorted(shipments),
            )
        ]
    )
    return list(shipments.values())


def create_shipments(order: Order, held: list[Reservation], trail: Trail) -> dict[str, Shipment]:
    """One shipment per warehouse of the allocated reservations ``held``, with its lines and
    promise (the caller saves the order)."""
    shipments = {
        w: rows.new(
            Shipment,
            id=new_id("shipment"),
            order=order,
            warehouse_id=w,
            status="allocated",
            created_at=trail.at,
            updated_at=trail.at,
        )
        for w in sorted({r.warehouse_id for r in held})
    }
    _promise(order, list(shipments.values()), trail.at)
    deferred.insert(Shipment, shipments.values())
    deferred.insert(
        ShipmentLine,
        (
            rows.new(
                ShipmentLine,
                shipment=shipments[r.warehouse_id],
                line_id=r.line_id,
                sku_id=r.sku_id,
                quantity=r.quantity,
                reservation=r,
            )
            for r in held
        ),
    )
    return shipments


def _promise(order: Order, shipments: list[Shipment], at: datetime) -> None:
    """Each shipment's ship-by day from its warehouse's calendar, counted from when the
    customer paid (not from now) and never later than the channel's own ship-by; the order's
    promised delivery date, unless the channel promised one, is the latest of their arrivals.
    An order whose ship-by has already passed says so (``late``, and the ``late`` tag)."""
    warehouses = {s.warehouse_id: reference.warehouse(s.warehouse_id) for s in shipments}
    start = min(order.paid_at, at) if order.paid_at else at
    promises, arrivals = {}, []
    for shipment in shipments:
        calendar = reference.calendar(warehouses[shipment.warehouse_id], start)
        p = calendar.promise(start, order.requested_service)
        ship_by, reason = p.ship_by, p.reason
        if order.channel_ship_by and calendar.local(order.channel_ship_by).date() < ship_by:
            ship_by = calendar.local(order.channel_ship_by).date()
            reason += f"; the channel's ship-by {day_text(ship_by)} is earlier"
        late = ship_by < calendar.local(at).date()
        shipment.ship_by = ship_by
        promises[shipment.warehouse_id] = {
            "ship_by": ship_by.isoformat(),
            "deliver_by": p.deliver_by.isoformat(),
            "transit_days": p.transit_days,
            "reason": reason
            + (f"; already late on {day_text(calendar.local(at))}" if late else ""),
            "late": late,
        }
        arrivals.append(p.deliver_by)
    order.allocation = AllocationState.read(order.allocation).but(promise=promises).to_json()
    if order.promise_date is None and arrivals:
        order.promise_date = max(arrivals)
    if any(p["late"] for p in promises.values()) and "late" not in order.tags:
        order.tags = [*order.tags, "late"]
