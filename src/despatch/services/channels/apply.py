"""Applying a platform's order to ours: create it, or bring the stored one up to date (address,
payment status, refunds, cancellation). Orders are deduplicated by (channel, external ID); an
older state arriving late never rolls a newer one back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace

from django.db import transaction

from despatch.domain import limits
from despatch.domain.errors import DuplicateOrder
from despatch.domain.exceptions import Kind
from despatch.domain.money import places_said
from despatch.domain.orders import HoldReason, OrderStatus
from despatch.domain.payments import NoticeEffect, notice_effect
from despatch.integrations.channels.base import ChannelOrder
from despatch.models import Order
from despatch.services import cancellations, exceptions, listings, orders, payments, totals
from despatch.services.audit import Trail
from despatch.services.channels import edits, updates

log = logging.getLogger("despatch.channels")


def apply_channel_order(parsed: ChannelOrder, *, actor: str) -> tuple[str, Order]:
    """Create the order, or bring the stored one up to date; returns (outcome, order).
    Text longer than its column is cut to fit and the cut is recorded on the order: the
    platform has taken the shopper's money, so the order is kept, never refused for it."""
    draft, cut = limits.fit(replace(parsed.draft, stated_total=parsed.platform_total))
    parsed = replace(parsed, draft=draft)
    existing = Order.objects.filter(channel=draft.channel, external_id=draft.external_id).first()
    if existing is None:
        try:
            order, created = orders.receive_order(draft, actor=actor)
        except DuplicateOrder:  # another delivery for this order won the race
            existing = orders.find_order(draft.channel, draft.external_id)
        else:
            if not created:
                return "duplicate", order
            if cut:
                _flag_cut(order, cut, actor)
            listings.ensure_listed(draft.channel, (line.sku for line in draft.lines))
            if parsed.fulfilled_by_channel:
                orders.mark_fulfilled_by_channel(
                    order.id, actor=actor, reason="fulfilled_by_channel"
                )
                totals.check_total(order.id, draft, actor=actor, hold=False)
                outcome = _update(order, parsed, actor, new=True)  # its refunds, a cancel
                done = "cancelled" if outcome == "cancelled" else "fulfilled_by_channel"
                return f"created_{done}", order
            totals.check_total(order.id, draft, actor=actor)
            wrong = _finer_problems(parsed.finer_amounts) + _to_review(parsed)
            if wrong and not parsed.cancelled:
                _hold_invalid(order.id, wrong, actor)
            outcome = _update(order, parsed, actor, new=True)
            return (
                "created" if outcome in ("unchanged", "updated") else f"created_{outcome}"
            ), order
    return _update(existing, parsed, actor, new=False), existing


def _to_review(parsed: ChannelOrder) -> list[dict[str, str]]:
    """A new order of which the platform says some units already left (Amazon
    ``PartiallyShipped``, a Shopify fulfillment, a BigCommerce ``quantity_shipped``, an eBay
    line ``FULFILLED``), or which the adapter says a person must settle (``review``: an order
    for several addresses), is held ``invalid_order`` naming each, so that nothing ships twice
    or to the wrong door."""
    said = [
        f"{sku} x {units} already shipped by the channel: ship only the rest"
        for sku, units in parsed.shipped_elsewhere
    ] + list(parsed.review)
    return [
        {"field": "lines", "message": message, "code": HoldReason.INVALID_ORDER.value}
        for message in said
    ]


def _finer_problems(finer: Iterable[tuple[str, str, str]]) -> list[dict[str, str]]:
    """An amount finer than its currency allows (25.99 JPY) was rounded only to keep the
    order: it is held ``invalid_order`` naming each field and the value as sent."""
    return [
        {
            "field": where,
            "message": f"{where} is {value}, finer than {currency} allows ({places_said(currency)})"
            ": check the order's money on the channel before shipping it",
            "code": HoldReason.INVALID_ORDER.value,
        }
        for where, value, currency in finer
    ]


def _hold_invalid(order_id: str, problems: list[dict[str, str]], actor: str) -> None:
    """Held ``invalid_order`` with ``problems``; already held (e.g. ``total_mismatch``): the
    case opens, naming them all the same."""
    with transaction.atomic():
        order = orders.lock_order(order_id)
        trail = Trail(actor)
        if order.status == OrderStatus.RECEIVED:
            orders.hold_order(order, HoldReason.INVALID_ORDER, problems, trail)
        else:
            exceptions.open_case(
                Kind.INVALID_ORDER,
                subject=f"order:{order.id}",
                summary="; ".join(p["message"] for p in problems),
                trail=trail,
                order_id=order.id,
                detail=problems,
            )
        trail.save()


def _flag_cut(order: Order, fields: list[str], actor: str) -> None:
    trail = Trail(actor)
    note = f"cut to fit: {', '.join(fields)} (the platform keeps the full text)"
    trail.add(
        "order", order.id, "text_truncated", order_id=order.id, reason_code="too_long", note=note
    )
    trail.save()
    log.warning("order %s: %s", order.id, note)


def _update(order: Order, parsed: ChannelOrder, actor: str, *, new: bool) -> str:
    with transaction.atomic():
        order = orders.lock_order(order.id)
        trail = Trail(actor)
        seen, sent = order.channel_updated_at, parsed.updated_at
        if seen and sent and sent < seen:  # an older state arriving late never rolls back
            trail.add(
                "order",
                order.id,
                "channel_update_stale",
                order_id=order.id,
                reason_code="stale",
                sent=sent.isoformat(),
                applied=seen.isoformat(),
            )
            trail.save()
            return "stale"
        if sent and sent != seen:
            order.channel_updated_at = sent
            order.save(update_fields=["channel_updated_at"])
        draft = parsed.draft
        changed = not new and updates.apply_address(order, draft.shipping_address, trail)
        name = draft.customer_name.strip() or draft.shipping_address.name
        changed = (not new and updates.fill_customer_name(order, name, trail)) or changed
        changed = _payment_and_refunds(order, parsed, trail) or changed
        if not new and parsed.fulfilled_by_channel and not parsed.cancelled:
            changed = updates.shipped_elsewhere(order, trail) or changed
        if not parsed.cancelled and parsed.cancel_requested is not None:  # eBay says
            changed = updates.cancel_request(order, parsed.cancel_requested, trail) or changed
        stored = list(order.lines.all())
        edited = not new and edits.edited(stored, draft)
        if not new and edits.unmatched_change(stored, draft):
            trail.add("order", order.id, "channel_lines_changed", order_id=order.id,
                      reason_code="not_applied",
                      note="the channel changed the lines; review by hand")  # fmt: skip
            changed = True
        trail.save()
    if parsed.cancelled and order.status != OrderStatus.CANCELLED:
        return _cancel(order, actor)
    if edited and not parsed.cancelled:  # the channel edited the lines (e.g. a Shopify edit)
        outcome = edits.apply_line_edit(order.id, draft, actor)
        changed = changed or outcome != "unchanged"
        if outcome in ("lines_edited", "cancelled"):
            return outcome
    return "updated" if changed else "unchanged"


def _payment_and_refunds(order: Order, parsed: ChannelOrder, trail: Trail) -> bool:
    changed = refunded = False
    if order.payment_status != parsed.payment_status:
        effect = notice_effect(parsed.payment_status, OrderStatus(order.status))
        refunded = effect == NoticeEffect.REFUNDED
        trail.add(
            "order",
            order.id,
            "payment_status_changed",
            order_id=order.id,
            before=order.payment_status,
            after=parsed.payment_status.value,
        )
        orders.set_payment_status(order, parsed.payment_status)
        changed = True
    known = {r["refund_id"] for r in order.refunds}
    for refund in parsed.refunds:
        if refund.refund_id not in known:
            order.refunds = [*order.refunds, refund.as_dict()]
            trail.add("order", order.id, "refund_recorded", order_id=order.id, **refund.as_dict())
            changed = True
    if changed:
        order.updated_at = trail.at
        order.save(update_fields=["payment_status", "refunds", "updated_at"])
        orders.release_if_paid(order, trail)
    if refunded:
        payments.stop_refunded(order, trail, "the channel")
    return changed


def _cancel(order: Order, actor: str) -> str:
    """The platform's cancellation is carried out at every stage (see services/cancellations)."""
    return cancellations.cancel_for_channel(order.id, actor=actor)
