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
from despatch.domain.exceptions import AUTO, Kind
from despatch.domain.orders import NOT_PICKED, HoldReason, OrderEvent, OrderStatus
from despatch.integrations import contact_checks
from despatch.models import ExceptionCase, Order
from despatch.services import cancellations, exceptions, late_holds, orders, outbox
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


def shipped_elsewhere(order: Order, trail: Trail) -> bool:
    """The channel says an order we know, and have not despatched, is already shipped (someone
    fulfilled it on the platform): so that it never ships twice, an order not yet picked gives
    its stock back and is held ``invalid_order``; one on the floor opens the case for a person.
    Nothing once a parcel has left here (our own write-back, echoed). Call with the order
    locked; returns whether anything was recorded."""
    shipped = "the channel says it is already shipped: check before shipping it here"
    return late_holds.hold_or_open_case(order, HoldReason.INVALID_ORDER, shipped, trail)


def cancel_request(order: Order, request: str, trail: Trail) -> bool:
    """The buyer asked the platform to cancel (an eBay ``cancelStatus.cancelState`` of
    ``IN_PROGRESS``; ``request`` names it) and the seller must accept or decline it there: an
    order not yet picked gives its stock back and is held ``cancel_requested``; on the floor
    the case opens. Once a person has closed the case of a request, the same request holds
    nothing again (the case keeps the request as its typed ``reference``). No request pending
    (``request`` empty: none, or declined) releases an order held only for one and closes its
    cases; only an order that can have such a case (held, or on the floor) is looked up.
    Call with the order locked."""
    if not request:
        if order.status not in MAY_HAVE_A_REQUEST_CASE:
            return False  # nothing to undo: no query
        return _cancel_request_declined(order, trail)
    said = ExceptionCase.objects.filter(
        order_id=order.id, kind=Kind.CANCEL_REQUESTED.value, reference=request[:100]
    )
    if said.exists():
        return False
    message = (
        f"the buyer asked to cancel ({request}): accept or decline the request on the "
        "platform; accepted, the order is cancelled here; declined, it is released"
    )
    return late_holds.hold_or_open_case(
        order, HoldReason.CANCEL_REQUESTED, message, trail, reference=request
    )


# where a cancellation request's case can be open: held (for it, or for something else when
# it came), or on the floor; an order that goes on from a hold has its cases closed
MAY_HAVE_A_REQUEST_CASE = frozenset({OrderStatus.ON_HOLD, OrderStatus.PICKING, OrderStatus.PACKED})


def _cancel_request_declined(order: Order, trail: Trail) -> bool:
    cases = ExceptionCase.objects.filter(order_id=order.id, kind=Kind.CANCEL_REQUESTED.value)
    note = "no cancellation request is pending on the platform (declined or withdrawn)"
    closed = exceptions.close(cases, trail, AUTO, note)
    held = order.status == OrderStatus.ON_HOLD
    if not (held and order.hold_reason == HoldReason.CANCEL_REQUESTED):
        return bool(closed)
    orders.set_status(order, OrderEvent.RELEASE, trail, "cancel_request_declined")
    order.hold_reason, order.hold_detail = "", []
    order.save(update_fields=["status", "hold_reason", "hold_detail", "updated_at"])
    outbox.save(
        [
            outbox.emit(Topic.ORDER_RELEASED, order.id, trail.at, order_id=order.id),
            outbox.emit(Topic.ORDER_RECEIVED, order.id, trail.at, order_id=order.id, again=True),
        ]
    )
    return True


def fill_customer_name(order: Order, name: str, trail: Trail) -> bool:
    """An order received without a customer name (an Amazon ``Pending`` order has no address
    yet) takes the one an update brings, as it would have on receipt (services/order_intake):
    the buyer's name, else the name the address ships to. Call with the order locked."""
    name = name.strip()  # already cut to fit (domain/limits)
    if order.customer_name.strip() or not name:
        return False
    trail.add(
        "order",
        order.id,
        "customer_name_filled",
        order_id=order.id,
        reason_code="channel_update",
        before=order.customer_name,
        after=name,
    )
    order.customer_name = name
    order.updated_at = trail.at
    order.save(update_fields=["customer_name", "updated_at"])
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
