"""Money: a ``Decimal`` amount with an ISO 4217 currency and its minor units.

Amounts are always quantized to the currency's minor units with banker's-free
``ROUND_HALF_UP`` (the rule shoppers and tax authorities expect), and splitting
an amount across lines never creates or loses a minor unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from despatch.domain.currencies import MINOR_UNITS
from despatch.domain.errors import ValidationFailed

# Amounts are stored with 14 digits before the point (DecimalField(max_digits=18, 4 places)).
LARGEST = Decimal(10) ** 14


# Each currency's smallest unit as a Decimal (0.01 for GBP), made once, not per amount.
_QUANTA = {code: Decimal(1).scaleb(-places) for code, places in MINOR_UNITS.items()}


def minor_units(currency: str) -> int:
    """Number of decimal places of ``currency``; rejects unknown codes."""
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise ValidationFailed.single(
            "currency", f"{currency!r} is not an ISO 4217 currency code", "unknown_currency"
        ) from None


def places_said(currency: str) -> str:
    """'GBP has 2 decimal places', 'JPY has no decimal places'."""
    places = minor_units(currency)
    if places == 0:
        return f"{currency} has no decimal places"
    return f"{currency} has {places} decimal place{'' if places == 1 else 's'}"


def is_currency(code: str) -> bool:
    return code in MINOR_UNITS


@dataclass(frozen=True, order=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        quantum = _QUANTA.get(self.currency)
        if quantum is None:
            quantum = Decimal(1).scaleb(-minor_units(self.currency))
        object.__setattr__(
            self, "amount", Decimal(self.amount).quantize(quantum, rounding=ROUND_HALF_UP)
        )

    @classmethod
    def parse(cls, amount: str | int | Decimal, currency: str, field: str = "amount") -> Money:
        """Build from external input, with a precise error for a bad number."""
        try:
            value = Decimal(str(amount))
        except (InvalidOperation, ValueError):
            raise ValidationFailed.single(
                field, f"{amount!r} is not a number", "not_a_number"
            ) from None
        if not value.is_finite():
            raise ValidationFailed.single(field, f"{amount!r} is not a finite number")
        if value.copy_abs() >= LARGEST:
            raise ValidationFailed.single(
                field, f"{amount!r} is too large (under {LARGEST:,.0f})", "too_large"
            )
        return cls(value, currency)

    @classmethod
    def exact(cls, amount: str | int | Decimal, currency: str, field: str = "amount") -> Money:
        """As :meth:`parse`, but refuses an amount finer than the currency's minor unit (1.999
        GBP) instead of rounding it; trailing zeros (2.0000) are the same amount and are taken."""
        money = cls.parse(amount, currency, field)
        if money.amount != Decimal(str(amount)):
            raise ValidationFailed.single(field, places_said(currency), "too_precise")
        return money

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @property
    def minor(self) -> int:
        """The amount in minor units (cents, pence, yen)."""
        return int(self.amount.scaleb(minor_units(self.currency)))

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        return cls(Decimal(minor).scaleb(-minor_units(currency)), currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValidationFailed.single(
                "currency", f"cannot mix {self.currency} and {other.currency}", "currency_mismatch"
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        return Money(self.amount * Decimal(factor), self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def allocate(self, weights: Sequence[int | Decimal]) -> list[Money]:
        """Split this amount in proportion to ``weights`` by largest remainder.

        The parts always add up to exactly this amount, in minor units.
        """
        if not weights or any(Decimal(w) < 0 for w in weights):
            raise ValueError("weights must be non-empty and non-negative")
        total_weight = sum(Decimal(w) for w in weights)
        if total_weight == 0:
            weights = [1] * len(weights)
            total_weight = Decimal(len(weights))
        total = self.minor
        exact = [Decimal(total) * Decimal(w) / total_weight for w in weights]
        parts = [int(e.to_integral_value(rounding="ROUND_FLOOR")) for e in exact]
        remainder = total - sum(parts)
        order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - parts[i]), i))
        for i in order[: abs(remainder)]:
            parts[i] += 1 if remainder > 0 else -1
        return [Money.from_minor(p, self.currency) for p in parts]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def total(amounts: Sequence[Money], currency: str) -> Money:
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
