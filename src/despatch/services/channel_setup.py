"""Channels as the set-up pages see them: how each is doing (its health line) and whether its
stored credentials reach the platform (a connection test, made outside any transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import Count, Max
from django.utils import timezone

from despatch.integrations.channels.probe import Probe, check_connection
from despatch.models import Channel, ChannelDelivery, ChannelListing, Order
from despatch.services import catalogue, webhooks

__all__ = ["Health", "Probe", "health", "try_connection"]


@dataclass(frozen=True)
class Health:
    last_delivery: datetime | None
    last_pull: datetime | None
    push_errors: int  # listings whose last publish failed
    orders_today: int  # received since midnight (server time zone)


def health(codes: list[str]) -> dict[str, Health]:
    """The health line of each channel, in four queries whatever the number of channels."""
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    delivered = dict(
        ChannelDelivery.objects.filter(channel_id__in=codes)
        .values("channel_id")
        .annotate(last=Max("received_at"))
        .values_list("channel_id", "last")
    )
    errors = dict(
        ChannelListing.objects.filter(channel_id__in=codes)
        .exclude(error="")
        .values("channel_id")
        .annotate(n=Count("id"))
        .values_list("channel_id", "n")
    )
    today = dict(
        Order.objects.filter(channel__in=codes, created_at__gte=midnight)
        .values("channel")
        .annotate(n=Count("id"))
        .values_list("channel", "n")
    )
    pulls = dict(Channel.objects.filter(code__in=codes).values_list("code", "settings"))
    return {
        code: Health(
            delivered.get(code),
            _time((pulls.get(code) or {}).get("last_pull")),
            errors.get(code, 0),
            today.get(code, 0),
        )
        for code in codes
    }


def _time(stamp: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(stamp)) if stamp else None
    except ValueError:
        return None


def try_connection(code: str) -> Probe:
    """Call the channel's platform once with its stored credentials (no transaction is open:
    nothing is written). Private addresses are refused as for outbound webhooks unless
    DESPATCH_WEBHOOK_ALLOW_PRIVATE=1."""
    channel = catalogue.get_channel(code)
    return check_connection(
        channel.type, catalogue.connection(channel), public_only=not webhooks.allow_private()
    )
