"""Exceptions: what a rule could not decide, in a queue, with an owner and an SLA.

Every hold and every floor problem (a short pick, a parcel that weighs wrong, a delayed
delivery) opens one exception. Its kind decides the policy: which queue it lands in, who owns it
at first, how urgent it is, how long it may wait before it is escalated and to whom, and which
resolutions make sense. Pure data and rules; the services store and act.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from despatch.domain.errors import FieldError, ValidationFailed


class Kind(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    FRAUD_REVIEW = "fraud_review"
    INVALID_ADDRESS = "invalid_address"
    UNKNOWN_SKU = "unknown_sku"
    INVALID_ORDER = "invalid_order"
    OVERSOLD = "oversold"
    COMPLIANCE = "compliance"
    NO_ROUTE = "no_route"
    TOTAL_MISMATCH = "total_mismatch"  # the platform's total differs from the order's parts
    UNKNOWN_SERVICE = "unknown_service"  # a shipping method the channel's service map lacks
    PAYMENT_REFUNDED = "payment_refunded"  # fully refunded before despatch: do not ship it
    CANCEL_REQUESTED = "cancel_requested"  # the buyer asked eBay to cancel: accept or decline
    MANUAL = "manual"
    SHORT_PICK = "short_pick"
    WEIGHT_MISMATCH = "weight_mismatch"
    DELIVERY_WARNING = "delivery_warning"
    INTERCEPT = "intercept"  # a despatched parcel the customer no longer wants: ask the carrier
    REFUND_APPROVAL = "refund_approval"  # a refund above the automatic limit waits for approvers
    QC_DUE = "qc_due"  # a quarantined return past its quality-check time
    OFF_THE_BENCH = "off_the_bench"  # a cancelled parcel already packed or labelled: pull it
    PLATFORM_ACTION = "platform_action"  # a cancel or refund the platform did not take: do it there
    CHANNEL_WRITE_BACK = "channel_write_back"  # a platform refused to hear a shipment left
    UNREADABLE_DELIVERY = "unreadable_delivery"  # a platform's order that could not be read


class Resolution(StrEnum):
    RELEASE = "release"  # send the order on (an oversold order is backordered)
    CANCEL = "cancel"  # cancel the order
    FIX_ADDRESS = "fix_address"  # correct the shipping address, then release
    SUBSTITUTE = "substitute"  # replace a line's SKU with a known one, then release
    RESOLVE = "resolve"  # the problem was dealt with on the floor or with the carrier


# What closes an exception without a person choosing a resolution.
AUTO = "auto"

ORDER_HOLDS = frozenset(
    {
        Kind.AWAITING_PAYMENT,
        Kind.FRAUD_REVIEW,
        Kind.INVALID_ADDRESS,
        Kind.UNKNOWN_SKU,
        Kind.INVALID_ORDER,
        Kind.OVERSOLD,
        Kind.COMPLIANCE,
        Kind.NO_ROUTE,
        Kind.TOTAL_MISMATCH,
        Kind.UNKNOWN_SERVICE,
        Kind.PAYMENT_REFUNDED,
        Kind.CANCEL_REQUESTED,
        Kind.MANUAL,
    }
)


@dataclass(frozen=True)
class Policy:
    queue: str
    owner: str  # "group:NAME" or "user:NAME"
    priority: int  # 1 is the most urgent
    sla: timedelta
    escalate_to: str
    resolutions: tuple[Resolution, ...]

    def due(self, opened_at: datetime) -> datetime:
        return opened_at + self.sla


_HOLD = (Resolution.RELEASE, Resolution.CANCEL)
_MANAGERS = "group:ops-managers"

DEFAULT_POLICIES: dict[Kind, Policy] = {
    Kind.AWAITING_PAYMENT: Policy(
        "payments", "group:order-ops", 3, timedelta(hours=24), _MANAGERS, _HOLD
    ),
    Kind.FRAUD_REVIEW: Policy("fraud", "group:fraud", 1, timedelta(hours=2), _MANAGERS, _HOLD),
    Kind.INVALID_ADDRESS: Policy(
        "addresses",
        "group:support",
        2,
        timedelta(hours=4),
        _MANAGERS,
        (Resolution.FIX_ADDRESS, *_HOLD),
    ),
    Kind.UNKNOWN_SKU: Policy(
        "catalogue",
        "group:order-ops",
        2,
        timedelta(hours=4),
        _MANAGERS,
        (Resolution.SUBSTITUTE, *_HOLD),
    ),
    Kind.INVALID_ORDER: Policy(
        "orders", "group:order-ops", 2, timedelta(hours=4), _MANAGERS, _HOLD
    ),
    Kind.OVERSOLD: Policy("stock", "group:order-ops", 1, timedelta(hours=2), _MANAGERS, _HOLD),
    Kind.COMPLIANCE: Policy(
        "compliance", "group:compliance", 2, timedelta(hours=8), _MANAGERS, _HOLD
    ),
    Kind.NO_ROUTE: Policy("stock", "group:order-ops", 2, timedelta(hours=4), _MANAGERS, _HOLD),
    Kind.TOTAL_MISMATCH: Policy(
        "finance", "group:finance", 2, timedelta(hours=8), _MANAGERS, _HOLD
    ),
    Kind.UNKNOWN_SERVICE: Policy(
        "orders", "group:order-ops", 2, timedelta(hours=4), _MANAGERS, _HOLD
    ),
    Kind.PAYMENT_REFUNDED: Policy(
        "finance", "group:finance", 1, timedelta(hours=4), _MANAGERS, _HOLD
    ),
    Kind.CANCEL_REQUESTED: Policy(
        "channels", "group:order-ops", 1, timedelta(hours=8), _MANAGERS, _HOLD
    ),
    Kind.MANUAL: Policy("manual", "group:order-ops", 3, timedelta(hours=24), _MANAGERS, _HOLD),
    Kind.SHORT_PICK: Policy(
        "floor",
        "group:warehouse",
        1,
        timedelta(hours=1),
        "group:warehouse-leads",
        (Resolution.RESOLVE,),
    ),
    Kind.WEIGHT_MISMATCH: Policy(
        "floor",
        "group:packing",
        1,
        timedelta(minutes=30),
        "group:warehouse-leads",
        (Resolution.RESOLVE,),
    ),
    Kind.DELIVERY_WARNING: Policy(
        "delivery",
        "group:support",
        2,
        timedelta(hours=24),
        _MANAGERS,
        (Resolution.RESOLVE,),
    ),
    Kind.INTERCEPT: Policy(
        "delivery", "group:shipping", 1, timedelta(hours=4), _MANAGERS, (Resolution.RESOLVE,)
    ),
    Kind.REFUND_APPROVAL: Policy(
        "refunds", "group:ops-managers", 2, timedelta(hours=24), _MANAGERS, (Resolution.RESOLVE,)
    ),
    Kind.OFF_THE_BENCH: Policy(
        "shipping",
        "group:shipping",
        1,
        timedelta(hours=1),
        "group:warehouse-leads",
        (Resolution.RESOLVE,),
    ),
    Kind.PLATFORM_ACTION: Policy(
        "channels", "group:order-ops", 2, timedelta(hours=8), _MANAGERS, (Resolution.RESOLVE,)
    ),
    Kind.CHANNEL_WRITE_BACK: Policy(
        "channels", "group:order-ops", 2, timedelta(hours=4), _MANAGERS, (Resolution.RESOLVE,)
    ),
    Kind.UNREADABLE_DELIVERY: Policy(
        "channels", "group:order-ops", 1, timedelta(hours=2), _MANAGERS, (Resolution.RESOLVE,)
    ),
    Kind.QC_DUE: Policy(
        "returns",
        "group:warehouse",
        3,
        timedelta(hours=24),
        "group:warehouse-leads",
        (Resolution.RESOLVE,),
    ),
}

_OVERRIDABLE = {"queue", "owner", "priority", "sla_minutes", "escalate_to"}


def policies(overrides: Mapping[str, Any] | None = None) -> dict[Kind, Policy]:
    """The default policies with a site's overrides, e.g.
    ``{"oversold": {"owner": "group:buyers", "sla_minutes": 60}}``; every wrong key is named."""
    result = dict(DEFAULT_POLICIES)
    errors: list[FieldError] = []
    for name, fields in (overrides or {}).items():
        if name not in Kind.__members__.values():
            errors.append(FieldError(name, f"unknown exception kind {name!r}", "unknown_kind"))
            continue
        if not isinstance(fields, Mapping):
            errors.append(FieldError(name, "must be an object", "type"))
            continue
        changes: dict[str, Any] = {}
        for key, value in fields.items():
            where = f"{name}.{key}"
            if key not in _OVERRIDABLE:
                known = ", ".join(sorted(_OVERRIDABLE))
                errors.append(FieldError(where, f"unknown setting; use one of {known}", "unknown"))
            elif key in {"priority", "sla_minutes"}:
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    errors.append(FieldError(where, "must be a whole number ≥ 1", "type"))
                elif key == "priority":
                    changes["priority"] = value
                else:
                    changes["sla"] = timedelta(minutes=value)
            elif key in {"owner", "escalate_to"} and not valid_owner(value):
                errors.append(FieldError(where, "must be user:NAME or group:NAME", "owner"))
            elif not isinstance(value, str) or not value:
                errors.append(FieldError(where, "must be a non-empty string", "type"))
            else:
                changes[key] = value
        result[Kind(name)] = replace(result[Kind(name)], **changes)
    if errors:
        raise ValidationFailed(errors)
    return result


def valid_owner(owner: object) -> bool:
    if not isinstance(owner, str):
        return False
    prefix, _, name = owner.partition(":")
    return prefix in {"user", "group"} and bool(name.strip())


def normalise_owner(owner: str) -> str:
    """``alice`` means ``user:alice``; ``group:support`` and ``user:bob`` stay as they are."""
    owner = owner.strip()
    if owner and ":" not in owner:
        owner = f"user:{owner}"
    if not valid_owner(owner):
        raise ValidationFailed.single("owner", f"{owner!r} is not user:NAME or group:NAME")
    return owner


def time_left(due_at: datetime, now: datetime) -> tuple[bool, str]:
    """Whether the SLA is breached, and by how much or how long is left (``1h05m``)."""
    seconds = (due_at - now).total_seconds()
    minutes = int(abs(seconds) // 60)
    span = f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
    return seconds <= 0, span
