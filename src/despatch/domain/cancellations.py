"""Cancelling an order or some of its lines: reason codes and what each stage allows.

Before picking, a cancellation gives the stock back (and offers it to waiting orders). While
the order is picked or packed, the whole order may still be cancelled: the shipment stops
and every picked unit gets a put-away task. After despatch it is not a cancellation any
more: ask the carrier to intercept the parcel, or take it back as a return.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from despatch.domain.errors import Conflict, FieldError, ValidationFailed
from despatch.domain.orders import NOT_PICKED, OrderStatus


class CancelReason(StrEnum):
    CUSTOMER_REQUEST = "customer_request"
    OUT_OF_STOCK = "out_of_stock"
    PAYMENT_FAILED = "payment_failed"
    FRAUD = "fraud"
    ADDRESS_PROBLEM = "address_problem"
    DUPLICATE = "duplicate"
    CHANNEL_CANCELLED = "channel_cancelled"
    OPS_DECISION = "ops_decision"
    OTHER = "other"


class Stage(StrEnum):
    BEFORE_PICK = "before_pick"
    IN_WAREHOUSE = "in_warehouse"  # being picked or packed: put-away tasks for picked units
    AFTER_DESPATCH = "after_despatch"  # intercept or return, never a cancellation
    FINISHED = "finished"


IN_WAREHOUSE = frozenset({OrderStatus.PICKING, OrderStatus.PACKED})
AFTER_DESPATCH = frozenset(
    {
        OrderStatus.PARTIALLY_DESPATCHED,
        OrderStatus.DESPATCHED,
        OrderStatus.PARTIALLY_DELIVERED,
        OrderStatus.DELIVERED,
    }
)


def stage_of(status: OrderStatus) -> Stage:
    if status in NOT_PICKED:
        return Stage.BEFORE_PICK
    if status in IN_WAREHOUSE:
        return Stage.IN_WAREHOUSE
    if status in AFTER_DESPATCH:
        return Stage.AFTER_DESPATCH
    return Stage.FINISHED


def read_reason(value: str) -> CancelReason:
    try:
        return CancelReason(value)
    except ValueError:
        hint = "one of: " + ", ".join(r.value for r in CancelReason)
        raise ValidationFailed(
            [FieldError("reason", f"{value!r} is not a cancel reason", "unknown_reason", hint)]
        ) from None


class NotCancellable(Conflict):
    code = "not_cancellable"
    title = "The order can no longer be cancelled"


def check_cancellable(status: OrderStatus, *, partial: bool) -> Stage:
    """The stage, or :class:`NotCancellable` saying what to do instead. A finished order
    (cancelled, fulfilled by the channel) is left to the transition table to refuse."""
    stage = stage_of(status)
    if stage == Stage.AFTER_DESPATCH:
        raise NotCancellable(
            f"the order is {status.value}: request an intercept from the carrier "
            "(POST /api/shipments/{id}/intercept) or open a return",
            status=status.value,
        )
    if partial and stage == Stage.IN_WAREHOUSE:
        raise NotCancellable(
            f"the order is {status.value}: lines can be cancelled only before picking; "
            "cancel the whole order (picked units are put away) or ship it and take a return",
            status=status.value,
        )
    return stage


def read_line_cuts(cuts: Mapping[int, int], remaining: Mapping[int, int]) -> dict[int, int]:
    """``{line_no: units to cancel}`` checked against what each line still has."""
    errors = []
    for line_no, units in cuts.items():
        where = f"lines[{line_no}]"
        if line_no not in remaining:
            errors.append(FieldError(where, f"the order has no line {line_no}", "unknown_line"))
        elif units < 1:
            errors.append(FieldError(where, "cancel at least 1 unit", "quantity"))
        elif units > remaining[line_no]:
            errors.append(
                FieldError(
                    where,
                    f"cannot cancel {units}: the line has {remaining[line_no]} left",
                    "quantity",
                )
            )
    if not cuts:
        errors.append(FieldError("lines", "name at least one line to cancel", "required"))
    if errors:
        raise ValidationFailed(errors)
    return dict(cuts)
