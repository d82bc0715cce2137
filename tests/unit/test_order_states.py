import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from despatch.domain.errors import Conflict, InvalidTransition
from despatch.domain.orders import (
    TERMINAL,
    TRANSITIONS,
    OrderEvent,
    OrderStatus,
    advance,
    event_towards,
    status_from_shipments,
)
from despatch.domain.shipments import (
    SHIPMENT_TRANSITIONS,
    ShipmentCancelled,
    ShipmentStatus,
    advance_shipment,
    needs_label,
)


def test_refusal_names_both_states():
    with pytest.raises(InvalidTransition) as exc:
        advance(OrderStatus.DESPATCHED, OrderEvent.CANCEL)
    assert "'despatched'" in str(exc.value) and "'cancelled'" in str(exc.value)
    assert exc.value.data == {"kind": "order", "current": "despatched", "target": "cancelled"}


def test_every_status_has_a_row_and_terminal_ones_have_no_way_out():
    assert set(TRANSITIONS) == set(OrderStatus)
    assert {OrderStatus.DELIVERED, OrderStatus.CANCELLED} == TERMINAL
    # the channel may still cancel an order it ships itself (an Amazon AFN order Canceled)
    assert TRANSITIONS[OrderStatus.FULFILLED_BY_CHANNEL] == {OrderEvent.CANCEL}


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


def test_a_label_is_bought_once_before_despatch_and_never_for_a_cancelled_shipment():
    for status in ("allocated", "picking", "packed"):
        assert needs_label("shp_1", status, "") is True
        assert needs_label("shp_1", status, "RR000000015GB") is False
    assert needs_label("shp_1", "despatched", "RR000000015GB") is False
    with pytest.raises(ShipmentCancelled):
        needs_label("shp_1", "cancelled", "RR000000015GB")
    for status in ("despatched", "delivered"):
        with pytest.raises(Conflict, match=f"shp_1 is {status}: labels are bought before") as exc:
            needs_label("shp_1", status, "")
        assert not isinstance(exc.value, InvalidTransition)
        assert exc.value.data == {"current": status}


def test_order_status_follows_its_shipments():
    S = ShipmentStatus
    assert status_from_shipments([S.PICKING, S.ALLOCATED]) == OrderStatus.PICKING
    assert status_from_shipments([S.PACKED, S.PACKED]) == OrderStatus.PACKED
    assert status_from_shipments([S.DESPATCHED, S.PACKED]) == OrderStatus.PARTIALLY_DESPATCHED
    assert status_from_shipments([S.DELIVERED, S.DESPATCHED]) == OrderStatus.PARTIALLY_DELIVERED
    assert status_from_shipments([S.DELIVERED, S.CANCELLED]) == OrderStatus.DELIVERED


TestSplitOrderMachine = SplitOrderMachine.TestCase


def test_an_order_with_a_backordered_remainder_is_only_partly_out():
    S = ShipmentStatus
    assert status_from_shipments([S.DESPATCHED], remainder=True) == OrderStatus.PARTIALLY_DESPATCHED
    assert status_from_shipments([S.DELIVERED], remainder=True) == OrderStatus.PARTIALLY_DELIVERED
    assert status_from_shipments([S.DESPATCHED]) == OrderStatus.DESPATCHED
    # a remainder's new shipment joining a packed order takes it back to picking
    implied = status_from_shipments([S.PACKED, S.ALLOCATED])
    assert advance(OrderStatus.PACKED, event_towards(OrderStatus.PACKED, implied)) == implied


def test_partial_shipments_default_by_channel_type_and_refuse_unknown_values():
    from despatch.domain import partials
    from despatch.domain.errors import ValidationFailed

    assert partials.policy("shopify", {}) == partials.PartialShipments.WHEN_AVAILABLE
    assert partials.policy("csv", {}) == partials.PartialShipments.NEVER
    never = {"partial_shipments": "never"}
    assert partials.policy("ebay", never) == partials.PartialShipments.NEVER
    with pytest.raises(ValidationFailed, match="partial_shipments"):
        partials.read("sometimes")
