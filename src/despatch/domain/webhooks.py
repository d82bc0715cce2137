"""Outbound webhooks: which facts subscribers may hear, and how each delivery is signed.

Each delivery carries ``Despatch-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``, the
HMAC taken with the subscription's secret over ``"<t>." + body``. Receivers recompute it,
compare in constant time and refuse a ``t`` too far from their clock (replays).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from enum import StrEnum

SIGNATURE_HEADER = "Despatch-Signature"
TOLERANCE_SECONDS = 300


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    RETRYING = "retrying"
    FAILED = "failed"  # every retry used; replay it from the UI or the CLI
    CANCELLED = "cancelled"  # its subscription was deactivated or deleted before it was sent


# the public event types and the outbox topics that raise them
EVENT_TYPES: Mapping[str, tuple[str, ...]] = {
    "order.received": ("order.received",),
    "order.held": ("order.held",),
    "order.released": ("order.released",),
    "order.allocated": ("order.allocated",),
    "order.despatched": ("shipment.despatched",),
    "order.delivered": ("shipment.delivered",),
    "shipment.label_voided": ("shipment.label_voided",),
    "order.cancelled": ("order.cancelled", "order.lines_cancelled"),
    "return.received": ("return.received",),
    "refund.succeeded": ("refund.succeeded",),
    "stock.changed": ("stock.changed", "stock.received", "stock.adjusted"),
}

TOPIC_TO_TYPE: Mapping[str, str] = {
    topic: name for name, topics in EVENT_TYPES.items() for topic in topics
}


def event_type_of(topic: str) -> str | None:
    return TOPIC_TO_TYPE.get(topic)


def unknown_event_types(names: list[str]) -> list[str]:
    return [n for n in names if n != "*" and n not in EVENT_TYPES]


def subscribed(events: list[str], event_type: str) -> bool:
    return "*" in events or event_type in events


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int) -> bool:
    """What a receiver does: parse the header, check the time window and the HMAC."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
