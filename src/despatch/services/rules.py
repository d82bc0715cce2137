"""Rule sets: load a version, activate it, apply it at validation, and test a candidate
against recent orders before it goes live."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from despatch.domain.allocation import Candidate, LineNeed, Sourcing, plan_allocation
from despatch.domain.allocation_state import AllocationState
from despatch.domain.errors import Conflict, NotFound, ValidationFailed
from despatch.domain.rules import Facts, Outcome, RuleSet, read_rule_set
from despatch.integrations import rulefiles
from despatch.models import Order, OrderLine, RuleSetVersion, Warehouse
from despatch.services import inventory, reference
from despatch.services.audit import Trail

_COMPILED: dict[tuple[int, str], RuleSet] = {}  # (version, checksum): compiled once


def compile_text(text: str) -> RuleSet:
    """The rule set in ``text``, or every error with its line."""
    data, lines = rulefiles.parse(text)
    try:
        return read_rule_set(data, list(Warehouse.objects.values_list("code", flat=True)))
    except ValidationFailed as exc:
        raise rulefiles.place(exc, lines) from None


def load(text: str, *, actor: str, activate: bool = False) -> RuleSetVersion:
    """Store ``text`` as the next version (the latest again if nothing changed)."""
    rule_set = compile_text(text)
    checksum = hashlib.sha256(text.encode()).hexdigest()
    for _ in range(5):
        latest = RuleSetVersion.objects.order_by("-version").first()
        if latest and latest.checksum == checksum:
            stored = latest
            break
        try:
            with transaction.atomic():
                number = (RuleSetVersion.objects.aggregate(m=Max("version"))["m"] or 0) + 1
                stored = RuleSetVersion.objects.create(
                    version=number,
                    name=rule_set.name,
                    source=text,
                    checksum=checksum,
                    rule_count=len(rule_set.rules),
                    created_by=actor,
                    created_at=timezone.now(),
                )
                trail = Trail(actor)
                trail.add(
                    "rule_set",
                    str(number),
                    "loaded",
                    after={"name": rule_set.name, "checksum": checksum, "source": text},
                    rules=[r.id for r in rule_set.rules],
                )
                trail.save()
            break
        except IntegrityError:  # another load took the number: read again
            continue
    else:
        raise Conflict("rule sets are being loaded concurrently; try again")
    return activate_version(stored.version, actor=actor) if activate else stored


def activate_version(version: int, *, actor: str) -> RuleSetVersion:
    with transaction.atomic():
        chosen = RuleSetVersion.objects.select_for_update().filter(version=version).first()
        if chosen is None:
            raise NotFound("rule set version", str(version))
        if chosen.active:
            return chosen
        before = RuleSetVersion.objects.filter(active=True).values_list("version", flat=True)
        previous = list(before)
        RuleSetVersion.objects.filter(active=True).update(active=False)
        chosen.active, chosen.activated_by, chosen.activated_at = True, actor, timezone.now()
        chosen.save(update_fields=["active", "activated_by", "activated_at"])
        trail = Trail(actor)
        trail.add(
            "rule_set",
            str(version),
            "activated",
            before=previous[0] if previous else None,
            after=version,
        )
        trail.save()
    return chosen


def deactivate(*, actor: str) -> None:
    with transaction.atomic():
        for version in RuleSetVersion.objects.filter(active=True).values_list("version", flat=True):
            trail = Trail(actor)
            trail.add("rule_set", str(version), "deactivated", before=version, after=None)
            trail.save()
        RuleSetVersion.objects.filter(active=True).update(active=False)


def versions() -> list[RuleSetVersion]:
    return list(RuleSetVersion.objects.order_by("-version"))


def get_version(version: int | None = None) -> RuleSetVersion:
    rows = RuleSetVersion.objects.all()
    found = rows.filter(version=version).first() if version else rows.filter(active=True).first()
    if found is None:
        raise NotFound("rule set version", str(version) if version else "active")
    return found


def active() -> tuple[int, RuleSet] | None:
    """The active rule set, compiled (cached per process with the reference data)."""
    cache = reference.current()
    if "rules" not in cache.extra:
        cache.extra["rules"] = _active()
    found: tuple[int, RuleSet] | None = cache.extra["rules"]
    return found


def _active() -> tuple[int, RuleSet] | None:
    row = (
        RuleSetVersion.objects.filter(active=True)
        .values_list("version", "checksum", "source")
        .first()
    )
    if row is None:
        return None
    version, checksum, source = row
    if (version, checksum) not in _COMPILED:
        _COMPILED[(version, checksum)] = compile_text(source)
    return version, _COMPILED[(version, checksum)]


def facts_of(order: Order, lines: list[OrderLine], at: datetime) -> Facts:
    skus = {line.sku for line in lines}
    known = reference.sku_facts(skus)
    weight = sum(known[line.sku].weight_g * line.quantity for line in lines if line.sku in known)
    tags = {str(flag) for s in known.values() for flag in s.flags}
    address = order.shipping_address
    return Facts(
        channel=order.channel,
        country=str(address.get("country", "")).upper(),
        postcode=str(address.get("postcode", "")),
        order_value=Decimal(order.total_amount),
        currency=order.currency,
        weight_g=weight,
        skus=frozenset(skus),
        sku_tags=frozenset(tags),
        service=order.requested_service,
        customer_tags=frozenset(str(t) for t in order.customer_tags),
        at=at,
    )


def apply(order: Order, trail: Trail, lines: list[OrderLine]) -> tuple[str, str, str] | None:
    """Apply the active rule set to an order being validated; returns the hold it asks for
    (reason, message, rule), if any. Every application is audited with the rule IDs and the
    version."""
    found = active()
    if found is None:
        return None
    version, rule_set = found
    state = AllocationState.read(order.allocation)
    released = frozenset(state.rules_released)
    outcome = rule_set.evaluate(facts_of(order, lines, trail.at), released)
    if not outcome.applied:
        order.allocation = state.but(rules=None).to_json()
        return None
    changed = _apply_fields(order, outcome)
    order.allocation = state.but(rules=outcome.as_dict(version)).to_json()
    trail.add(
        "order",
        order.id,
        "rules_applied",
        order_id=order.id,
        reason_code="rules",
        rule_set=version,
        rules=[f"{rule}@v{version}" for rule in outcome.applied],
        changed=changed,
        hold=outcome.hold[0] if outcome.hold else None,
    )
    if changed:
        order.save(update_fields=[*changed, "updated_at"])
    return outcome.hold


def _apply_fields(order: Order, outcome: Outcome) -> dict[str, Any]:
    changed: dict[str, Any] = {}
    if outcome.service and order.requested_service != outcome.service[0]:
        changed["requested_service"] = [order.requested_service, outcome.service[0]]
        order.requested_service = outcome.service[0]
    if outcome.priority and order.priority != outcome.priority[0]:
        changed["priority"] = [order.priority, outcome.priority[0]]
        order.priority = outcome.priority[0]
    tags = list(dict.fromkeys([*order.tags, *outcome.tags]))
    if tags != order.tags:
        changed["tags"] = [order.tags, tags]
        order.tags = tags
    return changed


# --- trying a candidate before it goes live -------------------------------------------------


@dataclass
class Change:
    order_id: str
    external_id: str
    what: list[str]


@dataclass
class Report:
    orders: int
    current_version: int | None
    holds_before: int = 0
    holds_after: int = 0
    routes_changed: int = 0
    splits_before: int = 0
    splits_after: int = 0
    changes: list[Change] = field(default_factory=list)

    @property
    def split_rate(self) -> tuple[float, float]:
        n = max(self.orders, 1)
        return self.splits_before / n, self.splits_after / n

    def as_dict(self) -> dict[str, Any]:
        before, after = self.split_rate
        return {
            "orders": self.orders,
            "current_version": self.current_version,
            "holds": {"before": self.holds_before, "after": self.holds_after},
            "routes_changed": self.routes_changed,
            "split_rate": {"before": round(before, 4), "after": round(after, 4)},
            "changes": [c.__dict__ for c in self.changes],
        }


def test_candidate(text: str, last: int = 500) -> Report:
    """Replay the last ``last`` orders against the candidate and the active rule set, on the
    stock on the shelves today (reservations ignored: each order is judged as if it came
    first), and report what would change: holds, where orders ship from, the split rate."""
    candidate = compile_text(text)
    current = active()
    recent = list(
        Order.objects.order_by("-created_at").prefetch_related("lines")[: max(1, min(last, 10000))]
    )
    report = Report(len(recent), current[0] if current else None)
    warehouses = {w.code: w for w in Warehouse.objects.filter(active=True)}
    stock = inventory.on_shelves(
        {line.sku for o in recent for line in o.lines.all()}, list(warehouses)
    )
    now = timezone.now()
    for order in recent:
        lines = list(order.lines.all())
        facts = facts_of(order, lines, order.created_at or now)
        before = current[1].evaluate(facts) if current else Outcome()
        after = candidate.evaluate(facts)
        what = []
        if (before.hold is None) != (after.hold is None) or (
            before.hold and after.hold and before.hold[0] != after.hold[0]
        ):
            what.append(f"hold: {_hold(before)} -> {_hold(after)}")
        report.holds_before += before.hold is not None
        report.holds_after += after.hold is not None
        needs = [LineNeed(line.id, line.sku, line.quantity) for line in lines]
        plans = [_plan(needs, stock, warehouses, o) for o in (before, after)]
        if plans[0][0] != plans[1][0] and not (before.hold or after.hold):
            report.routes_changed += 1
            what.append(f"ships from: {_from(plans[0][0])} -> {_from(plans[1][0])}")
        report.splits_before += plans[0][1] and not before.hold
        report.splits_after += plans[1][1] and not after.hold
        if before.applied != after.applied:
            what.append(f"rules: {list(before.applied)} -> {list(after.applied)}")
        if what:
            report.changes.append(Change(order.id, order.external_id, what))
    return report


def _hold(outcome: Outcome) -> str:
    return f"{outcome.hold[0]} ({outcome.hold[2]})" if outcome.hold else "none"


def _from(codes: list[str]) -> str:
    return ",".join(codes) or "nowhere"


def _plan(
    needs: list[LineNeed], stock: dict[tuple[str, str], int], warehouses: dict[str, Any], o: Outcome
) -> tuple[list[str], bool]:
    candidates = [Candidate(code) for code in warehouses if o.allows(code)]
    plan = plan_allocation(
        needs, stock, candidates, Sourcing(max_shipments=1 if o.forbid_split else 0)
    )
    return plan.warehouses, plan.is_split
