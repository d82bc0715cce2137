from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from despatch.domain.errors import ValidationFailed
from despatch.domain.money import Money, minor_units


def test_rounds_to_the_currencys_minor_units_half_up():
    assert Money(Decimal("1.005"), "GBP").amount == Decimal("1.01")
    assert Money(Decimal("100.5"), "JPY").amount == Decimal("101")
    assert Money(Decimal("1.0005"), "KWD").amount == Decimal("1.001")


def test_uses_iso_exponents_not_display_digits():
    assert minor_units("IQD") == 3
    assert minor_units("AFN") == 2
    assert minor_units("CLP") == 0


def test_rejects_an_unknown_currency_naming_the_field():
    with pytest.raises(ValidationFailed) as exc:
        Money.parse("1.00", "XXX")
    assert exc.value.errors[0].field == "currency"
    assert exc.value.errors[0].code == "unknown_currency"


def test_rejects_a_non_number_naming_the_field():
    with pytest.raises(ValidationFailed) as exc:
        Money.parse("ten", "EUR", field="lines[0].unit_price")
    assert exc.value.errors[0].field == "lines[0].unit_price"


def test_refuses_to_mix_currencies():
    with pytest.raises(ValidationFailed):
        Money.parse("1", "EUR") + Money.parse("1", "USD")


def test_allocates_ten_pounds_three_ways_without_losing_a_penny():
    parts = Money.parse("10.00", "GBP").allocate([1, 1, 1])
    assert [p.amount for p in parts] == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]


@given(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12),
    st.sampled_from(["GBP", "JPY", "KWD"]),
)
def test_allocation_always_adds_up_to_the_whole(minor, weights, currency):
    whole = Money.from_minor(minor, currency)
    parts = whole.allocate(weights)
    assert sum(p.minor for p in parts) == whole.minor
    assert len(parts) == len(weights)
