"""Outbound webhooks: subscriptions, one signed delivery per fact and subscriber, replays.

``fan_out`` runs in the worker's transaction for a fact: one delivery row per active
subscription that wants its event type (unique per subscription and event, so a re-delivered
fact adds nothing) and a ``webhook.deliver`` event beside each. ``deliver`` makes one signed
POST outside any transaction and records the answer; a 5xx, a timeout or a refused connection
raises so the outbox retries with exponential backoff, and after the last retry the delivery
is ``failed`` until a person replays it. A 4xx is final: the receiver refused the content.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from despatch.config import current as configuration
from despatch.domain.errors import Conflict, FieldError, NotFound, Unavailable, ValidationFailed
from despatch.domain.events import Topic, backoff_after
from despatch.domain.ids import new_id
from despatch.domain.totals import plain
from despatch.domain.webhooks import (
    EVENT_TYPES,
    DeliveryStatus,
    event_type_of,
    subscribed,
    unknown_event_types,
)
from despatch.integrations import hooks
from despatch.models import Order, OutboxEvent, WebhookDelivery, WebhookSubscription
from despatch.services import outbox, reference
from despatch.services.audit import Trail


def subscribe(
    *, url: str, events: list[str], actor: str, secret: str = "", description: str = ""
) -> WebhookSubscription:
    errors = []
    try:
        URLValidator(schemes=["http", "https"])(url)
    except DjangoValidationError:
        errors.append(FieldError("url", f"{url!r} is not an http(s) URL", "invalid_url"))
    if not events:
        errors.append(FieldError("events", "name at least one event type, or *", "required"))
    unknown = unknown_event_types(events)
    if unknown:
        errors.append(
            FieldError(
                "events",
                f"unknown event type(s): {', '.join(unknown)}",
                "unknown_event_type",
                hint="one of: " + ", ".join(EVENT_TYPES),
            )
        )
    if not errors:
        errors += _address_errors(url)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        sub = WebhookSubscription.objects.create(
            id=new_id("webhook"),
            url=url,
            events=sorted(set(events)),
            secret=secret or secrets.token_hex(24),
            description=description[:200],
            created_at=timezone.now(),
        )
        trail = Trail(actor)
        shown = {"url": url, "events": sub.events, "description": sub.description}
        trail.change("webhook", sub.id, None, shown | {"secret": sub.secret}, action="subscribed")
        trail.save()
    return sub


def allow_private() -> bool:
    """``DESPATCH_WEBHOOK_ALLOW_PRIVATE=1``: receivers on loopback and private networks."""
    return configuration().webhook_allow_private


def _address_errors(url: str) -> list[FieldError]:
    if allow_private():
        return []
    try:
        hooks.resolve(url, public_only=True)
    except hooks.PrivateAddress as exc:
        return exc.errors
    except Unavailable:  # not resolvable yet: checked again, and refused, when sending
        return []
    return []


def unsubscribe(subscription_id: str, *, actor: str) -> WebhookSubscription:
    with transaction.atomic():
        sub = get_subscription(subscription_id)
        sub.active = False
        sub.save(update_fields=["active"])
        _cancel_queued(sub)
        trail = Trail(actor)
        trail.add(
            "webhook",
            sub.id,
            "unsubscribed",
            before={"active": True},
            after={"active": False},
            url=sub.url,
        )
        trail.save()
    return sub


def _cancel_queued(sub: WebhookSubscription) -> None:
    """Cancel the subscription's deliveries not yet sent, and make their outbox events due
    now: the worker settles each without sending it, instead of retrying it for hours."""
    queued = WebhookDelivery.objects.filter(
        subscription=sub, status__in=(DeliveryStatus.PENDING, DeliveryStatus.RETRYING)
    )
    ids = list(queued.values_list("id", flat=True))
    queued.update(status=DeliveryStatus.CANCELLED.value, last_error="unsubscribed")
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        outbox.due_now(str(Topic.WEBHOOK_DELIVER), "delivery_id", chunk)


def get_subscription(subscription_id: str) -> WebhookSubscription:
    sub = WebhookSubscription.objects.filter(id=subscription_id).first()
    if sub is None:
        raise NotFound("webhook subscription", subscription_id)
    return sub


def subscriptions(*, include_inactive: bool = False) -> list[WebhookSubscription]:
    rows = WebhookSubscription.objects.all()
    return list(rows if include_inactive else rows.filter(active=True))


def body_of(event: OutboxEvent, event_type: str) -> dict[str, Any]:
    """What subscribers receive: the event's facts and, when it is about an order, a summary."""
    data: dict[str, Any] = dict(event.payload)
    order_id = data.get("order_id")
    if order_id:
        order = Order.objects.filter(id=order_id).first()
        if order is not None:
            data["order"] = {
                "id": order.id,
                "channel": order.channel,
                "external_id": order.external_id,
                "status": order.status,
                "total": plain(order.total_amount, order.currency),
                "currency": order.currency,
            }
    return {
        "id": f"evt_{event.id}",
        "type": event_type,
        "created_at": event.created_at.isoformat(),
        "data": data,
    }


def fan_out(event: OutboxEvent) -> int:
    event_type = event_type_of(event.topic)
    if event_type is None or event.payload.get("again"):  # a re-run of a fact already told
        return 0
    wanted = [s for s in reference.subscriptions() if subscribed(s.events, event_type)]
    if not wanted:
        return 0
    body = body_of(event, event_type)
    now = timezone.now()
    new = 0
    for sub in wanted:
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    id=new_id("webhook_delivery"),
                    subscription=sub,
                    event_id=event.id,
                    event_type=event_type,
                    payload=body,
                    status=DeliveryStatus.PENDING.value,
                    created_at=now,
                )
        except IntegrityError:  # this fact already reached this subscriber
            continue
        outbox.save([outbox.emit(Topic.WEBHOOK_DELIVER, delivery.id, now, delivery_id=delivery.id)])
        new += 1
    return new


def deliver(delivery_id: str, attempt: int) -> str:
    """One signed POST (outside a transaction); raises :class:`Unavailable` to be retried."""
    delivery = WebhookDelivery.objects.select_related("subscription").filter(id=delivery_id).first()
    if delivery is None:  # its subscription was deleted, and its deliveries with it
        return "gone"
    if delivery.status in (DeliveryStatus.DELIVERED, DeliveryStatus.CANCELLED):
        return f"already_{delivery.status}"
    sub = delivery.subscription
    if not sub.active:  # unsubscribed since it was queued: nobody wants it any more
        WebhookDelivery.objects.filter(id=delivery.id).update(
            status=DeliveryStatus.CANCELLED.value, last_error="the subscription is inactive"
        )
        return "cancelled"
    body = json.dumps(delivery.payload, sort_keys=True).encode()
    try:
        answer = hooks.post(
            sub.url,
            body,
            sub.secret,
            headers={"Despatch-Event": delivery.event_type},
            public_only=not allow_private(),
        )
    except hooks.PrivateAddress as exc:  # checked again at send time: DNS may have changed
        _failed(delivery, attempt, None, "", exc.detail, final=True)
        return "refused"
    except Unavailable as exc:
        _failed(delivery, attempt, None, "", exc.detail)
        raise
    if answer.ok:
        WebhookDelivery.objects.filter(id=delivery.id).update(
            status=DeliveryStatus.DELIVERED.value,
            attempts=attempt,
            response_status=answer.status,
            response_body=answer.body,
            last_error="",
            delivered_at=timezone.now(),
        )
        return "delivered"
    error = f"{sub.url} answered {answer.status}"
    if 300 <= answer.status < 400:
        error += ": redirects are not followed"
    if 300 <= answer.status < 500 and answer.status not in (408, 429):
        _failed(delivery, attempt, answer.status, answer.body, error, final=True)
        return "refused"
    _failed(delivery, attempt, answer.status, answer.body, error)
    raise Unavailable(error)


def _failed(
    delivery: WebhookDelivery,
    attempt: int,
    status: int | None,
    body: str,
    error: str,
    *,
    final: bool = False,
) -> None:
    dead = final or backoff_after(attempt) is None
    WebhookDelivery.objects.filter(id=delivery.id).update(
        status=(DeliveryStatus.FAILED if dead else DeliveryStatus.RETRYING).value,
        attempts=attempt,
        response_status=status,
        response_body=body,
        last_error=error[:2000],
    )


def replay(delivery_id: str, *, actor: str) -> WebhookDelivery:
    """Send a delivery again, whatever its status (a receiver lost it, or was down too long)."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(id=delivery_id).first()
        if delivery is None:
            raise NotFound("webhook delivery", delivery_id)
        if delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.RETRYING):
            raise Conflict(f"delivery {delivery.id} is {delivery.status}: it will be tried again")
        before = delivery.status
        delivery.status = DeliveryStatus.PENDING.value
        delivery.attempts = 0
        delivery.delivered_at = None
        delivery.save(update_fields=["status", "attempts", "delivered_at"])
        trail = Trail(actor)
        trail.add("webhook_delivery", delivery.id, "replayed", before=before, after="pending")
        trail.save()
        outbox.save([outbox.emit(Topic.WEBHOOK_DELIVER, delivery.id, delivery_id=delivery.id)])
    return delivery


def replay_failed(*, actor: str, since: datetime | None = None, subscription: str = "") -> int:
    rows = WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED)
    if since:
        rows = rows.filter(created_at__gte=since)
    if subscription:
        rows = rows.filter(subscription_id=subscription)
    count = 0
    for delivery_id in rows.values_list("id", flat=True):
        replay(delivery_id, actor=actor)
        count += 1
    return count


def deliveries(
    *, subscription: str = "", status: str = "", limit: int = 200
) -> list[WebhookDelivery]:
    if status and status not in DeliveryStatus.__members__.values():
        raise ValidationFailed.single("status", f"unknown status {status!r}", "unknown_status")
    rows = WebhookDelivery.objects.select_related("subscription")
    if subscription:
        rows = rows.filter(subscription_id=subscription)
    if status:
        rows = rows.filter(status=status)
    return list(rows[:limit])


def get_delivery(delivery_id: str) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.filter(id=delivery_id).first()
    if delivery is None:
        raise NotFound("webhook delivery", delivery_id)
    return delivery
