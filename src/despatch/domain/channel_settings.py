"""A channel's settings (``Channel.settings``), typed: one reader (:meth:`ChannelSettings.read`)
and one serialiser (:meth:`ChannelSettings.to_json`), and the rules that depend on them.

Settings are checked when they are written (services/channels/config.py); reading tolerates an old
value by falling back to the default. Keys this type does not name (platform credentials,
SKU and service maps, partial shipments, which have readers of their own) are kept as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from despatch.domain.errors import FieldError
from despatch.domain.orders import RELEASABLE_PAYMENTS, HoldReason, PaymentStatus


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool) or value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@dataclass(frozen=True)
class ChannelSettings:
    priority: int = 0  # higher first when freed stock is re-offered by channel
    return_window_days: int | None = None  # else DESPATCH_RETURN_WINDOW_DAYS
    unpaid_hold_minutes: int = 0  # stock kept for an unpaid order
    cash_on_delivery: bool = False  # pending payments go forward; a phone is needed
    release_authorised: bool = True  # authorised (not captured) payments go forward
    phone_required: bool = False  # the channel's carrier needs a phone number
    trusted_payment_status: bool = False  # API orders may state their own payment status
    tracking_url: str = ""  # the channel's own tracking link pattern
    availability: Mapping[str, Any] | None = None  # what the channel may sell (listings)
    sourcing: Mapping[str, Any] = field(default_factory=dict)  # strategy, max shipments
    last_pull: str = ""  # when orders were last pulled from the platform (ISO time)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def read(cls, data: Mapping[str, Any] | None) -> ChannelSettings:
        data = dict(data or {})
        window = data.get("return_window_days")
        availability = data.get("availability")
        sourcing = data.get("sourcing")
        return cls(
            priority=_int(data.get("priority"), 0),
            return_window_days=window if isinstance(window, int) else None,
            unpaid_hold_minutes=_int(data.get("unpaid_hold_minutes"), 0),
            cash_on_delivery=bool(data.get("cash_on_delivery")),
            release_authorised=data.get("release_authorised", True) is not False,
            phone_required=bool(data.get("phone_required")),
            trusted_payment_status=data.get("trusted_payment_status") is True,
            tracking_url=str(data.get("tracking_url") or ""),
            availability=availability if availability is not None else None,
            sourcing=dict(sourcing) if isinstance(sourcing, Mapping) else {},
            last_pull=str(data.get("last_pull") or ""),
            raw=data,
        )

    def to_json(self) -> dict[str, Any]:
        return dict(self.raw)

    def but(self, **changes: Any) -> ChannelSettings:
        """These settings with ``changes`` (by field name), in the JSON too."""
        return ChannelSettings.read({**self.raw, **changes})

    def get(self, key: str, default: Any = None) -> Any:
        """A key this type does not name (a platform's own setting)."""
        return self.raw.get(key, default)


# payments whose release the channel's settings decide (the others never read them)
CHANNEL_DECIDES = frozenset({PaymentStatus.AUTHORISED, PaymentStatus.PENDING})


def payment_releases(payment: PaymentStatus, settings: ChannelSettings) -> bool:
    """Whether an order with this payment goes forward on this channel: paid (or partly
    refunded) always; authorised unless the channel ships only captured payments
    (``release_authorised: false``); pending only on a cash-on-delivery channel."""
    if payment == PaymentStatus.PENDING:
        return settings.cash_on_delivery
    if payment == PaymentStatus.AUTHORISED:
        return settings.release_authorised
    return payment in RELEASABLE_PAYMENTS


def awaiting_payment(payment: PaymentStatus) -> FieldError:
    """The problem an order holds with when its payment does not release it."""
    if payment == PaymentStatus.AUTHORISED:
        message = "payment is only authorised; this channel ships captured payments"
    else:
        message = f"payment is {payment}"
    return FieldError("payment_status", message, HoldReason.AWAITING_PAYMENT)
