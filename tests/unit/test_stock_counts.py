"""A stock count: what it may say, and how many reserved units orders must give back."""

import pytest

from despatch.domain.errors import ValidationFailed
from despatch.domain.inventory import check_counted, count_shortfall


def _only_error(caught: pytest.ExceptionInfo[ValidationFailed]) -> tuple[str, str, str]:
    [error] = caught.value.errors
    return error.field, error.message, error.code


def test_a_count_of_nothing_is_a_count():
    check_counted(0)
    check_counted(0, quarantined=0)


def test_a_count_below_zero_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        check_counted(-1)
    assert _only_error(caught) == ("counted", "must be 0 or more", "quantity")


def test_a_count_may_equal_the_quarantined_units_but_not_fall_below_them():
    check_counted(3, quarantined=3)
    with pytest.raises(ValidationFailed) as caught:
        check_counted(2, quarantined=3)
    assert _only_error(caught) == (
        "counted",
        "3 unit(s) are in quarantine: count those separately",
        "quantity",
    )


def test_a_count_covering_what_is_reserved_takes_nothing_back():
    assert count_shortfall(10, reserved=6, quarantined=2) == -2
    assert count_shortfall(8, reserved=6, quarantined=2) == 0  # exactly enough


def test_a_count_below_what_is_reserved_takes_back_the_difference():
    assert count_shortfall(7, reserved=6, quarantined=2) == 1
    assert count_shortfall(2, reserved=6, quarantined=2) == 6  # every reserved unit
    assert count_shortfall(0, reserved=4, quarantined=0) == 4
