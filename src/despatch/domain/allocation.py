"""Allocation v1: choose where each line ships from, and explain why.

Pure functions over a stock snapshot. The policy, in order of preference:
1. one warehouse that ships everything (the first by priority);
2. else split across warehouses, each time taking the warehouse that completes
   the most remaining lines (then units, then priority), so parcels stay few;
3. else backorder what no warehouse has.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


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

    @property
    def warehouses(self) -> list[str]:
        return sorted({a.warehouse for a in self.assignments})

    @property
    def is_split(self) -> bool:
        return len(self.warehouses) > 1

    @property
    def is_complete(self) -> bool:
        return not self.backorders

    def as_dict(self) -> dict[str, object]:
        return {
            "assignments": [a.__dict__ for a in self.assignments],
            "backorders": [b.__dict__ for b in self.backorders],
            "explanation": list(self.explanation),
            "split": self.is_split,
        }


Snapshot = Mapping[tuple[str, str], int]  # (sku, warehouse) -> available units


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


def plan_allocation(needs: Sequence[LineNeed], stock: Snapshot, warehouses: Sequence[str]) -> Plan:
    """Plan ``needs`` against ``stock``; ``warehouses`` are in priority order."""
    notes: list[str] = []
    merged = [LineNeed("*", sku, qty) for sku, qty in _merged(needs).items()]
    for rank, warehouse in enumerate(warehouses, start=1):
        short = _shortfalls(merged, stock, warehouse)
        if not short:
            notes.append(f"chose {warehouse} (priority {rank}): ships every line in one parcel")
            assignments = tuple(Assignment(n.line_id, n.sku, warehouse, n.quantity) for n in needs)
            return Plan(assignments, (), tuple(notes))
        notes.append(f"rejected {warehouse} as single source: " + "; ".join(short))
    return _split(needs, stock, warehouses, notes)


def _split(
    needs: Sequence[LineNeed], stock: Snapshot, warehouses: Sequence[str], notes: list[str]
) -> Plan:
    left = {n.line_id: n.quantity for n in needs}
    avail = {key: max(qty, 0) for key, qty in stock.items()}
    assignments: list[Assignment] = []
    candidates = list(warehouses)
    while candidates and any(left.values()):

        def score(w: str) -> tuple[int, int, int]:
            full = sum(
                1 for n in needs if left[n.line_id] and avail.get((n.sku, w), 0) >= left[n.line_id]
            )
            units = sum(min(left[n.line_id], avail.get((n.sku, w), 0)) for n in needs)
            return (full, units, -warehouses.index(w))

        best = max(candidates, key=score)
        full, units, _ = score(best)
        if units == 0:
            break
        candidates.remove(best)
        for n in needs:
            take = min(left[n.line_id], avail.get((n.sku, best), 0))
            if take:
                assignments.append(Assignment(n.line_id, n.sku, best, take))
                left[n.line_id] -= take
                avail[(n.sku, best)] -= take
        notes.append(f"split: {best} ships {units} unit(s), completing {full} line(s)")
    for w in candidates:
        notes.append(f"rejected {w} for the split: nothing left that it could add")
    backorders = tuple(
        Backorder(n.line_id, n.sku, left[n.line_id]) for n in needs if left[n.line_id]
    )
    for b in backorders:
        notes.append(f"backordered {b.quantity} x {b.sku}: no warehouse has it available")
    return Plan(tuple(assignments), backorders, tuple(notes))
