"""Prefixed, time-sortable identifiers: ``ord_01JD3...`` (prefix + 26-char Crockford ULID)."""

from __future__ import annotations

import os
import threading
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
    "pick_list": "pkl",
    "wave": "wav",
    "manifest": "man",
    "exception": "exc",
    "message": "msg",
    "webhook": "whk",
    "webhook_delivery": "whd",
    "putaway": "put",
    "return": "rma",
    "refund": "rfd",
    "note": "not",
}


_lock = threading.Lock()
_last = [0, 0]  # (milliseconds, random part) of the last ID made in this process


def _ulid() -> str:
    """A ULID, monotonic within a process: in the same millisecond the random part counts up,
    so IDs made one after another always sort in the order they were made."""
    with _lock:
        ms = int(time.time() * 1000)
        if ms <= _last[0]:
            ms, rand = _last[0], _last[1] + 1
        else:
            rand = int.from_bytes(os.urandom(10), "big") >> 1  # headroom for counting up
        _last[0], _last[1] = ms, rand
    return _crockford((ms << 80) | rand)


# every pair of digits, by the 10 bits it stands for: 13 look-ups make an ID's 26 digits
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]
_SHIFTS = tuple(range(120, -1, -10))


def _crockford(value: int) -> str:
    """A 128-bit number as 26 Crockford base32 digits (the first one's top 2 bits are 0)."""
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in _SHIFTS])


def new_id(kind: str) -> str:
    """A new identifier for a thing of ``kind`` (a key of ``PREFIXES``)."""
    return f"{PREFIXES[kind]}_{_ulid()}"


def kind_of(identifier: str) -> str | None:
    prefix = identifier.split("_", 1)[0]
    return next((k for k, p in PREFIXES.items() if p == prefix), None)
