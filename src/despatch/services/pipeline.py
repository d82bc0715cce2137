"""Which use case handles which outbox topic.

Every fact is also offered to its subscribers: customer notifications and staff alerts
(``notifications.fan_out``) and outbound webhooks (``webhooks.fan_out``), in the same
transaction as the fact's own handler. Senders (``message.send``, ``webhook.deliver``) talk
to other servers, so they run outside a database transaction (:data:`UNWRAPPED`). Topics
with neither a handler nor a subscriber are settled as delivered.
"""

from __future__ import annotations

from despatch.domain.events import Topic
from despatch.domain.notifications import triggers_for
from despatch.domain.webhooks import event_type_of
from despatch.models import OutboxEvent
from despatch.services import allocation, channels, listings, notifications, refunds, webhooks
from despatch.services.outbox import Handler


def _received(event: OutboxEvent) -> None:
    allocation.process_received(event.payload["order_id"])


def _expired(event: OutboxEvent) -> None:
    allocation.reprocess_validated(event.payload["order_id"])


def _stock_received(event: OutboxEvent) -> None:
    allocation.retry_backorders(event.payload["sku"])
    listings.mark_dirty([event.payload["sku"]])


def _stock_freed(event: OutboxEvent) -> None:
    allocation.retry_backorders(event.payload["sku"])


def _stock_moved(event: OutboxEvent) -> None:
    listings.mark_dirty(event.payload.get("skus") or [event.payload["sku"]])


def _despatched(event: OutboxEvent) -> None:
    channels.write_back(event.payload["shipment_id"])


def _delivery(event: OutboxEvent) -> None:
    channels.process_delivery(event.payload["delivery"])


HANDLERS: dict[str, Handler] = {
    Topic.CHANNEL_DELIVERY_RECEIVED.value: _delivery,
    Topic.ORDER_RECEIVED.value: _received,
    "order.reservation_expired": _expired,
    Topic.STOCK_FREED.value: _stock_freed,
    Topic.STOCK_RECEIVED.value: _stock_received,
    Topic.STOCK_ADJUSTED.value: _stock_moved,
    Topic.STOCK_CHANGED.value: _stock_moved,
    Topic.SHIPMENT_DESPATCHED.value: _despatched,
}


def _send_message(event: OutboxEvent) -> None:
    notifications.send(event.payload["message_id"], event.attempts + 1)


def _deliver_webhook(event: OutboxEvent) -> None:
    webhooks.deliver(event.payload["delivery_id"], event.attempts + 1)


def _process_refund(event: OutboxEvent) -> None:
    refunds.process(event.payload["refund_id"], event.attempts + 1)


SENDERS: dict[str, Handler] = {
    Topic.REFUND_PROCESS.value: _process_refund,
    Topic.MESSAGE_SEND.value: _send_message,
    Topic.WEBHOOK_DELIVER.value: _deliver_webhook,
}
UNWRAPPED = frozenset(SENDERS)


def _subscribed(topic: str) -> bool:
    return bool(triggers_for(topic)) or event_type_of(topic) is not None


def _with_subscribers(handler: Handler | None) -> Handler:
    def handle(event: OutboxEvent) -> None:
        if handler is not None:
            handler(event)
        notifications.fan_out(event)
        webhooks.fan_out(event)

    return handle


def handler_for(topic: str) -> Handler | None:
    if topic in SENDERS:
        return SENDERS[topic]
    handler = HANDLERS.get(topic)
    return _with_subscribers(handler) if _subscribed(topic) else handler
