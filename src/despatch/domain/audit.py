"""The audit chain: every audit entry is hashed together with the hash of the entry before it.

An entry's *content* is its fields (``FIELDS``) as they read back from the database. Its hash is
SHA-256 over a canonical JSON of that content plus the previous entry's hash, so changing,
reordering or deleting any entry breaks every hash after it. ``verify`` walks a chain in
sequence order and names the first entry that does not match.

Canonical JSON: keys sorted, no spaces, ASCII only, no NaN; the time as UTC with microseconds
(``2026-05-01T12:00:00.000000Z``); a float with no fraction written as an integer (PostgreSQL's
jsonb reads ``1e20`` back as ``100000000000000000000``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from despatch.domain.errors import ValidationFailed
from despatch.domain.limits import in_utc

GENESIS = "0" * 64

FIELDS = (
    "seq",
    "id",
    "at",
    "actor",
    "subject_type",
    "subject_id",
    "order_id",
    "action",
    "reason_code",
    "before",
    "after",
    "detail",
)


def format_at(at: datetime) -> str:
    """A timestamp as the chain hashes it: UTC, microseconds, a ``Z``."""
    if at.tzinfo is None:
        raise ValueError("audit times must carry a time zone")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- what a change looks like in the trail: before -> after, secrets redacted ---------------

SECRET_WORDS = ("secret", "password", "token", "api_key", "apikey", "key_hash", "credential")


def is_secret(key: str) -> bool:
    return any(word in key.lower() for word in SECRET_WORDS)


def fingerprint(key: str, value: Any) -> str:
    """What the trail shows of a secret: ``***`` and, for a key (not a password), the first 8
    hex digits of its SHA-256, so a change is visible and a known secret can be matched. An
    empty secret stays empty."""
    if value in (None, ""):
        return ""
    if "password" in key.lower():
        return "***"
    return "*** sha256:" + hashlib.sha256(str(value).encode()).hexdigest()[:8]


def redact(value: Any, key: str = "") -> Any:
    """``value`` with every secret (by its key, at any depth) replaced by its fingerprint."""
    if key and is_secret(key) and not isinstance(value, dict | list):
        return fingerprint(key, value)
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, key) for v in value]
    return value


def changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The fields that differ, before and after, redacted; (None, None) when nothing changed.
    A creation (``before`` None) or a deletion (``after`` None) keeps every field."""
    if before is None or after is None:
        return (None if before is None else redact(dict(before))), (
            None if after is None else redact(dict(after))
        )
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    if not keys:
        return None, None
    return (
        redact({k: before.get(k) for k in keys}),
        redact({k: after.get(k) for k in keys}),
    )


def parse_moment(text: str, field: str) -> datetime:
    """A date (``2026-05-01``, midnight UTC) or an ISO 8601 time (``2026-05-01T12:00Z``; UTC
    when it names no zone). A bad one is refused naming ``field``."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed.single(
            field, f"{text!r} is not a date or an ISO 8601 time (2026-05-01T12:00Z)"
        ) from None
    return in_utc(moment, field)


def as_stored(value: Any) -> Any:
    """A JSON value as the database gives it back: tuples become lists, keys become strings."""
    return json.loads(json.dumps(value, allow_nan=False))


_LEAVES = frozenset({str, int, bool, type(None)})  # written as they are


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _LEAVES:  # most of a trail: checked first, by type (no isinstance chain)
        return value
    if kind is dict:
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def canonical(content: Mapping[str, Any]) -> bytes:
    """The bytes hashed for one entry's content (the ``FIELDS``; any others are ignored)."""
    shown = {name: content.get(name) for name in FIELDS}
    shown["at"] = format_at(shown["at"]) if isinstance(shown["at"], datetime) else shown["at"]
    text = json.dumps(
        _plain(shown), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )
    return text.encode("ascii")


def link_hash(content: Mapping[str, Any], prev_hash: str) -> str:
    """SHA-256 (hex) over the previous entry's hash, a newline, and the canonical content."""
    digest = hashlib.sha256(prev_hash.encode("ascii") + b"\n")
    digest.update(canonical(content))
    return digest.hexdigest()


@dataclass(frozen=True)
class Link:
    """One stored entry as the chain sees it: its content, and the hashes stored beside it."""

    content: Mapping[str, Any]
    prev_hash: str
    hash: str

    @property
    def seq(self) -> int:
        return int(self.content["seq"])

    @property
    def id(self) -> str:
        return str(self.content["id"])


@dataclass(frozen=True)
class Break:
    """Where a chain stops matching: the entry (sequence and ID) and what is wrong with it."""

    seq: int
    id: str
    problem: str

    def __str__(self) -> str:
        return f"audit entry #{self.seq} ({self.id or 'none'}): {self.problem}"


@dataclass(frozen=True)
class Head:
    """The latest entry of a chain: its sequence number and hash (sequence 0: an empty chain)."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


def parse_anchor(text: str, field: str = "anchor") -> Head:
    """``SEQ:HASH`` as ``despatch audit head`` prints it."""
    seq, _, digest = text.strip().partition(":")
    if not (seq.isdigit() and len(digest) == 64 and set(digest) <= set("0123456789abcdef")):
        raise ValidationFailed.single(field, f"{text!r} is not SEQ:HASH (as `audit head` prints)")
    return Head(int(seq), digest)


def check_anchor(anchor: Head, found: Link | None) -> Break | None:
    """Is the entry at the anchor's sequence number still the one whose hash was kept?"""
    if found is None:
        return Break(anchor.seq, "", "the anchored entry is missing (deleted)")
    if found.hash != anchor.hash:
        return Break(
            anchor.seq,
            found.id,
            "its hash is not the anchored hash (the chain was rewritten after the anchor)",
        )
    return None


def check_link(link: Link, prev: Head) -> Break | None:
    """Does ``link`` follow ``prev`` (the entry before it), and does its content match its hash?"""
    if link.seq > prev.seq + 1:
        missing = (
            f"#{prev.seq + 1}" if link.seq == prev.seq + 2 else f"#{prev.seq + 1}-#{link.seq - 1}"
        )
        return Break(link.seq, link.id, f"entry {missing} before it is missing (deleted)")
    if link.seq <= prev.seq:
        return Break(link.seq, link.id, f"out of order: it comes after #{prev.seq}")
    if link.prev_hash != prev.hash:
        return Break(
            link.seq,
            link.id,
            f"does not follow entry #{prev.seq}: its previous hash is not that entry's hash "
            "(an earlier entry was changed or the chain rewritten)",
        )
    if link_hash(link.content, link.prev_hash) != link.hash:
        return Break(link.seq, link.id, "content does not match its hash (the entry was changed)")
    return None


def verify(
    links: Iterable[Link], *, start: Head, head: Head | None = None
) -> tuple[int, Break | None]:
    """Walk ``links`` in sequence order from ``start`` (the entry before the first one).

    Answers how many entries matched and the first break, if any. ``head``, when given, is the
    chain's recorded head: entries missing after the last one are a break too.
    """
    prev, count = start, 0
    for link in links:
        broken = check_link(link, prev)
        if broken:
            return count, broken
        prev, count = Head(link.seq, link.hash), count + 1
    if head is not None and (head.seq, head.hash) != (prev.seq, prev.hash):
        if head.seq > prev.seq:
            problem = f"the head says #{head.seq}: entries after #{prev.seq} are missing (deleted)"
        else:
            problem = f"the head ({head}) does not match the last entry ({prev})"
        return count, Break(head.seq, "", problem)
    return count, None
