"""Asking for a refund, store credit or an exchange: the lines and amounts checked against
what the order sold and what is left to refund, the approvals the amount needs
(``DESPATCH_REFUND_LIMITS``), and either a case for the approvers or the automatic approval and
its processing. ``refunds`` decides on the requests (approve, reject, retry) and lists them."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from despatch.config import current as configuration
from despatch.domain.errors import ValidationFailed
from despatch.domain.events import Topic
from despatch.domain.exceptions import Kind
from despatch.domain.ids import new_id
from despatch.domain.money import Money, minor_units
from despatch.domain.returns import (
    ApprovalLimits,
    RefundKind,
    RefundStatus,
    check_refund_positive,
    check_refund_units,
    check_refundable,
    refund_amount,
)
from despatch.domain.totals import plain
from despatch.models import Order, OrderLine, Refund
from despatch.services import exceptions, exchanges, orders, outbox
from despatch.services.audit import Trail

LIVE = (
    RefundStatus.REQUESTED,
    RefundStatus.APPROVED,
    RefundStatus.PROCESSING,
    RefundStatus.SUCCEEDED,
)


def limits() -> ApprovalLimits:
    return configuration().approval_limits()


def request_refund(
    order_id: str,
    *,
    actor: str,
    kind: str = "refund",
    lines: dict[int, int] | None = None,
    amount: Decimal | None = None,
    include_shipping: bool = False,
    restocking_fee_percent: Decimal = Decimal(0),
    rma_id: str = "",
    reason: str = "",
    swaps: dict[int, str] | None = None,
) -> Refund:
    """Ask for money back: per line (``{line_no: units}``) with shipping and a restocking fee,
    or a plain ``amount``. Never more than the order's total less what is already refunded.
    An exchange names its lines; ``swaps`` (``{line_no: sku}``) ships another SKU for a line."""
    refund_kind = _read_kind(kind)
    with transaction.atomic():
        order = orders.lock_order(order_id)
        by_no = {line.line_no: line for line in order.lines.all()}
        if refund_kind == RefundKind.EXCHANGE:
            exchanges.check_request(lines, swaps)
        shipping = order.shipping_amount if include_shipping else Decimal(0)
        if lines:
            detail, total, fee = _priced(
                order, by_no, lines, swaps, shipping, restocking_fee_percent
            )
        elif amount is not None:
            exact = Money.exact(amount, order.currency, "amount").amount  # 15.999 GBP: refused
            detail, total, fee = [], exact, Decimal(0)
        else:
            raise ValidationFailed.single("amount", "give lines or an amount", "required")
        check_refund_positive(total)
        check_refundable(total, _refunded(order), order.total_amount, order.currency)
        refund = _create(
            order, refund_kind, actor, total, fee, shipping, detail, rma_id=rma_id, reason=reason
        )
        _record_request(refund, Trail(actor, at=refund.created_at))
    return refund


def _read_kind(kind: str) -> RefundKind:
    try:
        return RefundKind(kind)
    except ValueError:
        raise ValidationFailed.single(
            "kind", f"{kind!r} is not refund, store_credit or exchange"
        ) from None


def _priced(
    order: Order,
    by_no: dict[int, OrderLine],
    lines: dict[int, int],
    swaps: dict[int, str] | None,
    shipping: Decimal,
    restocking_fee_percent: Decimal,
) -> tuple[list[dict[str, object]], Decimal, Decimal]:
    """(the refund's lines as stored, by line number, with any swapped SKU; amount; fee)."""
    check_refund_units(lines, {no: ln.quantity + ln.cancelled for no, ln in by_no.items()})
    detail: list[dict[str, object]] = [
        {
            "line_no": no,
            "sku": by_no[no].sku,
            "quantity": units,
            "unit_price": str(by_no[no].unit_price),
            **exchanges.swapped(by_no[no].sku, (swaps or {}).get(no)),
        }
        for no, units in sorted(lines.items())
    ]
    total, fee = refund_amount(
        [(by_no[no].unit_price, units) for no, units in lines.items()],
        shipping=shipping,
        restocking_fee_percent=restocking_fee_percent,
        minor_units=minor_units(order.currency),
    )
    return detail, total, fee


def _create(
    order: Order,
    kind: RefundKind,
    actor: str,
    total: Decimal,
    fee: Decimal,
    shipping: Decimal,
    detail: list[dict[str, object]],
    *,
    rma_id: str,
    reason: str,
) -> Refund:
    """The refund row: approved at once when the approval matrix needs no one."""
    needed = limits().approvals_needed(total)
    now = timezone.now()
    return Refund.objects.create(
        id=new_id("refund"),
        order=order,
        rma_id=rma_id or None,
        kind=kind.value,
        amount=total,
        currency=order.currency,
        restocking_fee=fee,
        shipping=shipping,
        lines=detail,
        reason=reason[:300],
        status=(RefundStatus.APPROVED if needed == 0 else RefundStatus.REQUESTED).value,
        approvals_needed=needed,
        requested_by=actor,
        created_at=now,
        updated_at=now,
    )


def _refunded(order: Order) -> Decimal:
    """What the order's live refunds (requested up to succeeded) already take."""
    taken = Refund.objects.filter(order=order, status__in=list(LIVE)).aggregate(t=Sum("amount"))
    return taken["t"] or Decimal(0)


def _record_request(refund: Refund, trail: Trail) -> None:
    """Audit, then either a case for the approvers or the automatic approval and its
    processing, then the request's event: all in the caller's transaction."""
    order_id, total, needed, now = refund.order_id, refund.amount, refund.approvals_needed, trail.at
    trail.add(
        "refund",
        refund.id,
        "refund_requested",
        order_id=order_id,
        after=refund.status,
        amount=str(total),
        currency=refund.currency,
        kind=refund.kind,
        approvals_needed=needed,
    )
    if needed:
        exceptions.open_case(
            Kind.REFUND_APPROVAL,
            subject=f"refund:{refund.id}",
            summary=f"{refund.kind} of {plain(total, refund.currency)} {refund.currency} needs "
            + ("one approver" if needed == 1 else "two approvers"),
            trail=trail,
            order_id=order_id,
            detail={"refund_id": refund.id, "amount": str(total), "approvals_needed": needed},
        )
    else:
        trail.add(
            "refund", refund.id, "refund_approved", order_id=order_id, reason_code="automatic"
        )
        outbox.save([outbox.emit(Topic.REFUND_PROCESS, refund.id, now, refund_id=refund.id)])
    trail.save()
    outbox.save(
        [
            outbox.emit(
                Topic.REFUND_REQUESTED, refund.id, now, order_id=order_id, refund_id=refund.id
            )
        ]
    )
