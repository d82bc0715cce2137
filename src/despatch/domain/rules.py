"""Rule sets: conditions on an order, actions that decide for it, checked before use.

A rule set is a list of rules, each with an ``id``, conditions under ``when`` (all must hold;
no conditions match every order) and actions under ``then``. Every matching rule applies, in
file order; for a single-valued action (hold, route, service, carrier, priority) the first
rule that sets it wins; list actions (tags, excluded warehouses) add up. ``stop: true`` ends
the evaluation after that rule. docs/rules.md is the reference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from despatch.domain.errors import FieldError, ValidationFailed

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOLDS = ("compliance", "manual", "fraud_review", "invalid_address", "invalid_order")
LIST_CONDITIONS = ("channel", "country", "sku", "sku_tags", "service", "customer_tags", "currency")
RANGE_CONDITIONS = ("order_value", "weight_g")
CONDITIONS = (*LIST_CONDITIONS, *RANGE_CONDITIONS, "postcode_prefix", "time")
ACTIONS = (
    "hold",
    "note",
    "route_to",
    "exclude_warehouses",
    "set_service",
    "set_carrier",
    "priority",
    "tag",
    "require_signature",
    "forbid_split",
)
BOUNDS = ("gte", "gt", "lte", "lt")


@dataclass(frozen=True)
class Facts:
    """What rules may look at, read off one order."""

    channel: str
    country: str
    postcode: str
    order_value: Decimal
    currency: str
    weight_g: int
    skus: frozenset[str]
    sku_tags: frozenset[str]
    service: str
    customer_tags: frozenset[str]
    at: datetime


@dataclass(frozen=True)
class Condition:
    name: str
    values: frozenset[str] = frozenset()
    negated: bool = False
    bounds: tuple[tuple[str, Decimal], ...] = ()
    days: frozenset[int] = frozenset()
    after: time | None = None
    before: time | None = None

    def holds(self, facts: Facts, zone: ZoneInfo) -> bool:
        if self.name in RANGE_CONDITIONS:
            value = Decimal(getattr(facts, self.name))
            return all(_compare(value, op, limit) for op, limit in self.bounds)
        if self.name == "postcode_prefix":
            code = facts.postcode.replace(" ", "").upper()
            found = any(code.startswith(p) for p in self.values)
        elif self.name == "time":
            local = facts.at.astimezone(zone)
            found = (not self.days or local.weekday() in self.days) and (
                (self.after is None or local.time() >= self.after)
                and (self.before is None or local.time() < self.before)
            )
        else:
            have = getattr(facts, self.name)
            have = have if isinstance(have, frozenset) else frozenset({str(have).upper()})
            found = bool({str(v).upper() for v in have} & self.values)
        return found != self.negated


def _compare(value: Decimal, op: str, limit: Decimal) -> bool:
    return {
        "gte": value >= limit,
        "gt": value > limit,
        "lte": value <= limit,
        "lt": value < limit,
    }[op]


@dataclass(frozen=True)
class Rule:
    id: str
    conditions: tuple[Condition, ...]
    actions: Mapping[str, Any]
    description: str = ""
    stop: bool = False

    def matches(self, facts: Facts, zone: ZoneInfo) -> bool:
        return all(c.holds(facts, zone) for c in self.conditions)


@dataclass(frozen=True)
class Outcome:
    """What a rule set decided for one order, and which rules decided it."""

    applied: tuple[str, ...] = ()
    hold: tuple[str, str, str] | None = None  # (reason, message, rule)
    route_to: tuple[tuple[str, ...], str] | None = None  # (warehouses, rule)
    exclude: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # rule -> warehouses
    service: tuple[str, str] | None = None
    carrier: tuple[str, str] | None = None
    priority: tuple[int, str] | None = None
    tags: tuple[str, ...] = ()
    signature: str = ""  # the rule that requires it
    forbid_split: str = ""

    def as_dict(self, version: int) -> dict[str, Any]:
        out: dict[str, Any] = {"version": version, "applied": list(self.applied)}
        if self.route_to:
            out["route_to"] = {"warehouses": list(self.route_to[0]), "rule": self.route_to[1]}
        if self.exclude:
            out["exclude"] = {rule: list(codes) for rule, codes in self.exclude.items()}
        if self.carrier:
            out["carrier"] = self.carrier[0]
        if self.signature:
            out["signature"] = True
        if self.forbid_split:
            out["forbid_split"] = True
        if self.tags:
            out["tags"] = list(self.tags)
        return out

    def allows(self, warehouse: str) -> bool:
        if self.route_to and warehouse not in self.route_to[0]:
            return False
        return not any(warehouse in codes for codes in self.exclude.values())


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    time_zone: str = "UTC"
    name: str = ""

    def evaluate(self, facts: Facts, skip_holds: frozenset[str] = frozenset()) -> Outcome:
        """Apply every matching rule; holds by rules in ``skip_holds`` (a person already
        released them) are left out."""
        zone = ZoneInfo(self.time_zone)
        found: dict[str, Any] = {"applied": [], "exclude": {}, "tags": []}
        for rule in self.rules:
            if not rule.matches(facts, zone):
                continue
            found["applied"].append(rule.id)
            _apply(rule, found, skip_holds)
            if rule.stop:
                break
        return Outcome(
            applied=tuple(found.pop("applied")),
            exclude={k: tuple(v) for k, v in found.pop("exclude").items()},
            tags=tuple(dict.fromkeys(found.pop("tags"))),
            **found,
        )


def _apply(rule: Rule, found: dict[str, Any], skip_holds: frozenset[str]) -> None:
    a = rule.actions
    if "hold" in a and "hold" not in found and rule.id not in skip_holds:
        found["hold"] = (a["hold"], a.get("note") or f"held by rule {rule.id}", rule.id)
    if "route_to" in a and "route_to" not in found:
        found["route_to"] = (tuple(a["route_to"]), rule.id)
    if "exclude_warehouses" in a:
        found["exclude"][rule.id] = list(a["exclude_warehouses"])
    for action, key in (("set_service", "service"), ("set_carrier", "carrier")):
        if action in a and key not in found:
            found[key] = (a[action], rule.id)
    if "priority" in a and "priority" not in found:
        found["priority"] = (a["priority"], rule.id)
    found["tags"] += list(a.get("tag", []))
    if a.get("require_signature") and "signature" not in found:
        found["signature"] = rule.id
    if a.get("forbid_split") and "forbid_split" not in found:
        found["forbid_split"] = rule.id


def read_rule_set(data: Any, known_warehouses: Sequence[str] | None = None) -> RuleSet:
    """A rule set from its parsed YAML; every wrong field is named by its path."""
    errors: list[FieldError] = []
    if not isinstance(data, Mapping):
        raise ValidationFailed.single("", "a rule set is a mapping with a list of rules")
    for key in sorted(set(data) - {"name", "time_zone", "rules"}):
        errors.append(FieldError(key, "is not a rule set setting", "unknown_key"))
    zone = str(data.get("time_zone") or "UTC")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(FieldError("time_zone", f"unknown time zone {zone!r}", "time_zone"))
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list):
        errors.append(FieldError("rules", "must be a list of rules", "required"))
        raw_rules = []
    rules, seen = [], set()
    for i, raw in enumerate(raw_rules):
        rule = _read_rule(raw, f"rules[{i}]", errors, known_warehouses)
        if rule is None:
            continue
        if rule.id in seen:
            errors.append(FieldError(f"rules[{i}].id", f"{rule.id!r} is used twice", "duplicate"))
        seen.add(rule.id)
        rules.append(rule)
    if errors:
        raise ValidationFailed(errors)
    return RuleSet(tuple(rules), zone, str(data.get("name") or ""))


def _read_rule(
    raw: Any, at: str, errors: list[FieldError], warehouses: Sequence[str] | None
) -> Rule | None:
    if not isinstance(raw, Mapping):
        errors.append(FieldError(at, "a rule is a mapping with id, when and then"))
        return None
    for key in sorted(set(raw) - {"id", "description", "when", "then", "stop"}):
        errors.append(FieldError(f"{at}.{key}", "is not a rule field", "unknown_key"))
    rule_id = str(raw.get("id") or "").strip()
    if not rule_id:
        errors.append(FieldError(f"{at}.id", "every rule needs an id", "required"))
    when = raw.get("when") or {}
    then = raw.get("then")
    if not isinstance(when, Mapping):
        errors.append(FieldError(f"{at}.when", "must be a mapping of conditions"))
        when = {}
    if not isinstance(then, Mapping) or not then:
        errors.append(FieldError(f"{at}.then", "must be a mapping of one or more actions"))
        then = {}
    conditions = [
        c
        for name, value in when.items()
        if (c := _read_condition(str(name), value, f"{at}.when.{name}", errors)) is not None
    ]
    actions = _read_actions(then, f"{at}.then", errors, warehouses)
    return Rule(
        rule_id,
        tuple(conditions),
        actions,
        str(raw.get("description") or ""),
        bool(raw.get("stop", False)),
    )


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, str | int) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list) and value and all(isinstance(v, str | int) for v in value):
        return [str(v) for v in value]
    return None


def _read_condition(name: str, value: Any, at: str, errors: list[FieldError]) -> Condition | None:
    if name not in CONDITIONS:
        errors.append(
            FieldError(at, f"unknown condition {name!r}", "unknown_key", hint=", ".join(CONDITIONS))
        )
        return None
    if name in RANGE_CONDITIONS:
        return _read_range(name, value, at, errors)
    if name == "time":
        return _read_time(value, at, errors)
    negated = isinstance(value, Mapping) and set(value) == {"not"}
    values = _strings(value["not"] if negated else value)
    if values is None:
        errors.append(FieldError(at, "must be a value, a list, or {not: [...]}"))
        return None
    if name == "postcode_prefix":
        values = [v.replace(" ", "") for v in values]
    return Condition(name, frozenset(v.upper() for v in values), negated)


def _read_range(name: str, value: Any, at: str, errors: list[FieldError]) -> Condition | None:
    if not isinstance(value, Mapping) or not value or set(value) - set(BOUNDS):
        errors.append(FieldError(at, "must bound the value, e.g. {gte: 100, lt: 500}"))
        return None
    bounds = []
    for op, limit in value.items():
        try:
            bounds.append((str(op), Decimal(str(limit))))
        except InvalidOperation:
            errors.append(FieldError(f"{at}.{op}", f"{limit!r} is not a number"))
    return Condition(name, bounds=tuple(bounds))


def _read_time(value: Any, at: str, errors: list[FieldError]) -> Condition | None:
    if not isinstance(value, Mapping) or set(value) - {"days", "after", "before"}:
        errors.append(FieldError(at, "must be {days: [mon, ...], after: HH:MM, before: HH:MM}"))
        return None
    days = set()
    for i, day in enumerate(value.get("days") or []):
        if str(day).lower()[:3] not in DAYS:
            errors.append(FieldError(f"{at}.days[{i}]", f"{day!r} is not a day of the week"))
        else:
            days.add(DAYS.index(str(day).lower()[:3]))
    bounds: dict[str, time | None] = {"after": None, "before": None}
    for key in bounds:
        if key in value:
            try:
                bounds[key] = time.fromisoformat(_hhmm(value[key]))
            except ValueError:
                errors.append(FieldError(f"{at}.{key}", f"{value[key]!r} is not a time (HH:MM)"))
    return Condition("time", days=frozenset(days), after=bounds["after"], before=bounds["before"])


def _hhmm(value: Any) -> str:
    """YAML reads an unquoted 16:00 as a sexagesimal number of minutes."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value // 60:02d}:{value % 60:02d}"
    return str(value)


def _read_actions(
    then: Mapping[str, Any], at: str, errors: list[FieldError], warehouses: Sequence[str] | None
) -> dict[str, Any]:
    actions: dict[str, Any] = {}
    for name, value in then.items():
        where = f"{at}.{name}"
        if name not in ACTIONS:
            errors.append(
                FieldError(
                    where, f"unknown action {name!r}", "unknown_key", hint=", ".join(ACTIONS)
                )
            )
        elif name == "hold":
            if value not in HOLDS:
                errors.append(FieldError(where, f"{value!r} is not a hold", hint=", ".join(HOLDS)))
            actions[name] = str(value)
        elif name in ("route_to", "exclude_warehouses", "tag"):
            codes = _strings(value)
            if codes is None:
                errors.append(FieldError(where, "must be a code or a list of codes"))
                continue
            unknown = [c for c in codes if warehouses is not None and c not in warehouses]
            if name != "tag" and unknown:
                errors.append(FieldError(where, f"unknown warehouse(s): {', '.join(unknown)}"))
            actions[name] = codes
        elif name in ("require_signature", "forbid_split"):
            if not isinstance(value, bool):
                errors.append(FieldError(where, "must be true or false"))
            actions[name] = bool(value)
        elif name == "priority":
            if isinstance(value, bool) or not isinstance(value, int):
                errors.append(FieldError(where, "must be a whole number (higher goes first)"))
            actions[name] = value
        else:  # note, set_service, set_carrier
            if not isinstance(value, str) or not value.strip():
                errors.append(FieldError(where, "must be text"))
            actions[name] = str(value)
    return actions
