"""Channel use cases: configure a channel, take in a delivery, apply it to an order, pull.

A delivery (webhook, file or pull) is verified, stored raw in the inbox with an outbox event in
one transaction, and answered at once; the worker parses and applies it. Deliveries are
deduplicated by the platform's delivery ID (and event ID), orders by (channel, external ID).

This package is the channels context's one public module: callers, and every edge (api, web,
cli, worker; import-linter checks it), use the names below, never the parts:

- :mod:`.intake`: receiving and storing a delivery, processing it, importing a file;
- :mod:`.inbox`: reading a stored delivery (its text, JSON, the adapter's reading, its event);
- :mod:`.apply`: creating or updating our order from the platform's (payment, refunds,
  cancellation), with :mod:`.updates` for a changed shipping address;
- :mod:`.sync`: pulling orders from a platform;
- :mod:`.config`: configuring a channel, its deliveries for the channels pages.
"""

from __future__ import annotations

from despatch.services.catalogue import connection, get_channel
from despatch.services.channels.apply import apply_channel_order
from despatch.services.channels.config import (
    TYPES,
    configure_channel,
    deliveries,
    delivery_counts,
)
from despatch.services.channels.intake import (
    CHANNEL_CACHE_SECONDS,
    import_payload,
    process_delivery,
    receive_delivery,
    takes_webhooks,
)
from despatch.services.channels.sync import PULL_LEASE, PULL_OVERLAP, PullReport, pull, pullable

__all__ = [
    "CHANNEL_CACHE_SECONDS",
    "PULL_LEASE",
    "PULL_OVERLAP",
    "TYPES",
    "PullReport",
    "apply_channel_order",
    "configure_channel",
    "connection",
    "deliveries",
    "delivery_counts",
    "get_channel",
    "import_payload",
    "process_delivery",
    "pull",
    "pullable",
    "receive_delivery",
    "takes_webhooks",
]
