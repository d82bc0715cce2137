"""Available to sell: what a channel may offer of a SKU, and why.

The figure starts from the free stock (on hand - reserved - quarantined) of the warehouses that
serve the channel, holds back the SKU's safety stock, then applies the channel's rule in this
order: a fixed buffer, a percentage (rounded down), a maximum listed, and "end when at or below
N" (publish 0). It is never negative. Every step is kept, so a person can see why a channel
shows the number it shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from despatch.domain.errors import FieldError, ValidationFailed


@dataclass(frozen=True)
class AvailabilityRule:
    buffer: int = 0
    percent: int = 100
    max_listed: int | None = None
    end_at: int | None = None

    @classmethod
    def from_settings(cls, data: Mapping[str, Any] | None) -> AvailabilityRule:
        """Read ``settings.availability``; every wrong field is named."""
        data = dict(data or {})
        errors: list[FieldError] = []
        unknown = sorted(set(data) - {"buffer", "percent", "max_listed", "end_at"})
        errors += [
            FieldError(f"availability.{k}", "is not a rule setting", "unknown") for k in unknown
        ]
        values: dict[str, int | None] = {}
        for name, low, high, optional in (
            ("buffer", 0, None, False),
            ("percent", 0, 100, False),
            ("max_listed", 0, None, True),
            ("end_at", 0, None, True),
        ):
            if name not in data or (optional and data[name] is None):
                continue
            value = data[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                errors.append(
                    FieldError(f"availability.{name}", f"must be a whole number >= {low}")
                )
            elif high is not None and value > high:
                errors.append(FieldError(f"availability.{name}", f"must be at most {high}"))
            else:
                values[name] = value
        if errors:
            raise ValidationFailed(errors)
        return cls(**values)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, int | None]:
        return {
            "buffer": self.buffer,
            "percent": self.percent,
            "max_listed": self.max_listed,
            "end_at": self.end_at,
        }


@dataclass(frozen=True)
class Availability:
    sku: str
    quantity: int
    steps: tuple[str, ...]


def available_to_sell(
    sku: str, free_by_warehouse: Mapping[str, int], safety_stock: int, rule: AvailabilityRule
) -> Availability:
    free = sum(max(0, n) for n in free_by_warehouse.values())
    where = ", ".join(f"{w} {n}" for w, n in sorted(free_by_warehouse.items())) or "no warehouse"
    steps = [f"free stock {free} ({where})"]
    quantity = free
    if safety_stock:
        quantity -= safety_stock
        steps.append(f"- safety stock {safety_stock} = {quantity}")
    if rule.buffer:
        quantity -= rule.buffer
        steps.append(f"- channel buffer {rule.buffer} = {quantity}")
    quantity = max(0, quantity)
    if rule.percent != 100:
        quantity = quantity * rule.percent // 100
        steps.append(f"x {rule.percent}% (rounded down) = {quantity}")
    if rule.max_listed is not None and quantity > rule.max_listed:
        quantity = rule.max_listed
        steps.append(f"capped at the maximum listed, {rule.max_listed}")
    if rule.end_at is not None and quantity <= rule.end_at:
        steps.append(f"at or below {rule.end_at}: listing ends (0)")
        quantity = 0
    return Availability(sku, quantity, tuple(steps))
