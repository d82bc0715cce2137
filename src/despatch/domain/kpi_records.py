"""The plain facts the KPI engine counts (domain/kpis.py), as the service loads them: orders
with their parcels, floor events, exceptions, returns, refunds and stock counts, and the
period they are counted for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property


@dataclass(frozen=True)
class ShipmentFact:
    id: str
    warehouse: str
    ship_by: datetime | None  # the end of its ship-by day, in its warehouse's time zone
    despatched_at: datetime | None = None
    cancelled: bool = False


@dataclass(frozen=True)
class OrderFact:
    id: str
    channel: str
    number: str  # the channel's order number
    received_at: datetime
    despatched_at: datetime | None = None  # its last parcel left
    delivered_at: datetime | None = None  # its last parcel arrived
    cancelled_at: datetime | None = None
    deliver_by: datetime | None = None  # the end of the promised delivery day
    channel_ship_by: datetime | None = None  # the channel's own latest ship time
    shipments: tuple[ShipmentFact, ...] = ()
    complete: bool = True  # every unit ordered left on its despatched parcels
    oversold_units: int = 0
    closed_elsewhere: bool = False  # fulfilled by the channel: never ours to ship

    @cached_property
    def live(self) -> tuple[ShipmentFact, ...]:
        return tuple(s for s in self.shipments if not s.cancelled)

    def open_at(self, moment: datetime) -> bool:
        """Received and neither despatched in full, cancelled nor closed elsewhere by then."""
        done = [t for t in (self.despatched_at, self.cancelled_at) if t is not None]
        return (
            self.received_at < moment
            and not self.closed_elsewhere
            and not any(t <= moment for t in done)
        )

    def late_at(self, moment: datetime) -> bool:
        """Open, and a parcel not yet gone (or, before any parcel, the channel's ship-by) is
        past its ship-by day."""
        if not self.open_at(moment):
            return False
        waiting = [
            s.ship_by
            for s in self.live
            if s.ship_by is not None and (s.despatched_at is None or s.despatched_at > moment)
        ]
        if not self.live and self.channel_ship_by is not None:
            waiting.append(self.channel_ship_by)
        return any(deadline <= moment for deadline in waiting)

    def despatched_on_time(self) -> bool | None:
        """Every live parcel left by the end of its ship-by day; None if one has no ship-by."""
        parcels = self.live
        if not parcels or any(s.ship_by is None or s.despatched_at is None for s in parcels):
            return None
        return all(s.despatched_at <= s.ship_by for s in parcels)  # type: ignore[operator]

    def first_despatch(self) -> datetime | None:
        times = [s.despatched_at for s in self.live if s.despatched_at is not None]
        return min(times) if times else self.despatched_at


@dataclass(frozen=True)
class FloorEvent:
    """One thing done on the floor: ``picked`` (units of a pick task), ``wrong_scan``,
    ``short_pick`` or ``packed`` (a parcel)."""

    kind: str
    actor: str
    at: datetime
    units: int = 1
    order_id: str = ""


@dataclass(frozen=True)
class ExceptionFact:
    id: str
    kind: str
    opened_at: datetime
    due_at: datetime
    resolved_at: datetime | None = None
    order_id: str = ""


@dataclass(frozen=True)
class ReturnFact:
    order_id: str
    reasons: frozenset[str]


@dataclass(frozen=True)
class RefundFact:
    order_id: str
    amount: Decimal
    currency: str
    at: datetime


@dataclass(frozen=True)
class CountFact:
    warehouse: str
    sku: str
    at: datetime
    book: int  # on hand before the count
    counted: int


@dataclass(frozen=True)
class Facts:
    orders: Sequence[OrderFact] = ()
    floor: Sequence[FloorEvent] = ()
    exceptions: Sequence[ExceptionFact] = ()
    returns: Sequence[ReturnFact] = ()
    refunds: Sequence[RefundFact] = ()
    counts: Sequence[CountFact] = ()


@dataclass(frozen=True)
class Period:
    """``[start, end)``; snapshots (backlog, late) are taken at ``as_of``: the end, or now if
    the period has not ended yet."""

    start: datetime
    end: datetime
    as_of: datetime
