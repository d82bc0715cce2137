"""Which use case handles which outbox topic, and whether it runs inside a transaction.

Each handler is registered with ``@handler(Topic.X, transactional=…)``: its topic, a member
of the Topic enum, and whether it runs inside the transaction that settles its event. A
handler that talks to another server (a platform, a gateway, a refund service, a webhook
receiver) says ``transactional=False``: it runs with no transaction open, reading, then
calling, then writing in short transactions of its own (docs/architecture.md). Every other handler
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
    channels,
    deferred,
    listings,
    notifications,
    outbox,
    partials,
    platform_sync,
    reference,
    refunds,
    sourcing,
    webhooks,
    write_backs,
)
from despatch.services.outbox import Handler


@dataclass(frozen=True)
class Registration:
    handler: Handler
    transactional: bool = True  # @handler always says it; tests register fakes
    batched: bool = False


HANDLERS: dict[str, Registration] = {}


def handler(
    topic: Topic, *, transactional: bool, batched: bool = False
) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``topic``. A ``batched`` handler may
    run with other events of a worker's batch in one transaction (``run_together``): it writes
    through ``deferred`` and never reads back rows it asked to insert."""

    def register(fn: Handler) -> Handler:
        HANDLERS[str(topic)] = Registration(fn, transactional, batched)
        return fn

    return register


@handler(Topic.ORDER_RECEIVED, transactional=True, batched=True)
def _received(event: OutboxEvent) -> None:
    sourcing.process_received(event.payload["order_id"])


@handler(Topic.ORDER_RESERVATION_EXPIRED, transactional=True)
def _expired(event: OutboxEvent) -> None:
    sourcing.reprocess_validated(event.payload["order_id"])


@handler(Topic.STOCK_RECEIVED, transactional=True)
def _stock_received(event: OutboxEvent) -> None:
    sourcing.retry_backorders(event.payload["sku"])
    partials.retry_remainders(event.payload["sku"])  # orders already on their way
    listings.mark_dirty([event.payload["sku"]])


@handler(Topic.STOCK_FREED, transactional=True)
def _stock_freed(event: OutboxEvent) -> None:
    sourcing.retry_backorders(event.payload["sku"])
    partials.retry_remainders(event.payload["sku"])  # orders already on their way


@handler(Topic.STOCK_ADJUSTED, transactional=True)
@handler(Topic.STOCK_CHANGED, transactional=True)
def _stock_moved(event: OutboxEvent) -> None:
    listings.mark_dirty(event.payload.get("skus") or [event.payload["sku"]])


@handler(Topic.SHIPMENT_DESPATCHED, transactional=False)  # tells the channel (its API)
def _despatched(event: OutboxEvent) -> None:
    write_backs.confirm_shipment(event.payload["shipment_id"], event.attempts + 1)


@handler(Topic.CHANNEL_DELIVERY_RECEIVED, transactional=False)  # may fetch the order (BigCommerce)
def _delivery(event: OutboxEvent) -> None:
    channels.process_delivery(event.payload["delivery"])


@handler(Topic.MESSAGE_SEND, transactional=False)  # SMTP or the SMS gateway
def _send_message(event: OutboxEvent) -> None:
    notifications.send(event.payload["message_id"], event.attempts + 1)


@handler(Topic.WEBHOOK_DELIVER, transactional=False)  # the subscriber's server
def _deliver_webhook(event: OutboxEvent) -> None:
    webhooks.deliver(event.payload["delivery_id"], event.attempts + 1)


@handler(Topic.ORDER_CANCELLED, transactional=False)  # tells the platform (its API)
def _cancelled(event: OutboxEvent) -> None:
    order_id = event.payload["order_id"]
    platform_sync.cancel_on_platform(
        order_id,
        reason=event.payload.get("reason", ""),
        lines=None,
        key=f"cancel:{order_id}",
        attempt=event.attempts + 1,
    )


@handler(Topic.ORDER_LINES_CANCELLED, transactional=False)  # tells the platform (its API)
def _lines_cancelled(event: OutboxEvent) -> None:
    platform_sync.cancel_on_platform(
        event.payload["order_id"],
        reason=event.payload.get("reason", ""),
        lines=event.payload.get("lines") or [],
        key=f"lines:{event.id}",
        attempt=event.attempts + 1,
    )


@handler(Topic.REFUND_PROCESS, transactional=False)  # the platform, or the refund service
def _process_refund(event: OutboxEvent) -> None:
    refunds.process(event.payload["refund_id"], event.attempts + 1)


@dataclass(frozen=True)
class Route:
    """What the worker does with one event."""

    handler: Handler | None
    transactional: bool
    subscribed: bool
    batched: bool = False


def _subscribed(topic: str) -> bool:
    return bool(triggers_for(topic)) or event_type_of(topic) is not None


def route_for(topic: str) -> Route | None:
    """The route of ``topic``, or None for a fact nobody handles (it is settled at once)."""
    registered = HANDLERS.get(topic)
    subscribed = _subscribed(topic)
    if registered is None:  # a fact for subscribers only: their fan-out batches
        return Route(None, True, True, batched=True) if subscribed else None
    return Route(registered.handler, registered.transactional, subscribed, registered.batched)


def run(event: OutboxEvent, route: Route, worker_id: str) -> None:
    """Run the event's handler, offer the event to its subscribers and settle it."""
    if route.handler is not None and not route.transactional:
        route.handler(event)  # no transaction open while it waits on another server
    with transaction.atomic(), reference.pinned():
        _handle(event, route)
        outbox.settle_done([event.id], worker_id)


def _handle(event: OutboxEvent, route: Route) -> None:
    if route.handler is not None and route.transactional:
        route.handler(event)
    if route.subscribed:
        notifications.fan_out(event)
        webhooks.fan_out(event)


def run_together(events: list[OutboxEvent], routes: list[Route], worker_id: str) -> None:
    """Run batched events in one transaction: one commit, the received orders locked and read
    together, reference data checked once, and every row written as one INSERT per table at
    the end (``deferred``). If one fails, nothing is kept and the exception propagates: the
    worker then runs each event on its own, so a failing event fails alone."""
    received = [e.payload["order_id"] for e in events if e.topic == Topic.ORDER_RECEIVED]
    with transaction.atomic(), reference.pinned(), sourcing.preloaded(received):
        with deferred.together():
            for event, route in zip(events, routes, strict=True):
                _handle(event, route)
        outbox.settle_done([e.id for e in events], worker_id)
