"""Sourcing an order end to end: validate, reserve and allocate in one transaction; again after
an expiry or a change; and re-offering new stock to backordered orders."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import DatabaseError, transaction

from despatch.domain.errors import DomainError
from despatch.domain.inventory import ReservationStatus
from despatch.domain.orders import OrderDraft, OrderStatus
from despatch.models import Order, OrderLine, Reservation
from despatch.services import inventory, orders, reference, rows
from despatch.services.allocation import allocate
from despatch.services.audit import Trail
from despatch.services.orders import lock_order
from despatch.services.reservations import reoffer_keys, reoffer_order, reserve
from despatch.services.validation import validate

log = logging.getLogger("despatch.sourcing")


def receive_and_process(draft: OrderDraft, *, actor: str) -> tuple[Order, bool]:
    """Receive an order and, when it is new, validate, reserve and allocate it in the same
    transaction (the API's ``?process=inline``). If that step fails the order is kept as
    received, with its ``order.received`` event, for the workers: capture never fails for it.
    The event, delivered later, finds the order moved on and changes nothing."""
    with transaction.atomic():
        order, created = orders.receive_order(draft, actor=actor)
        if not created:
            return order, False
        try:
            with transaction.atomic():  # a savepoint: a failure undoes only this step
                order = process_received(order.id)
        except (DomainError, DatabaseError):
            log.warning("order %s left for the workers", order.id, exc_info=True)
    return order, True


def process_received(order_id: str, *, actor: str = "system:pipeline") -> Order:
    """Validate, reserve and allocate a received order in one transaction.

    Idempotent: an order that has already moved on is left as it is.
    """
    with transaction.atomic(savepoint=False), reference.pinned():  # the worker's, if any
        order, lines, holds = _loaded(order_id)
        if order.status != OrderStatus.RECEIVED:
            return order
        trail = Trail(actor)
        if holds:  # stock held while it waited for payment is planned again with the rest
            inventory.release_reservations(order, trail, [ReservationStatus.ACTIVE], reoffer=False)
        if validate(order, trail, lines):
            reserve_and_allocate(order, trail, lines)
        trail.save()
    return order


@dataclass(frozen=True)
class _Loaded:
    order: Order
    lines: list[OrderLine]
    holds: bool  # it has active reservations


_preloaded: ContextVar[dict[str, _Loaded] | None] = ContextVar("preloaded", default=None)


@contextmanager
def preloaded(order_ids: list[str]) -> Iterator[None]:
    """Lock and read the received orders of a worker's batch, their lines and whether they hold
    stock, in three statements instead of three per order, and the facts of their SKUs not yet
    cached. Call inside the batch's transaction (and ``reference.pinned``); each order is
    handed out once (a second event for it in the batch reads it afresh)."""
    ids = sorted(set(order_ids))
    orders, lines = _orders_and_lines(ids) if ids else ({}, {})
    holding = set(
        Reservation.objects.filter(order_id__in=ids, status=ReservationStatus.ACTIVE).values_list(
            "order_id", flat=True
        )
    )
    skus = {line.sku for order_lines in lines.values() for line in order_lines}
    reference.sku_facts(skus)  # the batch's SKUs and listings cached in one read each,
    reference.listing_channels(skus)  # not one an order (a new worker, or changed data)
    found = {i: _Loaded(o, lines[i], i in holding) for i, o in orders.items()}
    token = _preloaded.set(found)
    try:
        yield
    finally:
        _preloaded.reset(token)


def _orders_and_lines(ids: list[str]) -> tuple[dict[str, Order], dict[str, list[OrderLine]]]:
    """The orders locked, in ID order, and their lines: statements made once, not compiled
    by the ORM for every batch."""
    marks = ", ".join(["%s"] * len(ids))
    orders = {o.id: o for o in rows.select(Order, f"id IN ({marks}) ORDER BY id", ids, lock=True)}
    lines: dict[str, list[OrderLine]] = {order_id: [] for order_id in orders}
    for line in rows.select(OrderLine, f"order_id IN ({marks}) ORDER BY order_id, line_no", ids):
        lines[line.order_id].append(line)
    return orders, lines


def _loaded(order_id: str) -> tuple[Order, list[OrderLine], bool]:
    """The order locked, its lines, and whether it holds stock (from the batch's preload)."""
    found = (_preloaded.get() or {}).pop(order_id, None)
    if found is not None:
        return found.order, found.lines, found.holds
    order = lock_order(order_id)
    return order, list(order.lines.all()), True  # not known: release_reservations looks


def reserve_and_allocate(order: Order, trail: Trail, lines: list[OrderLine] | None = None) -> None:
    """Reserve, and when everything is reserved, allocate in the same transaction."""
    held = reserve(order, trail, lines, allocate_now=True)
    if order.status == OrderStatus.RESERVED:
        allocate(order, trail, held)


def plan_again(order: Order, trail: Trail) -> None:
    """Reserve and allocate a validated order again (its lines changed); call it locked."""
    reserve_and_allocate(order, trail)


def reprocess_validated(order_id: str, *, actor: str = "system:pipeline") -> Order:
    """Reserve and allocate again an order whose reservation expired."""
    with transaction.atomic(savepoint=False), reference.pinned():
        order = lock_order(order_id)
        if order.status != OrderStatus.VALIDATED:
            return order
        trail = Trail(actor)
        reserve_and_allocate(order, trail)
        trail.save()
    return order


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
            reserve_and_allocate(order, trail)
            done += order.status == OrderStatus.ALLOCATED
            trail.save()
    return done
