"""What every channel adapter shares: the shape of what it returns, signatures, money, phones."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import phonenumbers

from despatch.domain import limits
from despatch.domain.errors import ValidationFailed
from despatch.domain.money import Money
from despatch.domain.orders import LineDraft, OrderDraft, PaymentStatus


@dataclass(frozen=True)
class Delivery:
    """Who sent what: the platform's delivery ID (retries repeat it), event ID and topic."""

    delivery_id: str
    event_id: str = ""
    topic: str = ""


@dataclass(frozen=True)
class Refund:
    refund_id: str
    amount: Money
    lines: tuple[tuple[str, int], ...] = ()  # (sku, quantity)
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "refund_id": self.refund_id,
            "amount": str(self.amount.amount),
            "currency": self.amount.currency,
            "reason": self.reason,
            "lines": [{"sku": sku, "quantity": qty} for sku, qty in self.lines],
        }


@dataclass(frozen=True)
class ChannelOrder:
    """A platform's order, translated: the draft plus what the draft cannot say."""

    draft: OrderDraft
    cancelled: bool = False
    payment_status: PaymentStatus = PaymentStatus.PAID
    refunds: tuple[Refund, ...] = ()
    platform_total: Money | None = None
    updated_at: datetime | None = None  # the platform's last change: older deliveries are stale
    fulfilled_by_channel: bool = False  # the platform ships it (Amazon AFN): record, never pick
    # (sku, units) the platform says already left, when some of the order did: never twice
    shipped_elsewhere: tuple[tuple[str, int], ...] = ()
    # the buyer's cancellation request awaiting the seller's answer on the platform, named
    # ("eBay cancellation request 5000012345"); empty when the platform says none is pending,
    # None when its orders say nothing of cancellation requests (all but eBay)
    cancel_requested: str | None = None
    # what a person must settle before a new order ships (a BigCommerce order for several
    # addresses): each holds the order ``invalid_order``, said in plain words
    review: tuple[str, ...] = ()
    # (field, value as sent, currency) of amounts finer than the currency allows (25.99 JPY):
    # rounded only so that the order is kept, and the order is held naming them
    finer_amounts: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Connection:
    """How to reach a channel's API: base URL, credential and the platform's own settings
    (e.g. Amazon marketplace and seller IDs, the Shopify location)."""

    api_url: str
    token: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"{self.api_url.rstrip('/')}{path}"


@dataclass(frozen=True)
class StockUpdate:
    """One quantity to publish: the SKU, the platform's ID for it (if it needs one)."""

    sku: str
    listing_id: str
    quantity: int


class ChannelAdapter(Protocol):
    KIND: str

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str) -> bool: ...

    def delivery(self, headers: Mapping[str, str], payload: dict[str, Any]) -> Delivery: ...

    def parse(self, payload: dict[str, Any], channel: str) -> ChannelOrder: ...


def hmac_base64_matches(secret: str, body: bytes, signature: str) -> bool:
    """Base64 HMAC-SHA256 of the raw body, compared in constant time (Shopify, WooCommerce)."""
    if not secret or not signature:
        return False
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(digest, signature.strip())


def sign_base64(secret: str, body: bytes) -> str:
    """The signature a platform would send: for tests, fixtures and fake servers."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def money(value: Any, currency: str, where: str) -> Money:
    """A platform's amount. One finer than its currency allows (25.99 JPY) is rounded only so
    that the order can be kept: it is noted (``finer_amounts``) and the order held for it."""
    if value is None or value == "":
        return Money.zero(currency)
    parsed = Money.parse(str(value), currency, where)
    noted = _FINER.get()
    if noted is not None and parsed.amount != Decimal(str(value)):
        noted.append((where, str(value), currency))
    return parsed


_FINER: ContextVar[list[tuple[str, str, str]] | None] = ContextVar("finer", default=None)


@contextmanager
def finer_amounts() -> Iterator[list[tuple[str, str, str]]]:
    """Collects (field, value as sent, currency) of each amount an adapter's ``parse`` read
    that is finer than its currency's minor unit."""
    noted: list[tuple[str, str, str]] = []
    token = _FINER.set(noted)
    try:
        yield noted
    finally:
        _FINER.reset(token)


def phone(raw: str | None, country: str) -> tuple[str, str]:
    """(E.164 if it can be read as a valid number for ``country``, else as given; the raw text)."""
    text = (raw or "").strip()
    if not text:
        return "", ""
    try:
        number = phonenumbers.parse(text, country.upper() or None)
    except phonenumbers.NumberParseException:
        return text, text
    if not phonenumbers.is_valid_number(number):
        return text, text
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), text


def require(payload: Mapping[str, Any], key: str, where: str = "") -> Any:
    value = payload.get(key)
    if value is None or value == "":
        raise ValidationFailed.single(f"{where}{key}", "is required", "required")
    return value


def line_for_total(
    sku: str, quantity: int, line_total: Money, name: str, line_id: Any = ""
) -> LineDraft:
    """A line the platform states by its total (18.33 for 2 units) stays one line: the unit
    price is the total divided (rounded to the minor unit, for display) and the exact line total
    is kept when it does not divide evenly. ``line_id`` is the platform's ID of the line."""
    unit = Money(line_total.amount / quantity, line_total.currency)
    exact = None if unit * quantity == line_total else line_total
    return LineDraft(sku, quantity, unit, name, exact, str(line_id or ""))


def timestamp(value: Any, where: str, *, naive_is_utc: bool = True) -> datetime | None:
    """An ISO 8601 time from a payload; a time without a zone is taken as UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed.single(where, f"{value!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None and not naive_is_utc:
        return parsed
    return limits.in_utc(parsed, where)  # a time that leaves the calendar in UTC names where


def quantity(value: Any, where: str, *, minimum: int = 1) -> int:
    """A line quantity: a JSON whole number, at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationFailed.single(
            where, f"{value!r} is not a whole number >= {minimum}", "quantity"
        )
    if value > MOST_UNITS:
        raise ValidationFailed.single(where, f"{value} is over {MOST_UNITS:,} units", "too_large")
    return value


MOST_UNITS = 2_147_483_647  # a line's quantity column


def no_webhooks(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    """``verify`` for platforms that send no order webhooks (adapters with WEBHOOKS = False)."""
    return False


def no_delivery_ids(headers: Mapping[str, str], payload: dict[str, Any]) -> Delivery:
    """``delivery`` for file and pull payloads: the inbox keys them by a hash of the body."""
    return Delivery(delivery_id="")


def keyed_money(
    value: Mapping[str, Any] | None, currency: str, where: str, *, amount: str, code: str
) -> Money:
    """An amount object such as eBay's {"value", "currency"} or Amazon's {"Amount",
    "CurrencyCode"}, which must be in the order's currency; absent means zero."""
    if not value:
        return Money.zero(currency)
    if value.get(code, currency) != currency:
        raise ValidationFailed.single(
            where, f"{value.get(code)} differs from the order's {currency}"
        )
    return money(value.get(amount), currency, f"{where}.{amount}")
