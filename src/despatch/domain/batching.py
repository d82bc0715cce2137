"""Batching a wave: which shipments share a pick list (and its tote).

Shipments come most urgent first; each batch is bounded by shipments, lines, units and the
tote's volume, and a shipment with many lines (or one too big for any bound) is picked on its
own. Pure: the wave service supplies the loads and makes the lists.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass

from despatch.domain.errors import FieldError, ValidationFailed


@dataclass(frozen=True)
class BatchLimits:
    max_orders: int = 20
    max_lines: int = 100
    max_units: int = 0  # units one tote takes; 0: no bound
    tote_litres: float = 0.0  # what one tote holds; 0: no bound
    single_lines: int = 0  # shipments with at least this many lines are picked alone; 0: never

    def check(self) -> None:
        errors = [
            FieldError(name, "must be at least 1", "bound")
            for name in ("max_orders", "max_lines")
            if getattr(self, name) < 1
        ]
        errors += [
            FieldError(name, "must be 0 (no bound) or more", "bound")
            for name in ("max_units", "tote_litres", "single_lines")
            if getattr(self, name) < 0
        ]
        if errors:
            raise ValidationFailed(errors)


@dataclass(frozen=True)
class Load:
    key: str  # the shipment
    lines: int
    units: int
    litres: float


def _alone(load: Load, limits: BatchLimits) -> bool:
    """Picked on its own: many lines, or more than one batch may hold."""
    if limits.single_lines and load.lines >= limits.single_lines:
        return True
    if load.lines > limits.max_lines:
        return True
    if limits.max_units and load.units > limits.max_units:
        return True
    return bool(limits.tote_litres and load.litres > limits.tote_litres)


def batches(loads: Sequence[Load], limits: BatchLimits) -> list[list[str]]:
    """Group ``loads`` (most urgent first) into batches in that order of urgency."""
    limits.check()
    out: list[list[str]] = []
    batch: list[Load] = []

    def fits(load: Load) -> bool:
        return (
            len(batch) < limits.max_orders
            and sum(b.lines for b in batch) + load.lines <= limits.max_lines
            and (
                not limits.max_units or sum(b.units for b in batch) + load.units <= limits.max_units
            )
            and (
                not limits.tote_litres
                or sum(b.litres for b in batch) + load.litres <= limits.tote_litres
            )
        )

    for load in loads:
        if _alone(load, limits):
            out.append([load.key])
            continue
        if batch and not fits(load):
            out.append([b.key for b in batch])
            batch = []
        batch.append(load)
    if batch:
        out.append([b.key for b in batch])
    return out


def unbinned(skus: Iterable[str], bins: Container[str]) -> str:
    """Why a shipment stays out of the wave: its SKUs that have no bin, named once each in
    order (empty when every one has a bin)."""
    missing = sorted({sku for sku in skus if sku not in bins})
    return f"no bin for {', '.join(missing)}" if missing else ""
