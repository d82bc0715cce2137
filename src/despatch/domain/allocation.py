"""Sourcing: choose where each line ships from, and explain why.

Pure functions over a stock snapshot and the candidate warehouses. The channel's strategy
orders the candidates:

- ``fewest_shipments`` (default): by priority; a split takes, each time, the warehouse that
  completes the most remaining lines (then units), so parcels stay few;
- ``priority``: by priority; a split drains warehouses in that order;
- ``nearest``: same country first, then the warehouse's region, then the rest;
- ``cheapest``: by the warehouse's estimated parcel cost to the destination.

Then: one warehouse that ships everything (the first in that order); else a split, at most
``max_shipments`` parcels (1 forbids splitting: the best single warehouse ships what it has
and the rest waits); else backorder what no warehouse has. Warehouses a rule excluded are
rejected first, with the rule's reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from despatch.domain.calendars import day_text
from despatch.domain.errors import FieldError, ValidationFailed
from despatch.domain.orders import OrderEvent, OrderStatus


@dataclass(frozen=True)
class LineNeed:
    line_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class Assignment:
    line_id: str
    sku: str
    warehouse: str
    quantity: int


@dataclass(frozen=True)
class Backorder:
    line_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class Plan:
    assignments: tuple[Assignment, ...]
    backorders: tuple[Backorder, ...]
    explanation: tuple[str, ...] = field(default=())
    strategy: str = ""  # the sourcing strategy and cap that made it

    @property
    def warehouses(self) -> list[str]:
        return sorted({a.warehouse for a in self.assignments})

    @property
    def is_split(self) -> bool:
        return len(self.warehouses) > 1

    @property
    def is_complete(self) -> bool:
        return not self.backorders

    @property
    def is_partial(self) -> bool:
        """Some units are placed and some wait backordered."""
        return bool(self.assignments) and not self.is_complete

    @property
    def reason_code(self) -> str:
        """How the plan came out, for the audit: short, split or single_source."""
        if not self.is_complete:
            return "short"
        return "split" if self.is_split else "single_source"

    def order_move(self, status: OrderStatus, *, bound: bool) -> tuple[OrderEvent, str] | None:
        """The order's move once planned, with its reason: reserved when every unit is, or when
        the units placed ship now (``bound`` to their shipments, the rest later: ``partial``);
        else backordered (``short``), unless it waits backordered already (None: it stays)."""
        partial = bound and not self.is_complete
        if self.is_complete or partial:
            return OrderEvent.RESERVE, "partial" if partial else ""
        if status == OrderStatus.BACKORDERED:
            return None
        return OrderEvent.BACKORDER, "short"

    def as_dict(self) -> dict[str, object]:
        return {
            "assignments": [a.__dict__ for a in self.assignments],
            "backorders": [b.__dict__ for b in self.backorders],
            "explanation": list(self.explanation),
            "strategy": self.strategy,
            "split": self.is_split,
        }


Snapshot = Mapping[tuple[str, str], int]  # (sku, warehouse) -> available units

STRATEGIES = ("fewest_shipments", "priority", "nearest", "cheapest")


@dataclass(frozen=True)
class Candidate:
    """A warehouse that might ship the order, with what the strategies rank it by."""

    code: str
    distance: int = 0  # 0 same country, 1 same region, 2 elsewhere
    cost: Decimal | None = None  # estimated parcel cost to the destination
    ship_by: date | None = None
    excluded: str = ""  # why it may not ship this order (a rule), if it may not

    def describe(self, strategy: str) -> list[str]:
        bits = []
        if strategy == "nearest":
            bits.append(("same country", "same region", "further away")[min(self.distance, 2)])
        if strategy == "cheapest" and self.cost is not None:
            bits.append(f"about {self.cost} a parcel")
        if self.ship_by:
            bits.append(f"ships {day_text(self.ship_by)}")
        return bits


@dataclass(frozen=True)
class Sourcing:
    strategy: str = "fewest_shipments"
    max_shipments: int = 0  # 0: no cap; 1: never split

    def describe(self) -> str:
        if self.max_shipments == 1:
            return f"{self.strategy}, splitting forbidden"
        if self.max_shipments:
            return f"{self.strategy}, at most {self.max_shipments} shipments"
        return self.strategy

    def order(self, candidates: Sequence[Candidate]) -> list[Candidate]:
        rank = {c.code: i for i, c in enumerate(candidates)}  # the channel's priority
        if self.strategy == "nearest":
            return sorted(candidates, key=lambda c: (c.distance, rank[c.code]))
        if self.strategy == "cheapest":
            high = Decimal("Infinity")
            return sorted(
                candidates, key=lambda c: (c.cost if c.cost is not None else high, rank[c.code])
            )
        return list(candidates)


def _shortfalls(needs: Sequence[LineNeed], stock: Snapshot, warehouse: str) -> list[str]:
    return [
        f"{n.sku} needs {n.quantity}, has {max(stock.get((n.sku, warehouse), 0), 0)}"
        for n in needs
        if stock.get((n.sku, warehouse), 0) < n.quantity
    ]


def _merged(needs: Sequence[LineNeed]) -> dict[str, int]:
    per_sku: dict[str, int] = {}
    for n in needs:
        per_sku[n.sku] = per_sku.get(n.sku, 0) + n.quantity
    return per_sku


def plan_allocation(
    needs: Sequence[LineNeed],
    stock: Snapshot,
    warehouses: Sequence[str] | Sequence[Candidate],
    sourcing: Sourcing | None = None,
) -> Plan:
    """Plan ``needs`` against ``stock``; ``warehouses`` are in the channel's priority order."""
    sourcing = sourcing or Sourcing()
    given = [w if isinstance(w, Candidate) else Candidate(w) for w in warehouses]
    notes: list[str] = []
    for c in given:
        if c.excluded:
            notes.append(f"rejected {c.code}: {c.excluded}")
    ordered = sourcing.order([c for c in given if not c.excluded])
    merged = [LineNeed("*", sku, qty) for sku, qty in _merged(needs).items()]
    for rank, c in enumerate(ordered, start=1):
        short = _shortfalls(merged, stock, c.code)
        if not short:
            why = ", ".join([f"choice {rank}", *c.describe(sourcing.strategy)])
            notes.append(f"chose {c.code} ({why}): ships every line in one parcel")
            assignments = tuple(Assignment(n.line_id, n.sku, c.code, n.quantity) for n in needs)
            return Plan(assignments, (), tuple(notes), sourcing.describe())
        notes.append(f"rejected {c.code} as single source: " + "; ".join(short))
    return _split(needs, stock, [c.code for c in ordered], notes, sourcing)


def _split(
    needs: Sequence[LineNeed],
    stock: Snapshot,
    warehouses: Sequence[str],
    notes: list[str],
    sourcing: Sourcing,
) -> Plan:
    left = {n.line_id: n.quantity for n in needs}
    avail = {key: max(qty, 0) for key, qty in stock.items()}
    assignments: list[Assignment] = []
    candidates = list(warehouses)
    used = 0
    while candidates and any(left.values()):
        if sourcing.max_shipments and used >= sourcing.max_shipments:
            for w in candidates:
                notes.append(f"rejected {w} for the split: split cap of {used} reached")
            candidates = []
            break

        def score(w: str) -> tuple[int, int, int]:
            full = sum(
                1 for n in needs if left[n.line_id] and avail.get((n.sku, w), 0) >= left[n.line_id]
            )
            units = sum(min(left[n.line_id], avail.get((n.sku, w), 0)) for n in needs)
            if sourcing.strategy == "priority" and units:
                return (1, 0, -warehouses.index(w))  # the first that has anything
            return (full, units, -warehouses.index(w))

        best = max(candidates, key=score)
        units = sum(min(left[n.line_id], avail.get((n.sku, best), 0)) for n in needs)
        if units == 0:
            break
        full = sum(
            1 for n in needs if left[n.line_id] and avail.get((n.sku, best), 0) >= left[n.line_id]
        )
        candidates.remove(best)
        used += 1
        for n in needs:
            take = min(left[n.line_id], avail.get((n.sku, best), 0))
            if take:
                assignments.append(Assignment(n.line_id, n.sku, best, take))
                left[n.line_id] -= take
                avail[(n.sku, best)] -= take
        what = "ships" if sourcing.max_shipments != 1 else "is the only parcel: ships"
        notes.append(f"split: {best} {what} {units} unit(s), completing {full} line(s)")
    for w in candidates:
        notes.append(f"rejected {w} for the split: nothing left that it could add")
    backorders = tuple(
        Backorder(n.line_id, n.sku, left[n.line_id]) for n in needs if left[n.line_id]
    )
    for b in backorders:
        notes.append(f"backordered {b.quantity} x {b.sku}: no warehouse may ship it now")
    return Plan(tuple(assignments), backorders, tuple(notes), sourcing.describe())


def read_sourcing(data: Mapping[str, object]) -> Sourcing:
    """A channel's ``sourcing`` setting, every wrong key named."""
    errors: list[FieldError] = [
        FieldError(f"sourcing.{k}", "is not a sourcing setting", "unknown_key")
        for k in sorted(set(data) - {"strategy", "max_shipments"})
    ]
    strategy = str(data.get("strategy") or "fewest_shipments")
    if strategy not in STRATEGIES:
        errors.append(
            FieldError(
                "sourcing.strategy", f"unknown strategy {strategy!r}", hint=", ".join(STRATEGIES)
            )
        )
    cap = data.get("max_shipments", 0)
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
        errors.append(
            FieldError("sourcing.max_shipments", "must be a whole number (0: no cap, 1: no split)")
        )
        cap = 0
    if errors:
        raise ValidationFailed(errors)
    return Sourcing(strategy, cap)
