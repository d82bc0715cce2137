"""Prefixed, time-sortable identifiers: ``ord_01JD3...`` (prefix + 26-char Crockford ULID)."""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

PREFIXES = {
    "order": "ord",
    "line": "oln",
    "shipment": "shp",
    "reservation": "res",
    "movement": "mov",
    "event": "evt",
    "audit": "aud",
}


def _ulid() -> str:
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        value, index = divmod(value, 32)
        chars.append(_ALPHABET[index])
    return "".join(reversed(chars))


def new_id(kind: str) -> str:
    """A new identifier for a thing of ``kind`` (a key of ``PREFIXES``)."""
    return f"{PREFIXES[kind]}_{_ulid()}"


def kind_of(identifier: str) -> str | None:
    prefix = identifier.split("_", 1)[0]
    return next((k for k, p in PREFIXES.items() if p == prefix), None)
