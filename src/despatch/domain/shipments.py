"""Shipments: the part of an order that leaves one warehouse, with its own states."""

from __future__ import annotations

from enum import StrEnum

from despatch.domain.errors import Conflict, InvalidTransition


class ShipmentStatus(StrEnum):
    # Declared in the order of progress; order status derivation relies on it.
    ALLOCATED = "allocated"
    PICKING = "picking"
    PACKED = "packed"
    DESPATCHED = "despatched"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


_S = ShipmentStatus

SHIPMENT_TRANSITIONS: dict[ShipmentStatus, frozenset[ShipmentStatus]] = {
    _S.ALLOCATED: frozenset({_S.PICKING, _S.CANCELLED}),
    _S.PICKING: frozenset({_S.PACKED, _S.CANCELLED}),
    _S.PACKED: frozenset({_S.DESPATCHED, _S.CANCELLED}),
    _S.DESPATCHED: frozenset({_S.DELIVERED}),
    _S.DELIVERED: frozenset(),
    _S.CANCELLED: frozenset(),
}


class ShipmentCancelled(InvalidTransition):
    """Packing, labelling or manifesting a shipment whose order was cancelled."""

    code = "cancelled"
    title = "The shipment was cancelled"

    def __init__(self, kind: str, current: str, target: str) -> None:
        super().__init__(kind, current, target)
        self.detail = f"the order was cancelled: do not pick, do not pack ({self.detail})"
        self.args = (self.detail,)


def advance_shipment(current: ShipmentStatus, target: ShipmentStatus) -> ShipmentStatus:
    if current == ShipmentStatus.CANCELLED:
        raise ShipmentCancelled("shipment", current.value, target.value)
    if target not in SHIPMENT_TRANSITIONS[current]:
        raise InvalidTransition("shipment", current.value, target.value)
    return target


LABELLABLE = frozenset({ShipmentStatus.ALLOCATED, ShipmentStatus.PICKING, ShipmentStatus.PACKED})


def needs_label(shipment_id: str, status: str, tracking_number: str) -> bool:
    """Whether a label is still to be bought: not when one was (buying again returns it). A
    cancelled shipment is refused, and so is one past packing without a label."""
    if status == ShipmentStatus.CANCELLED:
        raise ShipmentCancelled("shipment", status, "labelled")
    if tracking_number:
        return False
    if ShipmentStatus(status) not in LABELLABLE:
        raise Conflict(
            f"shipment {shipment_id} is {status}: labels are bought before despatch",
            current=status,
        )
    return True
