"""Sourcing use cases: validate a received order, reserve its stock, allocate shipments."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from despatch.domain.addresses import Address
from despatch.domain.allocation import (
    Candidate,
    LineNeed,
    Plan,
    Sourcing,
    plan_allocation,
    read_sourcing,
)
from despatch.domain.errors import FieldError, ValidationFailed
from despatch.domain.events import Topic
from despatch.domain.ids import new_id
from despatch.domain.inventory import ReservationStatus, reservation_expiry
from despatch.domain.orders import (
    HoldReason,
    OrderEvent,
    OrderStatus,
    PaymentStatus,
    hold_reasons,
)
from despatch.integrations import contact_checks
from despatch.models import (
    Channel,
    ChannelListing,
    Order,
    OrderLine,
    Reservation,
    Shipment,
    ShipmentLine,
    Sku,
    Warehouse,
)
from despatch.services import calendars, fraud, inventory, outbox, rules, sku_maps
from despatch.services.audit import Trail
from despatch.services.orders import (
    channel_settings,
    hold_order,
    lock_order,
    payment_releases,
    set_status,
)

RACE_RETRIES = 8
# decisions a person or a rule made that outlive a re-plan
KEPT_DECISIONS = ("rules", "rules_released", "fraud_cleared", "oversell_accepted")


class _StockMoved(Exception):
    """Raised inside a savepoint when a conditional reservation lost a race."""


def process_received(order_id: str, *, actor: str = "system:pipeline") -> Order:
    """Validate, reserve and allocate a received order in one transaction.

    Idempotent: an order that has already moved on is left as it is.
    """
    with transaction.atomic(savepoint=False):  # the worker's transaction, if any
        order = lock_order(order_id)
        if order.status != OrderStatus.RECEIVED:
            return order
        trail = Trail(actor)
        lines = list(order.lines.all())
        # stock held while it waited for payment is planned again with everything else
        inventory.release_reservations(order, trail, [ReservationStatus.ACTIVE], reoffer=False)
        if validate(order, trail, lines):
            _reserve_and_allocate(order, trail, lines)
        trail.save()
    return order


def _reserve_and_allocate(order: Order, trail: Trail, lines: list[OrderLine] | None = None) -> None:
    """Reserve, and when everything is reserved, allocate in the same transaction."""
    held = reserve(order, trail, lines, allocate_now=True)
    if order.status == OrderStatus.RESERVED:
        allocate(order, trail, held)


def plan_again(order: Order, trail: Trail) -> None:
    """Reserve and allocate a validated order again (its lines changed); call it locked."""
    _reserve_and_allocate(order, trail)


def reprocess_validated(order_id: str, *, actor: str = "system:pipeline") -> Order:
    """Reserve and allocate again an order whose reservation expired."""
    with transaction.atomic(savepoint=False):
        order = lock_order(order_id)
        if order.status != OrderStatus.VALIDATED:
            return order
        trail = Trail(actor)
        _reserve_and_allocate(order, trail)
        trail.save()
    return order


def validate(order: Order, trail: Trail, lines: list[OrderLine]) -> bool:
    """Hold the order with typed reasons, or move it to validated."""
    known = _known(lines)
    if sku_maps.map_unknown(order, lines, known, trail):  # the channel's remembered mapping
        known = _known(lines)
    address = Address.from_dict(order.shipping_address)
    problems = hold_reasons(
        ((i, line.sku) for i, line in enumerate(lines)),
        known,
        address,
        PaymentStatus(order.payment_status),
    )
    if not address.problems():  # the country's own rules, once the basics are there
        problems += contact_checks.contact_problems(address, order.customer_email)
    policy = channel_settings(order.channel)
    if policy.get("cash_on_delivery"):  # the courier must reach the customer to be paid
        problems += contact_checks.cash_on_delivery_problems(address, order.customer_email)
    elif policy.get("phone_required"):  # the channel's carrier will not take a parcel without
        problems += contact_checks.phone_needed_problems(address, "this channel's carrier")
    problems = [p for p in problems if p.field != "payment_status"]  # the channel's policy:
    if not payment_releases(order):
        said = "is only authorised; this channel ships captured payments"
        payment = order.payment_status
        problems.insert(
            0,
            FieldError(
                "payment_status",
                f"payment {said}"
                if payment == PaymentStatus.AUTHORISED
                else f"payment is {payment}",
                HoldReason.AWAITING_PAYMENT,
            ),
        )
    if problems:
        reason = HoldReason(problems[0].code)
        hold_order(order, reason, [p.as_dict() for p in problems], trail)
        if reason == HoldReason.AWAITING_PAYMENT and len(problems) == 1:
            hold_stock_unpaid(order, trail, lines)
        return False
    ruled = rules.apply(order, trail, lines)
    if ruled:
        kind, message, rule = ruled
        problem = {"field": "order", "message": message, "code": kind, "rule": rule}
        order.save(update_fields=["allocation"])
        hold_order(order, HoldReason(kind), [problem], trail)
        return False
    if fraud.screen(order, trail):
        return False
    set_status(order, OrderEvent.VALIDATE, trail)
    return True


def _known(lines: list[OrderLine]) -> set[str]:
    skus = {line.sku for line in lines}
    return set(Sku.objects.filter(code__in=skus, active=True).values_list("code", flat=True))


def hold_stock_unpaid(order: Order, trail: Trail, lines: list[OrderLine]) -> int:
    """Keep the stock of an order awaiting payment for the channel's ``unpaid_hold_minutes``
    (0, the default: nothing is kept); the expiry timer gives it back if no money comes.
    Returns the units kept."""
    minutes = int(channel_settings(order.channel).get("unpaid_hold_minutes") or 0)
    if minutes <= 0:
        return 0
    needs = [LineNeed(line.id, line.sku, line.quantity) for line in lines]
    candidates, sourcing = sourcing_for(order, trail.at)
    allowed = [c for c in candidates if not c.excluded]
    for _ in range(RACE_RETRIES):
        stock = inventory.snapshot({n.sku for n in needs}, [c.code for c in allowed])
        plan = plan_allocation(needs, stock, allowed, sourcing)
        try:
            with transaction.atomic():  # a lost race undoes the units already taken
                if not inventory.try_reserve(plan.assignments):
                    raise _StockMoved
            break
        except _StockMoved:
            continue
    else:
        return 0
    expires = trail.at + timedelta(minutes=minutes)
    _rows(order, plan, ReservationStatus.ACTIVE, expires, trail.at)
    units = sum(a.quantity for a in plan.assignments)
    trail.add(
        "order",
        order.id,
        "stock_held_unpaid",
        order_id=order.id,
        reason_code="awaiting_payment",
        units=units,
        expires_at=expires.isoformat(),
    )
    return units


def _ships_from(channel: Channel | None) -> list[Warehouse]:
    """The active warehouses a channel ships from, in its priority order (all, if it names
    none)."""
    active = {w.code: w for w in Warehouse.objects.filter(active=True)}
    if channel and channel.warehouses:
        return [active[code] for code in channel.warehouses if code in active]
    return list(active.values())


def warehouses_for(order: Order) -> list[str]:
    """The active warehouses the order's channel ships from, in its priority order."""
    channel = Channel.objects.filter(code=order.channel).first()
    return [w.code for w in _ships_from(channel)]


def sourcing_for(order: Order, at: datetime) -> tuple[list[Candidate], Sourcing]:
    """The channel's strategy and its warehouses as candidates for this order: distance and
    cost to the destination, the day each would ship, and any rule that excludes one."""
    channel = Channel.objects.filter(code=order.channel).first()
    sourcing = read_sourcing((channel.settings if channel else {}).get("sourcing") or {})
    decided = order.allocation.get("rules") or {}
    if decided.get("forbid_split"):
        sourcing = Sourcing(sourcing.strategy, 1)
    country = str(order.shipping_address.get("country", "")).upper()
    candidates = []
    for w in _ships_from(channel):
        where = w.location or {}
        costs = where.get("costs") or {}
        cost = costs.get(country, costs.get("*"))
        nearness = 0 if w.country == country else 1 if country in where.get("serves", []) else 2
        candidates.append(
            Candidate(
                w.code,
                distance=nearness,
                cost=Decimal(str(cost)) if cost is not None else None,
                ship_by=calendars.calendar_of(w, at).ship_by(at, order.requested_service),
                excluded=_excluded(w.code, decided),
            )
        )
    return candidates, sourcing


def _excluded(code: str, decided: dict[str, Any]) -> str:
    route = decided.get("route_to")
    if route and code not in route["warehouses"]:
        return f"rule {route['rule']} routes this order to {', '.join(route['warehouses'])}"
    for rule, codes in (decided.get("exclude") or {}).items():
        if code in codes:
            return f"excluded by rule {rule}"
    return ""


def reserve(
    order: Order, trail: Trail, lines: list[OrderLine] | None = None, *, allocate_now: bool = False
) -> list[Reservation]:
    """Plan against fresh stock and reserve it; re-plan if another order won a race.

    With ``allocate_now`` a complete reservation is written already bound to its shipment,
    because the caller allocates in the same transaction (no expiry can fall in between).
    """
    lines = list(order.lines.all()) if lines is None else lines
    lines = [line for line in lines if line.quantity > 0]  # cancelled to nothing: no need
    needs = [LineNeed(line.id, line.sku, line.quantity) for line in lines]
    candidates, sourcing = sourcing_for(order, trail.at)
    if candidates and all(c.excluded for c in candidates):
        problems = [
            {"field": f"warehouse:{c.code}", "message": c.excluded, "code": "no_route"}
            for c in candidates
        ]
        hold_order(order, HoldReason.NO_ROUTE, problems, trail)
        order.save(update_fields=["allocation"])
        return []
    warehouses = [c.code for c in candidates]
    for _ in range(RACE_RETRIES):
        stock = inventory.snapshot({n.sku for n in needs}, warehouses)
        plan = plan_allocation(needs, stock, candidates, sourcing)
        try:
            with transaction.atomic():
                if not inventory.try_reserve(plan.assignments):
                    raise _StockMoved
                break
        except _StockMoved:
            continue
    else:
        plan = plan_allocation(needs, {}, candidates, sourcing)  # everything backordered
    was_oversold = "oversold" in order.tags
    held = _record(order, lines, plan, trail, allocate_now and plan.is_complete)
    if not plan.is_complete and _oversold(order, plan):
        _mark_oversold(order, plan, trail, announce=not was_oversold)
    return held


def _oversold(order: Order, plan: Plan) -> bool:
    """A shortfall is an oversell when the order comes from a channel we publish stock to
    (it lists a short SKU)."""
    return ChannelListing.objects.filter(
        channel_id=order.channel, sku_id__in=[b.sku for b in plan.backorders]
    ).exists()


def _mark_oversold(order: Order, plan: Plan, trail: Trail, *, announce: bool) -> None:
    """The channel sold units that are not there: the lines that could be reserved stay
    reserved, the short lines wait backordered, and the order says it was oversold (its
    ``oversold`` tag and ``allocation.oversold``), so the channel's report shows it."""
    shown = dict(
        ChannelListing.objects.filter(channel_id=order.channel).values_list("sku_id", "published")
    )
    short: dict[str, int] = {}
    for b in plan.backorders:
        short[b.sku] = short.get(b.sku, 0) + b.quantity
    order.allocation = {**order.allocation, "oversold": short}
    if "oversold" not in order.tags:
        order.tags = [*order.tags, "oversold"]
    order.save(update_fields=["allocation", "tags"])
    if not announce:
        return
    trail.add(
        "order",
        order.id,
        "oversold",
        order_id=order.id,
        reason_code="oversold",
        short=short,
        last_shown={sku: shown.get(sku) for sku in sorted(short)},
    )
    outbox.save(
        [
            outbox.emit(
                Topic.ORDER_OVERSOLD,
                order.id,
                trail.at,
                order_id=order.id,
                channel=order.channel,
                short=short,
            )
        ]
    )


def _rows(
    order: Order, plan: Plan, status: str, expires: datetime | None, at: datetime
) -> list[Reservation]:
    """The reservation rows of a plan whose units ``inventory.try_reserve`` has taken."""
    return Reservation.objects.bulk_create(
        Reservation(
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
    )


def _record(
    order: Order, lines: list[OrderLine], plan: Plan, trail: Trail, bound: bool
) -> list[Reservation]:
    complete = plan.is_complete
    expires = reservation_expiry(trail.at) if complete and not bound else None
    status = ReservationStatus.ALLOCATED if bound else ReservationStatus.ACTIVE
    held = _rows(order, plan, status, expires, trail.at)
    short = {b.line_id: b.quantity for b in plan.backorders}
    for line in lines:
        if line.backordered != short.get(line.id, 0):
            line.backordered = short.get(line.id, 0)
            line.save(update_fields=["backordered"])
    kept = {k: v for k, v in order.allocation.items() if k in KEPT_DECISIONS}
    order.allocation = {**kept, **plan.as_dict()}
    trail.add(
        "order",
        order.id,
        "allocation_planned",
        order_id=order.id,
        reason_code=_plan_reason(plan),
        plan=plan.as_dict(),
    )
    event = OrderEvent.RESERVE if complete else OrderEvent.BACKORDER
    if OrderStatus(order.status) != OrderStatus.BACKORDERED or complete:
        set_status(order, event, trail, "short" if not complete else "")
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


def _plan_reason(plan: Plan) -> str:
    if not plan.is_complete:
        return "short"
    return "split" if plan.is_split else "single_source"


def allocate(order: Order, trail: Trail, held: list[Reservation] | None = None) -> list[Shipment]:
    """Turn the order's reservations into one shipment per warehouse."""
    if held is None:
        held = list(Reservation.objects.filter(order=order, status=ReservationStatus.ACTIVE))
        Reservation.objects.filter(id__in=[r.id for r in held]).update(
            status=ReservationStatus.ALLOCATED, expires_at=None
        )
    shipments = {
        w: Shipment(
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
    Shipment.objects.bulk_create(shipments.values())
    ShipmentLine.objects.bulk_create(
        ShipmentLine(
            shipment=shipments[r.warehouse_id],
            line_id=r.line_id,
            sku_id=r.sku_id,
            quantity=r.quantity,
            reservation=r,
        )
        for r in held
    )
    set_status(
        order,
        OrderEvent.ALLOCATE,
        trail,
        shipments=sorted(s.id for s in shipments.values()),
        warehouses={s.id: w for w, s in shipments.items()},
    )
    order.allocated_at = trail.at
    order.save(
        update_fields=["status", "allocation", "allocated_at", "promise_date", "tags", "updated_at"]
    )
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


def _promise(order: Order, shipments: list[Shipment], at: datetime) -> None:
    """Each shipment's ship-by day from its warehouse's calendar, counted from when the
    customer paid (not from now) and never later than the channel's own ship-by; the order's
    promised delivery date, unless the channel promised one, is the latest of their arrivals.
    An order whose ship-by has already passed says so (``late``, and the ``late`` tag)."""
    warehouses = {
        w.code: w for w in Warehouse.objects.filter(code__in=[s.warehouse_id for s in shipments])
    }
    start = min(order.paid_at, at) if order.paid_at else at
    promises, arrivals = {}, []
    for shipment in shipments:
        calendar = calendars.calendar_of(warehouses[shipment.warehouse_id], start)
        p = calendar.promise(start, order.requested_service)
        ship_by, reason = p.ship_by, p.reason
        if order.channel_ship_by and calendar.local(order.channel_ship_by).date() < ship_by:
            ship_by = calendar.local(order.channel_ship_by).date()
            reason += f"; the channel's ship-by {ship_by:%a %d %b} is earlier"
        late = ship_by < calendar.local(at).date()
        shipment.ship_by = ship_by
        promises[shipment.warehouse_id] = {
            "ship_by": ship_by.isoformat(),
            "deliver_by": p.deliver_by.isoformat(),
            "transit_days": p.transit_days,
            "reason": reason + (f"; already late on {calendar.local(at):%a %d %b}" if late else ""),
            "late": late,
        }
        arrivals.append(p.deliver_by)
    order.allocation = {**order.allocation, "promise": promises}
    if order.promise_date is None and arrivals:
        order.promise_date = max(arrivals)
    if any(p["late"] for p in promises.values()) and "late" not in order.tags:
        order.tags = [*order.tags, "late"]


def reoffer_keys() -> tuple[str, ...]:
    """Who gets freed or received stock first: ``DESPATCH_REOFFER_ORDER``, a comma list of
    priority (higher first), promise (earliest promised date first), channel (the channel's
    ``priority`` setting, higher first) and age (oldest first). Default: priority,promise,age."""
    raw = os.environ.get("DESPATCH_REOFFER_ORDER") or "priority,promise,age"
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    unknown = [k for k in keys if k not in REOFFER_CHOICES]
    if unknown:
        raise ValidationFailed.single(
            "DESPATCH_REOFFER_ORDER",
            f"unknown key(s) {', '.join(unknown)}: use {', '.join(REOFFER_CHOICES)}",
        )
    return keys


REOFFER_CHOICES = ("priority", "promise", "channel", "age")


def reoffer_order(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Order IDs of waiting orders in the configured re-offer order."""
    keys = reoffer_keys()
    channel_rank = {
        c.code: -int((c.settings or {}).get("priority") or 0)
        for c in Channel.objects.filter(code__in={r["channel"] for r in rows})
    }
    far = date.max

    def key(row: Mapping[str, Any]) -> tuple[Any, ...]:
        parts: dict[str, Any] = {
            "priority": -row["priority"],
            "promise": row["promise_date"] or far,
            "channel": channel_rank.get(row["channel"], 0),
            "age": row["created_at"],
        }
        return (*(parts[k] for k in keys), row["created_at"], row["id"])

    return [r["id"] for r in sorted(rows, key=key)]


def retry_backorders(sku: str, *, actor: str = "system:backorders", limit: int = 200) -> int:
    """Offer new stock of ``sku`` to backordered orders, oldest and most urgent first."""
    waiting = reoffer_order(
        list(
            Order.objects.filter(
                status=OrderStatus.BACKORDERED, lines__sku=sku, lines__backordered__gt=0
            )
            .values("id", "priority", "promise_date", "created_at", "channel")
            .distinct()[: limit * 5]
        )
    )[:limit]
    done = 0
    for rank, order_id in enumerate(waiting, start=1):
        with transaction.atomic():
            order = lock_order(order_id)
            if order.status != OrderStatus.BACKORDERED:
                continue
            trail = Trail(actor)
            trail.add(
                "order",
                order.id,
                "reoffered",
                order_id=order.id,
                reason_code="stock_available",
                sku=sku,
                rank=rank,
                by=list(reoffer_keys()),
            )
            inventory.release_reservations(order, trail, [ReservationStatus.ACTIVE], reoffer=False)
            _reserve_and_allocate(order, trail)
            done += order.status == OrderStatus.ALLOCATED
            trail.save()
    return done


def expire_reservations(now: datetime | None = None, *, actor: str = "system:expiry") -> int:
    """Release reservations not allocated in time and send their orders round again."""
    now = now or timezone.now()
    order_ids = list(
        Reservation.objects.filter(status=ReservationStatus.ACTIVE, expires_at__lt=now)
        .values_list("order_id", flat=True)
        .distinct()
    )
    for order_id in order_ids:
        with transaction.atomic():
            order = lock_order(order_id)
            if order.status == OrderStatus.ON_HOLD:  # the unpaid stage ran out: stock goes back
                trail = Trail(actor, at=now)
                units = inventory.release_reservations(order, trail, [ReservationStatus.ACTIVE])
                trail.add(
                    "order",
                    order.id,
                    "unpaid_hold_expired",
                    order_id=order.id,
                    reason_code="reservation_expired",
                    units=units,
                )
                trail.save()
                continue
            if order.status != OrderStatus.RESERVED:
                continue
            trail = Trail(actor, at=now)
            inventory.release_reservations(order, trail, [ReservationStatus.ACTIVE])
            set_status(order, OrderEvent.EXPIRE, trail, "reservation_expired")
            order.save(update_fields=["status", "updated_at"])
            trail.save()
            outbox.save([outbox.emit("order.reservation_expired", order.id, order_id=order.id)])
    return len(order_ids)
