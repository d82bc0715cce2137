"""Reservations: reserve stock for a plan (re-planning after a lost race), hold stock of an
unpaid order, expire reservations, and read the order in which waiting orders are re-offered
stock (the ranking itself is domain/reoffer.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from despatch.config import current as configuration
from despatch.domain import reoffer
from despatch.domain.allocation import (
    LineNeed,
    Plan,
    plan_allocation,
)
from despatch.domain.allocation_state import AllocationState
from despatch.domain.channel_settings import ChannelSettings
from despatch.domain.events import Topic
from despatch.domain.inventory import ReservationStatus
from despatch.domain.orders import (
    HoldReason,
    OrderEvent,
    OrderStatus,
)
from despatch.domain.reoffer import WaitingOrder
from despatch.models import (
    Channel,
    ChannelListing,
    Order,
    OrderLine,
    Reservation,
)
from despatch.services import inventory, outbox, reference
from despatch.services.allocation import record, reservation_rows, sourcing_for
from despatch.services.audit import Trail
from despatch.services.orders import (
    channel_settings,
    hold_order,
    lock_order,
    set_status,
    ships_partially,
)

RACE_RETRIES = 8


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
        if inventory.try_reserve(plan.assignments):  # all or nothing
            break
    else:
        plan = plan_allocation(needs, {}, candidates, sourcing)  # everything backordered
    was_oversold = "oversold" in order.tags
    # the channel ships what is here now and the rest later (partial_shipments)
    partial = allocate_now and plan.is_partial and ships_partially(order.channel)
    held = record(order, lines, plan, trail, (allocate_now and plan.is_complete) or partial)
    if not plan.is_complete and _oversold(order, plan):
        _mark_oversold(order, plan, trail, announce=not was_oversold)
    return held


def _oversold(order: Order, plan: Plan) -> bool:
    """A shortfall is an oversell when the order comes from a channel we publish stock to
    (it lists a short SKU)."""
    listed = reference.listing_channels(b.sku for b in plan.backorders)
    return any(order.channel in channels for channels in listed.values())


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
    order.allocation = AllocationState.read(order.allocation).but(oversold=short).to_json()
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


def hold_stock_unpaid(order: Order, trail: Trail, lines: list[OrderLine]) -> int:
    """Keep the stock of an order awaiting payment for the channel's ``unpaid_hold_minutes``
    (0, the default: nothing is kept); the expiry timer gives it back if no money comes.
    Returns the units kept."""
    minutes = ChannelSettings.read(channel_settings(order.channel)).unpaid_hold_minutes
    if minutes <= 0:
        return 0
    needs = [LineNeed(line.id, line.sku, line.quantity) for line in lines]
    candidates, sourcing = sourcing_for(order, trail.at)
    allowed = [c for c in candidates if not c.excluded]
    for _ in range(RACE_RETRIES):
        stock = inventory.snapshot({n.sku for n in needs}, [c.code for c in allowed])
        plan = plan_allocation(needs, stock, allowed, sourcing)
        if inventory.try_reserve(plan.assignments):  # all or nothing
            break
    else:
        return 0
    expires = trail.at + timedelta(minutes=minutes)
    reservation_rows(order, plan, ReservationStatus.ACTIVE, expires, trail.at)
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
            outbox.save([outbox.emit(Topic.ORDER_RESERVATION_EXPIRED, order.id, order_id=order.id)])
    return len(order_ids)


def reoffer_keys() -> tuple[str, ...]:
    """Who gets freed or received stock first: ``DESPATCH_REOFFER_ORDER``, a comma list of
    priority, promise, channel and age (domain/reoffer.py). Default: priority,promise,age."""
    return configuration().reoffer_order


REOFFER_CHOICES = reoffer.REOFFER_CHOICES


def _waiting(rows: Sequence[Mapping[str, Any]]) -> tuple[list[WaitingOrder], dict[str, int]]:
    """The rows (``id``, ``priority``, ``promise_date``, ``created_at``, ``channel``) as the
    domain ranks them, and the ``priority`` setting of their channels."""
    channel_priority = {
        c.code: ChannelSettings.read(c.settings).priority
        for c in Channel.objects.filter(code__in={r["channel"] for r in rows})
    }
    waiting = [
        WaitingOrder(r["id"], r["priority"], r["promise_date"], r["created_at"], r["channel"])
        for r in rows
    ]
    return waiting, channel_priority


def reoffer_order(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Order IDs of waiting orders in the configured re-offer order."""
    waiting, channel_priority = _waiting(rows)
    return reoffer.reoffer_order(waiting, reoffer_keys(), channel_priority)


def give_back_order(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Order IDs of orders holding stock, the least urgent (to give it back) first."""
    waiting, channel_priority = _waiting(rows)
    return reoffer.give_back_order(waiting, reoffer_keys(), channel_priority)
