"""Pulling a channel's orders from its platform into the inbox, by hand or on the worker's timer;
the worker applies them like any delivery. One puller per channel at a time (a lease).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import ModuleType

from django.utils import timezone

from despatch.domain.errors import ValidationFailed
from despatch.integrations.channels import ADAPTERS, adapter_for
from despatch.models import Channel
from despatch.services import leases
from despatch.services.catalogue import connection, get_channel
from despatch.services.channels.intake import receive_delivery

PULL_OVERLAP = timedelta(minutes=5)  # re-read a little: clocks differ, duplicates cost nothing
PULL_LEASE = timedelta(minutes=15)


@dataclass
class PullReport:
    fetched: int = 0
    new: int = 0
    already_had: int = 0
    skipped: str = ""


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
