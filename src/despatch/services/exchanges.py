"""Exchanges: a replacement order instead of money.

An exchange is requested like a refund (kind ``exchange``, per line, approved by the same
matrix); when it is processed the replacement order is received on the original order's
channel as any order is (validated, reserved, routed by the channel's warehouses and rules),
with ``external_id`` ``exchange-<refund id>`` (so processing twice receives it once), the
original's address, customer and service, unit prices of zero (it was paid for), and the
links ``replaces`` (the original order) and ``exchange_rma`` (the return). A line may be
swapped for another SKU (another size). The platform is never told of the replacement: it is
Despatch's own order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from despatch.domain.addresses import Address
from despatch.domain.errors import FieldError, ValidationFailed
from despatch.domain.money import Money
from despatch.domain.orders import LineDraft, OrderDraft, PaymentStatus
from despatch.models import Order, Refund, Sku
from despatch.services import orders
from despatch.services.audit import Trail


def check_request(lines: dict[int, int] | None, swaps: dict[int, str] | None) -> None:
    """An exchange names the lines it replaces; each swap names a line of it and a known SKU."""
    if not lines:
        raise ValidationFailed.single("lines", "an exchange names the lines it replaces")
    swaps = swaps or {}
    known = set(
        Sku.objects.filter(code__in=list(swaps.values()), active=True).values_list(
            "code", flat=True
        )
    )
    errors = [
        FieldError(f"swaps[{no}]", "is not a line of the exchange", "unknown_line")
        for no in swaps
        if no not in lines
    ] + [
        FieldError(f"swaps[{no}]", f"{sku!r} is not a known, active SKU", "unknown_sku")
        for no, sku in swaps.items()
        if sku not in known
    ]
    if errors:
        raise ValidationFailed(errors)


def swapped(sku: str, replacement: str | None) -> dict[str, str]:
    """The refund line's note of the SKU the replacement ships (when it is another one)."""
    return {"replacement_sku": replacement} if replacement and replacement != sku else {}


def _draft(refund: Refund, order: Order) -> OrderDraft:
    zero = Money(Decimal(0), order.currency)
    names = dict(order.lines.values_list("line_no", "name"))
    lines = tuple(
        LineDraft(
            line.get("replacement_sku") or line["sku"],
            int(line["quantity"]),
            zero,
            names.get(line["line_no"], ""),
        )
        for line in refund.lines
    )
    billing = Address.from_dict(order.billing_address) if order.billing_address else None
    return OrderDraft(
        channel=order.channel,
        external_id=f"exchange-{refund.id}",
        currency=order.currency,
        lines=lines,
        shipping_address=Address.from_dict(order.shipping_address),
        billing_address=billing,
        customer_email=order.customer_email,
        customer_name=order.customer_name,
        payment_status=PaymentStatus.PAID,
        requested_service=order.requested_service,
        priority=order.priority,
        extra={"language": order.language} if order.language else {},
    )


def create_replacement(refund: Refund) -> Order:
    """Receive the replacement order of an approved exchange, linked to its order and return
    (idempotent: the same exchange again returns the same order)."""
    original = Order.objects.get(id=refund.order_id)
    with transaction.atomic():
        replacement, created = orders.receive_order(
            _draft(refund, original), actor="system:exchanges"
        )
        if created:
            orders.link_replacement(replacement, original, refund.rma_id or "")
            trail = Trail("system:exchanges")
            detail: dict[str, Any] = {"refund_id": refund.id, "rma": refund.rma_id}
            trail.add(
                "order",
                original.id,
                "exchange_replacement_created",
                order_id=original.id,
                after=replacement.id,
                **detail,
            )
            trail.add(
                "order",
                replacement.id,
                "replaces",
                order_id=replacement.id,
                reason_code="exchange",
                after=original.id,
                **detail,
            )
            trail.save()
    return replacement
