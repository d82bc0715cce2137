"""Stock back to channels: what each channel may sell, and publishing it.

Stock changes reach here as outbox events (``stock.*``); their handler marks the SKU's
listings dirty. The worker's pusher publishes dirty listings in one batch per channel under a
lease, with the figure of the moment, so a burst of changes becomes one update per SKU.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from despatch.domain.availability import Availability, AvailabilityRule, available_to_sell
from despatch.domain.channel_settings import ChannelSettings
from despatch.domain.errors import DomainError, ValidationFailed
from despatch.domain.events import backoff_after
from despatch.integrations.channels import adapter_for
from despatch.integrations.channels.base import StockUpdate
from despatch.models import Channel, ChannelListing, Sku, StockLevel, Warehouse
from despatch.services import leases
from despatch.services.catalogue import connection, get_channel

log = logging.getLogger("despatch.listings")
PUSH_LEASE = timedelta(minutes=2)


def rule_for(channel: Channel) -> AvailabilityRule:
    return AvailabilityRule.from_settings(ChannelSettings.read(channel.settings).availability)


def warehouses_serving(channel: Channel) -> list[str]:
    active = list(Warehouse.objects.filter(active=True).values_list("code", flat=True))
    return [w for w in channel.warehouses if w in active] if channel.warehouses else active


def availability(code: str, skus: Iterable[str] | None = None) -> list[Availability]:
    """What the channel may sell of each listed SKU (or of ``skus``), with the reasoning."""
    channel = get_channel(code)
    wanted = (
        sorted(set(skus))
        if skus is not None
        else list(ChannelListing.objects.filter(channel=channel).values_list("sku_id", flat=True))
    )
    return _figures(channel, wanted)


def _figures(channel: Channel, skus: list[str]) -> list[Availability]:
    rule = rule_for(channel)
    warehouses = warehouses_serving(channel)
    free: dict[str, dict[str, int]] = {sku: {} for sku in skus}
    rows = StockLevel.objects.filter(sku_id__in=skus, warehouse_id__in=warehouses).values_list(
        "sku_id", "warehouse_id", "on_hand", "reserved", "quarantined"
    )
    for sku, warehouse, on_hand, reserved, quarantined in rows:
        free[sku][warehouse] = on_hand - reserved - quarantined
    safety = dict(Sku.objects.filter(code__in=skus).values_list("code", "safety_stock"))
    return [available_to_sell(sku, free[sku], safety.get(sku, 0), rule) for sku in skus]


def set_listings(code: str, rows: Iterable[tuple[str, str]]) -> int:
    """Add or update listings from (sku, listing ID) pairs; unknown SKUs are named, all at once."""
    channel = get_channel(code)
    pairs = list(rows)
    known = set(Sku.objects.filter(code__in=[s for s, _ in pairs]).values_list("code", flat=True))
    missing = [f"row {n}: {s!r}" for n, (s, _) in enumerate(pairs, start=1) if s not in known]
    if missing:
        raise ValidationFailed.single("sku", "unknown SKUs: " + ", ".join(missing), "unknown_sku")
    with transaction.atomic():
        for sku, listing_id in pairs:
            ChannelListing.objects.update_or_create(
                channel=channel,
                sku_id=sku,
                defaults={"listing_id": listing_id, "dirty": True, "version": F("version") + 1},
                create_defaults={"listing_id": listing_id},
            )
    return len(pairs)


def takes_stock(channel_type: str) -> bool:
    """Whether Despatch can publish stock to channels of this type."""
    adapter = adapter_for(channel_type)
    return adapter is not None and hasattr(adapter, "push_stock")


def ensure_listed(code: str, skus: Iterable[str]) -> None:
    """A channel that sold a SKU lists it: start publishing its stock there (for channel types
    that take stock updates; CSV and generic API channels list nothing unless told)."""
    kind = Channel.objects.filter(code=code).values_list("type", flat=True).first()
    if kind is None or not takes_stock(kind):
        return
    known = Sku.objects.filter(code__in=set(skus)).values_list("code", flat=True)
    ChannelListing.objects.bulk_create(
        [ChannelListing(channel_id=code, sku_id=sku) for sku in known], ignore_conflicts=True
    )


def mark_dirty(skus: Iterable[str]) -> int:
    """Stock of these SKUs changed: every channel listing them must hear of it."""
    return ChannelListing.objects.filter(sku_id__in=list(set(skus))).update(
        dirty=True, version=F("version") + 1
    )


def mark_all_dirty() -> int:
    """Reconciliation: re-check every listing (a platform's own count may have drifted)."""
    return ChannelListing.objects.update(dirty=True, version=F("version") + 1)


@dataclass
class PushReport:
    pushed: int = 0
    unchanged: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    skipped: str = ""


def push(code: str, holder: str = "cli", *, limit: int = 500) -> PushReport:
    """Publish the channel's dirty listings whose figure differs from what it shows."""
    channel = get_channel(code)
    adapter = adapter_for(channel.type)
    if adapter is None or not takes_stock(channel.type):
        return PushReport(skipped=f"{channel.type} channels take no stock updates")
    if not channel.api_url:
        return PushReport(skipped="no API URL")
    lease = f"push:{code}"
    if not leases.acquire(lease, holder, PUSH_LEASE):
        return PushReport(skipped="another worker is pushing")
    try:
        return _push(channel, adapter, limit)
    finally:
        leases.release(lease, holder)


def _push(channel: Channel, adapter: object, limit: int) -> PushReport:
    now = timezone.now()
    due = list(
        ChannelListing.objects.filter(channel=channel, dirty=True)
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
        .order_by("sku_id")[:limit]
    )
    report = PushReport()
    figures = {a.sku: a.quantity for a in _figures(channel, [li.sku_id for li in due])}
    changed = [li for li in due if li.published != figures[li.sku_id]]
    for listing in due:
        if listing.published == figures[listing.sku_id]:
            report.unchanged += 1
            _settle(listing, listing.published)
    if not changed:
        return report
    updates = [StockUpdate(li.sku_id, li.listing_id, figures[li.sku_id]) for li in changed]
    try:
        failures: dict[str, str] = adapter.push_stock(connection(channel), updates)  # type: ignore[attr-defined]
    except DomainError as exc:
        failures = {li.sku_id: str(exc) for li in changed}
    for listing in changed:
        if listing.sku_id in failures:
            report.failed[listing.sku_id] = failures[listing.sku_id]
            _failed(listing, failures[listing.sku_id])
        else:
            report.pushed += 1
            _settle(listing, figures[listing.sku_id])
    return report


def _settle(listing: ChannelListing, quantity: int | None) -> None:
    """Record what the channel now shows; stays dirty if stock changed while we pushed."""
    now = timezone.now()
    ChannelListing.objects.filter(pk=listing.pk).update(
        published=quantity, published_at=now, attempts=0, retry_at=None, error=""
    )
    ChannelListing.objects.filter(pk=listing.pk, version=listing.version).update(dirty=False)


def _failed(listing: ChannelListing, error: str) -> None:
    attempts = listing.attempts + 1
    wait = backoff_after(attempts) or 600
    log.warning("stock push of %s to %s failed: %s", listing.sku_id, listing.channel_id, error)
    ChannelListing.objects.filter(pk=listing.pk).update(
        attempts=attempts, retry_at=timezone.now() + timedelta(seconds=wait), error=error[:2000]
    )


def push_due(holder: str) -> dict[str, PushReport]:
    """The worker's periodic push: every channel with dirty listings it can publish to."""
    codes = (
        ChannelListing.objects.filter(dirty=True, channel__active=True)
        .exclude(channel__api_url="")
        .values_list("channel_id", flat=True)
        .distinct()
    )
    return {code: push(code, holder) for code in list(codes)}


def listings(code: str) -> QuerySet[ChannelListing]:
    return ChannelListing.objects.filter(channel_id=code)
