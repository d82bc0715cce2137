"""Outbound webhook subscriptions, their delivery log and replays; the message log."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from despatch.api.auth import access, actor, needs
from despatch.api.schemas import ObjectIn
from despatch.services import notifications, webhooks

router = Router(tags=["webhooks"])
messages_router = Router(tags=["notifications"])


class SubscriptionIn(ObjectIn):
    url: str = Field(min_length=1, max_length=500)
    events: list[str] = Field(min_length=1, max_length=20, description='event types, or ["*"]')
    secret: str = Field("", max_length=128, description="default: a new random secret")
    description: str = Field("", max_length=200)


class SubscriptionOut(Schema):
    id: str
    url: str
    events: list[str]
    description: str
    active: bool
    created_at: datetime


class NewSubscriptionOut(SubscriptionOut):
    secret: str = Field(description="shown once: sign checks use it")


class DeliveryOut(Schema):
    id: str
    subscription_id: str
    event_id: int
    event_type: str
    status: str
    attempts: int
    response_status: int | None
    response_body: str
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]


class MessageOut(Schema):
    id: str
    audience: str
    medium: str
    template: str
    topic: str
    order_id: str
    language: str
    recipient: str
    subject: str
    status: str
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None


class MessageDetailOut(MessageOut):
    body_text: str
    body_html: str


@router.get(
    "",
    response=list[SubscriptionOut],
    summary="Active subscriptions",
    auth=needs("webhooks.manage"),
)
def list_subscriptions(request: HttpRequest, all: bool = False) -> Any:
    return webhooks.subscriptions(include_inactive=all)


@router.post(
    "",
    response={201: NewSubscriptionOut},
    summary="Subscribe a URL to event types",
    auth=needs("webhooks.manage"),
)
def subscribe(request: HttpRequest, body: SubscriptionIn) -> Any:
    sub = webhooks.subscribe(
        url=body.url,
        events=body.events,
        secret=body.secret,
        description=body.description,
        actor=actor(request),
    )
    return Status(201, sub)


@router.get(
    "deliveries",
    response=list[DeliveryOut],
    summary="The delivery log, newest first",
    auth=needs("webhooks.manage"),
)
def deliveries(
    request: HttpRequest, subscription: str = "", status: str = "", limit: int = 100
) -> Any:
    return webhooks.deliveries(
        subscription=subscription, status=status, limit=max(1, min(limit, 1000))
    )


@router.get(
    "deliveries/{delivery_id}",
    response=DeliveryOut,
    summary="One delivery",
    auth=needs("webhooks.manage"),
)
def delivery(request: HttpRequest, delivery_id: str) -> Any:
    return webhooks.get_delivery(delivery_id)


@router.post(
    "deliveries/{delivery_id}/replay",
    response={202: DeliveryOut},
    summary="Send a delivery again (409 while it is still being tried)",
    auth=needs("webhooks.manage"),
)
def replay(request: HttpRequest, delivery_id: str) -> Any:
    return Status(202, webhooks.replay(delivery_id, actor=actor(request)))


# After the deliveries routes: otherwise GET deliveries matches {subscription_id}.
@router.delete(
    "{subscription_id}",
    response=SubscriptionOut,
    summary="Stop a subscription",
    auth=needs("webhooks.manage"),
)
def unsubscribe(request: HttpRequest, subscription_id: str) -> Any:
    return webhooks.unsubscribe(subscription_id, actor=actor(request))


@messages_router.get(
    "",
    response=list[MessageOut],
    summary="The message log, newest first",
    auth=needs("messages.read"),
)
def list_messages(
    request: HttpRequest, order_id: str = "", status: str = "", audience: str = "", limit: int = 100
) -> Any:
    return notifications.list_messages(
        order_id=order_id,
        status=status,
        audience=audience,
        limit=max(1, min(limit, 1000)),
        scope=access(request).scope,
    )


@messages_router.get(
    "{message_id}",
    response=MessageDetailOut,
    summary="One message, as sent",
    auth=needs("messages.read"),
)
def message(request: HttpRequest, message_id: str) -> Any:
    return notifications.get_message(message_id)


@messages_router.post(
    "{message_id}/resend",
    response={202: MessageOut},
    summary="Queue a failed message again (409 once it was sent)",
    auth=needs("messages.resend"),
)
def resend(request: HttpRequest, message_id: str) -> Any:
    return Status(202, notifications.resend(message_id, actor=actor(request)))
