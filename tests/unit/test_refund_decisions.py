"""Who may decide a refund: the approval matrix at its limits, a person's own approval limit, and
no one deciding their own request."""

from decimal import Decimal

import pytest

from despatch.domain.errors import Conflict, Forbidden
from despatch.domain.returns import (
    ApprovalLimits,
    check_approval_limit,
    check_approver,
    check_rejecter,
)


def test_equal_limits_leave_no_room_for_a_single_approver():
    limits = ApprovalLimits(Decimal(100), Decimal(100))
    assert limits.approvals_needed(Decimal(100)) == 0
    assert limits.approvals_needed(Decimal("100.01")) == 2


def test_limits_of_zero_need_an_approver_for_any_amount():
    limits = ApprovalLimits(Decimal(0), Decimal(0))
    assert limits.approvals_needed(Decimal("0.01")) == 2
    assert ApprovalLimits(Decimal(0), Decimal(10)).approvals_needed(Decimal("0.01")) == 1


def test_the_default_matrix_is_fifty_and_five_hundred():
    assert ApprovalLimits() == ApprovalLimits(Decimal(50), Decimal(500))


def test_a_person_decides_up_to_their_own_limit_inclusive():
    check_approval_limit("refund_1", Decimal("250.00"), "EUR", "bob", Decimal(250))
    check_approval_limit("refund_1", Decimal("1000000"), "EUR", "bob", None)  # no own limit
    with pytest.raises(Forbidden) as caught:
        check_approval_limit("refund_1", Decimal("250.01"), "EUR", "bob", Decimal(250))
    assert str(caught.value.detail) == (
        "refund refund_1 of 250.01 EUR is above bob's approval limit of 250.00 EUR "
        "(permission 'refunds.approve')"
    )


def test_a_limit_of_zero_lets_a_person_decide_nothing():
    with pytest.raises(Forbidden):
        check_approval_limit("refund_1", Decimal("0.01"), "GBP", "bob", Decimal(0))


def test_the_second_approver_is_another_person_than_the_requester_and_the_first():
    check_approver("cat", "ann", ["bob"])
    with pytest.raises(Conflict, match="ann requested this refund and cannot approve it"):
        check_approver("ann", "ann", ["bob"])
    with pytest.raises(Conflict, match="bob has already approved it"):
        check_approver("bob", "ann", ["bob"])


def test_no_one_rejects_their_own_request():
    check_rejecter("bob", "ann")
    with pytest.raises(Conflict, match=r"^ann requested this refund and cannot decide it$"):
        check_rejecter("ann", "ann")
