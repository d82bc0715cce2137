"""Fraud screening at validation: score every order, hold the risky ones for review.

The customer's history is looked up by email (indexed): earlier orders, earlier cancellations
and orders in the last 24 hours. The score and its reasons are kept on the order and in its
audit trail; at or above the threshold the order is held ``fraud_review`` with a case in the
``fraud`` queue. A person who releases it clears it: it is not screened again.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import connection

from despatch.domain.allocation_state import AllocationState
from despatch.domain.fraud import Facts, assess
from despatch.domain.orders import HoldReason, OrderStatus
from despatch.models import Order
from despatch.services.audit import Trail
from despatch.services.orders import hold_order


def facts_of(order: Order) -> Facts:
    email = order.customer_email.strip().lower()
    earlier = cancelled = last_day = 0
    if email:
        earlier, cancelled, last_day = _history(email, order)
    return Facts(
        total=Decimal(order.total_amount),
        service=order.requested_service,
        has_email=bool(email),
        has_phone=bool(str(order.shipping_address.get("phone", "")).strip()),
        earlier_orders=earlier,
        earlier_cancelled=cancelled,
        orders_last_day=last_day,
        billing_country=str((order.billing_address or {}).get("country", "")),
        shipping_country=str(order.shipping_address.get("country", "")),
    )


# The customer's history by the email without case, through the index on lower(email) (migration
# 0033): the ORM's iexact would compare UPPER() on PostgreSQL and LIKE on SQLite, which no
# index serves, so every validation would read every order stored.
_HISTORY = (
    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = %s THEN 1 ELSE 0 END), 0),"
    " COALESCE(SUM(CASE WHEN created_at >= %s THEN 1 ELSE 0 END), 0)"
    " FROM despatch_order WHERE lower(customer_email) = %s AND created_at < %s AND id <> %s"
)


def _history(email: str, order: Order) -> tuple[int, int, int]:
    since = order.created_at - timedelta(hours=24)
    prep = Order._meta.get_field("created_at").get_db_prep_value
    params = [OrderStatus.CANCELLED.value, prep(since, connection), email]
    params += [prep(order.created_at, connection), order.id]
    with connection.cursor() as cursor:
        cursor.execute(_HISTORY, params)
        earlier, cancelled, last_day = cursor.fetchone()
    return int(earlier), int(cancelled), int(last_day)


def screen(order: Order, trail: Trail) -> bool:
    """Score the order (locked by the caller); returns True when it was held for review."""
    if AllocationState.read(order.allocation).fraud_cleared:
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
