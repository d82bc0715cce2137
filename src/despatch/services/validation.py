"""Validation of a received order: SKUs, address and contact, payment release, rules and
fraud screening; the order is held with typed reasons or moves to validated."""

from __future__ import annotations

from despatch.domain.addresses import Address
from despatch.domain.allocation_state import AllocationState
from despatch.domain.channel_settings import ChannelSettings, awaiting_payment
from despatch.domain.errors import FieldError
from despatch.domain.orders import (
    HoldReason,
    OrderEvent,
    PaymentStatus,
    hold_reasons,
)
from despatch.integrations import contact_checks
from despatch.models import (
    Order,
    OrderLine,
)
from despatch.services import fraud, reference, rules, service_maps, sku_maps
from despatch.services.audit import Trail
from despatch.services.orders import (
    channel_settings,
    hold_order,
    payment_releases,
    set_status,
)
from despatch.services.reservations import hold_stock_unpaid


def validate(order: Order, trail: Trail, lines: list[OrderLine]) -> bool:
    """Hold the order with typed reasons, or move it to validated."""
    known = _known(lines)
    if sku_maps.map_unknown(order, lines, known, trail):  # the channel's remembered mapping
        known = _known(lines)
    address = Address.from_dict(order.shipping_address)
    problems = hold_reasons(
        ((i, line.sku) for i, line in enumerate(lines)),
        known,
        address,
        PaymentStatus(order.payment_status),
    )
    if not address.problems():  # the country's own rules, once the basics are there
        problems += contact_checks.contact_problems(address, order.customer_email)
    unknown_service = service_maps.check(order, trail)  # the channel's service map
    if unknown_service is not None:
        problems.append(unknown_service)
    policy = ChannelSettings.read(channel_settings(order.channel))
    if policy.cash_on_delivery:  # the courier must reach the customer to be paid
        problems += contact_checks.cash_on_delivery_problems(address, order.customer_email)
    elif policy.phone_required:  # the channel's carrier will not take a parcel without
        problems += contact_checks.phone_needed_problems(address, "this channel's carrier")
    problems = [p for p in problems if p.field != "payment_status"]  # the channel's policy:
    payment = _payment_problem(order)
    if payment is not None:
        problems.insert(0, payment)
    if problems:
        reason = HoldReason(problems[0].code)
        found = [service_maps.detail(p.as_dict(), order) for p in problems]
        hold_order(order, reason, found, trail)
        if reason == HoldReason.AWAITING_PAYMENT and len(problems) == 1:
            hold_stock_unpaid(order, trail, lines)
        return False
    ruled = rules.apply(order, trail, lines)
    if ruled:
        kind, message, rule = ruled
        problem = {"field": "order", "message": message, "code": kind, "rule": rule}
        order.save(update_fields=["allocation"])
        hold_order(order, HoldReason(kind), [problem], trail)
        return False
    if fraud.screen(order, trail):
        return False
    set_status(order, OrderEvent.VALIDATE, trail)
    return True


def _payment_problem(order: Order) -> FieldError | None:
    """Why the payment keeps the order, if it does: refunded in full, the finance queue's
    ``payment_refunded`` (as when the refund arrives later, services/payments.py) unless a
    person released that hold; otherwise ``awaiting_payment`` when the payment does not
    release it on this channel."""
    status = PaymentStatus(order.payment_status)
    if status == PaymentStatus.REFUNDED:
        if AllocationState.read(order.allocation).refund_accepted:
            return None  # a person released the refunded order: it ships, as decided
        return FieldError("payment_status", REFUNDED_MESSAGE, HoldReason.PAYMENT_REFUNDED)
    return None if payment_releases(order) else awaiting_payment(status)


REFUNDED_MESSAGE = (
    "the channel says the whole order was refunded before it was despatched: do not ship it; "
    "cancel it, or release it once the money is taken again"
)


def _known(lines: list[OrderLine]) -> set[str]:
    return reference.active_skus(line.sku for line in lines)
