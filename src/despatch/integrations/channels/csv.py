"""Orders from a CSV file: one row per order line, rows sharing ``external_id`` form one order.

Required header: ``external_id,currency,sku,quantity,unit_price,ship_name,ship_line1,ship_city,
ship_postcode,ship_country``. Optional: ``channel`` (else the import's channel), ``customer_name``,
``customer_email``, ``ship_line2``, ``ship_region``, ``ship_phone``, ``service``,
``payment_status``, ``shipping_price``, ``priority``, ``paid_at`` and ``ship_by`` (ISO 8601;
without a zone, UTC).

A row that cannot be read is reported with its row number and field, and its whole order is
left out (an order is never imported with a line missing); every other order is kept.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from despatch.domain import limits
from despatch.domain.addresses import Address
from despatch.domain.errors import ValidationFailed
from despatch.domain.money import Money
from despatch.domain.orders import LineDraft, OrderDraft, PaymentStatus
from despatch.integrations.channels.base import timestamp
from despatch.integrations.rows import RowError, integer, read_rows

REQUIRED = (
    "external_id",
    "currency",
    "sku",
    "quantity",
    "unit_price",
    "ship_name",
    "ship_line1",
    "ship_city",
    "ship_postcode",
    "ship_country",
)


@dataclass(frozen=True)
class ParsedOrder:
    rows: tuple[int, ...]
    draft: OrderDraft


def parse(
    source: Path | str, channel: str, *, encoding: str = "", delimiter: str = ""
) -> tuple[list[ParsedOrder], list[RowError]]:
    grouped: dict[tuple[str, str], list[tuple[int, dict[str, str]]]] = defaultdict(list)
    errors: list[RowError] = []
    read = read_rows(source, REQUIRED, encoding=encoding, delimiter=delimiter, errors=errors)
    for number, row in read:
        if not row["external_id"]:
            errors.append(RowError(number, "external_id", "is required"))
            continue
        grouped[(row.get("channel") or channel, row["external_id"])].append((number, row))
    orders = []
    for (code, external_id), rows in grouped.items():
        try:
            orders.append(ParsedOrder(tuple(n for n, _ in rows), _draft(code, external_id, rows)))
        except _RowFailed as exc:
            errors += exc.errors
    return orders, sorted(dict.fromkeys(errors), key=lambda e: e.row)  # each said once


class _RowFailed(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors


def _draft(channel: str, external_id: str, rows: list[tuple[int, dict[str, str]]]) -> OrderDraft:
    errors: list[RowError] = []
    lines: list[LineDraft] = []
    first_no, first = rows[0]
    currency = first["currency"].upper()
    for number, row in rows:
        try:
            if row["currency"].upper() != currency:
                raise ValidationFailed.single(
                    "currency", f"{row['currency']!r} differs from row {first_no}"
                )
            if not row["sku"]:
                raise ValidationFailed.single("sku", "is required")
            lines.append(
                LineDraft(
                    row["sku"],
                    integer(row, "quantity", minimum=1),
                    _price(row["unit_price"], currency, "unit_price"),
                )
            )
        except ValidationFailed as exc:
            errors += [RowError(number, e.field, e.message) for e in exc.errors]
    try:
        draft = OrderDraft(
            channel=channel,
            external_id=external_id,
            currency=currency,
            lines=tuple(lines),
            shipping_address=Address(
                name=first["ship_name"],
                line1=first["ship_line1"],
                line2=first.get("ship_line2", ""),
                city=first["ship_city"],
                region=first.get("ship_region", ""),
                postcode=first["ship_postcode"],
                country=first["ship_country"].upper(),
                phone=first.get("ship_phone", ""),
            ),
            customer_name=first.get("customer_name", ""),
            customer_email=first.get("customer_email", ""),
            payment_status=_payment(first.get("payment_status", "")),
            requested_service=first.get("service") or "standard",
            shipping_price=_price(first.get("shipping_price") or "0", currency, "shipping_price"),
            priority=integer(first, "priority", minimum=-100, default=0),
            paid_at=timestamp(first.get("paid_at"), "paid_at"),
            channel_ship_by=timestamp(first.get("ship_by"), "ship_by"),
        )
    except ValidationFailed as exc:
        errors += [RowError(first_no, e.field, e.message) for e in exc.errors]
    if errors:
        raise _RowFailed(errors)
    problems = draft.structural_errors() + limits.oversized(draft)
    if problems:
        raise _RowFailed([RowError(first_no, p.field, p.message) for p in problems])
    return draft


def _price(raw: str, currency: str, field: str) -> Money:
    """A price as a person typed it: 0 or more, no finer than the currency's minor unit (1.999
    GBP is refused, not rounded), so the order stored is the order in the file."""
    price = Money.exact(raw, currency, field)
    if price.amount < 0:
        raise ValidationFailed.single(field, f"{raw!r} is below 0", "negative")
    return price


def _payment(raw: str) -> PaymentStatus:
    if not raw:
        return PaymentStatus.PAID
    try:
        return PaymentStatus(raw.lower())
    except ValueError:
        allowed = ", ".join(s.value for s in PaymentStatus)
        raise ValidationFailed.single(
            "payment_status", f"{raw!r} is not one of: {allowed}"
        ) from None
