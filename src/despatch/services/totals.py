"""Order totals: the platform's stated total checked against the order's parts, and the
order's money as every edge shows it."""

from __future__ import annotations

from django.db import transaction

from despatch.domain.exceptions import Kind
from despatch.domain.orders import HoldReason, OrderDraft, OrderStatus
from despatch.domain.totals import OrderMoney, TotalCheck
from despatch.models import Order
from despatch.services import exceptions
from despatch.services.audit import Trail
from despatch.services.orders import hold_order, lock_order


def check_total(order_id: str, draft: OrderDraft, *, actor: str, hold: bool = True) -> bool:
    """A new order whose stated total differs from its parts is held ``total_mismatch`` in the
    finance queue, naming both amounts; one the channel ships itself (``hold=False``) is not
    ours to hold, so only the case opens. Returns whether they differed."""
    problem = TotalCheck(draft.total, draft.stated_total).problem()
    if problem is None:
        return False
    with transaction.atomic():
        order = lock_order(order_id)
        trail = Trail(actor)
        if hold and order.status == OrderStatus.RECEIVED:
            hold_order(order, HoldReason.TOTAL_MISMATCH, [problem.as_dict()], trail)
        else:
            exceptions.open_case(
                Kind.TOTAL_MISMATCH,
                subject=f"order:{order.id}",
                summary=problem.message,
                trail=trail,
                order_id=order.id,
                detail=[problem.as_dict()],
            )
        trail.save()
    return True


def money_of(order: Order) -> OrderMoney:
    """The order's money as every edge shows it: total paid, tax, discounts, presentment."""
    return OrderMoney(
        currency=order.currency,
        total=order.total_amount,
        tax_total=order.tax_amount,
        taxes_included=order.taxes_included,
        discount_total=order.discount_amount,
        shipping_total=order.shipping_amount,
        fee_total=order.fee_amount,
        presentment_currency=order.presentment_currency,
        presentment_total=order.presentment_total,
        computed_total=order.computed_total,
    )
