"""Pure rules of notifications, webhooks, cancellations, returns and refunds."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from despatch.domain.cancellations import (
    NotCancellable,
    check_cancellable,
    read_line_cuts,
    read_reason,
)
from despatch.domain.errors import Conflict, ValidationFailed
from despatch.domain.notifications import Medium, message_key, template_names
from despatch.domain.orders import OrderStatus
from despatch.domain.returns import (
    ApprovalLimits,
    Disposition,
    Grade,
    Returnable,
    check_approver,
    check_refund_positive,
    check_refund_units,
    check_refundable,
    check_request,
    disposition_for,
    read_limits,
    refund_amount,
    tally,
)
from despatch.domain.webhooks import signature, unknown_event_types, verify


def test_templates_are_looked_up_from_the_channel_and_language_to_the_default():
    assert template_names("despatched", "web", "fr-CA", "txt") == [
        "web/despatched.fr-ca.txt",
        "web/despatched.fr.txt",
        "web/despatched.txt",
        "default/despatched.fr-ca.txt",
        "default/despatched.fr.txt",
        "default/despatched.txt",
    ]
    assert template_names("delivered", "", "", "html") == ["default/delivered.html"]


def test_a_message_key_ignores_the_recipients_case():
    a = message_key("despatched", "shp_1", Medium.EMAIL, "Jo@Example.com")
    assert a == message_key("despatched", "shp_1", Medium.EMAIL, "jo@example.com ")
    assert a != message_key("despatched", "shp_1", Medium.SMS, "jo@example.com")


@given(st.text(min_size=1), st.binary(), st.integers(min_value=0, max_value=2**40))
def test_a_signature_verifies_only_with_its_secret_body_and_time(secret, body, t):
    header = signature(secret, t, body)
    assert verify(secret, header, body, t)
    assert not verify(secret + "x", header, body, t)
    assert not verify(secret, header, body + b"x", t)
    assert not verify(secret, header, body, t + 301)  # a replay, too late


def test_unknown_event_types_are_named():
    assert unknown_event_types(["order.despatched", "*", "order.lost"]) == ["order.lost"]


def test_what_each_stage_allows():
    assert check_cancellable(OrderStatus.ALLOCATED, partial=True) == "before_pick"
    assert check_cancellable(OrderStatus.PACKED, partial=False) == "in_warehouse"
    with pytest.raises(NotCancellable, match="only before picking"):
        check_cancellable(OrderStatus.PICKING, partial=True)
    with pytest.raises(NotCancellable, match="intercept"):
        check_cancellable(OrderStatus.DELIVERED, partial=False)
    with pytest.raises(ValidationFailed) as caught:
        read_reason("bored")
    assert caught.value.errors[0].hint.startswith("one of: customer_request")


def test_line_cuts_are_checked_against_what_is_left():
    assert read_line_cuts({1: 2}, {1: 2, 2: 1}) == {1: 2}
    with pytest.raises(ValidationFailed) as caught:
        read_line_cuts({1: 3, 2: 0, 9: 1}, {1: 2, 2: 1})
    assert [e.field for e in caught.value.errors] == ["lines[1]", "lines[2]", "lines[9]"]


def test_the_approval_matrix():
    limits = ApprovalLimits(Decimal(50), Decimal(500))
    assert [limits.approvals_needed(Decimal(a)) for a in ("50", "50.01", "500", "500.01")] == [
        0,
        1,
        1,
        2,
    ]
    assert read_limits("10, 100") == ApprovalLimits(Decimal(10), Decimal(100))
    with pytest.raises(ValidationFailed):
        read_limits("100,10")
    with pytest.raises(Conflict, match="cannot approve"):
        check_approver("ann", "ann", [])
    with pytest.raises(Conflict, match="second approver"):
        check_approver("bob", "ann", ["bob"])
    check_approver("cat", "ann", ["bob"])


def test_refund_amounts_take_the_fee_off_the_goods_and_add_shipping():
    amount, fee = refund_amount(
        [(Decimal("19.99"), 2)], shipping=Decimal("4.50"), restocking_fee_percent=Decimal(10)
    )
    assert (amount, fee) == (Decimal("40.48"), Decimal("4.00"))
    assert refund_amount([(Decimal(1000), 1)], minor_units=0) == (Decimal(1000), Decimal(0))


def _only_error(caught: pytest.ExceptionInfo[ValidationFailed]) -> tuple[str, str, str]:
    [error] = caught.value.errors
    return error.field, error.message, error.code


def test_refunded_lines_are_lines_of_the_order_for_one_up_to_the_units_sold():
    sold = {1: 3, 2: 1}
    check_refund_units({1: 3, 2: 1}, sold)
    with pytest.raises(ValidationFailed) as caught:
        check_refund_units({1: 4, 5: 1, 7: 1}, sold)
    assert _only_error(caught) == ("lines", "the order has no line(s) [5, 7]", "unknown_line")
    with pytest.raises(ValidationFailed) as caught:
        check_refund_units({2: 2, 1: 0}, sold)
    assert _only_error(caught) == ("lines[1]", "refund 1 to 3 units", "quantity")


def test_a_refund_is_more_than_zero_and_never_more_than_is_left_to_refund():
    check_refund_positive(Decimal("0.01"))
    for nothing in (Decimal(0), Decimal("-1")):
        with pytest.raises(ValidationFailed) as caught:
            check_refund_positive(nothing)
        assert _only_error(caught) == ("amount", "must be more than zero", "amount")
    check_refundable(Decimal(60), Decimal(40), Decimal(100), "EUR")
    with pytest.raises(ValidationFailed) as caught:
        check_refundable(Decimal("60.01"), Decimal(40), Decimal(100), "EUR")
    assert _only_error(caught) == (
        "amount",
        "60.01 EUR is more than the 60.00 EUR left to refund",
        "amount",
    )
    with pytest.raises(ValidationFailed, match="7401 JPY is more than the 7400 JPY left"):
        check_refundable(Decimal(7401), Decimal(0), Decimal(7400), "JPY")


def test_grades_go_where_the_policy_says():
    assert disposition_for(Grade.D) == Disposition.QUARANTINE
    assert disposition_for(Grade.B, {"B": "refurbish"}) == Disposition.REFURBISH


def test_a_return_line_counts_grades_and_dispositions_and_holds_quarantine_and_refurbish():
    counted = tally(
        [
            (Grade.A, Disposition.RESTOCK),
            (Grade.D, Disposition.QUARANTINE),
            (Grade.B, Disposition.REFURBISH),
            (Grade.D, Disposition.SCRAP),
        ]
    )
    assert counted.received == 4
    assert counted.grades == {"A": 1, "D": 2, "B": 1}
    assert counted.dispositions == {"restock": 1, "quarantine": 1, "refurbish": 1, "scrap": 1}
    assert counted.held == 2
    assert tally([]).received == tally([]).held == 0


def test_return_requests_are_checked_by_field():
    lines = [Returnable(1, "A", 2, 1), Returnable(2, "B", 1, 0, non_returnable=True)]
    check_request(
        {1: (1, "damaged")},
        lines,
        shipped_on=date(2026, 11, 1),
        today=date(2026, 12, 1),
        window_days=30,
    )
    with pytest.raises(ValidationFailed) as caught:
        check_request(
            {1: (2, "damaged"), 2: (1, "meh")},
            lines,
            shipped_on=date(2026, 11, 1),
            today=date(2026, 12, 2),
            window_days=30,
        )
    assert [e.code for e in caught.value.errors] == [
        "outside_window",
        "quantity",
        "non_returnable",
        "unknown_reason",
    ]
