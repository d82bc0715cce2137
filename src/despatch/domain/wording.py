"""Words, not internals: how the ops UI says a status, a hold, a field path, an age or a
ship-by day to a person. Pure functions; the templates call them through ``web/words.py``."""

from __future__ import annotations

import re
from datetime import date, timedelta

from despatch.domain.exceptions import Kind
from despatch.domain.inventory import ReservationStatus
from despatch.domain.notifications import MessageStatus
from despatch.domain.orders import HoldReason, OrderStatus, PaymentStatus
from despatch.domain.reasons import MEANING, ReasonCode
from despatch.domain.returns import RefundKind, RefundStatus, ReturnReason, ReturnStatus
from despatch.domain.webhooks import DeliveryStatus

S = OrderStatus
STATUS_WORDS: dict[str, str] = {
    S.RECEIVED: "Received",
    S.VALIDATED: "Checked",
    S.ON_HOLD: "On hold",
    S.BACKORDERED: "Waiting for stock",
    S.RESERVED: "Stock reserved",
    S.ALLOCATED: "Ready to pick",
    S.PICKING: "Being picked",
    S.PACKED: "Packed",
    S.PARTIALLY_DESPATCHED: "Partly shipped",
    S.DESPATCHED: "Shipped",
    S.PARTIALLY_DELIVERED: "Partly delivered",
    S.DELIVERED: "Delivered",
    S.CANCELLED: "Cancelled",
    S.FULFILLED_BY_CHANNEL: "Shipped by the channel",
}

P = PaymentStatus
R = ReservationStatus
M = MessageStatus
D = DeliveryStatus
T = ReturnStatus
# The statuses of what is not an order, by what they are the status of: ``status_words(code,
# "payment")``. Codes the platform-action log (services/platform_sync.py) writes are plain text.
OTHER_STATUS_WORDS: dict[str, dict[str, str]] = {
    "payment": {
        P.PENDING: "Not paid yet",
        P.AUTHORISED: "Authorised, not taken",
        P.PAID: "Paid",
        P.PARTIALLY_REFUNDED: "Partly refunded",
        P.REFUNDED: "Refunded",
        P.VOIDED: "Voided",
        P.FAILED: "Payment failed",
    },
    "stock": {
        R.ACTIVE: "Held for the order",
        R.ALLOCATED: "Held for a parcel",
        R.RELEASED: "Let go",
        R.CONSUMED: "Shipped",
    },
    "platform": {
        "done": "Done",
        "refused": "Refused by the platform",
        "failed": "Could not reach the platform",
        "by_hand": "To be done on the platform by hand",
    },
    "message": {
        M.QUEUED: "Waiting to send",
        M.SENT: "Sent",
        M.RETRYING: "Trying again",
        M.FAILED: "Failed",
    },
    "webhook": {
        D.PENDING: "Waiting to send",
        D.DELIVERED: "Delivered",
        D.RETRYING: "Trying again",
        D.FAILED: "Failed",
        D.CANCELLED: "Cancelled (unsubscribed)",
    },
    "refund": {
        RefundStatus.REQUESTED: "Waiting for approval",
        RefundStatus.APPROVED: "Approved",
        RefundStatus.REJECTED: "Rejected",
        RefundStatus.PROCESSING: "Being paid out",
        RefundStatus.SUCCEEDED: "Paid out",
        RefundStatus.FAILED: "Payout failed",
    },
    "return": {
        T.REQUESTED: "On its way back",
        T.RECEIVED: "Received",
        T.CLOSED: "Closed",
        T.CANCELLED: "Cancelled",
    },
}

K = Kind
# Exception kinds in words; an order's hold reasons are the order-hold kinds (HOLD_WORDS).
KIND_WORDS: dict[str, str] = {
    K.UNKNOWN_SKU: "unknown SKU",
    K.INVALID_ADDRESS: "address to check",
    K.AWAITING_PAYMENT: "awaiting payment",
    K.INVALID_ORDER: "order to check",
    K.OVERSOLD: "oversold",
    K.FRAUD_REVIEW: "fraud review",
    K.COMPLIANCE: "compliance",
    K.NO_ROUTE: "no warehouse may ship it",
    K.TOTAL_MISMATCH: "total does not add up",
    K.UNKNOWN_SERVICE: "unknown shipping service",
    K.PAYMENT_REFUNDED: "money refunded: do not ship",
    K.CANCEL_REQUESTED: "buyer asked to cancel",
    K.MANUAL: "held by a person",
    K.SHORT_PICK: "short pick",
    K.WEIGHT_MISMATCH: "weight does not match",
    K.DELIVERY_WARNING: "delivery problem",
    K.INTERCEPT: "stop a shipped parcel",
    K.REFUND_APPROVAL: "refund to approve",
    K.QC_DUE: "quality check due",
    K.OFF_THE_BENCH: "pull a cancelled parcel",
    K.PLATFORM_ACTION: "do it on the platform",
    K.CHANNEL_WRITE_BACK: "platform not told of a shipment",
    K.UNREADABLE_DELIVERY: "platform order that cannot be read",
}
HOLD_WORDS: dict[str, str] = {h: KIND_WORDS[h] for h in HoldReason}

# A channel's sourcing strategy (domain/allocation.py), as the order page says it.
STRATEGY_WORDS: dict[str, str] = {
    "fewest_shipments": "fewest parcels",
    "priority": "warehouse priority",
    "nearest": "nearest warehouse",
    "cheapest": "cheapest to ship",
}

# How a refund is given, and what became of it, as a timeline says it ("Refund of 55.00 GBP
# requested"): the audit actions services/refunds*.py write.
REFUND_KIND_WORDS: dict[str, str] = {
    RefundKind.REFUND: "refund",
    RefundKind.STORE_CREDIT: "store credit",
    RefundKind.EXCHANGE: "exchange",
}
REFUND_ACTION_WORDS: dict[str, str] = {
    "refund_requested": "requested",
    "refund_approval": "approved by one approver",
    "refund_approved": "approved",
    "refund_rejected": "rejected",
    "refund_processing": "being paid out",
    "refund_succeeded": "paid out",
    "refund_failed": "failed to pay out",
    "refund_retried": "tried again",
}
# Carriers by their names, not their codes ("1 parcel despatched with UPS")
CARRIER_WORDS: dict[str, str] = {
    "royalmail": "Royal Mail",
    "dpd": "DPD",
    "dhl": "DHL",
    "dhlexpress": "DHL Express",
    "ups": "UPS",
    "fedex": "FedEx",
    "usps": "USPS",
    "parcelforce": "Parcelforce",
    "evri": "Evri",
}

# Groups that own exception queues, where "<Name> team" does not read ("group:buyers")
GROUP_WORDS: dict[str, str] = {
    "ops-managers": "Ops managers",
    "warehouse-leads": "Warehouse leads",
    "buyers": "Buyers",
}

# A customer's reason for sending goods back, as the returns form offers it.
RETURN_REASON_WORDS: dict[str, str] = {
    ReturnReason.DAMAGED: "It arrived damaged",
    ReturnReason.DEFECTIVE: "It does not work",
    ReturnReason.WRONG_ITEM: "Wrong item sent",
    ReturnReason.NOT_AS_DESCRIBED: "Not as described",
    ReturnReason.TOO_SMALL: "Too small",
    ReturnReason.TOO_LARGE: "Too large",
    ReturnReason.CHANGED_MIND: "Changed my mind",
    ReturnReason.ARRIVED_LATE: "It arrived too late",
    ReturnReason.OTHER: "Something else",
}

# Roles (domain/permissions.py), resolutions of exceptions and notification templates and
# kinds, as the set-up pages and the exceptions desk name them.
ROLE_WORDS: dict[str, str] = {
    "ops_manager": "Ops manager",
    "order_ops": "Order ops",
    "integrator": "Integrator (API)",
}
RESOLUTION_WORDS: dict[str, str] = {
    "release": "sent on",
    "cancel": "order cancelled",
    "fix_address": "address corrected",
    "substitute": "SKU replaced",
    "resolve": "dealt with",
    "auto": "closed by itself",
}
TEMPLATE_WORDS: dict[str, str] = {
    "out_for_delivery": "Out for delivery",
    "return_received": "Return received",
    "exception_opened": "Exception opened (to staff)",
    "exception_escalated": "Exception escalated (to staff)",
}
MESSAGE_KIND_WORDS = {"txt": "Email, plain text", "html": "Email, HTML", "sms.txt": "Text message"}


def _said(code: str, words: dict[str, str]) -> str:
    return words.get(code) or code.replace("_", " ").capitalize()


def role_words(role: str) -> str:
    """``ops_manager`` → "Ops manager", ``picker`` → "Picker"."""
    return _said(role, ROLE_WORDS)


def resolution_words(code: str) -> str:
    """How an exception was closed: ``fix_address`` → "address corrected"."""
    return RESOLUTION_WORDS.get(code) or code.replace("_", " ")


def template_words(name: str) -> str:
    """A notification template: ``out_for_delivery`` → "Out for delivery"; a stored one
    (``shop/confirmed.fr.html``) → "Confirmed: email, HTML, channel shop, language fr"."""
    folder, _, file = name.rpartition("/")
    template, _, rest = file.partition(".")
    kind = "sms.txt" if rest.endswith("sms.txt") else rest.rpartition(".")[2]
    language = rest.removesuffix(kind).rstrip(".")
    kind = MESSAGE_KIND_WORDS.get(kind, kind)
    said = [kind[:1].lower() + kind[1:]]
    said += [f"channel {folder}"] if folder and folder != "default" else []
    said += [f"language {language}"] if language else []
    words = _said(template, TEMPLATE_WORDS)
    return f"{words}: {', '.join(said)}" if rest else words


# Orders still to ship: lateness counts for these only.
OPEN = frozenset(
    {
        S.RECEIVED,
        S.VALIDATED,
        S.ON_HOLD,
        S.BACKORDERED,
        S.RESERVED,
        S.ALLOCATED,
        S.PICKING,
        S.PACKED,
    }
)


def status_words(status: str, of: str = "") -> str:
    """A status in words: an order's by default, else that of ``of`` (``payment``, ``stock``,
    ``platform``, ``message``, ``webhook``, ``return``)."""
    words = OTHER_STATUS_WORDS[of] if of else STATUS_WORDS
    return words.get(status, status.replace("_", " ").capitalize())


def strategy_words(strategy: str) -> str:
    return STRATEGY_WORDS.get(strategy, strategy.replace("_", " "))


def hold_words(reason: str) -> str:
    return KIND_WORDS.get(reason, reason.replace("_", " "))


def kind_words(kind: str) -> str:
    """An exception kind as a heading: ``unknown_sku`` → "Unknown SKU"."""
    words = hold_words(kind)
    return words[:1].upper() + words[1:]


def refund_kind_words(kind: str) -> str:
    return REFUND_KIND_WORDS.get(kind, kind.replace("_", " "))


def refund_event_words(action: str, kind: str, amount: str) -> str:
    """A refund's audit entry as a sentence: "Store credit of 5.00 GBP requested"."""
    what = refund_kind_words(kind or RefundKind.REFUND)
    done = REFUND_ACTION_WORDS.get(action, action.removeprefix("refund_").replace("_", " "))
    return f"{what[:1].upper()}{what[1:]} of {amount} {done}" if amount else f"{what} {done}"


def carrier_words(code: str) -> str:
    return CARRIER_WORDS.get(code, code)


def parcels_despatched(count: int, carrier: str) -> str:
    """ "1 parcel despatched with UPS", "3 parcels despatched with Royal Mail"."""
    noun = "parcel" if count == 1 else "parcels"
    return f"{count} {noun} despatched with {carrier_words(carrier)}"


def actor_words(actor: str) -> str:
    """Who did something, as a person reads it: ``group:support`` → "Support team",
    ``user:ann`` → "ann", ``system:worker`` → "the worker", ``system:pipeline`` → "Despatch
    (automatic)", ``token:…`` → "an API token (…)"."""
    kind, _, name = actor.partition(":")
    if not name:
        return actor
    if kind == "user":
        return name
    if kind == "system":
        return "the worker" if name == "worker" else "Despatch (automatic)"
    if kind == "token":
        return f"an API token ({name[:8]}…)"
    if kind == "group":
        words = GROUP_WORDS.get(name) or f"{name.replace('-', ' ')} team"
        return words[:1].upper() + words[1:]
    return actor


def return_reason_words(code: str) -> str:
    return RETURN_REASON_WORDS.get(code, code.replace("_", " ").capitalize())


def reason_words(code: str) -> str:
    """A person's reason code (domain/reasons.py) as a sentence: ``customer_request`` →
    "The customer asked for it"."""
    if code in ReasonCode.__members__.values():
        meaning = MEANING[ReasonCode(code)]
        return meaning[:1].upper() + meaning[1:]
    return code.replace("_", " ").capitalize()


_SEGMENT = re.compile(r"([a-z_][a-z_0-9]*)(?:\[(\d+)\])?")
_NAMES = {
    "lines": "line",
    "sku": "SKU",
    "shipping_address": "address",
    "address": "address",
    "line1": "first line",
    "line2": "second line",
    "unit_price": "unit price",
    "payment_status": "payment",
    "external_id": "order number",
    "requested_service": "service",
    "inner_length_mm": "inside length mm",
    "inner_width_mm": "inside width mm",
    "inner_height_mm": "inside height mm",
    "max_content_weight_g": "max content g",
    "tare_g": "empty weight g",
}


def field_words(path: str) -> str:
    """``lines[2].sku`` (or ``lines.2.sku``) → ``line 3 SKU``; ``shipping_address.postcode``
    → ``address postcode``; anything it does not know, with underscores as spaces."""
    if path.startswith("sku:"):
        return f"SKU {path[4:]}"
    words = []
    for part in path.split("."):
        if part.isdigit():  # ``lines.2.sku``, as a validator names it: line 3
            words.append(str(int(part) + 1))
            continue
        match = _SEGMENT.fullmatch(part)
        if not match:
            words.append(part.replace("_", " "))
            continue
        name, index = match.groups()
        words.append(_NAMES.get(name, name.replace("_", " ")))
        if index is not None:
            words.append(str(int(index) + 1))
    return " ".join(words)


def problem_words(field: str, message: str) -> str:
    """A hold's problem as a sentence: a message that only says what is wrong (``is
    required``) gets its field in words in front (``address first line is required``)."""
    if field and field != "order" and message.split(" ", 1)[0] in {"is", "are", "must"}:
        return f"{field_words(field)} {message}"
    return message


def age_words(age: timedelta) -> str:
    """``12 min``, ``5 h``, ``3 d``: how long ago, at a glance."""
    minutes = max(0, int(age.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def lateness(ship_by: date | None, today: date, status: str) -> tuple[str, bool]:
    """(words, late) for an order's ship-by day seen on ``today``: ``3 days late``, ``due
    today``, ``due in 2 days``; nothing for an order with no ship-by or no longer open."""
    if ship_by is None or status not in OPEN:
        return "", False
    days = (ship_by - today).days
    if days < 0:
        return (f"{-days} day{'s' if days < -1 else ''} late", True)
    if days == 0:
        return "due today", False
    return f"due in {days} day{'s' if days > 1 else ''}", False


_PATH = re.compile(r"\b(?:lines(?:\[\d+\]|\.\d+)(?:\.[a-z_]+)?|(?:shipping_)?address\.[a-z_0-9]+)")


def paths_in_words(text: str) -> str:
    """Field paths inside a sentence said in words: ``lines[1].sku: unknown SKU`` → ``line 2
    SKU: unknown SKU``."""
    return _PATH.sub(lambda m: field_words(m.group(0)), text)
