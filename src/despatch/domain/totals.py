"""The order total: computed from its parts and checked against the total the platform states.

Every channel adapter reads the parts of an order (lines, discounts, shipping, fees, tax, and
whether the prices already include tax) into an :class:`~despatch.domain.orders.OrderDraft`,
and the total the platform itself states (what the customer paid). The two must agree to the
minor unit: a difference means the adapter read a field wrongly, or the platform sent a figure
Despatch does not know, and the order is held ``total_mismatch`` naming both amounts. This is
the one place the comparison is made (ARCHITECTURE.md section 9, rule 1).
"""

from __future__ import annotations

from dataclasses import dataclass

from despatch.domain.errors import FieldError
from despatch.domain.money import Money

TOTAL_MISMATCH = "total_mismatch"


@dataclass(frozen=True)
class TotalCheck:
    """The platform's figure and ours; ``paid`` is what the order records as its total."""

    computed: Money
    stated: Money | None

    @property
    def paid(self) -> Money:
        """What the customer paid: the platform's own figure when it states one."""
        return self.stated if self.stated is not None else self.computed

    @property
    def agrees(self) -> bool:
        return self.stated is None or self.stated == self.computed

    def problem(self) -> FieldError | None:
        """The hold problem when the figures differ, naming both amounts."""
        if self.agrees:
            return None
        return FieldError(
            "total",
            f"the platform states {format_money(self.paid)}, but the order's lines, "
            f"discounts, shipping, fees and tax add up to {format_money(self.computed)}",
            TOTAL_MISMATCH,
        )


def format_money(amount: Money) -> str:
    """``40.00 GBP``: the amount to its currency's minor units, never in exponent form."""
    return f"{amount.amount:f} {amount.currency}"
