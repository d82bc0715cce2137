import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from despatch.domain.errors import InvalidTransition
from despatch.domain.orders import (
    TERMINAL,
    TRANSITIONS,
    OrderEvent,
    OrderStatus,
    advance,
    event_towards,
    status_from_shipments,
)
from despatch.domain.shipments import SHIPMENT_TRANSITIONS, ShipmentStatus, advance_shipment


def test_refusal_names_both_states():
    with pytest.raises(InvalidTransition) as exc:
        advance(OrderStatus.DESPATCHED, OrderEvent.CANCEL)
    assert "'despatched'" in str(exc.value) and "'cancelled'" in str(exc.value)
    assert exc.value.data == {"kind": "order", "current": "despatched", "target": "cancelled"}


def test_every_status_has_a_row_and_terminal_ones_have_no_way_out():
    assert set(TRANSITIONS) == set(OrderStatus)
    assert {
        OrderStatus.DELIVERED,
        OrderStatus.CANCELLED,
        OrderStatus.FULFILLED_BY_CHANNEL,
    } == TERMINAL


def test_the_happy_path_is_allowed():
    status = OrderStatus.RECEIVED
    for event in (
        OrderEvent.VALIDATE,
        OrderEvent.RESERVE,
        OrderEvent.ALLOCATE,
        OrderEvent.START_PICKING,
        OrderEvent.PACK,
        OrderEvent.DESPATCH,
        OrderEvent.DELIVER,
    ):
        status = advance(status, event)
    assert status == OrderStatus.DELIVERED


def test_every_status_can_reach_a_terminal_one():
    reachable = set(TERMINAL)
    changed = True
    while changed:
        changed = False
        for status, events in TRANSITIONS.items():
            if status not in reachable and any(advance(status, e) in reachable for e in events):
                reachable.add(status)
                changed = True
    assert reachable == set(OrderStatus)


@given(st.lists(st.sampled_from(list(OrderEvent)), max_size=40))
def test_no_sequence_of_events_reaches_an_undefined_state(events):
    status = OrderStatus.RECEIVED
    for event in events:
        try:
            status = advance(status, event)
        except InvalidTransition as exc:
            assert exc.data["current"] == status.value
            continue
        assert status in TRANSITIONS


class SplitOrderMachine(RuleBasedStateMachine):
    """Shipments of a split order move independently; the order status they imply must
    always be reachable through the transition table from the previous one."""

    def __init__(self):
        super().__init__()
        self.status = OrderStatus.ALLOCATED
        self.shipments = [ShipmentStatus.ALLOCATED] * 3

    @rule(
        index=st.integers(0, 2),
        to=st.sampled_from([s for s in ShipmentStatus if s != ShipmentStatus.CANCELLED]),
    )
    def move_shipment(self, index, to):
        try:
            self.shipments[index] = advance_shipment(self.shipments[index], to)
        except InvalidTransition:
            return
        implied = status_from_shipments(self.shipments)
        if implied != self.status:
            self.status = advance(self.status, event_towards(self.status, implied))

    @invariant()
    def status_is_defined(self):
        assert self.status in TRANSITIONS


def test_shipment_cannot_skip_packing():
    with pytest.raises(InvalidTransition):
        advance_shipment(ShipmentStatus.PICKING, ShipmentStatus.DESPATCHED)
    assert ShipmentStatus.DESPATCHED not in SHIPMENT_TRANSITIONS[ShipmentStatus.PICKING]


def test_order_status_follows_its_shipments():
    S = ShipmentStatus
    assert status_from_shipments([S.PICKING, S.ALLOCATED]) == OrderStatus.PICKING
    assert status_from_shipments([S.PACKED, S.PACKED]) == OrderStatus.PACKED
    assert status_from_shipments([S.DESPATCHED, S.PACKED]) == OrderStatus.PARTIALLY_DESPATCHED
    assert status_from_shipments([S.DELIVERED, S.DESPATCHED]) == OrderStatus.PARTIALLY_DELIVERED
    assert status_from_shipments([S.DELIVERED, S.CANCELLED]) == OrderStatus.DELIVERED


TestSplitOrderMachine = SplitOrderMachine.TestCase
