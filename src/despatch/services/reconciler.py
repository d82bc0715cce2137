"""The reconciler: prove that every level agrees with its ledger and reservations, and mend
what can be mended without guessing (docs/rules.md#the-reconciler)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum

from despatch.domain.inventory import LedgerBreak, reconcile
from despatch.domain.inventory import StockLevel as LevelValue
from despatch.domain.orders import OrderStatus
from despatch.models import Order, Reservation, StockLevel, StockMovement
from despatch.services.audit import Trail
from despatch.services.inventory import HELD, release_reservations


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
