"""Inventory: stock levels, movement reasons, reservations and the ledger invariant."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

RESERVATION_TTL = timedelta(minutes=30)


class MovementReason(StrEnum):
    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    COUNT = "count"
    DESPATCH = "despatch"
    RETURN = "return"
    DAMAGE = "damage"
    SCRAP = "scrap"  # a returned or quarantined unit written off


class ReservationStatus(StrEnum):
    ACTIVE = "active"  # held for an order, expires if not allocated in time
    ALLOCATED = "allocated"  # bound to a shipment, no expiry
    RELEASED = "released"
    CONSUMED = "consumed"  # left the building with a despatch


@dataclass(frozen=True)
class StockLevel:
    sku: str
    warehouse: str
    on_hand: int
    reserved: int = 0
    quarantined: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved - self.quarantined


def reservation_expiry(now: datetime, ttl: timedelta = RESERVATION_TTL) -> datetime:
    return now + ttl


@dataclass(frozen=True)
class LedgerBreak:
    sku: str
    warehouse: str
    problem: str


def reconcile(
    levels: Iterable[StockLevel],
    movement_sums: dict[tuple[str, str], int],
    reservation_sums: dict[tuple[str, str], int],
) -> list[LedgerBreak]:
    """Every way the levels disagree with the ledger and the reservations."""
    breaks = []
    for level in levels:
        key = (level.sku, level.warehouse)
        if level.on_hand != movement_sums.get(key, 0):
            breaks.append(
                LedgerBreak(*key, f"on_hand {level.on_hand} != ledger {movement_sums.get(key, 0)}")
            )
        if level.reserved != reservation_sums.get(key, 0):
            breaks.append(
                LedgerBreak(
                    *key,
                    f"reserved {level.reserved} != reservations {reservation_sums.get(key, 0)}",
                )
            )
        if not 0 <= level.reserved <= level.on_hand:
            breaks.append(
                LedgerBreak(*key, f"reserved {level.reserved} outside 0..{level.on_hand}")
            )
    return breaks
