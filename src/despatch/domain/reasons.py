"""Why a person acted: the documented reason codes of manual actions (docs/security.md).

Every manual action (hold, release, cancel, adjust stock, resolve an exception) is audited
with one of these codes in ``reason_code``; a free-text note is optional. Each action accepts
the codes listed for it in ``ALLOWED``, and uses its ``DEFAULT`` when none is given. The cancel
reasons are the codes of ``domain.cancellations.CancelReason``.
"""

from __future__ import annotations

from enum import StrEnum

from despatch.domain.errors import FieldError, ValidationFailed


class ReasonCode(StrEnum):
    CUSTOMER_REQUEST = "customer_request"
    OUT_OF_STOCK = "out_of_stock"
    PAYMENT_FAILED = "payment_failed"
    FRAUD = "fraud"
    ADDRESS_PROBLEM = "address_problem"
    DUPLICATE = "duplicate"
    CHANNEL_CANCELLED = "channel_cancelled"
    AWAITING_CUSTOMER = "awaiting_customer"
    COMPLIANCE = "compliance"
    CHECKED_OK = "checked_ok"
    COUNT_CORRECTION = "count_correction"
    DAMAGED = "damaged"
    FOUND = "found"
    LOST = "lost"
    DATA_FIX = "data_fix"
    OPS_DECISION = "ops_decision"
    OTHER = "other"


class ManualAction(StrEnum):
    HOLD = "hold"
    RELEASE = "release"
    CANCEL = "cancel"
    ADJUST_STOCK = "adjust_stock"
    RESOLVE = "resolve"


MEANING: dict[ReasonCode, str] = {
    ReasonCode.CUSTOMER_REQUEST: "the customer asked for it",
    ReasonCode.OUT_OF_STOCK: "the goods cannot be had",
    ReasonCode.PAYMENT_FAILED: "the payment failed or was withdrawn",
    ReasonCode.FRAUD: "suspected or confirmed fraud",
    ReasonCode.ADDRESS_PROBLEM: "the address is wrong or undeliverable",
    ReasonCode.DUPLICATE: "the same order twice",
    ReasonCode.CHANNEL_CANCELLED: "the sales channel cancelled it",
    ReasonCode.AWAITING_CUSTOMER: "waiting for the customer to answer",
    ReasonCode.COMPLIANCE: "a legal or carrier restriction",
    ReasonCode.CHECKED_OK: "checked by a person and fine to go",
    ReasonCode.COUNT_CORRECTION: "a stock count found a different quantity",
    ReasonCode.DAMAGED: "units damaged",
    ReasonCode.FOUND: "units found",
    ReasonCode.LOST: "units lost or stolen",
    ReasonCode.DATA_FIX: "correcting a data entry mistake",
    ReasonCode.OPS_DECISION: "an operations decision (say why in the note)",
    ReasonCode.OTHER: "anything else (say what in the note)",
}

R = ReasonCode
ALLOWED: dict[ManualAction, tuple[ReasonCode, ...]] = {
    ManualAction.HOLD: (
        R.CUSTOMER_REQUEST, R.AWAITING_CUSTOMER, R.FRAUD, R.ADDRESS_PROBLEM,
        R.PAYMENT_FAILED, R.COMPLIANCE, R.OPS_DECISION, R.OTHER,
    ),
    ManualAction.RELEASE: (
        R.CHECKED_OK, R.CUSTOMER_REQUEST, R.ADDRESS_PROBLEM, R.OPS_DECISION, R.OTHER,
    ),
    ManualAction.CANCEL: (
        R.CUSTOMER_REQUEST, R.OUT_OF_STOCK, R.PAYMENT_FAILED, R.FRAUD, R.ADDRESS_PROBLEM,
        R.DUPLICATE, R.CHANNEL_CANCELLED, R.OPS_DECISION, R.OTHER,
    ),
    ManualAction.ADJUST_STOCK: (
        R.COUNT_CORRECTION, R.DAMAGED, R.FOUND, R.LOST, R.DATA_FIX, R.OPS_DECISION, R.OTHER,
    ),
    ManualAction.RESOLVE: (
        R.CHECKED_OK, R.CUSTOMER_REQUEST, R.FRAUD, R.ADDRESS_PROBLEM, R.OUT_OF_STOCK,
        R.DATA_FIX, R.OPS_DECISION, R.OTHER,
    ),
}  # fmt: skip

DEFAULT: dict[ManualAction, ReasonCode] = {
    ManualAction.HOLD: R.OPS_DECISION,
    ManualAction.RELEASE: R.CHECKED_OK,
    ManualAction.CANCEL: R.CUSTOMER_REQUEST,
    ManualAction.ADJUST_STOCK: R.COUNT_CORRECTION,
    ManualAction.RESOLVE: R.OPS_DECISION,
}


def read_reason(action: ManualAction, value: str, field: str = "reason") -> ReasonCode:
    """The reason code for ``action`` (its default when ``value`` is empty), or a field error
    listing the codes it accepts."""
    allowed = ALLOWED[action]
    if not value:
        return DEFAULT[action]
    if value in allowed:
        return ReasonCode(value)
    hint = "one of: " + ", ".join(code.value for code in allowed)
    raise ValidationFailed(
        [
            FieldError(
                field, f"{value!r} is not a reason code for {action.value}", "unknown_reason", hint
            )
        ]
    )
