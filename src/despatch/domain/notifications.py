"""Customer notifications and staff alerts: which fact sends which message, once.

A fact from the outbox (``shipment.despatched``) names a template (``despatched``). The
message's key, built from the template and the business subject (the shipment, the order,
the return), is unique: however often the fact is delivered, the customer hears once.
Staff alerts are a separate audience with their own templates and recipients.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Audience(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"


class Medium(StrEnum):
    EMAIL = "email"
    SMS = "sms"  # SMS or WhatsApp: the seller's provider behind a signed HTTP webhook


class MessageStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"  # every retry used; a person may resend it


@dataclass(frozen=True)
class Trigger:
    template: str
    audience: Audience
    subject_field: str  # the payload field naming what the message is about (its key)


# topic -> the message it sends. ``delayed`` is keyed by the event: a parcel may be late twice.
TRIGGERS: Mapping[str, tuple[Trigger, ...]] = {
    "order.allocated": (Trigger("confirmed", Audience.CUSTOMER, "order_id"),),
    "order.backordered": (Trigger("confirmed", Audience.CUSTOMER, "order_id"),),
    "shipment.despatched": (Trigger("despatched", Audience.CUSTOMER, "shipment_id"),),
    "shipment.out_for_delivery": (Trigger("out_for_delivery", Audience.CUSTOMER, "shipment_id"),),
    "shipment.delivered": (Trigger("delivered", Audience.CUSTOMER, "shipment_id"),),
    "shipment.tracking_warning": (Trigger("delayed", Audience.CUSTOMER, "event_id"),),
    "shipment.late": (Trigger("delayed", Audience.CUSTOMER, "event_id"),),
    "order.cancelled": (Trigger("cancelled", Audience.CUSTOMER, "order_id"),),
    "order.lines_cancelled": (Trigger("cancelled", Audience.CUSTOMER, "event_id"),),
    "return.received": (Trigger("return_received", Audience.CUSTOMER, "return_id"),),
    "refund.succeeded": (Trigger("refunded", Audience.CUSTOMER, "refund_id"),),
    "exception.opened": (Trigger("exception_opened", Audience.STAFF, "exception_id"),),
    "exception.escalated": (Trigger("exception_escalated", Audience.STAFF, "event_id"),),
}

CUSTOMER_TEMPLATES = (
    "confirmed",
    "despatched",
    "out_for_delivery",
    "delivered",
    "delayed",
    "cancelled",
    "return_received",
    "refunded",
)
STAFF_TEMPLATES = ("exception_opened", "exception_escalated")


def triggers_for(topic: str) -> tuple[Trigger, ...]:
    return TRIGGERS.get(topic, ())


def subject_of(trigger: Trigger, event_id: int, payload: Mapping[str, Any]) -> str:
    if trigger.subject_field == "event_id":
        return f"event:{event_id}"
    return str(payload.get(trigger.subject_field) or f"event:{event_id}")


def message_key(template: str, subject: str, medium: Medium, recipient: str) -> str:
    """Unique per message: one template about one thing, to one recipient, by one medium."""
    return f"{template}:{subject}:{medium.value}:{recipient.strip().lower()}"[:255]


def template_names(template: str, brand: str, language: str, suffix: str) -> list[str]:
    """Where a template is looked for, most specific first: the channel's own in the customer's
    language, the channel's own, the default in the language, the default."""
    lang = (language or "").strip().lower().replace("_", "-")
    langs = [lang, lang.split("-")[0]] if lang else []
    names: list[str] = []
    for folder in ([brand] if brand else []) + ["default"]:
        names += [f"{folder}/{template}.{code}.{suffix}" for code in dict.fromkeys(langs)]
        names.append(f"{folder}/{template}.{suffix}")
    return names
