"""Which use case handles which outbox topic. Topics without a handler are facts for
subscribers (outbound webhooks, notifications) and are settled as delivered."""

from __future__ import annotations

from despatch.domain.events import Topic
from despatch.models import OutboxEvent
from despatch.services import allocation, channels, listings
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


def handler_for(topic: str) -> Handler | None:
    return HANDLERS.get(topic)
