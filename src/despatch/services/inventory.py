"""Stock use cases: receive, adjust, reserve, release, and prove the ledger.

Reservations never read-modify-write: each is one conditional UPDATE whose WHERE
clause re-checks availability, applied in a fixed (sku, warehouse) order so that
concurrent transactions cannot deadlock on PostgreSQL. A CHECK constraint in the
database refuses an oversell even if a bug slipped past all of that.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from despatch.domain import limits
from despatch.domain.allocation import Assignment
from despatch.domain.errors import FieldError, InsufficientStock, ValidationFailed
from despatch.domain.events import Topic
from despatch.domain.ids import new_id
from despatch.domain.inventory import MovementReason, ReservationStatus
from despatch.domain.orders import OrderStatus
from despatch.domain.partials import REMAINDER_WAITS
from despatch.domain.reasons import ManualAction, ReasonCode, read_reason
from despatch.models import (
    Order,
    OrderLine,
    Reservation,
    Sku,
    StockLevel,
    StockMovement,
    Warehouse,
)
from despatch.services import outbox, reference, stock_updates
from despatch.services.audit import Trail

HELD = (ReservationStatus.ACTIVE, ReservationStatus.ALLOCATED)
# orders whose backordered lines take freed stock: waiting whole, or a remainder to ship later
WAITING_FOR_STOCK = [OrderStatus.BACKORDERED, *REMAINDER_WAITS]


def check_known(sku: str, warehouse: str) -> None:
    errors = []
    if not Sku.objects.filter(code=sku).exists():
        errors.append(FieldError("sku", f"unknown SKU {sku!r}", "unknown_sku"))
    if not Warehouse.objects.filter(code=warehouse).exists():
        errors.append(
            FieldError("warehouse", f"unknown warehouse {warehouse!r}", "unknown_warehouse")
        )
    if errors:
        raise ValidationFailed(errors)


def new_movement(
    sku: str,
    warehouse: str,
    quantity: int,
    reason: MovementReason,
    actor: str,
    reference: str = "",
    note: str = "",
    now: datetime | None = None,
) -> StockMovement:
    return StockMovement(
        id=new_id("movement"),
        sku_id=sku,
        warehouse_id=warehouse,
        quantity=quantity,
        reason=reason,
        reference=reference,
        note=note,
        actor=actor,
        created_at=now or timezone.now(),
    )


def take_out_reserved(
    units: list[tuple[str, str, int]],
    reason: MovementReason,
    trail: Trail,
    reference: str,
    note: str = "",
) -> None:
    """Reserved units (SKU, warehouse, quantity) leave on-hand through the ledger: on-hand and
    reserved go down together, so no other order loses what it holds. Despatches and short
    picks; the caller settles the reservations."""
    ordered = sorted(units)
    for sku, warehouse, quantity in ordered:
        StockLevel.objects.filter(sku_id=sku, warehouse_id=warehouse).update(
            on_hand=F("on_hand") - quantity, reserved=F("reserved") - quantity
        )
    StockMovement.objects.bulk_create(
        new_movement(sku, warehouse, -quantity, reason, trail.actor, reference, note, trail.at)
        for sku, warehouse, quantity in ordered
    )


def receive_stock(
    *, sku: str, warehouse: str, quantity: int, actor: str, reference: str = "", note: str = ""
) -> StockLevel:
    """Book goods in: on-hand goes up, the ledger records a receipt."""
    if quantity <= 0:
        raise ValidationFailed.single("quantity", "must be at least 1", "quantity")
    _check_sizes(quantity=quantity, reference=reference, note=note)
    return _change(sku, warehouse, quantity, MovementReason.RECEIPT, actor, reference, note)


MOST_UNITS = 1_000_000  # units one receipt or adjustment may move (the API's limit too)
MOVEMENT_TEXT = {"reference": 128, "note": 500}  # the ledger's columns


def _check_sizes(**values: Any) -> None:
    """Refuse, naming the field, a quantity past :data:`MOST_UNITS` either way or text longer
    than its ledger column (which PostgreSQL would refuse with an error, SQLite would keep)."""
    errors = [
        FieldError(k, f"at most {MOST_UNITS:,} units either way (got {v})", "too_large")
        for k, v in values.items()
        if isinstance(v, int) and abs(v) > MOST_UNITS
    ]
    texts = {k: v for k, v in values.items() if isinstance(v, str)}
    errors += limits.longer_than({k: MOVEMENT_TEXT[k] for k in texts}, texts)
    if errors:
        raise ValidationFailed(errors)


def adjust_stock(
    *,
    sku: str,
    warehouse: str,
    delta: int,
    actor: str,
    reason: MovementReason = MovementReason.ADJUSTMENT,
    note: str = "",
    reason_code: str = "",
) -> StockLevel:
    """Correct on-hand by ``delta``; never below what is reserved or quarantined. Audited
    with ``reason_code`` (domain.reasons; damaged for a damage movement, else
    count_correction, when not given), on hand before -> after, and the note."""
    if delta == 0:
        raise ValidationFailed.single("delta", "must not be zero", "quantity")
    if not note:
        raise ValidationFailed.single("note", "an adjustment needs a reason note", "required")
    _check_sizes(delta=delta, note=note)
    implied = ReasonCode.DAMAGED.value if reason == MovementReason.DAMAGE else ""
    code = read_reason(ManualAction.ADJUST_STOCK, reason_code or implied, "reason_code")
    with transaction.atomic():
        level = _change(sku, warehouse, delta, reason, actor, "", note)
        trail = Trail(actor)
        trail.add(
            "stock",
            f"{sku}@{warehouse}",
            "stock_adjusted",
            reason_code=code.value,
            before={"on_hand": level.on_hand - delta},
            after={"on_hand": level.on_hand},
            movement=reason.value,
            note=note,
        )
        trail.save()
    return level


def _change(
    sku: str,
    warehouse: str,
    delta: int,
    reason: MovementReason,
    actor: str,
    reference: str,
    note: str,
) -> StockLevel:
    check_known(sku, warehouse)
    with transaction.atomic():
        StockLevel.objects.get_or_create(sku_id=sku, warehouse_id=warehouse)
        rows = StockLevel.objects.filter(
            sku_id=sku,
            warehouse_id=warehouse,
            on_hand__gte=F("reserved") + F("quarantined") - delta,
        ).update(on_hand=F("on_hand") + delta)
        if rows == 0:
            level = StockLevel.objects.get(sku_id=sku, warehouse_id=warehouse)
            available = level.on_hand - level.reserved - level.quarantined
            raise InsufficientStock(sku, warehouse, -delta, available)
        movement = new_movement(sku, warehouse, delta, reason, actor, reference, note)
        movement.save()
        topic = Topic.STOCK_RECEIVED if delta > 0 else Topic.STOCK_ADJUSTED
        outbox.save([outbox.emit(topic, sku, sku=sku, warehouse=warehouse, quantity=delta)])
        return StockLevel.objects.get(sku_id=sku, warehouse_id=warehouse)


def book_return(
    sku: str,
    warehouse: str,
    *,
    units: int,
    held: int,
    scrapped: int,
    note: str,
    trail: Trail,
    reference: str,
) -> None:
    """Returned units back on the books: one ``return`` movement for all ``units``, ``held``
    of them quarantined (not sellable), and a ``scrap`` movement writing off ``scrapped`` at
    once, so the ledger shows both. The only way a return reaches the stock ledger."""
    StockLevel.objects.get_or_create(sku_id=sku, warehouse_id=warehouse)
    StockLevel.objects.filter(sku_id=sku, warehouse_id=warehouse).update(
        on_hand=F("on_hand") + units - scrapped, quarantined=F("quarantined") + held
    )
    movements = [
        new_movement(
            sku, warehouse, units, MovementReason.RETURN, trail.actor, reference, note, trail.at
        )
    ]
    if scrapped:
        movements.append(
            new_movement(
                sku,
                warehouse,
                -scrapped,
                MovementReason.SCRAP,
                trail.actor,
                reference,
                "graded for scrap",
                trail.at,
            )
        )
    StockMovement.objects.bulk_create(movements)


def release_quarantine(sku: str, warehouse: str, units: int) -> None:
    """Held returned units passed their check: sellable again."""
    StockLevel.objects.filter(sku_id=sku, warehouse_id=warehouse).update(
        quarantined=F("quarantined") - units
    )


def scrap_quarantined(
    sku: str, warehouse: str, units: int, *, trail: Trail, reference: str, note: str
) -> None:
    """Held returned units failed their check: off the books with a ``scrap`` movement."""
    StockLevel.objects.filter(sku_id=sku, warehouse_id=warehouse).update(
        quarantined=F("quarantined") - units, on_hand=F("on_hand") - units
    )
    new_movement(
        sku,
        warehouse,
        -units,
        MovementReason.SCRAP,
        trail.actor,
        reference,
        note or "failed its check",
        trail.at,
    ).save()


def try_reserve(assignments: Iterable[Assignment]) -> bool:
    """Reserve every assignment or none (one conditional statement, see stock_updates);
    returns False, having taken nothing, when stock moved under us."""
    assignments = list(assignments)
    if not stock_updates.take(assignments):
        return False
    _stock_changed({a.sku for a in assignments})
    return True


def _stock_changed(skus: set[str]) -> None:
    """Tell the channels that list these SKUs (none listed: nothing to tell; a listing made
    later starts dirty, and the worker's periodic reconciliation covers the rest)."""
    if skus and reference.any_listed(skus):
        ordered = sorted(skus)
        outbox.save([outbox.emit(Topic.STOCK_CHANGED, ordered[0], skus=ordered)])


def _offer_freed(skus: set[str], order_id: str) -> None:
    waiting = (
        OrderLine.objects.filter(
            sku__in=skus, backordered__gt=0, order__status__in=WAITING_FOR_STOCK
        )
        .exclude(order_id=order_id)
        .values_list("sku", flat=True)
        .distinct()
    )
    outbox.save([outbox.emit(Topic.STOCK_FREED, sku, sku=sku) for sku in sorted(set(waiting))])


def release_reservations(
    order: Order, trail: Trail, statuses: Iterable[str] = HELD, *, reoffer: bool = True
) -> int:
    """Give back every held unit of ``order``; returns the units released. With ``reoffer``
    the freed units are offered to backordered orders waiting for them (``stock.freed``)."""
    held = list(
        Reservation.objects.filter(order=order, status__in=list(statuses)).order_by(
            "sku_id", "warehouse_id"
        )
    )
    for r in held:
        StockLevel.objects.filter(sku_id=r.sku_id, warehouse_id=r.warehouse_id).update(
            reserved=F("reserved") - r.quantity
        )
    if held:
        Reservation.objects.filter(id__in=[r.id for r in held]).update(
            status=ReservationStatus.RELEASED
        )
        _stock_changed({r.sku_id for r in held})
        if reoffer:
            _offer_freed({r.sku_id for r in held}, order.id)
        trail.add(
            "order",
            order.id,
            "stock_released",
            order_id=order.id,
            units=sum(r.quantity for r in held),
            reservations=[f"{r.quantity} x {r.sku_id} @ {r.warehouse_id}" for r in held],
        )
    return sum(r.quantity for r in held)


def snapshot(skus: Iterable[str], warehouses: Iterable[str]) -> dict[tuple[str, str], int]:
    """Units free to reserve per (SKU, warehouse): one raw statement (the hot path's)."""
    return stock_updates.available(list(skus), list(warehouses))


def on_shelves(skus: Iterable[str], warehouses: Iterable[str]) -> dict[tuple[str, str], int]:
    """Sellable units on the shelves, reserved or not (for what-if planning)."""
    rows = StockLevel.objects.filter(sku_id__in=list(skus), warehouse_id__in=list(warehouses))
    return {(r.sku_id, r.warehouse_id): r.on_hand - r.quarantined for r in rows}


def levels(*, sku: str = "", warehouse: str = "", search: str = "") -> QuerySet[StockLevel]:
    rows = StockLevel.objects.all()
    if search:
        rows = rows.filter(Q(sku__code__icontains=search) | Q(sku__name__icontains=search))
    if sku:
        rows = rows.filter(sku_id=sku)
    if warehouse:
        rows = rows.filter(warehouse_id=warehouse)
    return rows.order_by("sku_id", "warehouse_id")


def movements(*, sku: str = "", warehouse: str = "") -> QuerySet[StockMovement]:
    rows = StockMovement.objects.all()
    if sku:
        rows = rows.filter(sku_id=sku)
    if warehouse:
        rows = rows.filter(warehouse_id=warehouse)
    return rows.order_by("-created_at", "-id")


# the reconciler: proves and mends the ledger (kept importable from here)
from despatch.services.reconciler import Repair, ledger_breaks, repair  # noqa: E402

__all__ = ["Repair", "ledger_breaks", "repair"]
