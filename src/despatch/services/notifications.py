"""Customer notifications and staff alerts: facts from the outbox become logged messages.

``fan_out`` runs inside the worker's transaction for a fact (``shipment.despatched``): it
renders each message the fact triggers, stores it under a unique key and queues a
``message.send`` event beside it. ``send`` runs outside any transaction (it talks to an SMTP
server or an SMS gateway), marks the message sent, or records the failure and raises so the
outbox retries with backoff. A message already sent is never sent again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from despatch.config import current as configuration
from despatch.domain.calendars import day_text
from despatch.domain.channel_settings import ChannelSettings
from despatch.domain.errors import Conflict, NotFound, Unavailable, ValidationFailed
from despatch.domain.events import Topic, backoff_after
from despatch.domain.ids import new_id
from despatch.domain.notifications import (
    Audience,
    Medium,
    MessageStatus,
    Trigger,
    message_key,
    subject_of,
    triggers_for,
)
from despatch.domain.permissions import Scope
from despatch.domain.totals import plain
from despatch.integrations import hooks, mail, notices
from despatch.models import Channel, ExceptionCase, Message, Order, OutboxEvent, Shipment
from despatch.services import outbox, scopes
from despatch.services.audit import Trail

REASON_TEXT = {
    "customer_request": "you asked us to cancel it",
    "out_of_stock": "we could not get the item in stock",
    "payment_failed": "the payment did not go through",
    "fraud": "we could not verify the order",
    "address_problem": "we could not deliver to the address given",
    "duplicate": "it duplicated another order",
    "channel_cancelled": "the marketplace cancelled it",
    "other": "of a problem on our side",
}
WARNING_TEXT = {
    "attempted_delivery": "The carrier tried to deliver your parcel but could not.",
    "delayed": "The carrier reports your parcel is delayed.",
    "exception": "The carrier reports a problem with your parcel.",
    "returned_to_sender": "The carrier is returning your parcel to us.",
    "late": "Your parcel has not arrived by the date we promised.",
}


def public_url() -> str:
    return configuration().public_url


def staff_recipients() -> list[str]:
    return list(configuration().staff_alert_emails)


def email_configured() -> bool:
    """Email goes out once an SMTP server is named; until then nothing is queued."""
    return bool(configuration().smtp_host)


def sms_gateway() -> tuple[str, str]:
    return (configuration().sms_webhook_url, configuration().sms_webhook_secret)


def tracking_url(shipment: Shipment, settings: dict[str, Any]) -> str:
    pattern = ChannelSettings.read(settings).tracking_url or configuration().tracking_url
    if pattern:
        return str(pattern).format(
            tracking_number=shipment.tracking_number, carrier=shipment.carrier
        )
    return f"{public_url()}/track/{shipment.tracking_number}/"


def _order_view(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "external_id": order.external_id,
        "channel": order.channel,
        "customer_name": order.customer_name,
        "status": order.status,
        "total": f"{plain(order.total_amount, order.currency)} {order.currency}",
        "promise_date": day_text(order.promise_date) if order.promise_date else "",  # as the UI
        "lines": [
            {"sku": li.sku, "name": li.name, "quantity": li.quantity} for li in order.lines.all()
        ],
    }


def _shipment_view(shipment: Shipment, settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": shipment.id,
        "carrier": shipment.carrier,
        "service": shipment.service,
        "tracking_number": shipment.tracking_number,
        "tracking_url": tracking_url(shipment, settings) if shipment.tracking_number else "",
        "lines": [{"sku": li.sku_id, "quantity": li.quantity} for li in shipment.lines.all()],
    }


def context_for(event: OutboxEvent, order: Order | None, channel: Channel | None) -> dict[str, Any]:
    payload = event.payload
    settings = channel.settings if channel else {}
    reason = str(payload.get("reason") or "")  # none given: the message says none, not "None"
    context: dict[str, Any] = {
        "brand": (channel.name if channel else "") or "Despatch",
        "event": payload,
        "order": _order_view(order) if order else None,
        "language": order.language if order else "",
        "returns_url": f"{public_url()}/returns/",
        "rma": payload.get("rma"),
        "refund": payload.get("refund"),
        "cancelled_lines": payload.get("lines") if event.topic == "order.lines_cancelled" else None,
        "reason_text": REASON_TEXT.get(reason, reason),
        "reason": WARNING_TEXT.get(str(payload.get("status", "")), ""),
    }
    shipment_id = payload.get("shipment_id")
    if shipment_id:
        shipment = Shipment.objects.filter(id=shipment_id).first()
        context["shipment"] = _shipment_view(shipment, settings) if shipment else {}
    case_id = payload.get("exception_id")
    if case_id:
        case = ExceptionCase.objects.filter(id=case_id).first()
        if case:
            context["case"] = {
                "id": case.id,
                "kind": case.kind,
                "summary": case.summary,
                "owner": case.owner,
                "due_at": case.due_at.strftime("%Y-%m-%d %H:%M %Z"),
                "url": f"{public_url()}/exceptions/?case={case.id}",
            }
    return context


def _can_reach(audience: Audience) -> bool:
    if audience == Audience.STAFF:
        return email_configured() and bool(staff_recipients())
    return email_configured() or bool(sms_gateway()[0])


def customer_notices_on(channel: Channel | None, template: str) -> bool:
    """Channels may turn customer messages off (marketplaces that forbid them) or limit them."""
    conf = (channel.settings if channel else {}).get("notifications", {})
    if not isinstance(conf, dict):
        return True
    if conf.get("enabled") is False:
        return False
    events = conf.get("events")
    return template in events if isinstance(events, list) else True


@dataclass(frozen=True)
class Draft:
    medium: Medium
    recipient: str
    subject: str
    text: str
    html: str
    language: str


def _drafts(trigger: Trigger, context: dict[str, Any], order: Order | None) -> list[Draft]:
    brand = order.channel if order else ""
    language = order.language if order else ""
    drafts: list[Draft] = []
    if trigger.audience == Audience.STAFF:
        recipients = staff_recipients()
    else:
        recipients = [order.customer_email] if order and order.customer_email else []
    if recipients and email_configured():
        email = notices.render(trigger.template, brand, language, context)
        if email is not None:
            drafts += [
                Draft(Medium.EMAIL, r, email.subject, email.text, email.html, email.language)
                for r in recipients
            ]
    phone = str((order.shipping_address if order else {}).get("phone") or "")
    if trigger.audience == Audience.CUSTOMER and phone and sms_gateway()[0]:
        text = notices.render_sms(trigger.template, brand, language, context)
        if text:
            drafts.append(Draft(Medium.SMS, phone, "", text, "", language))
    return drafts


def fan_out(event: OutboxEvent) -> int:
    """Store and queue the messages ``event`` triggers; returns how many were new."""
    triggers = [t for t in triggers_for(event.topic) if _can_reach(t.audience)]
    if not triggers:  # nothing configured to send through: no reads on the hot path
        return 0
    order_id = str(event.payload.get("order_id") or "")
    order = Order.objects.prefetch_related("lines").filter(id=order_id).first()
    channel = Channel.objects.filter(code=order.channel).first() if order else None
    context = context_for(event, order, channel)
    new = 0
    for trigger in triggers:
        if trigger.audience == Audience.CUSTOMER and not customer_notices_on(
            channel, trigger.template
        ):
            continue
        subject = subject_of(trigger, event.id, event.payload)
        for draft in _drafts(trigger, context, order):
            new += _queue(event, trigger, subject, draft, order)
    return new


def _queue(
    event: OutboxEvent, trigger: Trigger, subject: str, draft: Draft, order: Order | None
) -> int:
    key = message_key(trigger.template, subject, draft.medium, draft.recipient)
    if Message.objects.filter(key=key).exists():
        return 0
    now = timezone.now()
    try:
        with transaction.atomic():
            message = Message.objects.create(
                id=new_id("message"),
                key=key,
                audience=trigger.audience.value,
                medium=draft.medium.value,
                template=trigger.template,
                topic=event.topic,
                event_id=event.id,
                order_id=order.id if order else "",
                channel=order.channel if order else "",
                language=draft.language,
                recipient=draft.recipient,
                subject=draft.subject[:300],
                body_text=draft.text,
                body_html=draft.html,
                status=MessageStatus.QUEUED.value,
                created_at=now,
            )
    except IntegrityError:  # another worker queued the same message first
        return 0
    outbox.save([outbox.emit(Topic.MESSAGE_SEND, message.id, now, message_id=message.id)])
    return 1


def send(message_id: str, attempt: int) -> str:
    """Deliver one message (outside a transaction); raises :class:`Unavailable` to retry."""
    message = Message.objects.filter(id=message_id).first()
    if message is None:
        raise NotFound("message", message_id)
    if message.status == MessageStatus.SENT:
        return "already_sent"
    try:
        if message.medium == Medium.EMAIL:
            mail.send(
                message_id=message.id,
                recipient=message.recipient,
                subject=message.subject,
                text=message.body_text,
                html=message.body_html,
            )
        else:
            _send_sms(message)
    except Unavailable as exc:
        dead = backoff_after(attempt) is None
        Message.objects.filter(id=message.id).exclude(status=MessageStatus.SENT).update(
            status=(MessageStatus.FAILED if dead else MessageStatus.RETRYING).value,
            attempts=attempt,
            last_error=exc.detail[:2000],
        )
        raise
    Message.objects.filter(id=message.id).update(
        status=MessageStatus.SENT.value, attempts=attempt, sent_at=timezone.now(), last_error=""
    )
    return "sent"


def _send_sms(message: Message) -> None:
    url, secret = sms_gateway()
    if not url:
        raise Unavailable("no SMS gateway: set DESPATCH_SMS_WEBHOOK_URL")
    body = json.dumps(
        {"id": message.id, "to": message.recipient, "text": message.body_text, "kind": "sms"}
    ).encode()
    answer = hooks.post(url, body, secret)
    if not answer.ok:
        raise Unavailable(f"the SMS gateway answered {answer.status}: {answer.body[:200]}")


def resend(message_id: str, *, actor: str) -> Message:
    """Queue a failed message again (a person's decision); a sent one is never re-sent."""
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(id=message_id).first()
        if message is None:
            raise NotFound("message", message_id)
        if message.status == MessageStatus.SENT:
            raise Conflict(f"message {message.id} was sent at {message.sent_at:%Y-%m-%d %H:%M}")
        if message.status in (MessageStatus.QUEUED, MessageStatus.RETRYING):
            raise Conflict(f"message {message.id} is already {message.status}")
        message.status = MessageStatus.QUEUED.value
        message.attempts = 0
        message.save(update_fields=["status", "attempts"])
        trail = Trail(actor)
        trail.add("message", message.id, "resend", order_id=message.order_id, before="failed")
        trail.save()
        outbox.save([outbox.emit(Topic.MESSAGE_SEND, message.id, message_id=message.id)])
    return message


def list_messages(
    *,
    order_id: str = "",
    status: str = "",
    audience: str = "",
    limit: int = 200,
    scope: Scope | None = None,
) -> list[Message]:
    if status and status not in MessageStatus.__members__.values():
        raise ValidationFailed.single("status", f"unknown status {status!r}", "unknown_status")
    rows = scopes.by_order(Message.objects.all(), scope)
    if order_id:
        rows = rows.filter(order_id=order_id)
    if status:
        rows = rows.filter(status=status)
    if audience:
        rows = rows.filter(audience=audience)
    return list(rows[:limit])


def get_message(message_id: str) -> Message:
    message = Message.objects.filter(id=message_id).first()
    if message is None:
        raise NotFound("message", message_id)
    return message


def preview(template: str, order_id: str) -> notices.Rendered:
    """Render ``template`` for an order without sending anything (for template authors)."""
    order = Order.objects.prefetch_related("lines").filter(id=order_id).first()
    if order is None:
        raise NotFound("order", order_id)
    rendered = notices.render(template, order.channel, order.language, preview_context(order))
    if rendered is None:
        raise NotFound("template", template)
    return rendered


def preview_context(order: Order) -> dict[str, Any]:
    """What a template sees for ``order`` (its first labelled shipment, if any), to preview."""
    channel = Channel.objects.filter(code=order.channel).first()
    shipment = order.shipments.exclude(tracking_number="").first()
    fake = OutboxEvent(
        id=0,
        topic="preview",
        payload={"order_id": order.id, "shipment_id": shipment.id if shipment else ""},
    )
    return context_for(fake, order, channel)


def check_templates() -> list[str]:
    return notices.check_all()
