"""Which use case handles which outbox topic, and whether it runs inside a transaction.

Each handler is registered with ``@handler(topic)``. A handler that talks to another server
(a platform, a gateway, a refund service, a webhook receiver) is registered with
``transactional=False``: it runs with no transaction open, reading, then calling, then
writing in short transactions of its own (ARCHITECTURE.md §9 rule 4). Every other handler
runs in one transaction with the settling of its event.

Every fact is also offered to its subscribers: customer notifications and staff alerts
(``notifications.fan_out``) and outbound webhooks (``webhooks.fan_out``), in the transaction
that settles the event. Topics with neither a handler nor a subscriber are settled as delivered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from despatch.domain.events import Topic
from despatch.domain.notifications import triggers_for
from despatch.domain.webhooks import event_type_of
from despatch.models import OutboxEvent
from despatch.services import (
    allocation,
    channels,
    listings,
    notifications,
    outbox,
    refunds,
    webhooks,
)
from despatch.services.outbox import Handler


@dataclass(frozen=True)
class Registration:
    handler: Handler
    transactional: bool = True


HANDLERS: dict[str, Registration] = {}


def handler(topic: Topic | str, *, transactional: bool = True) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``topic``."""

    def register(fn: Handler) -> Handler:
        HANDLERS[str(topic)] = Registration(fn, transactional)
        return fn

    return register


@handler(Topic.ORDER_RECEIVED)
def _received(event: OutboxEvent) -> None:
    allocation.process_received(event.payload["order_id"])


@handler("order.reservation_expired")
def _expired(event: OutboxEvent) -> None:
    allocation.reprocess_validated(event.payload["order_id"])


@handler(Topic.STOCK_RECEIVED)
def _stock_received(event: OutboxEvent) -> None:
    allocation.retry_backorders(event.payload["sku"])
    listings.mark_dirty([event.payload["sku"]])


@handler(Topic.STOCK_FREED)
def _stock_freed(event: OutboxEvent) -> None:
    allocation.retry_backorders(event.payload["sku"])


@handler(Topic.STOCK_ADJUSTED)
@handler(Topic.STOCK_CHANGED)
def _stock_moved(event: OutboxEvent) -> None:
    listings.mark_dirty(event.payload.get("skus") or [event.payload["sku"]])


@handler(Topic.SHIPMENT_DESPATCHED, transactional=False)  # tells the channel (its API)
def _despatched(event: OutboxEvent) -> None:
    channels.write_back(event.payload["shipment_id"])


@handler(Topic.CHANNEL_DELIVERY_RECEIVED, transactional=False)  # may fetch the order (BigCommerce)
def _delivery(event: OutboxEvent) -> None:
    channels.process_delivery(event.payload["delivery"])


@handler(Topic.MESSAGE_SEND, transactional=False)  # SMTP or the SMS gateway
def _send_message(event: OutboxEvent) -> None:
    notifications.send(event.payload["message_id"], event.attempts + 1)


@handler(Topic.WEBHOOK_DELIVER, transactional=False)  # the subscriber's server
def _deliver_webhook(event: OutboxEvent) -> None:
    webhooks.deliver(event.payload["delivery_id"], event.attempts + 1)


@handler(Topic.REFUND_PROCESS, transactional=False)  # the refund service
def _process_refund(event: OutboxEvent) -> None:
    refunds.process(event.payload["refund_id"], event.attempts + 1)


@dataclass(frozen=True)
class Route:
    """What the worker does with one event."""

    handler: Handler | None
    transactional: bool
    subscribed: bool


def _subscribed(topic: str) -> bool:
    return bool(triggers_for(topic)) or event_type_of(topic) is not None


def route_for(topic: str) -> Route | None:
    """The route of ``topic``, or None for a fact nobody handles (it is settled at once)."""
    registered = HANDLERS.get(topic)
    subscribed = _subscribed(topic)
    if registered is None:
        return Route(None, True, True) if subscribed else None
    return Route(registered.handler, registered.transactional, subscribed)


def run(event: OutboxEvent, route: Route, worker_id: str) -> None:
    """Run the event's handler, offer the event to its subscribers and settle it."""
    if route.handler is not None and not route.transactional:
        route.handler(event)  # no transaction open while it waits on another server
    with transaction.atomic():
        if route.handler is not None and route.transactional:
            route.handler(event)
        if route.subscribed:
            notifications.fan_out(event)
            webhooks.fan_out(event)
        outbox.settle_done([event.id], worker_id)
