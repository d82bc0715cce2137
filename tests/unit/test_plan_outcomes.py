"""What a plan means for its order: the audit's reason, the order's move, and whether a waiting
remainder ships now."""

import pytest

from despatch.domain.allocation import Assignment, Backorder, Plan
from despatch.domain.orders import OrderEvent, OrderStatus
from despatch.domain.partials import remainder_ships

HERE = Assignment("l1", "A", "LON", 2)
THERE = Assignment("l2", "B", "NJ", 1)
SHORT = Backorder("l2", "B", 1)

COMPLETE = Plan((HERE,), ())
SPLIT = Plan((HERE, THERE), ())
PARTIAL = Plan((HERE,), (SHORT,))
NOTHING = Plan((), (SHORT,))


def test_a_plan_is_partial_when_some_units_are_placed_and_some_wait():
    assert PARTIAL.is_partial
    assert not COMPLETE.is_partial and not SPLIT.is_partial
    assert not NOTHING.is_partial  # nothing placed: wholly backordered


def test_the_audit_says_short_split_or_single_source():
    assert COMPLETE.reason_code == "single_source"
    assert SPLIT.reason_code == "split"
    assert PARTIAL.reason_code == "short"
    assert NOTHING.reason_code == "short"
    assert Plan((HERE, THERE), (SHORT,)).reason_code == "short"  # short before split


@pytest.mark.parametrize("bound", [False, True])
@pytest.mark.parametrize("status", [OrderStatus.VALIDATED, OrderStatus.BACKORDERED])
def test_a_complete_plan_reserves_the_order(status, bound):
    assert COMPLETE.order_move(status, bound=bound) == (OrderEvent.RESERVE, "")
    assert SPLIT.order_move(status, bound=bound) == (OrderEvent.RESERVE, "")


@pytest.mark.parametrize("status", [OrderStatus.VALIDATED, OrderStatus.BACKORDERED])
def test_a_short_plan_bound_to_its_shipments_reserves_the_order_as_partial(status):
    assert PARTIAL.order_move(status, bound=True) == (OrderEvent.RESERVE, "partial")


def test_a_short_plan_not_bound_backorders_the_order():
    assert PARTIAL.order_move(OrderStatus.VALIDATED, bound=False) == (
        OrderEvent.BACKORDER,
        "short",
    )
    assert NOTHING.order_move(OrderStatus.VALIDATED, bound=False) == (
        OrderEvent.BACKORDER,
        "short",
    )


def test_an_order_backordered_already_stays_as_it_is_when_still_short():
    assert PARTIAL.order_move(OrderStatus.BACKORDERED, bound=False) is None
    assert NOTHING.order_move(OrderStatus.BACKORDERED, bound=False) is None


def test_a_remainder_that_can_be_reserved_whole_always_ships():
    assert remainder_ships(COMPLETE, partial_ok=False)
    assert remainder_ships(SPLIT, partial_ok=True)


def test_part_of_a_remainder_ships_only_where_the_channel_ships_what_is_there():
    assert remainder_ships(PARTIAL, partial_ok=True)
    assert not remainder_ships(PARTIAL, partial_ok=False)


def test_a_remainder_with_nothing_to_place_never_ships():
    assert not remainder_ships(NOTHING, partial_ok=True)
    assert not remainder_ships(Plan((), ()), partial_ok=True)
