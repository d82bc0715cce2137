"""A channel's later update to an order's shipping address, applied where it safely can be.

Before picking, a new or changed address replaces the stored one (compared as stored, i.e.
normalised, so the same address sent again is no change), the change is audited before ->
after, and the address is checked again: a bad one holds the order (its stock goes back), a
good one releases an order held only for its address. Once picking has started the parcel's
address is the floor's business: the change is recorded for a person, not applied.
"""

from __future__ import annotations

from typing import Any

from despatch.domain.addresses import Address
from despatch.domain.events import Topic
from despatch.domain.exceptions import AUTO
from despatch.domain.orders import NOT_PICKED, HoldReason, OrderEvent, OrderStatus
from despatch.integrations import contact_checks
from despatch.models import Order
from despatch.services import cancellations, exceptions, orders, outbox
from despatch.services.audit import Trail


def apply_address(order: Order, address: Address, trail: Trail) -> bool:
    """Call with the order locked; returns whether anything was recorded."""
    if not (address.line1 or address.postcode):
        return False  # the update brings no address (e.g. one the platform withholds)
    before: dict[str, Any] = dict(order.shipping_address)
    after = contact_checks.normalised(address).as_dict()
    changed = {k: v for k, v in after.items() if before.get(k, "") != v}
    if not changed:
        return False
    was = {k: before.get(k, "") for k in changed}
    if OrderStatus(order.status) not in NOT_PICKED:
        trail.add(
            "order",
            order.id,
            "address_change_not_applied",
            order_id=order.id,
            reason_code="picking_started",
            before=was,
            after=changed,
            note="the channel changed the address after picking started; check the parcel",
        )
        return True
    trail.add(
        "order",
        order.id,
        "address_changed",
        order_id=order.id,
        reason_code="channel_update",
        before=was,
        after=changed,
    )
    order.shipping_address = after
    order.updated_at = trail.at
    order.save(update_fields=["shipping_address", "updated_at"])
    _revalidate(order, Address.from_dict(after), trail)
    return True


def _revalidate(order: Order, address: Address, trail: Trail) -> None:
    problems = address.problems() or contact_checks.address_problems(address)
    held = order.status == OrderStatus.ON_HOLD
    if problems and not held:
        cancellations.unplan(order, trail, "address_changed")
        found = [
            {"field": p.field, "message": p.message, "code": HoldReason.INVALID_ADDRESS.value}
            for p in problems
        ]
        orders.hold_order(order, HoldReason.INVALID_ADDRESS, found, trail)
    elif not problems and held and order.hold_reason == HoldReason.INVALID_ADDRESS:
        orders.set_status(order, OrderEvent.RELEASE, trail, "address_received")
        order.hold_reason, order.hold_detail = "", []
        order.save(update_fields=["status", "hold_reason", "hold_detail", "updated_at"])
        exceptions.close_order_holds(order.id, trail, AUTO, "the channel sent a usable address")
        outbox.save(
            [
                outbox.emit(Topic.ORDER_RELEASED, order.id, trail.at, order_id=order.id),
                outbox.emit(
                    Topic.ORDER_RECEIVED, order.id, trail.at, order_id=order.id, again=True
                ),
            ]
        )
