"""Partial shipments: whether an order short of stock ships what is there now.

A channel's ``partial_shipments`` setting says it:

- ``when_available``: the units in stock ship now as their own shipment, the rest stays
  backordered on its lines and gets its own later shipment when stock arrives;
- ``never``: the order waits until every line can be reserved (what is there stays reserved).

Marketplaces that take a shipment per parcel with its lines (Shopify, WooCommerce, Amazon,
eBay, BigCommerce) default to ``when_available``; CSV and API channels, which have no platform
to tell of each parcel, default to ``never`` (one parcel, as a file import expects).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from despatch.domain.allocation import Plan
from despatch.domain.errors import ValidationFailed
from despatch.domain.orders import OrderStatus


class PartialShipments(StrEnum):
    NEVER = "never"
    WHEN_AVAILABLE = "when_available"


SETTING = "partial_shipments"
# Platforms that accept a fulfilment per parcel, naming its lines and quantities.
ACCEPT_PARTIAL = frozenset({"shopify", "woocommerce", "amazon", "ebay", "bigcommerce"})

# An order past allocation whose lines still wait for stock: its remainder ships later.
REMAINDER_WAITS = frozenset(
    {
        OrderStatus.ALLOCATED,
        OrderStatus.PICKING,
        OrderStatus.PACKED,
        OrderStatus.PARTIALLY_DESPATCHED,
        OrderStatus.PARTIALLY_DELIVERED,
    }
)


def default_for(channel_type: str) -> PartialShipments:
    if channel_type in ACCEPT_PARTIAL:
        return PartialShipments.WHEN_AVAILABLE
    return PartialShipments.NEVER


def read(value: Any) -> PartialShipments:
    """The setting as written, or :class:`ValidationFailed` naming it."""
    try:
        return PartialShipments(value)
    except ValueError:
        choices = ", ".join(p.value for p in PartialShipments)
        raise ValidationFailed.single(
            SETTING, f"{value!r} is not one of: {choices}", "partial_shipments"
        ) from None


def policy(channel_type: str, settings: Mapping[str, Any]) -> PartialShipments:
    """The channel's policy: its setting, else the default for its type."""
    value = settings.get(SETTING)
    if value is None:
        return default_for(channel_type)
    try:
        return PartialShipments(value)
    except ValueError:  # validated when written; an old bad value falls back to the default
        return default_for(channel_type)


def outstanding(backordered: Iterable[int]) -> bool:
    """Whether any line of the order still waits for stock."""
    return any(units > 0 for units in backordered)


def remainder_ships(plan: Plan, *, partial_ok: bool) -> bool:
    """Whether the units a waiting remainder could reserve become a shipment now: something
    was placed, and everything unless the channel ships what is there (``when_available``)."""
    return bool(plan.assignments) and (plan.is_complete or partial_ok)
