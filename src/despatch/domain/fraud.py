"""Fraud rules: a score with reasons, from facts about the order and its customer's history.

Each rule adds points and says why; at or above the threshold the order is held for review
(``fraud_review``), below it the score and reasons are kept on the order. Pure: the service
gathers the facts (previous orders of the same email or phone) and acts on the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

HOLD_AT = 60
HIGH_VALUE = Decimal(500)  # in the order's currency
EXPRESS = frozenset({"express", "next_day", "next-day", "overnight", "priority"})


@dataclass(frozen=True)
class Facts:
    total: Decimal
    service: str
    has_email: bool
    has_phone: bool
    earlier_orders: int  # by the same email or phone, before this one
    earlier_cancelled: int
    orders_last_day: int  # by the same email or phone in the 24 hours before this one
    billing_country: str = ""  # empty when the platform gave no billing address
    shipping_country: str = ""


@dataclass(frozen=True)
class Assessment:
    score: int
    reasons: tuple[str, ...] = field(default=())

    @property
    def hold(self) -> bool:
        return self.score >= HOLD_AT


def assess(facts: Facts, high_value: Decimal = HIGH_VALUE) -> Assessment:
    points: list[tuple[int, str]] = []
    if facts.earlier_cancelled >= 2:
        extra = min(20, 10 * (facts.earlier_cancelled - 2))
        points.append(
            (30 + extra, f"{facts.earlier_cancelled} earlier orders of this customer cancelled")
        )
    high = facts.total >= high_value
    if high and not (facts.has_email and facts.has_phone):
        missing = " and ".join(
            n for n, ok in (("email", facts.has_email), ("phone", facts.has_phone)) if not ok
        )
        points.append((25, f"high value ({facts.total}) with no {missing}"))
    if facts.orders_last_day >= 3:
        points.append((25, f"{facts.orders_last_day} orders from this customer in 24 hours"))
    if high and facts.earlier_orders == 0 and facts.service.lower() in EXPRESS:
        points.append((30, f"first order, {facts.service} shipping, high value ({facts.total})"))
    mismatch = facts.billing_country and facts.shipping_country
    if mismatch and facts.billing_country.upper() != facts.shipping_country.upper():
        where = f"billed in {facts.billing_country.upper()}, shipped to {facts.shipping_country}"
        points.append((35, f"{where}, high value ({facts.total})") if high else (20, where))
    if facts.total >= high_value * 4:
        points.append((20, f"very high value ({facts.total})"))
    return Assessment(sum(p for p, _ in points), tuple(f"+{p} {why}" for p, why in points))
