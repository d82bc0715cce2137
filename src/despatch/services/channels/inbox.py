"""Reading a stored channel delivery: its text in the charset it was sent in, its JSON, the
adapter's reading of it, and the claim on its event ID that lets one delivery of an event
apply it (the rest of the intake is in :mod:`despatch.services.channels.intake`)."""

from __future__ import annotations

import json
from dataclasses import replace
from types import ModuleType
from typing import Any

from django.db import IntegrityError, transaction

from despatch.domain.errors import ValidationFailed
from despatch.integrations.channels import adapter_for
from despatch.integrations.channels.base import ChannelOrder, finer_amounts
from despatch.models import ChannelDelivery
from despatch.services.catalogue import connection


def parse(delivery: ChannelDelivery, payload: dict[str, Any]) -> ChannelOrder:
    """The adapter's reading of a payload; a shape it cannot read (a list where an object
    belongs, a missing key) is a rejected delivery naming it, never a dead event."""
    try:
        with finer_amounts() as finer:
            parsed: ChannelOrder = _adapter(delivery).parse(payload, delivery.channel_id)
    except (TypeError, KeyError, AttributeError, IndexError, ArithmeticError) as exc:
        raise ValidationFailed.single(
            "body", f"not a readable order: {type(exc).__name__}: {exc}", "malformed_payload"
        ) from exc
    return replace(parsed, finer_amounts=tuple(finer)) if finer else parsed


def claim_event(delivery: ChannelDelivery) -> bool:
    """Mark the delivery as the one applying its event: the unique (channel, applied event)
    key lets exactly one delivery of an event do so, however many race (a concurrent claim
    waits for this transaction, then fails). False: another delivery applied it."""
    if not delivery.event_id:
        return True
    try:
        with transaction.atomic():
            ChannelDelivery.objects.filter(pk=delivery.pk).update(applied_event=delivery.event_id)
    except IntegrityError:
        return False
    return True


def record_repeat(original: ChannelDelivery, repeat: ChannelDelivery) -> None:
    """Keep a repeated delivery (the same delivery ID again) in the inbox as ``duplicate``,
    with its time and the delivery it repeated; it is never applied, and its body is not
    kept twice."""
    repeat.pk = None
    repeat.status = repeat.outcome = ChannelDelivery.DUPLICATE
    repeat.repeats = original
    repeat.body, repeat.raw_body = "", None
    repeat.processed_at = repeat.received_at
    repeat.save(force_insert=True)


def mark_repeat_of_event(delivery: ChannelDelivery) -> None:
    """A delivery whose event another delivery applied names that delivery."""
    applied = (
        ChannelDelivery.objects.filter(
            channel_id=delivery.channel_id, applied_event=delivery.event_id
        )
        .values_list("pk", flat=True)
        .first()
    )
    if applied is not None:
        ChannelDelivery.objects.filter(pk=delivery.pk).update(repeats_id=applied)
        delivery.repeats_id = applied


def release_event(delivery: ChannelDelivery) -> None:
    if delivery.event_id:
        ChannelDelivery.objects.filter(pk=delivery.pk).update(applied_event=None)


def _adapter(delivery: ChannelDelivery) -> ModuleType:
    kind = delivery.headers.get("x-despatch-format") or delivery.channel.type
    adapter = adapter_for(kind)
    if adapter is None:
        raise ValidationFailed.single("format", f"no reader for {kind!r} payloads", "format")
    return adapter


def json_object(body: str | bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
        raise ValidationFailed.single("body", f"not JSON: {exc}", "malformed_json") from exc
    if not isinstance(payload, dict):
        raise ValidationFailed.single("body", "expected a JSON object", "malformed_json")
    return payload


def _text(delivery: ChannelDelivery) -> str:
    """The body as the platform meant it: the bytes received, read in the charset its
    Content-Type names, else UTF-8, else Windows-1252 (what a misconfigured shop sends)."""
    if delivery.raw_body is None:  # stored before the bytes were kept
        return delivery.body
    raw = bytes(delivery.raw_body)
    kind = str(delivery.headers.get("content-type", ""))
    named = kind.partition("charset=")[2].split(";")[0].strip(" \"'")
    for charset in filter(None, (named, "utf-8", "cp1252")):
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return delivery.body


def payload(delivery: ChannelDelivery) -> dict[str, Any]:
    """The delivery's JSON; a thin one expanded by fetching what it names."""
    adapter = _adapter(delivery)
    payload = json_object(_text(delivery))
    if hasattr(adapter, "expand"):
        expanded: dict[str, Any] = adapter.expand(payload, connection(delivery.channel))
        return expanded
    return payload


def describe(exc: Exception) -> str:
    if isinstance(exc, ValidationFailed):
        return "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
    return str(exc)
