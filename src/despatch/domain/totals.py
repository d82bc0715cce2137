"""The order total: computed from its parts and checked against the total the platform states.

Every channel adapter reads the parts of an order (lines, discounts, shipping, fees, tax, and
whether the prices already include tax) into an :class:`~despatch.domain.orders.OrderDraft`,
and the total the platform itself states (what the customer paid). The two must agree to the
minor unit: a difference means the adapter read a field wrongly, or the platform sent a figure
Despatch does not know, and the order is held ``total_mismatch`` naming both amounts. This is
the one place the comparison is made (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

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


def plain(amount: Decimal | None, currency: str) -> str:
    """An amount as text in its currency's minor units (``40.00``, ``7400``): never ``4E+1``."""
    if amount is None:
        return ""
    return f"{Money(amount, currency).amount:f}"


@dataclass(frozen=True)
class OrderMoney:
    """What an order says about money, for every edge to show the same way."""

    currency: str
    total: Decimal  # what the customer paid, in the order's currency
    tax_total: Decimal
    taxes_included: bool
    discount_total: Decimal
    shipping_total: Decimal
    fee_total: Decimal
    presentment_currency: str = ""
    presentment_total: Decimal | None = None
    computed_total: Decimal | None = None  # the parts added up, when a stated total was checked

    def as_dict(self) -> dict[str, Any]:
        c = self.currency
        shown = None
        if self.presentment_currency and self.presentment_currency != c:
            shown = {
                "currency": self.presentment_currency,
                "total": plain(self.presentment_total, self.presentment_currency),
            }
        return {
            "currency": c,
            "total": plain(self.total, c),
            "tax_total": plain(self.tax_total, c),
            "taxes_included": self.taxes_included,
            "discount_total": plain(self.discount_total, c),
            "shipping_total": plain(self.shipping_total, c),
            "fee_total": plain(self.fee_total, c),
            "presentment": shown,
            "computed_total": plain(self.computed_total, c) or None,
        }

    def said(self) -> str:
        """``40.00 GBP (tax 6.67 included; shown as 46.00 EUR)``."""
        data = self.as_dict()
        tax = "included" if self.taxes_included else "added"
        text = f"{data['total']} {self.currency} (tax {data['tax_total']} {tax}"
        if data["presentment"]:
            shown = data["presentment"]
            text += f"; shown as {shown['total']} {shown['currency']}"
        return text + ")"
