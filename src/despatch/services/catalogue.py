"""Catalogue use cases: SKUs, warehouses and channels (create or update by code)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import QuerySet

from despatch.domain.errors import FieldError, NotFound, ValidationFailed
from despatch.integrations.channels.base import Connection
from despatch.models import Channel, Sku, Warehouse


@dataclass(frozen=True)
class SkuRow:
    code: str
    name: str
    gtin: str = ""
    length_mm: int = 0
    width_mm: int = 0
    height_mm: int = 0
    weight_g: int = 0
    flags: tuple[str, ...] = ()


def upsert_skus(rows: Iterable[SkuRow]) -> tuple[int, int]:
    """Create or update SKUs by code; returns (created, updated)."""
    rows = list(rows)
    with transaction.atomic():
        existing = set(
            Sku.objects.filter(code__in=[r.code for r in rows]).values_list("code", flat=True)
        )
        for r in rows:
            Sku.objects.update_or_create(
                code=r.code,
                defaults=dict(
                    name=r.name,
                    gtin=r.gtin,
                    length_mm=r.length_mm,
                    width_mm=r.width_mm,
                    height_mm=r.height_mm,
                    weight_g=r.weight_g,
                    flags=list(r.flags),
                ),
            )
    return len(rows) - len(existing), len(existing)


def upsert_warehouse(
    *, code: str, name: str, time_zone: str = "UTC", country: str = "GB", priority: int = 100
) -> Warehouse:
    errors = []
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(FieldError("time_zone", f"unknown time zone {time_zone!r}", "time_zone"))
    if not code.strip():
        errors.append(FieldError("code", "is required", "required"))
    if errors:
        raise ValidationFailed(errors)
    warehouse, _ = Warehouse.objects.update_or_create(
        code=code,
        defaults=dict(name=name, time_zone=time_zone, country=country.upper(), priority=priority),
    )
    return warehouse


def upsert_channel(
    *, code: str, name: str, type: str = "api", warehouses: list[str] | None = None
) -> Channel:
    unknown = set(warehouses or []) - set(Warehouse.objects.values_list("code", flat=True))
    if unknown:
        raise ValidationFailed.single(
            "warehouses", f"unknown warehouse(s): {', '.join(sorted(unknown))}", "unknown_warehouse"
        )
    channel, _ = Channel.objects.update_or_create(
        code=code, defaults=dict(name=name, type=type, warehouses=list(warehouses or []))
    )
    return channel


def warehouses() -> QuerySet[Warehouse]:
    return Warehouse.objects.order_by("priority", "code")


def skus(q: str = "") -> QuerySet[Sku]:
    rows = Sku.objects.order_by("code")
    return rows.filter(code__icontains=q) | rows.filter(name__icontains=q) if q else rows


def get_sku(code: str) -> Sku:
    sku = Sku.objects.filter(code=code).first()
    if sku is None:
        raise NotFound("sku", code)
    return sku


def channels() -> QuerySet[Channel]:
    return Channel.objects.order_by("code")


def get_channel(code: str) -> Channel:
    channel = Channel.objects.filter(code=code).first()
    if channel is None:
        raise NotFound("channel", code)
    return channel


def connection(channel: Channel) -> Connection:
    """How to reach the channel's API."""
    return Connection(channel.api_url, channel.token, channel.settings)
