"""Resolving exceptions: the actions a person takes on a case, one at a time or in bulk.

Each resolution is checked against the case's policy (a short pick cannot be "released"),
runs with the order locked before the case (the same order as every other order change, so
two people resolving at once never deadlock) and is audited with the case's ID.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from despatch.domain.addresses import Address
from despatch.domain.errors import DomainError, ValidationFailed
from despatch.domain.exceptions import Kind, Resolution
from despatch.domain.orders import OrderStatus
from despatch.domain.permissions import Scope
from despatch.domain.reasons import ALLOWED, ManualAction, ReasonCode, read_reason
from despatch.integrations import contact_checks
from despatch.models import ExceptionCase, Order, Sku
from despatch.services import cancellations, exceptions, orders, scopes, sku_maps
from despatch.services.audit import Trail


@dataclass(frozen=True)
class Fix:
    """What a resolution needs besides its name: a corrected address or a substitute SKU."""

    note: str = ""
    address: dict[str, str] | None = None
    line_no: int | None = None
    sku: str = ""
    reason: str = ""  # a reason code for resolve (domain.reasons); ops_decision if not given
    remember: bool = False  # substitute: save the channel SKU -> this SKU for the next orders


def resolve(case_id: str, action: str, *, actor: str, fix: Fix | None = None) -> ExceptionCase:
    fix = fix or Fix()
    case = exceptions.get_case(case_id)
    allowed = exceptions.current_policies()[Kind(case.kind)].resolutions
    if action not in {r.value for r in allowed}:
        names = ", ".join(r.value for r in allowed)
        kind = case.kind.replace("_", " ")
        article = "an" if kind[:1] in "aeiou" else "a"
        raise ValidationFailed.single(
            "action",
            f"{article} {kind} exception is resolved by {names}, not {action!r}",
            "action",
        )
    why = read_reason(ManualAction.RESOLVE, fix.reason)
    with transaction.atomic():
        if case.order_id:
            orders.lock_order(case.order_id)
        case = exceptions.lock_open(case_id)
        match Resolution(action):
            case Resolution.RESOLVE:
                trail = Trail(actor)
                exceptions.resolve_by_hand(case, trail, fix.note, why.value)
                trail.save()
            case Resolution.CANCEL:
                cancellations.cancel_order(
                    _order(case), actor=actor, reason=_cancel_reason(why), note=fix.note
                )
            case Resolution.RELEASE:
                orders.release_order(
                    _order(case), actor=actor, note=fix.note, reason=_release_reason(why)
                )
            case Resolution.FIX_ADDRESS:
                correct_address(_order(case), fix.address or {}, actor=actor)
                orders.release_order(_order(case), actor=actor, note=fix.note, resolution=action)
            case Resolution.SUBSTITUTE:
                substitute(_order(case), fix.line_no, fix.sku, actor=actor, remember=fix.remember)
                orders.release_order(_order(case), actor=actor, note=fix.note, resolution=action)
    return exceptions.get_case(case_id)


def _cancel_reason(why: ReasonCode) -> str:
    """A resolve reason as a cancel reason: the same code where cancel has it."""
    return why.value if why in ALLOWED[ManualAction.CANCEL] else ReasonCode.OPS_DECISION.value


def _release_reason(why: ReasonCode) -> str:
    return why.value if why in ALLOWED[ManualAction.RELEASE] else ReasonCode.OPS_DECISION.value


def _order(case: ExceptionCase) -> str:
    if not case.order_id:
        raise ValidationFailed.single("action", "this exception is not about an order")
    return case.order_id


def correct_address(order_id: str, changes: dict[str, str], *, actor: str) -> Order:
    """Correct fields of a held order's shipping address; the result must be usable."""
    if not changes:
        raise ValidationFailed.single("address", "give the fields to correct", "required")
    unknown = sorted(set(changes) - set(Address.__dataclass_fields__))
    if unknown:
        raise ValidationFailed.single("address", f"unknown address fields: {', '.join(unknown)}")
    order = orders.lock_order(order_id)
    _must_be_held(order)
    before = dict(order.shipping_address)
    after = corrected(before, {k: str(v).strip() for k, v in changes.items()})
    problems = after.problems() or contact_checks.address_problems(after)
    if "phone" in changes and after.phone_raw and not after.phone:  # a person typed it: say so
        found = contact_checks.phone_problem(after.phone_raw, after.country)
        problems += [found] if found else []
    if problems:
        raise ValidationFailed(problems)
    trail = Trail(actor)
    changed = {k: v for k, v in after.as_dict().items() if before.get(k, "") != v}
    trail.add(
        "order",
        order.id,
        "address_corrected",
        order_id=order.id,
        before={k: before.get(k, "") for k in changed},
        after=changed,
    )
    order.shipping_address = after.as_dict()
    order.updated_at = trail.at
    order.save(update_fields=["shipping_address", "updated_at"])
    trail.save()
    return order


def corrected(before: dict[str, str], changes: dict[str, str]) -> Address:
    """The address with the corrections, normalised as a received one is: a corrected phone
    replaces the raw text too, so the checks that follow read the corrected one."""
    if "phone" in changes:
        changes = {**changes, "phone_raw": changes["phone"]}
    return contact_checks.normalised(Address.from_dict({**before, **changes}))


def substitute(
    order_id: str, line_no: int | None, sku: str, *, actor: str, remember: bool = False
) -> Order:
    """Replace the SKU of one line of a held order with a known, active SKU; with
    ``remember`` the channel's SKU is mapped to it for the channel's next orders."""
    if line_no is None or not sku:
        raise ValidationFailed.single("line_no", "give the line number and the SKU to ship")
    order = orders.lock_order(order_id)
    _must_be_held(order)
    line = order.lines.filter(line_no=line_no).first()
    if line is None:
        raise ValidationFailed.single("line_no", f"the order has no line {line_no}")
    if not Sku.objects.filter(code=sku, active=True).exists():
        raise ValidationFailed.single("sku", f"{sku!r} is not a known, active SKU", "unknown_sku")
    trail = Trail(actor)
    trail.add(
        "order_line",
        line.id,
        "sku_substituted",
        order_id=order.id,
        before=line.sku,
        after=sku,
        line_no=line_no,
    )
    if remember:
        sku_maps.map_sku(order.channel, line.sku, sku, actor=actor)
    line.sku = sku
    line.save(update_fields=["sku"])
    trail.save()
    return order


def _must_be_held(order: Order) -> None:
    if order.status != OrderStatus.ON_HOLD:
        raise ValidationFailed.single(
            "order", f"only a held order can be corrected; {order.id} is {order.status}"
        )


@dataclass(frozen=True)
class Outcome:
    exception_id: str
    ok: bool
    detail: str


def resolve_many(
    case_ids: list[str],
    action: str,
    *,
    actor: str,
    fix: Fix | None = None,
    scope: Scope | None = None,
) -> list[Outcome]:
    """Bulk resolution: each case on its own, so one refusal stops none of the others. A case
    outside ``scope`` (the caller's channels and warehouses) is "not found", as one by one."""
    outcomes = []
    for case_id in dict.fromkeys(case_ids):  # each once, in the order given
        try:
            if scope is not None:
                scopes.check("exception_id", case_id, scope)
            case = resolve(case_id, action, actor=actor, fix=fix)
            outcomes.append(Outcome(case_id, True, case.resolution))
        except DomainError as error:
            outcomes.append(Outcome(case_id, False, error.detail))
    return outcomes


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    return {
        "resolved": sum(o.ok for o in outcomes),
        "failed": sum(not o.ok for o in outcomes),
        "outcomes": [o.__dict__ for o in outcomes],
    }
