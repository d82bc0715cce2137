"""Bulk actions on orders: one action on many orders, each order on its own (one refusal
stops nothing else), each reporting what it did or why not. The caller must hold the action's
permission; orders outside the caller's scope are reported "not found", as one by one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from despatch.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidTransition,
    ValidationFailed,
)
from despatch.domain.permissions import Access
from despatch.domain.reasons import ALLOWED, MEANING, ManualAction, read_reason
from despatch.domain.shipments import ShipmentStatus
from despatch.domain.wording import status_words
from despatch.models import Order, PickTask, Shipment
from despatch.services import cancellations, order_edits, orders, scopes, shipping

MAX_ORDERS = 500  # at most this many orders in one bulk action

# action → (words, the permission it needs)
ACTIONS: dict[str, tuple[str, str]] = {
    "hold": ("Hold", "orders.write"),
    "release": ("Release", "orders.write"),
    "cancel": ("Cancel", "orders.write"),
    "service": ("Change service", "orders.write"),
    "priority": ("Set priority", "orders.write"),
    "pick_lists": ("Print pick lists", "picking.work"),
    "packing_slips": ("Print packing slips", "labels.print"),
    "labels": ("Buy labels", "labels.print"),
}
REASONED = {
    "hold": ManualAction.HOLD,
    "release": ManualAction.RELEASE,
    "cancel": ManualAction.CANCEL,
}


@dataclass(frozen=True)
class BulkRequest:
    action: str
    note: str = ""
    reason: str = ""
    service: str = ""
    priority: int | None = None


@dataclass(frozen=True)
class Outcome:
    order_id: str
    number: str  # the channel's order number
    done: bool
    detail: str


def allowed_actions(access: Access) -> list[tuple[str, str]]:
    """(action, words) of the actions ``access`` may run."""
    return [(key, words) for key, (words, perm) in ACTIONS.items() if access.can(perm)]


def reason_choices() -> dict[str, list[tuple[str, str]]]:
    """Per action, its reason codes with what they mean (domain/reasons.py)."""
    return {
        key: [(c.value, MEANING[c]) for c in ALLOWED[action]] for key, action in REASONED.items()
    }


def check(request: BulkRequest, access: Access) -> None:
    """Refuse the whole request before any order: an unknown action, no permission for it,
    or a bad reason, service or priority."""
    if request.action not in ACTIONS:
        raise ValidationFailed.single("action", f"one of {', '.join(ACTIONS)}", "unknown")
    permission = ACTIONS[request.action][1]
    if not access.can(permission):
        raise Forbidden(permission)
    if request.action in REASONED:
        read_reason(REASONED[request.action], request.reason)
    if request.action == "service" and not order_edits.SERVICE.fullmatch(request.service):
        raise ValidationFailed.single("service", "a service code, e.g. express", "service")
    if request.action == "priority" and (
        request.priority is None or not -100 <= request.priority <= 100
    ):
        raise ValidationFailed.single("priority", "a whole number from -100 to 100", "priority")


def run(request: BulkRequest, order_ids: list[str], *, access: Access, actor: str) -> list[Outcome]:
    check(request, access)
    ids = list(dict.fromkeys(order_ids))
    if not ids:
        raise ValidationFailed.single("ids", "select at least one order", "required")
    if len(ids) > MAX_ORDERS:
        raise ValidationFailed.single("ids", f"at most {MAX_ORDERS} orders at once", "too_many")
    found = scopes.orders_in(Order.objects.filter(id__in=ids), access.scope)
    numbers = dict(found.values_list("id", "external_id"))
    handler = HANDLERS[request.action]
    outcomes = []
    for order_id in ids:
        if order_id not in numbers:
            outcomes.append(Outcome(order_id, "", False, "no such order"))
            continue
        try:
            detail = handler(order_id, request, actor)
            outcomes.append(Outcome(order_id, numbers[order_id], True, detail))
        except ValidationFailed as exc:
            outcomes.append(Outcome(order_id, numbers[order_id], False, exc.detail))
        except DomainError as exc:
            outcomes.append(Outcome(order_id, numbers[order_id], False, _said(exc)))
    return outcomes


def _said(exc: DomainError) -> str:
    """The refusal in words: a transition names the order's status as the inbox shows it."""
    if isinstance(exc, InvalidTransition) and exc.data.get("kind") == "order":
        return f"not possible while the order is {status_words(exc.data['current']).lower()}"
    reasons = exc.data.get("reasons")
    return f"{exc.detail} ({'; '.join(reasons)})" if reasons else exc.detail


def _hold(order_id: str, r: BulkRequest, actor: str) -> str:
    orders.place_hold(order_id, actor=actor, note=r.note, reason=r.reason)
    return "held"


def _release(order_id: str, r: BulkRequest, actor: str) -> str:
    orders.release_order(order_id, actor=actor, note=r.note, reason=r.reason)
    return "released"


def _cancel(order_id: str, r: BulkRequest, actor: str) -> str:
    cancellations.cancel_order(
        order_id, actor=actor, reason=r.reason or "ops_decision", note=r.note
    )
    return "cancelled"


def _service(order_id: str, r: BulkRequest, actor: str) -> str:
    order_edits.change_service(order_id, r.service, actor=actor)
    return f"service is {r.service}"


def _priority(order_id: str, r: BulkRequest, actor: str) -> str:
    order_edits.set_priority(order_id, r.priority or 0, actor=actor)
    return f"priority is {r.priority}"


def live_shipments(order_id: str) -> list[Shipment]:
    return list(
        Shipment.objects.filter(order_id=order_id)
        .exclude(status=ShipmentStatus.CANCELLED)
        .order_by("created_at", "id")
    )


def pick_list_ids(order_id: str) -> list[str]:
    rows = PickTask.objects.filter(shipment__order_id=order_id)
    return sorted(set(rows.values_list("pick_list_id", flat=True)))


def _pick_lists(order_id: str, r: BulkRequest, actor: str) -> str:
    found = pick_list_ids(order_id)
    if not found:
        raise Conflict("not on a pick list yet: release it in a wave first")
    return f"on pick list {', '.join(found)}"


def _slips(order_id: str, r: BulkRequest, actor: str) -> str:
    found = live_shipments(order_id)
    if not found:
        raise Conflict("no parcel yet: the order is not allocated")
    return f"{len(found)} packing slip{'s' if len(found) > 1 else ''}"


def _labels(order_id: str, r: BulkRequest, actor: str) -> str:
    """A label for each packed parcel without one (the carrier is called outside any
    transaction: buy_label keeps its own short one)."""
    parcels = [s for s in live_shipments(order_id) if s.status == ShipmentStatus.PACKED]
    if not parcels:
        raise Conflict("no packed parcel to label: labels are bought after packing")
    bought = [shipping.buy_label(s.id, actor=actor).shipment for s in parcels]
    return "; ".join(f"{s.carrier} {s.tracking_number}" for s in bought)


HANDLERS: dict[str, Callable[[str, BulkRequest, str], str]] = {
    "hold": _hold,
    "release": _release,
    "cancel": _cancel,
    "service": _service,
    "priority": _priority,
    "pick_lists": _pick_lists,
    "packing_slips": _slips,
    "labels": _labels,
}
