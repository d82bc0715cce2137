"""A channel's configuration (create or change it, audited; secrets kept unless replaced) and
the deliveries it has received, for the channels pages.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet

from despatch.domain import partials
from despatch.domain.allocation import read_sourcing
from despatch.domain.availability import AvailabilityRule
from despatch.domain.errors import ValidationFailed
from despatch.integrations.channels import ADAPTERS
from despatch.models import Channel, ChannelDelivery
from despatch.services import catalogue
from despatch.services.audit import Trail, snapshot
from despatch.services.channels.intake import forget_channel

TYPES = tuple(sorted({*ADAPTERS, "amazon", "bigcommerce", "csv", "api"}))


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
    _check_settings(settings)
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
    forget_channel(code)
    return channel


def _check_settings(settings: dict[str, Any] | None) -> None:
    """Refuse settings the channel could not use, naming the field; None values are removals."""
    if not settings:
        return
    if settings.get("availability") is not None:
        AvailabilityRule.from_settings(settings["availability"])  # names each wrong field
    minutes = settings.get("unpaid_hold_minutes")
    if minutes is not None and (
        isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= 10080
    ):
        raise ValidationFailed.single(
            "unpaid_hold_minutes", "must be whole minutes from 0 to 10080 (a week)", "invalid"
        )
    if settings.get(partials.SETTING) is not None:
        partials.read(settings[partials.SETTING])  # never or when_available
    if settings.get("sourcing") is not None:
        if not isinstance(settings["sourcing"], dict):
            raise ValidationFailed.single("sourcing", "must be an object", "sourcing")
        read_sourcing(settings["sourcing"])


def deliveries(code: str, status: str = "") -> QuerySet[ChannelDelivery]:
    rows = ChannelDelivery.objects.filter(channel_id=code)
    return rows.filter(status=status) if status else rows


def delivery_counts() -> dict[str, dict[str, int]]:
    """Deliveries per channel and status, for the channels overview."""
    counts: dict[str, dict[str, int]] = {}
    for row in ChannelDelivery.objects.values("channel_id", "status").annotate(n=Count("id")):
        counts.setdefault(row["channel_id"], {})[row["status"]] = row["n"]
    return counts
