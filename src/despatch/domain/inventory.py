"""Inventory: stock levels, movement reasons, reservations and the ledger invariant."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from despatch.domain.errors import ValidationFailed

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


def check_counted(counted: int, quarantined: int = 0) -> None:
    """A count is 0 or more, and not below the units in quarantine (counted on their own)."""
    if counted < 0:
        raise ValidationFailed.single("counted", "must be 0 or more", "quantity")
    if counted < quarantined:
        raise ValidationFailed.single(
            "counted",
            f"{quarantined} unit(s) are in quarantine: count those separately",
            "quantity",
        )


def count_shortfall(counted: int, reserved: int, quarantined: int) -> int:
    """Reserved units that a count of ``counted`` leaves without stock, which orders must give
    back (0 or less: none): the count replaces on-hand, and quarantined units stay aside."""
    return reserved + quarantined - counted


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
