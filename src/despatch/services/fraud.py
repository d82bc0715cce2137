"""Fraud screening at validation: score every order, hold the risky ones for review.

The customer's history is looked up by email (indexed): earlier orders, earlier cancellations
and orders in the last 24 hours. The score and its reasons are kept on the order and in its
audit trail; at or above the threshold the order is held ``fraud_review`` with a case in the
``fraud`` queue. A person who releases it clears it: it is not screened again.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q

from despatch.domain.fraud import Facts, assess
from despatch.domain.orders import HoldReason, OrderStatus
from despatch.models import Order
from despatch.services.audit import Trail
from despatch.services.orders import hold_order


def facts_of(order: Order) -> Facts:
    email = order.customer_email.strip().lower()
    earlier = cancelled = last_day = 0
    if email:
        counts = (
            Order.objects.filter(customer_email__iexact=email, created_at__lt=order.created_at)
            .exclude(id=order.id)
            .aggregate(
                earlier=Count("id"),
                cancelled=Count("id", filter=Q(status=OrderStatus.CANCELLED)),
                last_day=Count(
                    "id", filter=Q(created_at__gte=order.created_at - timedelta(hours=24))
                ),
            )
        )
        earlier, cancelled, last_day = counts["earlier"], counts["cancelled"], counts["last_day"]
    return Facts(
        total=Decimal(order.total_amount),
        service=order.requested_service,
        has_email=bool(email),
        has_phone=bool(str(order.shipping_address.get("phone", "")).strip()),
        earlier_orders=earlier,
        earlier_cancelled=cancelled,
        orders_last_day=last_day,
    )


def screen(order: Order, trail: Trail) -> bool:
    """Score the order (locked by the caller); returns True when it was held for review."""
    if order.allocation.get("fraud_cleared"):
        return False
    result = assess(facts_of(order))
    if result.score:  # nothing found leaves the score empty (and saves a write per order)
        order.fraud_score, order.fraud_reasons = result.score, list(result.reasons)
        order.save(update_fields=["fraud_score", "fraud_reasons"])
        trail.add(
            "order",
            order.id,
            "fraud_scored",
            order_id=order.id,
            reason_code="fraud_review" if result.hold else "fraud_scored",
            after=result.score,
            reasons=list(result.reasons),
        )
    if not result.hold:
        return False
    problems = [
        {"field": "order", "message": f"fraud score {result.score}: {why}", "code": "fraud_review"}
        for why in result.reasons
    ]
    hold_order(order, HoldReason.FRAUD_REVIEW, problems, trail)
    return True
