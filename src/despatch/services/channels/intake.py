"""Taking in a delivery: verify it, store it raw in the inbox with its outbox event in one
transaction, and answer at once; the worker then parses and applies it (:func:`process_delivery`).
Deliveries are deduplicated by the platform's delivery ID (and event ID). A file import
(:func:`import_payload`) is stored the same way and applied at once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from types import ModuleType
from typing import Any

from django.db import DataError, IntegrityError, transaction
from django.db import connection as database
from django.utils import timezone

from despatch.domain import limits
from despatch.domain.errors import (
    DomainError,
    NotFound,
    Unauthorized,
    Unavailable,
    ValidationFailed,
)
from despatch.domain.events import Topic
from despatch.domain.exceptions import Kind
from despatch.integrations.channels import adapter_for
from despatch.models import Channel, ChannelDelivery, OutboxEvent
from despatch.services import exceptions, outbox
from despatch.services.audit import Trail
from despatch.services.catalogue import get_channel
from despatch.services.channels import inbox
from despatch.services.channels.apply import apply_channel_order

log = logging.getLogger("despatch.channels")


def receive_delivery(
    code: str, headers: dict[str, str], body: bytes, *, source: str = "webhook", verify: bool = True
) -> tuple[ChannelDelivery, bool]:
    """Verify and store one delivery; returns it and whether it is new (False: a retry)."""
    channel = _intake_channel(code)
    adapter = _reader(channel, headers.get("x-despatch-format") or channel.type, source)
    if verify and not channel.webhook_secret:
        log.warning("refused a delivery to %s: it has no webhook secret", code)
        raise Unauthorized(f"no webhook secret is configured for channel {code}")
    if verify and not adapter.verify(headers, body, channel.webhook_secret):
        log.warning("refused a delivery to %s: signature does not match", code)
        raise Unauthorized("the signature does not match this channel's webhook secret")
    ids = adapter.delivery(headers, _ids_source(adapter, body))
    sent = {"delivery_id": ids.delivery_id, "event_id": ids.event_id, "topic": ids.topic}
    too_long = limits.longer_than(limits.DELIVERY_IDS, sent)
    if too_long:
        raise ValidationFailed(too_long)
    delivery = ChannelDelivery(
        channel=channel,
        delivery_id=ids.delivery_id or f"sha256:{hashlib.sha256(body).hexdigest()}",
        event_id=ids.event_id,
        topic=ids.topic,
        source=source,
        headers=headers,
        body=body.decode("utf-8", "replace"),
        raw_body=body,
        received_at=timezone.now(),
    )
    if _store(delivery):
        return delivery, True
    return _repeated(delivery), False


def takes_webhooks(kind: str) -> bool:
    """Whether channels of this type send order webhooks (eBay and Amazon are pulled)."""
    adapter = adapter_for(kind)
    return adapter is not None and getattr(adapter, "WEBHOOKS", True)


def _reader(channel: Channel, kind: str, source: str) -> ModuleType:
    """The adapter that reads ``kind`` payloads, refusing a webhook its platform never sends."""
    adapter = adapter_for(kind)
    if adapter is None:
        raise ValidationFailed.single("channel", f"no reader for {kind!r} payloads", "format")
    if source == "webhook" and not getattr(adapter, "WEBHOOKS", True):
        raise ValidationFailed.single(
            "channel",
            f"{kind} channels send no order webhooks: import files or pull",
            "no_webhooks",
        )
    return adapter


def _repeated(delivery: ChannelDelivery) -> ChannelDelivery:
    """The kept delivery that this one repeats, with the repeat recorded on it."""
    existing = ChannelDelivery.objects.filter(
        channel=delivery.channel, delivery_id=delivery.delivery_id, repeats__isnull=True
    ).first()
    if existing is None:  # the unique key said it exists: it must
        raise NotFound("delivery", delivery.delivery_id)
    inbox.record_repeat(existing, delivery)
    return existing


# PostgreSQL: the delivery and its outbox event in one statement, in one round trip (no
# BEGIN/COMMIT of their own); a repeated delivery ID inserts neither. See docs/benchmarks.md.
_INTAKE_SQL = (
    f"WITH d AS (INSERT INTO {ChannelDelivery._meta.db_table}"
    " (channel_id, delivery_id, event_id, topic, source, headers, body, raw_body, status,"
    " outcome, order_id, error, received_at)"
    " VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, '', '', '', %s)"
    " ON CONFLICT (channel_id, delivery_id) WHERE repeats_id IS NULL DO NOTHING RETURNING id),"
    f" e AS (INSERT INTO {OutboxEvent._meta.db_table}"
    " (topic, key, payload, status, attempts, available_at, locked_by, last_error, created_at)"
    " SELECT %s, %s, jsonb_build_object('delivery', d.id), %s, 0, %s, '', '', %s FROM d)"
    " SELECT id FROM d"
)


def _store(delivery: ChannelDelivery) -> bool:
    """Insert the delivery with its outbox event; False when its delivery ID is already kept."""
    if database.vendor == "postgresql":
        return _store_in_one_statement(delivery)
    at = delivery.received_at
    try:
        with transaction.atomic():
            delivery.save(force_insert=True)
            outbox.save(
                [
                    outbox.emit(
                        Topic.CHANNEL_DELIVERY_RECEIVED,
                        delivery.channel_id,
                        at,
                        delivery=delivery.pk,
                    )
                ]
            )
    except IntegrityError:
        return False
    return True


def _store_in_one_statement(delivery: ChannelDelivery) -> bool:
    """:func:`_store` on PostgreSQL, with :data:`_INTAKE_SQL`."""
    at = delivery.received_at
    with database.cursor() as cursor:
        cursor.execute(
            _INTAKE_SQL,
            [
                delivery.channel_id,
                delivery.delivery_id,
                delivery.event_id,
                delivery.topic,
                delivery.source,
                json.dumps(delivery.headers),
                delivery.body,
                bytes(delivery.raw_body or b""),
                ChannelDelivery.PENDING,
                at,
                Topic.CHANNEL_DELIVERY_RECEIVED.value,
                delivery.channel_id,
                OutboxEvent.PENDING,
                at,
                at,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return False
    delivery.pk = row[0]
    return True


_CHANNELS: dict[str, tuple[float, Channel]] = {}
CHANNEL_CACHE_SECONDS = 5.0  # a changed secret or type reaches every server within this


def _intake_channel(code: str) -> Channel:
    """The channel for intake, cached per process for a few seconds: one round trip less on
    every webhook (see docs/benchmarks.md)."""
    hit = _CHANNELS.get(code)
    if hit and time.monotonic() - hit[0] < CHANNEL_CACHE_SECONDS:
        return hit[1]
    channel = get_channel(code)
    _CHANNELS[code] = (time.monotonic(), channel)
    return channel


def forget_channel(code: str) -> None:
    """Drop the channel from this process's intake cache (it was just changed here)."""
    _CHANNELS.pop(code, None)


def _ids_source(adapter: ModuleType, body: bytes) -> dict[str, Any]:
    """The body, for platforms that put the delivery ID in it; unreadable bodies are still
    stored (keyed by their hash) and fail when processed, with the reason."""
    if not getattr(adapter, "IDS_IN_BODY", False):
        return {}
    try:
        return inbox.json_object(body)
    except ValidationFailed:
        return {}


def process_delivery(delivery_pk: int) -> ChannelDelivery:
    """Parse a stored delivery and apply it; a failure is kept on the delivery, never lost.
    A thin delivery (BigCommerce) is fetched first, outside any transaction; a platform that
    does not answer raises :class:`Unavailable` so the outbox tries again later."""
    delivery = ChannelDelivery.objects.select_related("channel").get(pk=delivery_pk)
    if delivery.status != ChannelDelivery.PENDING:
        return delivery
    payload: dict[str, Any] | None = None
    refusal: Exception | None = None
    try:
        payload = inbox.payload(delivery)
    except Unavailable as exc:
        if not exc.data.get("status"):  # an outage, not a refusal: try again later
            raise
        refusal = exc
    except (DomainError, ValueError) as exc:
        refusal = exc
    with transaction.atomic():
        delivery = (
            ChannelDelivery.objects.select_for_update()
            .select_related("channel")
            .get(pk=delivery_pk)
        )
        if delivery.status != ChannelDelivery.PENDING:
            return delivery
        if payload is None:
            return _reject(delivery, refusal or ValueError("unreadable"))
        if not inbox.claim_event(delivery):
            inbox.mark_repeat_of_event(delivery)
            return _settle(delivery, ChannelDelivery.PROCESSED, "duplicate_event")
        try:
            with transaction.atomic():
                parsed = inbox.parse(delivery, payload)
                outcome, order = apply_channel_order(parsed, actor=f"channel:{delivery.channel_id}")
        except UNREADABLE as exc:
            inbox.release_event(delivery)  # a rejected delivery leaves the event to another one
            return _reject(delivery, exc)
        return _settle(delivery, ChannelDelivery.PROCESSED, outcome, order.id)


# What a payload can make applying it raise: our refusals, and a value no column can hold (a
# number past a column's range, text past its width on PostgreSQL: DataError). Retrying
# would fail the same way, so each rejects the delivery instead of ending as a dead event.
UNREADABLE = (DomainError, ValueError, ArithmeticError, DataError)


def _reject(delivery: ChannelDelivery, exc: Exception) -> ChannelDelivery:
    """Settle the delivery as failed naming its problem and, for a platform's order (a webhook
    or a pull; a file's importer is told at once), hold it for a person in the channels queue:
    a paid order that could not be read is never left unseen."""
    error = inbox.describe(exc)
    _settle(delivery, ChannelDelivery.FAILED, "rejected", error=error)
    if delivery.source != "file":
        fields = exc.errors if isinstance(exc, ValidationFailed) else []
        trail = Trail(f"channel:{delivery.channel_id}")
        exceptions.open_case(
            Kind.UNREADABLE_DELIVERY,
            subject=f"delivery:{delivery.pk}",
            summary=f"{delivery.channel_id} sent an order that cannot be read "
            f"(delivery {delivery.pk}): {error}",
            trail=trail,
            detail=[{"field": e.field, "message": e.message, "code": e.code} for e in fields]
            or [{"field": "body", "message": error, "code": "unreadable"}],
        )
        trail.save()
    return delivery


def _settle(
    delivery: ChannelDelivery, status: str, outcome: str, order_id: str = "", error: str = ""
) -> ChannelDelivery:
    delivery.status, delivery.outcome, delivery.order_id, delivery.error = (
        status,
        outcome,
        order_id,
        error,
    )
    delivery.processed_at = timezone.now()
    delivery.save(update_fields=["status", "outcome", "order_id", "error", "processed_at"])
    return delivery


def import_payload(
    code: str, body: bytes, *, name: str, kind: str = ""
) -> tuple[ChannelDelivery, bool]:
    """An exported payload from a file: stored like a delivery and applied at once.
    Returns the delivery and whether it was new (the same file again is a duplicate)."""
    headers = {"x-despatch-file": name, "x-despatch-format": kind}
    delivery, new = receive_delivery(code, headers, body, source="file", verify=False)
    return (process_delivery(delivery.pk) if new else delivery), new
