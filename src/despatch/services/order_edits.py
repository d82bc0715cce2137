"""A person's changes to an order before picking: its service, priority, shipping address;
and the notes and tags people keep on it. Each change is audited; a change to the address or
the service plans the order's stock again (its ship-by day and warehouse may change)."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from despatch.domain.addresses import Address
from despatch.domain.errors import Conflict, ValidationFailed
from despatch.domain.ids import new_id
from despatch.domain.orders import NOT_PICKED, OrderEvent, OrderStatus
from despatch.integrations import contact_checks
from despatch.models import Order, OrderNote
from despatch.services import cancellations, sourcing
from despatch.services.audit import Trail
from despatch.services.orders import is_paused, lock_order, set_status

SERVICE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
TAG = re.compile(r"[A-Za-z0-9_.:-]{1,32}")
PLANNED = (OrderStatus.BACKORDERED, OrderStatus.RESERVED, OrderStatus.ALLOCATED)


def _before_picking(order: Order, what: str) -> None:
    if is_paused(order):
        raise Conflict(
            f"the order is on hold with its parcel planned: release it to change the {what}",
            current=order.status,
        )
    if OrderStatus(order.status) not in NOT_PICKED:
        raise Conflict(
            f"the order is {order.status.replace('_', ' ')}: the {what} is changed before picking",
            current=order.status,
        )


def _replan(order: Order, trail: Trail, reason: str) -> None:
    """Give back what a planned order holds and plan it again (locked, in the transaction)."""
    if OrderStatus(order.status) not in PLANNED:
        return  # not planned yet (the pipeline plans it) or on hold (planned on release)
    cancellations.unplan(order, trail, reason)
    if order.status != OrderStatus.VALIDATED:
        set_status(order, OrderEvent.REPLAN, trail, reason)
    order.save(update_fields=["status", "updated_at"])
    sourcing.plan_again(order, trail)


def change_service(order_id: str, service: str, *, actor: str) -> Order:
    service = service.strip()
    if not SERVICE.fullmatch(service):
        raise ValidationFailed.single("service", "a service code, e.g. express", "service")
    with transaction.atomic():
        order = lock_order(order_id)
        _before_picking(order, "service")
        if order.requested_service == service:
            return order
        trail = Trail(actor)
        before, order.requested_service, order.updated_at = (
            order.requested_service,
            service,
            trail.at,
        )
        order.save(update_fields=["requested_service", "updated_at"])
        trail.add("order", order.id, "service_changed", order_id=order.id,
                  reason_code="ops_decision", before=before, after=service)  # fmt: skip
        _replan(order, trail, "service_changed")
        trail.save()
    return order


def set_priority(order_id: str, priority: int, *, actor: str) -> Order:
    if not -100 <= priority <= 100:
        raise ValidationFailed.single("priority", "a whole number from -100 to 100", "priority")
    with transaction.atomic():
        order = lock_order(order_id)
        if order.priority == priority:
            return order
        trail = Trail(actor)
        before, order.priority, order.updated_at = order.priority, priority, trail.at
        order.save(update_fields=["priority", "updated_at"])
        trail.add("order", order.id, "priority_changed", order_id=order.id,
                  reason_code="ops_decision", before=before, after=priority)  # fmt: skip
        trail.save()
    return order


def edit_address(order_id: str, fields: dict[str, str], *, actor: str, reason: str = "") -> Order:
    """Replace the shipping address before picking, checked as an order's address is checked
    at intake (required fields, the country's postal rules): a bad one is refused, naming the
    fields. Audited before -> after; the order is planned again."""
    with transaction.atomic():
        order = lock_order(order_id)
        _before_picking(order, "address")
        merged = {**order.shipping_address, **{k: v.strip() for k, v in fields.items()}}
        address = Address.from_dict(merged)
        problems = address.problems() or contact_checks.address_problems(address)
        if problems:
            raise ValidationFailed(problems)
        after = contact_checks.normalised(address).as_dict()
        before: dict[str, Any] = dict(order.shipping_address)
        changed = {k: v for k, v in after.items() if before.get(k, "") != v}
        if not changed:
            return order
        trail = Trail(actor)
        trail.add("order", order.id, "address_changed", order_id=order.id,
                  reason_code=reason or "address_problem",
                  before={k: before.get(k, "") for k in changed}, after=changed)  # fmt: skip
        order.shipping_address, order.updated_at = after, trail.at
        order.save(update_fields=["shipping_address", "updated_at"])
        _replan(order, trail, "address_changed")
        trail.save()
    return order


def add_note(order_id: str, text: str, *, actor: str) -> OrderNote:
    text = text.strip()
    if not text or len(text) > 2000:
        raise ValidationFailed.single("note", "write a note of 1 to 2000 characters", "note")
    with transaction.atomic():
        order = lock_order(order_id)
        trail = Trail(actor)
        note = OrderNote.objects.create(
            id=new_id("note"), order=order, author=actor, text=text, created_at=trail.at
        )
        trail.add("order", order.id, "note_added", order_id=order.id, note=text)
        trail.save()
    return note


def set_tags(order_id: str, tags: list[str], *, actor: str) -> Order:
    """The order's tags as a person sets them (rules' tags such as ``late`` may be removed
    too); each a short word."""
    wanted = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    bad = [t for t in wanted if not TAG.fullmatch(t)]
    if bad or len(wanted) > 20:
        raise ValidationFailed.single(
            "tags", "up to 20 tags of letters, digits and . _ : - (at most 32 each)", "tags"
        )
    with transaction.atomic():
        order = lock_order(order_id)
        if list(order.tags) == wanted:
            return order
        trail = Trail(actor)
        trail.add("order", order.id, "tags_changed", order_id=order.id,
                  before=list(order.tags), after=wanted)  # fmt: skip
        order.tags, order.updated_at = wanted, trail.at
        order.save(update_fields=["tags", "updated_at"])
        trail.save()
    return order


def notes_of(order_id: str) -> list[OrderNote]:
    return list(OrderNote.objects.filter(order_id=order_id))
