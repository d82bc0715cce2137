"""Domain events: facts, named in the past tense, stored in the outbox with the change.

Every topic the code emits is a member of :class:`Topic` (never a bare string), and every
member is emitted somewhere: tests/unit/test_topics.py checks both."""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    ORDER_RECEIVED = "order.received"
    ORDER_HELD = "order.held"
    ORDER_RELEASED = "order.released"
    ORDER_BACKORDERED = "order.backordered"
    ORDER_RESERVATION_EXPIRED = "order.reservation_expired"  # its stock was let go
    ORDER_OVERSOLD = "order.oversold"
    ORDER_ALLOCATED = "order.allocated"
    ORDER_CANCELLED = "order.cancelled"
    CHANNEL_DELIVERY_RECEIVED = "channel.delivery_received"
    PICK_SHORT = "pick.short"
    PACK_WEIGHT_MISMATCH = "pack.weight_mismatch"
    SHIPMENT_LABELLED = "shipment.labelled"
    SHIPMENT_LABEL_VOIDED = "shipment.label_voided"  # its label given up: it may be labelled again
    SHIPMENT_DESPATCHED = "shipment.despatched"
    SHIPMENT_OUT_FOR_DELIVERY = "shipment.out_for_delivery"
    SHIPMENT_DELIVERED = "shipment.delivered"
    SHIPMENT_LATE = "shipment.late"  # past its promised delivery date and not delivered
    SHIPMENT_INTERCEPT_REQUESTED = "shipment.intercept_requested"
    ORDER_LINES_CANCELLED = "order.lines_cancelled"
    RETURN_REQUESTED = "return.requested"
    RETURN_RECEIVED = "return.received"
    REFUND_REQUESTED = "refund.requested"
    REFUND_APPROVED = "refund.approved"
    REFUND_SUCCEEDED = "refund.succeeded"
    REFUND_FAILED = "refund.failed"
    # work for senders: the network call runs outside the database transaction
    MESSAGE_SEND = "message.send"
    WEBHOOK_DELIVER = "webhook.deliver"
    REFUND_PROCESS = "refund.process"
    SHIPMENT_TRACKING_WARNING = "shipment.tracking_warning"
    EXCEPTION_OPENED = "exception.opened"
    EXCEPTION_ESCALATED = "exception.escalated"
    EXCEPTION_RESOLVED = "exception.resolved"
    STOCK_RECEIVED = "stock.received"
    STOCK_ADJUSTED = "stock.adjusted"
    STOCK_CHANGED = "stock.changed"  # reserved or released: what channels may sell moved
    STOCK_FREED = "stock.freed"  # released units that backordered orders are waiting for


# Topics whose handler calls another server (a platform, a gateway, a webhook receiver): they
# run outside a transaction (``transactional=False``) and may be slow or fail for a long time,
# so the outbox claims them in a lane of their own and leaves them out of the pipeline's lag.
SENDERS = frozenset(
    {
        Topic.SHIPMENT_DESPATCHED,
        Topic.CHANNEL_DELIVERY_RECEIVED,
        Topic.MESSAGE_SEND,
        Topic.WEBHOOK_DELIVER,
        Topic.ORDER_CANCELLED,
        Topic.ORDER_LINES_CANCELLED,
        Topic.REFUND_PROCESS,
    }
)


def sender_share(limit: int) -> int:
    """How many of a claim of ``limit`` events may go to senders: a tenth, at least one (none
    when the claim is of one event: then senders wait for a round with no pipeline work)."""
    return max(limit // 10, 1) if limit > 1 else 0


# Retry schedule for failing handlers: seconds before attempt n+1; past its end, dead.
RETRY_BACKOFF_SECONDS = (1, 5, 30, 120, 600)


def backoff_after(attempts: int) -> int | None:
    """Seconds to wait after ``attempts`` failures, or None when the event is dead."""
    if attempts > len(RETRY_BACKOFF_SECONDS):
        return None
    return RETRY_BACKOFF_SECONDS[attempts - 1]


def reconnect_delay(attempt: int, *, base: float, cap: float, draw: float) -> float:
    """Seconds to wait before reconnecting after ``attempt`` failures in a row: capped
    exponential backoff with "equal jitter" (half the step fixed, half drawn from ``draw``
    in [0, 1)), so that many workers that lost one database do not return all at once."""
    step = min(cap, base * 2.0 ** max(0, attempt - 1))
    return step / 2 + step / 2 * draw
