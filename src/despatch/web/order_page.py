"""One order's page: its story in words, and only the actions the user's role and the order's
state allow (hold, release, cancel; the address and service before picking; notes and tags;
the packing slip and the label)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from despatch.domain.errors import DomainError, NotFound, ValidationFailed
from despatch.domain.orders import NOT_PICKED, TRANSITIONS, OrderEvent, OrderStatus
from despatch.domain.permissions import Access
from despatch.domain.reasons import ALLOWED, ManualAction
from despatch.domain.wording import field_words, refund_event_words
from despatch.services import (
    audit,
    cancellations,
    catalogue,
    order_edits,
    orders,
    refunds,
    scopes,
    shipping,
)
from despatch.web.access import access, requires
from despatch.web.money import money

ADDRESS_FIELDS = ("name", "company", "line1", "line2", "city", "region", "postcode", "country")


def allowed(order: Any, user: Access) -> set[str]:
    """What this user may do to this order now: the role's permission and the order's state
    (its transition table) must both allow it."""
    shown: set[str] = set()
    status = OrderStatus(order.status)
    if user.can("orders.write"):
        events = TRANSITIONS[status]
        shown |= {name for name, event in (("hold", OrderEvent.HOLD), ("cancel", OrderEvent.CANCEL))
                  if event in events}  # fmt: skip
        if status == OrderStatus.ON_HOLD:
            shown.add("release")
        if status in NOT_PICKED and not orders.is_paused(order):
            shown |= {"service", "priority"} | (
                {"address"} if user.can("customers.read") else set()
            )
        shown |= {"note", "tags"}
    if user.can("labels.print"):
        shown.add("print")
    return shown


def _timeline(order_id: str, given: list[Any]) -> list[tuple[Any, str]]:
    """Each audit entry, and for a refund's a sentence with its kind and amount."""
    by_id = {r.id: r for r in given}
    shown = []
    for entry in audit.timeline(order_id):
        said = ""
        if entry.subject_type == "refund":
            refund = by_id.get(entry.subject_id)
            kind = refund.kind if refund else str(entry.detail.get("kind") or "")
            currency = refund.currency if refund else str(entry.detail.get("currency") or "")
            amount = refund.amount if refund else entry.detail.get("amount")
            said = refund_event_words(entry.action, kind, money(amount, currency))
        shown.append((entry, said))
    return shown


@requires("orders.read")
def order_detail(request: HttpRequest, order_id: str) -> HttpResponse:
    try:
        scopes.check("order_id", order_id, access(request).scope)
        order = orders.get_order(order_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    shipments, lines = list(order.shipments.all()), list(order.lines.all())
    zones = {w.code: w.time_zone for w in catalogue.warehouses()}
    default = next(iter(zones.values()), "UTC")  # the first warehouse by priority
    zone = zones.get(shipments[0].warehouse_id, default) if shipments else default
    reasons = {a.value: [r.value for r in ALLOWED[a]] for a in ManualAction}
    given = refunds.list_refunds(order_id=order.id)
    context = {
        "order": order,
        "paused": orders.is_paused(order),
        "zone": zone,
        "shipments": shipments,
        "lines": list(zip(lines, catalogue.item_names(lines), strict=True)),
        "labels": [(s, kinds) for s in shipments if (kinds := sorted(shipping.label_files(s.id)))],
        "timeline": _timeline(order.id, given),
        "refunds": given,
        "reservations": orders.reservations_of(order.id),
        "notes": order_edits.notes_of(order.id),
        "reasons": reasons,
        "personal": access(request).can("customers.read"),
        "can_do": allowed(order, access(request)),
        "address_fields": [(f, order.shipping_address.get(f, "")) for f in ADDRESS_FIELDS],
    }
    return render(request, "despatch/order.html", context)


def _actor(request: HttpRequest) -> str:
    return f"user:{request.user.get_username()}"


def _run(action: str, order_id: str, request: HttpRequest) -> str:
    post, actor = request.POST, _actor(request)
    note, reason = post.get("note", "").strip()[:500], post.get("reason", "")
    if action == "hold":
        orders.place_hold(order_id, actor=actor, note=note, reason=reason)
        return "Held"
    if action == "release":
        orders.release_order(order_id, actor=actor, note=note, reason=reason)
        return "Released"
    if action == "cancel":  # the older form sends its reason as "note"
        cancellations.cancel_order(order_id, actor=actor, reason=reason or note or "ops_decision")
        return "Cancelled"
    if action == "service":
        order_edits.change_service(order_id, post.get("service", ""), actor=actor)
        return "Service changed; the order is planned again"
    if action == "priority":
        text = post.get("priority", "").strip()
        if not text.lstrip("-").isdigit():
            raise ValidationFailed.single("priority", "a whole number from -100 to 100")
        order_edits.set_priority(order_id, int(text), actor=actor)
        return "Priority set"
    if action == "address":
        fields = {f: post.get(f, "") for f in ADDRESS_FIELDS if f in post}
        order_edits.edit_address(order_id, fields, actor=actor, reason=reason)
        return "Address changed; the order is planned again"
    if action == "note":
        order_edits.add_note(order_id, post.get("text", ""), actor=actor)
        return "Note added"
    order_edits.set_tags(order_id, post.get("tags", "").replace(",", " ").split(), actor=actor)
    return "Tags saved"


ACTIONS = ("hold", "release", "cancel", "service", "priority", "address", "note", "tags")


@requires("orders.write")
@require_POST
def order_action(request: HttpRequest, order_id: str, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404(f"unknown action {action!r}")
    try:
        scopes.check("order_id", order_id, access(request).scope)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    try:
        messages.success(request, f"{_run(action, order_id, request)}: done")
    except ValidationFailed as exc:
        said = "; ".join(f"{field_words(e.field)} {e.message}" for e in exc.errors)
        messages.error(request, f"Not done: {said}")
    except DomainError as exc:
        messages.error(request, f"Not done: {exc.detail}")
    return redirect("order", order_id=order_id)
