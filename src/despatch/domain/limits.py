"""Sizes an order may have, the same at every edge (API, CSV import, channel webhooks).

The text limits are the widths of the columns the values are stored in; an address has no
column of its own but is printed on labels, so its fields are bounded too. An order from a
person (API, CSV) that does not fit is refused naming the field; an order a platform has
already taken from a shopper is stored with its descriptive text cut to fit, and the cut is
recorded, because refusing it would lose a sale.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from despatch.domain.errors import FieldError, ValidationFailed
from despatch.domain.money import LARGEST
from despatch.domain.orders import OrderDraft

MAX_LINES = 500  # lines in one order

# Identity: never cut (a cut ID would name another order or SKU).
ORDER_IDS = {"channel": 32, "external_id": 128}
LINE_IDS = {"sku": 64}
# Description: cut to fit when a platform sends more.
ORDER_TEXT = {"customer_name": 200, "customer_email": 254, "requested_service": 64}
LINE_TEXT = {"name": 300}
ADDRESS_TEXT = 200
ADDRESS_FIELDS = ("name", "company", "line1", "line2", "city", "region", "postcode", "email")
ADDRESS_SHORT = {"country": 2, "phone": 64, "phone_raw": 64}
SKU_TEXT = {"code": 64, "name": 300}
CODE = 32  # warehouse and channel codes
DELIVERY_IDS = {"delivery_id": 128, "event_id": 128, "topic": 64}  # a channel's webhook
PAYMENT_IDS = {"provider": 32, "event_id": 128}  # a payment notice


def longer_than(
    limits: dict[str, int], values: dict[str, str], prefix: str = ""
) -> list[FieldError]:
    """A :class:`FieldError` for each of ``values`` longer than its limit."""
    found = (_too_long(prefix + k, str(values.get(k, "")), n) for k, n in limits.items())
    return [e for e in found if e is not None]


def _address_limits() -> dict[str, int]:
    return {**dict.fromkeys(ADDRESS_FIELDS, ADDRESS_TEXT), **ADDRESS_SHORT}


def _too_long(field: str, value: str, limit: int) -> FieldError | None:
    if len(value) <= limit:
        return None
    return FieldError(field, f"at most {limit} characters (got {len(value)})", "too_long")


def oversized(draft: OrderDraft, *, identities_only: bool = False) -> list[FieldError]:
    """Every field of ``draft`` longer than its limit, and a line count over MAX_LINES."""
    errors: list[FieldError | None] = []
    if len(draft.lines) > MAX_LINES:
        errors.append(
            FieldError("lines", f"at most {MAX_LINES} lines (got {len(draft.lines)})", "too_many")
        )
    order = ORDER_IDS if identities_only else {**ORDER_IDS, **ORDER_TEXT}
    line = LINE_IDS if identities_only else {**LINE_IDS, **LINE_TEXT}
    errors += [_too_long(k, getattr(draft, k), n) for k, n in order.items()]
    for i, li in enumerate(draft.lines):
        errors += [_too_long(f"lines[{i}].{k}", getattr(li, k), n) for k, n in line.items()]
    total = draft.total.amount
    if total.copy_abs() >= LARGEST:
        errors.append(FieldError("total", f"{total} is too large", "too_large"))
    if not identities_only:
        address = draft.shipping_address
        errors += [
            _too_long(f"shipping_address.{k}", getattr(address, k), n)
            for k, n in _address_limits().items()
        ]
    return [e for e in errors if e is not None]


def fit(draft: OrderDraft) -> tuple[OrderDraft, list[str]]:
    """``draft`` with its descriptive text cut to the limits, and the fields that were cut.
    Identities and the line count are left alone: :func:`oversized` refuses those. A field
    that is not text at all is refused (:class:`ValidationFailed` naming it)."""
    cut: list[str] = []

    def clip(field: str, value: object, limit: int) -> str:
        if not isinstance(value, str):  # a platform sent an object where text belongs
            raise ValidationFailed.single(field, f"expected text, got {value!r:.60}", "not_text")
        if len(value) > limit:
            cut.append(field)
        return value[:limit]

    def clipped(obj: Any, limits: dict[str, int], prefix: str) -> dict[str, Any]:
        return {k: clip(prefix + k, getattr(obj, k), n) for k, n in limits.items()}

    lines = tuple(
        replace(li, **clipped(li, LINE_TEXT, f"lines[{i}].")) for i, li in enumerate(draft.lines)
    )
    where = {k: n for k, n in _address_limits().items() if k != "country"}
    address = replace(
        draft.shipping_address, **clipped(draft.shipping_address, where, "shipping_address.")
    )
    fitted = replace(draft, lines=lines, shipping_address=address)
    return replace(fitted, **clipped(draft, ORDER_TEXT, "")), cut


def in_utc(moment: datetime, field: str) -> datetime:
    """``moment`` in UTC, as every database stores it: a naive time is taken as UTC, and an
    offset no database keeps (``+18:56``) is converted. A time that leaves the calendar when
    converted (year 1 at +05:00) is refused naming ``field``."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValidationFailed.single(field, f"{moment.isoformat()} is out of range") from None
