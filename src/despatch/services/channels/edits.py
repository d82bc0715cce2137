"""A channel's later edit to an order's lines (a Shopify order edit: ``current_quantity``
below ``quantity``, 0 for a line removed), applied where it safely can be.

Before picking, units the channel took off are cancelled here as a person's line cancellation
is (services/cancellations.cancel_lines: the stock goes back, what remains is planned again,
an audit entry names the lines), with the channel's own reason so that it is not told back;
every unit taken off cancels the order. The order's money is then brought to the platform's
current figures and its total checked against the platform's current total. Once picking has
started, or when the edit adds units, nothing is changed: the order is held (or, on the floor,
its case opens) for a person, as other late changes are (services/late_holds).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from despatch.domain.cancellations import CancelReason, Stage, stage_of
from despatch.domain.money import Money
from despatch.domain.orders import HoldReason, OrderDraft, OrderStatus
from despatch.models import Order
from despatch.services import cancellations, late_holds, orders, totals
from despatch.services.audit import Trail


def units(lines: Iterable[Any]) -> Counter[str]:
    """Units per SKU: the same whether a line known by its total was stored whole or, before
    it was kept as one line, split by unit price."""
    found: Counter[str] = Counter()
    for line in lines:
        found[line.sku] += line.quantity
    return found


def by_line(lines: Iterable[Any]) -> Counter[str] | None:
    """Units per platform line ID, or None when a line has no ID. Lines are matched by the
    platform's line ID, never by SKU: a SKU mapped here (services/sku_maps) or corrected by a
    person is still the platform's line."""
    found: Counter[str] = Counter()
    for line in lines:
        if not line.external_line_id:
            return None
        found[line.external_line_id] += line.quantity
    return found


def edited(stored: Iterable[Any], draft: OrderDraft) -> bool:
    """Whether the channel's lines differ from the stored ones by their line IDs (both sides
    have them); orders without line IDs are not matched line by line (see apply)."""
    have, wanted = by_line(stored), by_line(draft.lines)
    return have is not None and wanted is not None and have != wanted


def unmatched_change(stored: Iterable[Any], draft: OrderDraft) -> bool:
    """Lines without platform IDs whose units per SKU differ: recorded, never applied."""
    if by_line(stored) is not None and by_line(draft.lines) is not None:
        return False
    return units(stored) != units(draft.lines)


def apply_line_edit(order_id: str, draft: OrderDraft, actor: str) -> str:
    """Bring the order's lines to the channel's (see the module); returns the outcome."""
    with transaction.atomic():
        order = orders.lock_order(order_id)
        have, wanted = by_line(order.lines.all()), by_line(draft.lines)
        if have is None or wanted is None or have == wanted:
            return "unchanged"
        trail = Trail(actor)
        said = _changes(order, draft, have, wanted)
        stage = stage_of(OrderStatus(order.status))
        if stage != Stage.BEFORE_PICK or orders.is_paused(order) or wanted - have:
            trail.add("order", order.id, "channel_lines_changed", order_id=order.id,
                      reason_code="not_applied", lines=said,
                      note="the channel changed the lines; review by hand")  # fmt: skip
            message = (
                f"the channel edited the order's lines ({_words(said)}) after it was planned "
                "here: change what ships by hand, or cancel it"
            )
            late_holds.hold_or_open_case(order, HoldReason.INVALID_ORDER, message, trail)
            trail.save()
            return "updated"
        cuts = _cuts(order, have, wanted)
    note = f"the channel edited the order: {_words(said)}"
    reason = CancelReason.CHANNEL_CANCELLED.value
    if not +wanted:  # every unit taken off
        cancellations.cancel_order(order_id, actor=actor, reason=reason, note=note)
        return "cancelled"
    cancellations.cancel_lines(order_id, cuts, actor=actor, reason=reason, note=note)
    _restate_money(order_id, draft, actor)
    totals.check_total(order_id, draft, actor=actor, hold=False)
    return "lines_edited"


def _changes(
    order: Order, draft: OrderDraft, have: Counter[str], wanted: Counter[str]
) -> list[dict[str, Any]]:
    skus = {ln.external_line_id: ln.sku for ln in draft.lines}
    skus.update({ln.external_line_id: ln.sku for ln in order.lines.all()})
    return [
        {"line_id": line, "sku": skus.get(line, ""), "before": have[line], "after": wanted[line]}
        for line in sorted(set(have) | set(wanted))
        if have[line] != wanted[line]
    ]


def _words(changes: list[dict[str, Any]]) -> str:
    return ", ".join(f"{c['sku']} {c['before']} -> {c['after']}" for c in changes)


def _cuts(order: Order, have: Counter[str], wanted: Counter[str]) -> dict[int, int]:
    """{line_no: units to cancel}: each platform line's units taken off, last lines first."""
    cuts: dict[int, int] = {}
    fewer = {line: n - wanted[line] for line, n in have.items() if n > wanted[line]}
    for line in sorted(order.lines.all(), key=lambda ln: -ln.line_no):
        take = min(fewer.get(line.external_line_id, 0), line.quantity)
        if take > 0:
            cuts[line.line_no] = take
            fewer[line.external_line_id] -= take
    return cuts


def _restate_money(order_id: str, draft: OrderDraft, actor: str) -> None:
    """The order's figures as the channel states them now (audited before -> after)."""
    check, zero = draft.stated_total or draft.total, Money.zero(draft.currency)
    with transaction.atomic():
        order = orders.lock_order(order_id)
        after = {
            "total_amount": check.amount,
            "computed_total": draft.total.amount,
            "discount_amount": (draft.discount_total or zero).amount,
            "tax_amount": (draft.tax_total or zero).amount,
        }
        before = {k: getattr(order, k) for k in after}
        changed = [k for k in after if before[k] != after[k]]
        if not changed:
            return
        trail = Trail(actor)
        trail.add("order", order.id, "money_restated", order_id=order.id,
                  reason_code="channel_update",
                  before={k: str(before[k]) for k in changed},
                  after={k: str(after[k]) for k in changed})  # fmt: skip
        for name in changed:
            setattr(order, name, after[name])
        order.updated_at = trail.at
        order.save(update_fields=[*changed, "updated_at"])
        trail.save()
