"""Reference data cached per process: channels, warehouses and their calendars, the active
rule set, SKU facts, which channels list which SKU, and webhook subscriptions.

Each read first compares the token of the ``ReferenceVersion`` row with the one the cache was
filled under; a database trigger changes that token in the same transaction as any write to
those tables (migration 0032), so a change is seen at the next order and a stale value never
outlives it. Inside ``pinned()`` (a use case, or a worker's batch of orders) the token is read
once, at the start. Values handed out are copies or frozen: callers cannot change the cache.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection

from despatch.domain.calendars import Calendar
from despatch.models import (
    Channel,
    ChannelListing,
    ReferenceVersion,
    Sku,
    Warehouse,
    WebhookSubscription,
)
from despatch.services import calendars


@dataclass(frozen=True)
class SkuFacts:
    active: bool
    weight_g: int
    flags: tuple[str, ...]


@dataclass
class _Cache:
    token: int | None
    channels: dict[str, Channel] | None = None
    warehouses: list[Warehouse] | None = None
    calendars: dict[tuple[str, int], Calendar] = field(default_factory=dict)
    skus: dict[str, SkuFacts | None] = field(default_factory=dict)
    listed: dict[str, frozenset[str]] = field(default_factory=dict)
    subscriptions: list[WebhookSubscription] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


_lock = threading.Lock()
_cache = _Cache(token=None)
_pinned: ContextVar[_Cache | None] = ContextVar("reference_pinned", default=None)


_TOKEN = f"SELECT token FROM {ReferenceVersion._meta.db_table} WHERE id = 1"


def _token() -> int | None:
    """The version row's token (a plain statement: read once a batch, not compiled each time)."""
    with connection.cursor() as cursor:
        cursor.execute(_TOKEN)
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _fresh() -> _Cache:
    """The cache, checked against the database's token (read before any data, so data read
    after it is at least as new as the token says)."""
    global _cache
    token = _token()
    with _lock:
        if token is None or token != _cache.token:
            _cache = _Cache(token=token)  # no token (a flushed database): cache for this read
        return _cache


def current() -> _Cache:
    pinned = _pinned.get()
    return pinned if pinned is not None else _fresh()


@contextmanager
def pinned() -> Iterator[None]:
    """Read the token once for the block (a use case or a batch); nested blocks share it."""
    if _pinned.get() is not None:
        yield
        return
    reset = _pinned.set(_fresh())
    try:
        yield
    finally:
        _pinned.reset(reset)


def channel(code: str) -> Channel | None:
    cache = current()
    if cache.channels is None:
        cache.channels = {c.code: c for c in Channel.objects.all()}
    return cache.channels.get(code)


def channel_settings(code: str) -> dict[str, Any]:
    found = channel(code)
    return dict(found.settings or {}) if found else {}


def active_warehouses() -> list[Warehouse]:
    """Active warehouses in priority order (the model's ordering)."""
    cache = current()
    if cache.warehouses is None:
        cache.warehouses = list(Warehouse.objects.filter(active=True))
    return list(cache.warehouses)


def warehouse(code: str) -> Warehouse:
    for w in active_warehouses():
        if w.code == code:
            return w
    return Warehouse.objects.get(code=code)  # an inactive one: rare, not cached


def calendar(w: Warehouse, around: datetime) -> Calendar:
    """The warehouse's calendar with the public holidays around ``around``'s year."""
    cache = current()
    key = (w.code, around.year)
    if not any(w is cached for cached in cache.warehouses or []):
        return calendars.calendar_of(w, around)  # not the cached row: its calendar may differ
    if key not in cache.calendars:
        cache.calendars[key] = calendars.calendar_of(w, around)
    return cache.calendars[key]


def sku_facts(codes: Iterable[str]) -> dict[str, SkuFacts]:
    """Facts of the SKUs that exist among ``codes``."""
    cache = current()
    wanted = set(codes)
    missing = wanted - cache.skus.keys()
    if missing:
        found = {
            code: SkuFacts(active, weight, tuple(str(f) for f in flags or ()))
            for code, active, weight, flags in Sku.objects.filter(code__in=missing).values_list(
                "code", "active", "weight_g", "flags"
            )
        }
        for code in missing:
            cache.skus[code] = found.get(code)
    return {c: f for c in wanted if (f := cache.skus.get(c)) is not None}


def active_skus(codes: Iterable[str]) -> set[str]:
    return {code for code, facts in sku_facts(codes).items() if facts.active}


def listing_channels(skus: Iterable[str]) -> dict[str, frozenset[str]]:
    """For each SKU, the channels that list it (empty when none does)."""
    cache = current()
    wanted = set(skus)
    missing = wanted - cache.listed.keys()
    if missing:
        found: dict[str, set[str]] = {sku: set() for sku in missing}
        rows = ChannelListing.objects.filter(sku_id__in=missing).values_list("sku_id", "channel_id")
        for sku, code in rows:
            found[sku].add(code)
        cache.listed.update({sku: frozenset(codes) for sku, codes in found.items()})
    return {sku: cache.listed[sku] for sku in wanted}


def any_listed(skus: Iterable[str]) -> bool:
    return any(listing_channels(skus).values())


def subscriptions() -> list[WebhookSubscription]:
    cache = current()
    if cache.subscriptions is None:
        cache.subscriptions = list(WebhookSubscription.objects.filter(active=True).order_by("id"))
    return list(cache.subscriptions)
