"""A reason not to ship that arrives once an order is planned: the platform says it already
shipped, its money went back, or the buyer asked to cancel.

The same shape for each: an order not yet picked gives its stock back (as every hold that
stops an order does) and is held for a person under the reason's kind; one held already, or
on the floor (picking, packed), opens the case instead and the floor decides. Nothing once a
parcel has left. A case of the kind still open means it was said already.
"""

from __future__ import annotations

from despatch.domain.cancellations import Stage, stage_of
from despatch.domain.exceptions import Kind
from despatch.domain.orders import HoldReason, OrderStatus
from despatch.models import ExceptionCase, Order
from despatch.services import cancellations, exceptions, orders
from despatch.services.audit import Trail


def hold_or_open_case(
    order: Order, reason: HoldReason, message: str, trail: Trail, reference: str = ""
) -> bool:
    """Call with the order locked; returns whether anything was recorded. ``reference`` is
    the platform's own reference of what the case waits on (kept on the case, typed)."""
    stage = stage_of(OrderStatus(order.status))
    if stage not in (Stage.BEFORE_PICK, Stage.IN_WAREHOUSE):
        return False
    open_cases = ExceptionCase.objects.filter(
        order_id=order.id, kind=reason.value, status=ExceptionCase.OPEN
    )
    if open_cases.exists():
        return False  # said already
    problem = {"field": "status", "message": message, "code": reason.value}
    if stage == Stage.BEFORE_PICK and order.status != OrderStatus.ON_HOLD:
        cancellations.unplan(order, trail, reason.value)
        orders.hold_order(order, reason, [problem], trail)
    else:
        exceptions.open_case(
            Kind(reason.value),
            subject=f"order:{order.id}",
            summary=message,
            trail=trail,
            order_id=order.id,
            detail=[problem],
        )
    if reference:
        open_cases.update(reference=reference[:100])
    return True
