"""Returns (RMA) and refunds: eligibility, grading, disposition, and the approval matrix.

Disposition is about the goods, refunds are about the money, and neither waits for the
other: a damaged unit goes to quarantine whatever the refund decides.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from despatch.domain.errors import Conflict, FieldError, Forbidden, ValidationFailed
from despatch.domain.totals import plain


class ReturnReason(StrEnum):
    DAMAGED = "damaged"
    DEFECTIVE = "defective"
    WRONG_ITEM = "wrong_item"
    NOT_AS_DESCRIBED = "not_as_described"
    TOO_SMALL = "too_small"
    TOO_LARGE = "too_large"
    CHANGED_MIND = "changed_mind"
    ARRIVED_LATE = "arrived_late"
    OTHER = "other"


class ReturnStatus(StrEnum):
    REQUESTED = "requested"  # label issued, parcel on its way back
    RECEIVED = "received"  # scanned in and graded
    CLOSED = "closed"  # every unit disposed of and the money settled
    CANCELLED = "cancelled"


class Grade(StrEnum):
    A = "A"  # new, unopened
    B = "B"  # opened, as new
    C = "C"  # used
    D = "D"  # damaged


class Disposition(StrEnum):
    RESTOCK = "restock"  # back to sellable stock
    REFURBISH = "refurbish"  # held (not sellable) until repaired
    QUARANTINE = "quarantine"  # held (not sellable) until a quality check decides
    SCRAP = "scrap"  # written off


HELD = frozenset({Disposition.REFURBISH, Disposition.QUARANTINE})

DEFAULT_DISPOSITIONS: Mapping[Grade, Disposition] = {
    Grade.A: Disposition.RESTOCK,
    Grade.B: Disposition.RESTOCK,
    Grade.C: Disposition.REFURBISH,
    Grade.D: Disposition.QUARANTINE,
}


def disposition_for(grade: Grade, policy: Mapping[str, str] | None = None) -> Disposition:
    """The site's policy (``{"B": "refurbish"}``) over the defaults."""
    chosen = (policy or {}).get(grade.value)
    return Disposition(chosen) if chosen else DEFAULT_DISPOSITIONS[grade]


@dataclass(frozen=True)
class Tally:
    """What came back on one return line: units, grades and dispositions counted, and how many
    are held (quarantined or to refurbish) for a quality check."""

    received: int
    grades: dict[str, int]
    dispositions: dict[str, int]
    held: int


def tally(units: Sequence[tuple[Grade, Disposition]]) -> Tally:
    """The line's counts from each unit's (grade, disposition), in the order graded."""
    return Tally(
        received=len(units),
        grades=dict(Counter(g.value for g, _ in units)),
        dispositions=dict(Counter(d.value for _, d in units)),
        held=sum(1 for _, d in units if d in HELD),
    )


def read_grade(value: str, where: str) -> Grade:
    try:
        return Grade(value.strip().upper())
    except ValueError:
        raise ValidationFailed.single(
            where, f"{value!r} is not a grade (A new, B opened, C used, D damaged)", "grade"
        ) from None


@dataclass(frozen=True)
class Returnable:
    """One order line as far as returns are concerned."""

    line_no: int
    sku: str
    shipped: int  # units that left the warehouse
    already_returned: int  # units on earlier return requests
    non_returnable: bool = False  # the product's rule (hygiene, final sale)


def check_request(
    wanted: Mapping[int, tuple[int, str]],
    lines: Sequence[Returnable],
    *,
    shipped_on: date | None,
    today: date,
    window_days: int,
) -> None:
    """Every reason a return request cannot be accepted, each named by its field."""
    errors: list[FieldError] = []
    if shipped_on is None:
        errors.append(
            FieldError("order", "nothing on this order has been despatched", "not_shipped")
        )
    elif today > shipped_on + timedelta(days=window_days):
        last = shipped_on + timedelta(days=window_days)
        errors.append(
            FieldError(
                "order",
                f"the {window_days}-day return window closed on {last.isoformat()}",
                "outside_window",
            )
        )
    by_no = {line.line_no: line for line in lines}
    if not wanted:
        errors.append(FieldError("lines", "name at least one line to return", "required"))
    for line_no, (quantity, reason) in sorted(wanted.items()):
        where = f"lines[{line_no}]"
        line = by_no.get(line_no)
        if line is None:
            errors.append(FieldError(where, f"the order has no line {line_no}", "unknown_line"))
            continue
        if line.non_returnable:
            errors.append(FieldError(where, f"{line.sku} cannot be returned", "non_returnable"))
        left = line.shipped - line.already_returned
        if quantity < 1 or quantity > left:
            errors.append(
                FieldError(
                    where, f"can return 1 to {left} of {line.sku}, not {quantity}", "quantity"
                )
            )
        if reason not in ReturnReason.__members__.values():
            errors.append(
                FieldError(
                    f"{where}.reason",
                    f"{reason!r} is not a return reason",
                    "unknown_reason",
                    "one of: " + ", ".join(r.value for r in ReturnReason),
                )
            )
    if errors:
        raise ValidationFailed(errors)


class RefundKind(StrEnum):
    REFUND = "refund"  # to the original payment
    STORE_CREDIT = "store_credit"
    EXCHANGE = "exchange"  # a replacement order instead of money


class RefundStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class ApprovalLimits:
    """At or below ``automatic`` no one approves; above it one approver; above ``dual`` two
    distinct approvers. Amounts are in the refund's currency."""

    automatic: Decimal = Decimal("50")
    dual: Decimal = Decimal("500")

    def approvals_needed(self, amount: Decimal) -> int:
        if amount <= self.automatic:
            return 0
        return 1 if amount <= self.dual else 2


def read_limits(raw: str) -> ApprovalLimits:
    """``"50,500"`` (the environment's ``DESPATCH_REFUND_LIMITS``)."""
    try:
        low, high = (Decimal(p.strip()) for p in raw.split(","))
    except (ValueError, ArithmeticError):
        raise ValidationFailed.single(
            "DESPATCH_REFUND_LIMITS", f"{raw!r} is not AUTOMATIC,DUAL (e.g. 50,500)"
        ) from None
    if not Decimal(0) <= low <= high:
        raise ValidationFailed.single("DESPATCH_REFUND_LIMITS", "needs 0 <= automatic <= dual")
    return ApprovalLimits(low, high)


def check_approval_limit(
    refund_id: str, amount: Decimal, currency: str, approver: str, limit: Decimal | None
) -> None:
    """A person approves or rejects only up to their own limit (in the refund's currency);
    None means no personal limit (the approval matrix still applies)."""
    if limit is not None and amount > limit:
        raise Forbidden(
            "refunds.approve",
            approver,
            f"refund {refund_id} of {amount:.2f} {currency} is above {approver}'s approval "
            f"limit of {limit:.2f} {currency}",
        )


def check_approver(approver: str, requested_by: str, approved_by: Sequence[str]) -> None:
    """No one approves their own request, and two approvals come from two people."""
    if approver == requested_by:
        raise Conflict(f"{approver} requested this refund and cannot approve it")
    if approver in approved_by:
        raise Conflict(f"{approver} has already approved it; a second approver is needed")


def check_rejecter(rejecter: str, requested_by: str) -> None:
    """No one rejects their own request either."""
    if rejecter == requested_by:
        raise Conflict(f"{rejecter} requested this refund and cannot decide it")


def refund_amount(
    lines: Sequence[tuple[Decimal, int]],
    *,
    shipping: Decimal = Decimal(0),
    restocking_fee_percent: Decimal = Decimal(0),
    minor_units: int = 2,
) -> tuple[Decimal, Decimal]:
    """(amount, fee): the lines' value less the restocking fee on it, plus shipping."""
    goods = sum((price * qty for price, qty in lines), Decimal(0))
    quantum = Decimal(1).scaleb(-minor_units)
    fee = (goods * restocking_fee_percent / 100).quantize(quantum)
    return (goods - fee + shipping).quantize(quantum), fee


def check_refund_units(requested: Mapping[int, int], sold: Mapping[int, int]) -> None:
    """Each line refunded is a line of the order (``sold``: line number → units sold, the
    cancelled ones included), for 1 up to the units sold; the first fault, by line, is named."""
    unknown = sorted(set(requested) - set(sold))
    if unknown:
        raise ValidationFailed.single(
            "lines", f"the order has no line(s) {unknown}", "unknown_line"
        )
    for no, units in sorted(requested.items()):
        if not 1 <= units <= sold[no]:
            raise ValidationFailed.single(
                f"lines[{no}]", f"refund 1 to {sold[no]} units", "quantity"
            )


def check_refund_positive(amount: Decimal) -> None:
    if amount <= 0:
        raise ValidationFailed.single("amount", "must be more than zero", "amount")


def check_refundable(
    amount: Decimal, refunded: Decimal, order_total: Decimal, currency: str
) -> None:
    """Never more back than the order's total less what is already (being) refunded."""
    if amount + refunded > order_total:
        left = order_total - refunded
        raise ValidationFailed.single(
            "amount",
            f"{plain(amount, currency)} {currency} is more than the "
            f"{plain(left, currency)} {currency} left to refund",
            "amount",
        )


def rma_key(scanned: str) -> str:
    """An RMA number as scanned or typed (any case) to its stored form: ``rma_01…``."""
    raw = scanned.strip()
    prefix, _, rest = raw.partition("_")
    return f"{prefix.lower()}_{rest.upper()}" if rest else raw
