"""Catalogue use cases: SKUs, warehouses and channels (create or update by code)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from despatch.domain.channel_settings import ChannelSettings
from despatch.domain.errors import FieldError, NotFound, ValidationFailed
from despatch.domain.limits import SKU_TEXT, longer_than
from despatch.integrations.channels.base import Connection
from despatch.integrations.regions import country_codes
from despatch.models import Channel, OrderLine, Sku, Warehouse
from despatch.services import calendars, reference
from despatch.services.audit import Trail, snapshot

WAREHOUSE_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")
CHANNEL_CODE = re.compile(r"[A-Za-z0-9_.-]{1,32}")

SKU_FIELDS = ("name", "gtin", "length_mm", "width_mm", "height_mm", "weight_g", "flags")
WAREHOUSE_FIELDS = ("name", "time_zone", "country", "priority")
CHANNEL_FIELDS = (
    "name",
    "type",
    "warehouses",
    "active",
    "webhook_secret",
    "api_url",
    "token",
    "settings",
)


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


def upsert_skus(rows: Iterable[SkuRow], *, actor: str = "system") -> tuple[int, int]:
    """Create or update SKUs by code; returns (created, updated). Each SKU created or changed
    is audited with the fields that changed."""
    rows = list(rows)
    errors = [e for r in rows for e in longer_than(SKU_TEXT, {"code": r.code, "name": r.name})]
    if errors:
        raise ValidationFailed(errors)
    trail = Trail(actor)
    with transaction.atomic():
        existing = {
            sku.code: snapshot(sku, SKU_FIELDS)
            for sku in Sku.objects.filter(code__in=[r.code for r in rows])
        }
        for r in rows:
            values = {name: getattr(r, name) for name in SKU_FIELDS} | {"flags": list(r.flags)}
            Sku.objects.update_or_create(code=r.code, defaults=values)
            trail.change("sku", r.code, existing.get(r.code), values)
        trail.save()
    return len(rows) - len(existing), len(existing)


def upsert_warehouse(
    *,
    code: str,
    name: str,
    time_zone: str = "UTC",
    country: str = "GB",
    priority: int = 100,
    actor: str = "system",
) -> Warehouse:
    """Create or update a warehouse, refusing anything its calendar could not be read with:
    the pipeline reads the calendar for every order, so a bad value would stop them all."""
    errors = []
    if not WAREHOUSE_CODE.fullmatch(code):
        errors.append(FieldError("code", "1 to 32 letters, digits, - or _", "code"))
    if not name.strip():
        errors.append(FieldError("name", "is required", "required"))
    if not (len(country) == 2 and country.isascii() and country.isalpha()):
        errors.append(FieldError("country", f"{country!r} is not an ISO 3166 code", "country"))
    if errors:
        raise ValidationFailed(errors)
    values = dict(name=name, time_zone=time_zone, country=country.upper(), priority=priority)
    with transaction.atomic():
        old = Warehouse.objects.select_for_update().filter(code=code).first()
        before = snapshot(old, WAREHOUSE_FIELDS) if old else None
        _check_calendar(Warehouse(code=code, calendar=old.calendar if old else {}, **values))
        warehouse, _ = Warehouse.objects.update_or_create(code=code, defaults=values)
        trail = Trail(actor)
        trail.change("warehouse", code, before, values)
        trail.save()
    return warehouse


def _check_calendar(warehouse: Warehouse) -> None:
    """The warehouse's calendar must read with its new country and time zone."""
    try:
        calendars.calendar_of(warehouse)
    except ValidationFailed as exc:
        implied = not isinstance(warehouse.calendar.get("holidays"), dict)
        raise ValidationFailed(
            [
                FieldError(
                    "country",
                    f"no public holidays known for {warehouse.country!r}",
                    "country",
                    hint='a real ISO 3166 code, or calendar "holidays": false',
                )
                if implied and e.field == "calendar.holidays.country"
                else e
                for e in exc.errors
            ]
        ) from None


def check_warehouses(warehouses: list[str] | None) -> None:
    unknown = set(warehouses or []) - set(Warehouse.objects.values_list("code", flat=True))
    if unknown:
        raise ValidationFailed.single(
            "warehouses", f"unknown warehouse(s): {', '.join(sorted(unknown))}", "unknown_warehouse"
        )


def upsert_channel(
    *,
    code: str,
    name: str,
    type: str = "api",
    warehouses: list[str] | None = None,
    actor: str = "system",
) -> Channel:
    if not CHANNEL_CODE.fullmatch(code):
        raise ValidationFailed.single("code", "1 to 32 letters, digits, ., - or _", "code")
    if len(name) > 200:
        raise ValidationFailed.single("name", "at most 200 characters", "too_long")
    check_warehouses(warehouses)
    values = dict(name=name, type=type, warehouses=list(warehouses or []))
    with transaction.atomic():
        old = Channel.objects.select_for_update().filter(code=code).first()
        before = snapshot(old, CHANNEL_FIELDS) if old else None
        channel, _ = Channel.objects.update_or_create(code=code, defaults=values)
        trail = Trail(actor)
        trail.change("channel", code, before, snapshot(channel, CHANNEL_FIELDS))
        trail.save()
    return channel


def warehouses() -> QuerySet[Warehouse]:
    return Warehouse.objects.order_by("priority", "code")


def skus(q: str = "") -> QuerySet[Sku]:
    rows = Sku.objects.order_by("code")
    return rows.filter(code__icontains=q) | rows.filter(name__icontains=q) if q else rows


def item_names(lines: Iterable[OrderLine]) -> list[str]:
    """What each order line is called: the name the channel gave it, else the catalogue's name
    of its SKU, else the SKU itself."""
    lines = list(lines)
    named = dict(Sku.objects.filter(code__in={li.sku for li in lines}).values_list("code", "name"))
    return [li.name or named.get(li.sku) or li.sku for li in lines]


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


API_CHANNEL = "api"  # POST /api/orders's default channel: there without being added


def check_api_order(channel: str, countries: dict[str, str]) -> bool:
    """Refuse an order sent to a channel that does not exist (but the API's default), or to a
    country that is not an ISO 3166-1 alpha-2 code (``countries``: field -> code), naming the
    field (a real country whose postal rules the address fails is the exception queue's: it is
    held); else whether the channel is trusted to state payment status. The reference data is
    read once for both."""
    errors = [
        FieldError(field, f"{code!r} is not an ISO 3166-1 alpha-2 country code", "unknown_country")
        for field, code in countries.items()
        if code.upper() not in country_codes()
    ]
    with reference.pinned():
        if channel != API_CHANNEL and reference.channel(channel) is None:
            errors.insert(0, FieldError("channel", f"no channel is called {channel!r}", "unknown"))
        if errors:
            raise ValidationFailed(errors)
        return trusts_payment_status(channel)


def trusts_payment_status(code: str) -> bool:
    """Whether orders sent to this channel through the API may state their own payment
    status (``settings.trusted_payment_status: true``); an unknown channel is not trusted."""
    return ChannelSettings.read(reference.channel_settings(code)).trusted_payment_status


def connection(channel: Channel) -> Connection:
    """How to reach the channel's API."""
    return Connection(channel.api_url, channel.token, channel.settings)
