"""Cancellations and refunds made in Despatch, carried out on the order's platform too.

Called from outbox handlers registered ``transactional=False``: the order is read, the
platform called with no transaction open, and its answer recorded on the order
(``platform_actions``: action, key, status, answer, time) and audited in a short transaction.
Each action has a key (the order's cancellation, one line cancellation event, one refund); an
action already ``done`` under its key is never sent again. No answer or a 5xx raises
:class:`Unavailable` so the outbox retries with backoff; a refusal (4xx), the last retry, or a
platform that offers no API for it (Amazon) records the action and opens a
``platform_action`` case in the ``channels`` queue naming what a person must do there.

A cancellation the platform itself sent (reason ``channel_cancelled``) is never sent back,
and an exchange's replacement order (Despatch's own) is never sent at all.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from despatch.domain.cancellations import CancelReason
from despatch.domain.errors import Unavailable
from despatch.domain.events import backoff_after
from despatch.domain.exceptions import Kind
from despatch.domain.money import Money
from despatch.integrations.channels import order_actions
from despatch.integrations.channels.order_actions import CancelRequest, RefundRequest, Refused
from despatch.models import Channel, Order, Refund
from despatch.services import exceptions
from despatch.services.audit import Trail
from despatch.services.catalogue import connection

DONE, REFUSED, FAILED, BY_HAND = "done", "refused", "failed", "by_hand"


def _done(order: Order, key: str) -> dict[str, Any] | None:
    return next(
        (a for a in order.platform_actions if a.get("key") == key and a.get("status") == DONE),
        None,
    )


def cancel_on_platform(
    order_id: str, *, reason: str, lines: list[dict[str, Any]] | None, key: str, attempt: int
) -> str:
    """Cancel the order (``lines`` None) or those lines on its platform; returns the outcome."""
    order = Order.objects.filter(id=order_id).first()
    if order is None or reason == CancelReason.CHANNEL_CANCELLED:
        return "the_channel_cancelled_it" if order else "no_order"
    channel = _channel(order)
    if channel is None:
        return "channel_takes_no_cancellations"
    if _done(order, key):
        return "already_done"
    action = "cancel_lines" if lines else "cancel"
    by_no = {line.line_no: line.external_line_id for line in order.lines.all()}
    cut = tuple((by_no.get(int(c["line_no"]), ""), int(c["quantity"])) for c in lines or [])
    cancel = order_actions.CANCEL.get(channel.type)
    partial = bool(cut) and channel.type not in order_actions.CANCELS_LINES
    if cancel is None or partial or any(not line_id for line_id, _ in cut):
        what = order_actions.BY_HAND.get(channel.type) or (
            f"cancel the lines {', '.join(str(c['line_no']) for c in lines or [])} on "
            f"{channel.type} by hand (it cancels whole orders only)"
            if partial
            else f"{action.replace('_', ' ')} on {channel.type} by hand"
        )
        return _record(order, channel, action, key, BY_HAND, what)
    request = CancelRequest(order.external_id, reason, cut)
    return _attempt(
        order, channel, action, key, attempt, lambda: cancel(connection(channel), request)
    )


def refund_on_platform(refund: Refund, attempt: int) -> tuple[str, str] | None:
    """Refund on the platform: (status, the platform's reference or the error), or None when
    the order's channel takes no refunds (the refund is then made as before)."""
    order = Order.objects.get(id=refund.order_id)
    channel = _channel(order)
    if channel is None:
        return None
    key = f"refund:{refund.id}"
    done = _done(order, key)
    if done:
        return DONE, str(done.get("answer", ""))
    make = order_actions.REFUND.get(channel.type)
    by_no = {line.line_no: line.external_line_id for line in order.lines.all()}
    lines = tuple(
        (
            by_no.get(int(li["line_no"]), ""),
            int(li["quantity"]),
            Money.parse(li["unit_price"], refund.currency, "unit_price") * int(li["quantity"]),
        )
        for li in refund.lines
    )
    if make is None or any(not line_id for line_id, _, _ in lines):
        what = order_actions.REFUND_BY_HAND.get(channel.type, f"refund on {channel.type} by hand")
        return BY_HAND, _record(order, channel, "refund", key, BY_HAND, what) and what
    request = RefundRequest(
        order.external_id, refund.id, Money(refund.amount, refund.currency), lines, refund.reason
    )
    outcome = _attempt(
        order, channel, "refund", key, attempt, lambda: make(connection(channel), request)
    )
    latest = next(
        a for a in reversed(Order.objects.get(id=order.id).platform_actions) if a["key"] == key
    )
    return outcome, str(latest.get("answer", ""))


def _channel(order: Order) -> Channel | None:
    """The order's channel, when it is a platform with an API Despatch can tell."""
    if order.replaces:
        return None  # an exchange's replacement: Despatch's own order
    channel = Channel.objects.filter(code=order.channel).first()
    known = set(order_actions.CANCEL) | set(order_actions.REFUND) | set(order_actions.BY_HAND)
    if channel is None or not channel.api_url or channel.type not in known:
        return None
    return channel


def _attempt(order: Order, channel: Channel, action: str, key: str, attempt: int, call: Any) -> str:
    try:
        answer = call()
    except Refused as exc:
        return _record(order, channel, action, key, REFUSED, exc.detail)
    except Unavailable as exc:
        if backoff_after(attempt) is not None:
            raise  # the outbox tries again later
        return _record(order, channel, action, key, FAILED, exc.detail)
    return _record(order, channel, action, key, DONE, str(answer))


def _record(order: Order, channel: Channel, action: str, key: str, status: str, answer: str) -> str:
    """Keep the platform's answer on the order, audit it, and open a case unless it is done."""
    with transaction.atomic():
        row = Order.objects.select_for_update().get(id=order.id)
        trail = Trail(f"channel:{channel.code}")
        entry = {
            "action": action,
            "key": key,
            "status": status,
            "answer": answer[:500],
            "at": trail.at.isoformat(),
        }
        row.platform_actions = [*row.platform_actions, entry]
        row.save(update_fields=["platform_actions"])
        trail.add(
            "order",
            order.id,
            f"platform_{action}_{status}",
            order_id=order.id,
            reason_code=status,
            channel=channel.code,
            key=key,
            answer=answer[:500],
        )
        if status != DONE:
            exceptions.open_case(
                Kind.PLATFORM_ACTION,
                subject=f"platform:{key}:{order.id}",
                summary=f"{channel.code}: {action.replace('_', ' ')} of order "
                f"{order.external_id} was not done on {channel.type} ({status}): {answer[:200]}",
                trail=trail,
                order_id=order.id,
                detail=entry,
            )
        trail.save()
    return status


def now() -> str:
    return timezone.now().isoformat()
