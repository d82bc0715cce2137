"""Channel use cases: configure a channel, take in a delivery, apply it to an order.

A delivery (webhook, file or pull) is verified, stored raw in the inbox with an outbox event in
one transaction, and answered at once; the worker parses and applies it. Deliveries are
deduplicated by the platform's delivery ID (and event ID), orders by (channel, external ID).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

from django.db import IntegrityError, transaction
from django.db import connection as database
from django.db.models import Count, QuerySet
from django.utils import timezone

from despatch.domain import limits
from despatch.domain.allocation import read_sourcing
from despatch.domain.availability import AvailabilityRule
from despatch.domain.errors import (
    DomainError,
    DuplicateOrder,
    NotFound,
    Unauthorized,
    Unavailable,
    ValidationFailed,
)
from despatch.domain.events import Topic
from despatch.domain.orders import OrderStatus
from despatch.domain.shipments import ShipmentStatus
from despatch.integrations.channels import ADAPTERS, adapter_for
from despatch.integrations.channels.base import ChannelOrder, Fulfilment
from despatch.models import Channel, ChannelDelivery, Order, OutboxEvent, Shipment
from despatch.services import (
    cancellations,
    catalogue,
    channel_updates,
    inbox,
    leases,
    listings,
    orders,
    outbox,
    totals,
)
from despatch.services.audit import Trail, snapshot
from despatch.services.catalogue import connection as connection
from despatch.services.catalogue import get_channel as get_channel

log = logging.getLogger("despatch.channels")
TYPES = tuple(sorted({*ADAPTERS, "amazon", "bigcommerce", "csv", "api"}))
DESPATCHED_OR_AFTER = [
    ShipmentStatus.DESPATCHED,
    ShipmentStatus.DELIVERED,
    ShipmentStatus.CANCELLED,
]
PULL_OVERLAP = timedelta(minutes=5)  # re-read a little: clocks differ, duplicates cost nothing


def receive_delivery(
    code: str, headers: dict[str, str], body: bytes, *, source: str = "webhook", verify: bool = True
) -> tuple[ChannelDelivery, bool]:
    """Verify and store one delivery; returns it and whether it is new (False: a retry)."""
    channel = _intake_channel(code)
    kind = headers.get("x-despatch-format") or channel.type
    adapter = adapter_for(kind)
    if adapter is None:
        raise ValidationFailed.single("channel", f"no reader for {kind!r} payloads", "format")
    if source == "webhook" and not getattr(adapter, "WEBHOOKS", True):
        raise ValidationFailed.single(
            "channel",
            f"{kind} channels send no order webhooks: import files or pull",
            "no_webhooks",
        )
    if verify and not adapter.verify(headers, body, channel.webhook_secret):
        log.warning("refused a delivery to %s: signature does not match", code)
        raise Unauthorized("the signature does not match this channel's webhook secret")
    ids = adapter.delivery(headers, _ids_source(adapter, body))
    sent = {"delivery_id": ids.delivery_id, "event_id": ids.event_id, "topic": ids.topic}
    too_long = limits.longer_than(limits.DELIVERY_IDS, sent)
    if too_long:
        raise ValidationFailed(too_long)
    delivery_id = ids.delivery_id or f"sha256:{hashlib.sha256(body).hexdigest()}"
    delivery = ChannelDelivery(
        channel=channel,
        delivery_id=delivery_id,
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
    existing = ChannelDelivery.objects.filter(
        channel=channel, delivery_id=delivery_id, repeats__isnull=True
    ).first()
    if existing is None:  # the unique key said it exists: it must
        raise NotFound("delivery", delivery_id)
    inbox.record_repeat(existing, delivery)
    return existing, False


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
    at = delivery.received_at
    if database.vendor == "postgresql":
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
    error = ""
    try:
        payload = inbox.payload(delivery)
    except Unavailable as exc:
        if not exc.data.get("status"):  # an outage, not a refusal: try again later
            raise
        error = inbox.describe(exc)
    except (DomainError, ValueError) as exc:
        error = inbox.describe(exc)
    with transaction.atomic():
        delivery = (
            ChannelDelivery.objects.select_for_update()
            .select_related("channel")
            .get(pk=delivery_pk)
        )
        if delivery.status != ChannelDelivery.PENDING:
            return delivery
        if payload is None:
            return _settle(delivery, ChannelDelivery.FAILED, "rejected", error=error)
        if not inbox.claim_event(delivery):
            inbox.mark_repeat_of_event(delivery)
            return _settle(delivery, ChannelDelivery.PROCESSED, "duplicate_event")
        try:
            with transaction.atomic():
                parsed = inbox.parse(delivery, payload)
                outcome, order = apply_channel_order(parsed, actor=f"channel:{delivery.channel_id}")
        except (DomainError, ValueError) as exc:
            inbox.release_event(delivery)  # a rejected delivery leaves the event to another one
            return _settle(delivery, ChannelDelivery.FAILED, "rejected", error=inbox.describe(exc))
        return _settle(delivery, ChannelDelivery.PROCESSED, outcome, order.id)


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


def apply_channel_order(parsed: ChannelOrder, *, actor: str) -> tuple[str, Order]:
    """Create the order, or bring the stored one up to date; returns (outcome, order).
    Text longer than its column is cut to fit and the cut is recorded on the order: the
    platform has taken the shopper's money, so the order is kept, never refused for it."""
    draft, cut = limits.fit(replace(parsed.draft, stated_total=parsed.platform_total))
    parsed = replace(parsed, draft=draft)
    existing = Order.objects.filter(channel=draft.channel, external_id=draft.external_id).first()
    if existing is None:
        try:
            order, created = orders.receive_order(draft, actor=actor)
        except DuplicateOrder:  # another delivery for this order won the race
            existing = orders.find_order(draft.channel, draft.external_id)
        else:
            if not created:
                return "duplicate", order
            if cut:
                _flag_cut(order, cut, actor)
            listings.ensure_listed(draft.channel, (line.sku for line in draft.lines))
            if parsed.fulfilled_by_channel:
                orders.mark_fulfilled_by_channel(
                    order.id, actor=actor, reason="fulfilled_by_channel"
                )
                totals.check_total(order.id, draft, actor=actor, hold=False)
                _update(order, replace(parsed, cancelled=False), actor, new=True)  # its refunds
                return "created_fulfilled_by_channel", order
            totals.check_total(order.id, draft, actor=actor)
            outcome = _update(order, parsed, actor, new=True)
            return (
                "created" if outcome in ("unchanged", "updated") else f"created_{outcome}"
            ), order
    return _update(existing, parsed, actor, new=False), existing


def _flag_cut(order: Order, fields: list[str], actor: str) -> None:
    trail = Trail(actor)
    note = f"cut to fit: {', '.join(fields)} (the platform keeps the full text)"
    trail.add(
        "order", order.id, "text_truncated", order_id=order.id, reason_code="too_long", note=note
    )
    trail.save()
    log.warning("order %s: %s", order.id, note)


def _update(order: Order, parsed: ChannelOrder, actor: str, *, new: bool) -> str:
    with transaction.atomic():
        order = orders.lock_order(order.id)
        trail = Trail(actor)
        seen, sent = order.channel_updated_at, parsed.updated_at
        if seen and sent and sent < seen:  # an older state arriving late never rolls back
            trail.add(
                "order",
                order.id,
                "channel_update_stale",
                order_id=order.id,
                reason_code="stale",
                sent=sent.isoformat(),
                applied=seen.isoformat(),
            )
            trail.save()
            return "stale"
        if sent and sent != seen:
            order.channel_updated_at = sent
            order.save(update_fields=["channel_updated_at"])
        changed = not new and channel_updates.apply_address(
            order, parsed.draft.shipping_address, trail
        )
        changed = _payment_and_refunds(order, parsed, trail) or changed
        if not new and _line_mix(order) != _units(parsed.draft.lines):
            trail.add(
                "order",
                order.id,
                "channel_lines_changed",
                order_id=order.id,
                reason_code="not_applied",
                note="the channel changed the lines; review by hand",
            )
            changed = True
        trail.save()
    if parsed.cancelled and order.status != OrderStatus.CANCELLED:
        return _cancel(order, actor)
    return "updated" if changed else "unchanged"


def _line_mix(order: Order) -> Counter[str]:
    return _units(order.lines.all())


def _units(lines: Iterable[Any]) -> Counter[str]:
    """Units per SKU: the same whether a line known by its total was stored whole or, before
    it was kept as one line, split by unit price."""
    units: Counter[str] = Counter()
    for line in lines:
        units[line.sku] += line.quantity
    return units


def _payment_and_refunds(order: Order, parsed: ChannelOrder, trail: Trail) -> bool:
    changed = False
    if order.payment_status != parsed.payment_status:
        trail.add(
            "order",
            order.id,
            "payment_status_changed",
            order_id=order.id,
            before=order.payment_status,
            after=parsed.payment_status.value,
        )
        order.payment_status = parsed.payment_status.value
        changed = True
    known = {r["refund_id"] for r in order.refunds}
    for refund in parsed.refunds:
        if refund.refund_id not in known:
            order.refunds = [*order.refunds, refund.as_dict()]
            trail.add("order", order.id, "refund_recorded", order_id=order.id, **refund.as_dict())
            changed = True
    if changed:
        order.updated_at = trail.at
        order.save(update_fields=["payment_status", "refunds", "updated_at"])
        orders.release_if_paid(order, trail)
    return changed


def _cancel(order: Order, actor: str) -> str:
    """The platform's cancellation is carried out at every stage (see services/cancellations)."""
    return cancellations.cancel_for_channel(order.id, actor=actor)


def import_payload(
    code: str, body: bytes, *, name: str, kind: str = ""
) -> tuple[ChannelDelivery, bool]:
    """An exported payload from a file: stored like a delivery and applied at once.
    Returns the delivery and whether it was new (the same file again is a duplicate)."""
    headers = {"x-despatch-file": name, "x-despatch-format": kind}
    delivery, new = receive_delivery(code, headers, body, source="file", verify=False)
    return (process_delivery(delivery.pk) if new else delivery), new


def configure_channel(
    *,
    code: str,
    name: str,
    type: str,
    warehouses: list[str] | None = None,
    webhook_secret: str | None = None,
    api_url: str | None = None,
    token: str | None = None,
    settings: dict[str, Any] | None = None,
    actor: str = "system",
) -> Channel:
    """Create or update a channel; secrets left as None keep their stored value; ``settings``
    keys replace the stored ones of the same name (a None value removes the key). The change
    is audited, secrets as fingerprints."""
    if not catalogue.CHANNEL_CODE.fullmatch(code):
        raise ValidationFailed.single("code", "1 to 32 letters, digits, ., - or _", "code")
    if type not in TYPES:
        raise ValidationFailed.single("type", f"{type!r} is not one of: {', '.join(TYPES)}", "type")
    if settings and settings.get("availability") is not None:
        AvailabilityRule.from_settings(settings["availability"])  # names each wrong field
    minutes = (settings or {}).get("unpaid_hold_minutes")
    if minutes is not None and (
        isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= 10080
    ):
        raise ValidationFailed.single(
            "unpaid_hold_minutes", "must be whole minutes from 0 to 10080 (a week)", "invalid"
        )
    if settings and settings.get("sourcing") is not None:
        if not isinstance(settings["sourcing"], dict):
            raise ValidationFailed.single("sourcing", "must be an object", "sourcing")
        read_sourcing(settings["sourcing"])
    catalogue.check_warehouses(warehouses)
    updates: dict[str, Any] = {
        k: v
        for k, v in (("webhook_secret", webhook_secret), ("api_url", api_url), ("token", token))
        if v is not None
    }
    with transaction.atomic():
        old = Channel.objects.select_for_update().filter(code=code).first()
        before = snapshot(old, catalogue.CHANNEL_FIELDS) if old else None
        if settings:
            merged = {**(old.settings if old else {}), **settings}
            updates["settings"] = {k: v for k, v in merged.items() if v is not None}
        row = dict(name=name, type=type, warehouses=list(warehouses or []), **updates)
        channel, _ = Channel.objects.update_or_create(code=code, defaults=row)
        trail = Trail(actor)
        trail.change("channel", code, before, snapshot(channel, catalogue.CHANNEL_FIELDS))
        trail.save()
    _CHANNELS.pop(code, None)
    return channel


def deliveries(code: str, status: str = "") -> QuerySet[ChannelDelivery]:
    rows = ChannelDelivery.objects.filter(channel_id=code)
    return rows.filter(status=status) if status else rows


def delivery_counts() -> dict[str, dict[str, int]]:
    """Deliveries per channel and status, for the channels overview."""
    counts: dict[str, dict[str, int]] = {}
    for row in ChannelDelivery.objects.values("channel_id", "status").annotate(n=Count("id")):
        counts.setdefault(row["channel_id"], {})[row["status"]] = row["n"]
    return counts


@dataclass
class PullReport:
    fetched: int = 0
    new: int = 0
    already_had: int = 0
    skipped: str = ""


PULL_LEASE = timedelta(minutes=15)


def pull(code: str, since: datetime | None = None, *, holder: str = "cli") -> PullReport:
    """Fetch the channel's orders changed since ``since`` (default: the last pull) into the
    inbox; the worker applies them. Pulling the same state again stores nothing new. One
    puller per channel at a time: while another holds the lease, this one skips."""
    channel = get_channel(code)
    adapter = adapter_for(channel.type)
    if adapter is None or not hasattr(adapter, "pull"):
        raise ValidationFailed.single(
            "channel", f"{channel.type!r} channels cannot be pulled yet", "no_pull"
        )
    if not channel.api_url:
        raise ValidationFailed.single("api_url", f"channel {code!r} has no API URL", "required")
    lease = f"pull:{code}"
    if not leases.acquire(lease, holder, PULL_LEASE):
        return PullReport(skipped="another worker is pulling this channel")
    try:
        return _pull(channel, adapter, since)
    finally:
        leases.release(lease, holder)


def _pull(channel: Channel, adapter: ModuleType, since: datetime | None) -> PullReport:
    code = channel.code
    started = timezone.now()
    since = since or _last_pull(channel)
    report = PullReport()
    for payload in adapter.pull(connection(channel), since):
        body = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
        _, new = receive_delivery(code, {}, body, source="pull", verify=False)
        report.fetched += 1
        report.new += new
        report.already_had += not new
    channel.refresh_from_db(fields=["settings"])
    Channel.objects.filter(code=code).update(
        settings={**channel.settings, "last_pull": started.isoformat()}
    )
    return report


def _last_pull(channel: Channel) -> datetime | None:
    stamp = channel.settings.get("last_pull")
    return datetime.fromisoformat(stamp) - PULL_OVERLAP if stamp else None


def pullable() -> list[str]:
    """Channels the worker pulls on its timer: a type that can be pulled and an API URL."""
    kinds = [kind for kind, adapter in ADAPTERS.items() if hasattr(adapter, "pull")]
    return list(
        Channel.objects.filter(active=True, type__in=kinds)
        .exclude(api_url="")
        .values_list("code", flat=True)
    )


def write_back(shipment_id: str) -> str:
    """Tell the order's channel that a shipment has left, with its tracking number. Once per
    shipment; a platform that does not answer raises so the outbox tries again."""
    shipment = Shipment.objects.select_related("order").filter(id=shipment_id).first()
    if shipment is None:
        raise NotFound("shipment", shipment_id)
    if shipment.channel_notified_at:
        return "already_told"
    order = shipment.order
    channel = Channel.objects.filter(code=order.channel).first()
    adapter = adapter_for(channel.type) if channel else None
    if channel is None or adapter is None or not hasattr(adapter, "fulfil") or not channel.api_url:
        return "channel_takes_no_fulfilments"
    remaining = order.shipments.exclude(status__in=DESPATCHED_OR_AFTER).exists()
    outcome: str = adapter.fulfil(
        connection(channel),
        Fulfilment(
            external_id=order.external_id,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            lines=tuple(shipment.lines.values_list("sku_id", "quantity")),
            order_complete=not remaining,
        ),
    )
    with transaction.atomic():
        told = Shipment.objects.filter(id=shipment.id, channel_notified_at__isnull=True).update(
            channel_notified_at=timezone.now()
        )
        if told:
            trail = Trail(f"channel:{channel.code}")
            trail.add(
                "shipment",
                shipment.id,
                "channel_notified",
                order_id=order.id,
                reason_code=outcome,
                tracking_number=shipment.tracking_number,
            )
            trail.save()
    return outcome
