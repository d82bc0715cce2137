"""Stock use cases: receive, adjust, reserve, release, and prove the ledger.

Reservations never read-modify-write: each is one conditional UPDATE whose WHERE
clause re-checks availability, applied in a fixed (sku, warehouse) order so that
concurrent transactions cannot deadlock on PostgreSQL. A CHECK constraint in the
database refuses an oversell even if a bug slipped past all of that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from despatch.domain.allocation import Assignment
from despatch.domain.errors import FieldError, InsufficientStock, ValidationFailed
from despatch.domain.events import Topic
from despatch.domain.ids import new_id
from despatch.domain.inventory import LedgerBreak, MovementReason, ReservationStatus, reconcile
from despatch.domain.inventory import StockLevel as LevelValue
from despatch.domain.orders import OrderStatus
from despatch.domain.reasons import ManualAction, ReasonCode, read_reason
from despatch.models import (
    ChannelListing,
    Order,
    OrderLine,
    Reservation,
    Sku,
    StockLevel,
    StockMovement,
    Warehouse,
)
from despatch.services import outbox
from despatch.services.audit import Trail

HELD = (ReservationStatus.ACTIVE, ReservationStatus.ALLOCATED)


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
    return _change(sku, warehouse, quantity, MovementReason.RECEIPT, actor, reference, note)


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


# The hot path's one statement, written once: the same conditional update as
# ``filter(on_hand__gte=F("reserved") + F("quarantined") + q).update(reserved=F("reserved") + q)``
# without compiling the ORM query for every line of every order (see docs/benchmarks.md).
_RESERVE_SQL = (
    f"UPDATE {StockLevel._meta.db_table} SET reserved = reserved + %s"
    " WHERE sku_id = %s AND warehouse_id = %s AND on_hand >= reserved + quarantined + %s"
)


def try_reserve(assignments: Iterable[Assignment]) -> bool:
    """Reserve every assignment or none; returns False when stock moved under us.

    Call inside ``transaction.atomic()``; on False the caller's savepoint must roll back.
    """
    with connection.cursor() as cursor:
        ordered = sorted(assignments, key=lambda a: (a.sku, a.warehouse, a.line_id))
        for a in ordered:
            cursor.execute(_RESERVE_SQL, [a.quantity, a.sku, a.warehouse, a.quantity])
            if cursor.rowcount != 1:
                return False
    _stock_changed({a.sku for a in ordered})
    return True


def _stock_changed(skus: set[str]) -> None:
    """Tell the channels that list these SKUs (none listed: nothing to tell; a listing made
    later starts dirty, and the worker's periodic reconciliation covers the rest)."""
    if skus and ChannelListing.objects.filter(sku_id__in=skus).exists():
        ordered = sorted(skus)
        outbox.save([outbox.emit(Topic.STOCK_CHANGED, ordered[0], skus=ordered)])


def _offer_freed(skus: set[str], order_id: str) -> None:
    waiting = (
        OrderLine.objects.filter(
            sku__in=skus, backordered__gt=0, order__status=OrderStatus.BACKORDERED
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
    rows = StockLevel.objects.filter(sku_id__in=list(skus), warehouse_id__in=list(warehouses))
    return {(r.sku_id, r.warehouse_id): r.on_hand - r.reserved - r.quarantined for r in rows}


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


def ledger_breaks() -> list[LedgerBreak]:
    """Every SKU and warehouse whose level disagrees with its ledger or reservations."""
    moved = {
        (r["sku_id"], r["warehouse_id"]): r["total"]
        for r in StockMovement.objects.values("sku_id", "warehouse_id").annotate(
            total=Sum("quantity")
        )
    }
    held = {
        (r["sku_id"], r["warehouse_id"]): r["total"]
        for r in Reservation.objects.filter(status__in=list(HELD))
        .values("sku_id", "warehouse_id")
        .annotate(total=Sum("quantity"))
    }
    values = [
        LevelValue(r.sku_id, r.warehouse_id, r.on_hand, r.reserved, r.quarantined)
        for r in StockLevel.objects.all()
    ]
    return reconcile(values, moved, held)


@dataclass
class Repair:
    """What ``repair()`` did, and what it left for a person (a count)."""

    released: list[str]  # reservations of finished orders given back
    corrected: list[str]  # reserved figures set to the reservations that exist
    left: list[LedgerBreak]  # on-hand drift: the shelf must be counted, not guessed


FINISHED = (OrderStatus.CANCELLED, OrderStatus.DELIVERED, OrderStatus.FULFILLED_BY_CHANNEL)


def repair(*, actor: str = "system:reconciler") -> Repair:
    """Mend what can be mended without guessing: reservations still held by finished orders
    are released, and a ``reserved`` figure that disagrees with the live reservations is set
    to them (each level locked while it is fixed, and only if the result is a valid level).
    On-hand drift is reported, never written: only a count knows the shelf."""
    trail = Trail(actor)
    released: list[str] = []
    stale = list(
        Reservation.objects.filter(status__in=list(HELD), order__status__in=list(FINISHED))
        .values_list("order_id", flat=True)
        .distinct()
    )
    for order_id in stale:
        with transaction.atomic():
            order = Order.objects.select_for_update().get(id=order_id)
            if order.status in FINISHED:
                units = release_reservations(order, trail)
                released.append(f"{order_id}: {units} unit(s) of a {order.status} order")
    corrected: list[str] = []
    for b in ledger_breaks():
        if not b.problem.startswith("reserved "):
            continue
        with transaction.atomic():
            level = (
                StockLevel.objects.select_for_update()
                .filter(sku_id=b.sku, warehouse_id=b.warehouse)
                .first()
            )
            live = (
                Reservation.objects.filter(
                    sku_id=b.sku, warehouse_id=b.warehouse, status__in=list(HELD)
                ).aggregate(total=Sum("quantity"))["total"]
                or 0
            )
            if level is None or level.reserved == live:
                continue
            if live + level.quarantined > level.on_hand:
                continue  # not a valid level either way: a count decides
            trail.add(
                "stock",
                f"{b.sku}@{b.warehouse}",
                "reserved_corrected",
                reason_code="reconciler",
                before=level.reserved,
                after=live,
            )
            StockLevel.objects.filter(pk=level.pk).update(reserved=live)
            corrected.append(f"{b.sku} @ {b.warehouse}: reserved {level.reserved} -> {live}")
    trail.save()
    return Repair(released, corrected, ledger_breaks())
