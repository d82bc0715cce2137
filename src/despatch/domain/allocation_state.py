"""What an order carries about its sourcing (``Order.allocation``), typed: one reader
(:meth:`AllocationState.read`) and one serialiser (:meth:`AllocationState.to_json`).

It holds the last plan (assignments, backorders, explanation, strategy, split), the promise per
warehouse, and the decisions that outlive a new plan: what the rule set decided (``rules``),
rules a person overrode for this order (``rules_released``), a fraud review cleared
(``fraud_cleared``), a refunded order a person sent on all the same (``refund_accepted``), an
oversell a person accepted (``oversell_accepted``), and the lines short after an oversell
(``oversold``). The JSON keeps the shape it always had: a field left at its default is not
written, and keys this type does not know are kept as they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

PLAN_KEYS = ("assignments", "backorders", "explanation", "strategy", "split")


@dataclass(frozen=True)
class AllocationState:
    plan: Mapping[str, Any] = field(default_factory=dict)
    promise: Mapping[str, Any] | None = None
    rules: Mapping[str, Any] | None = None
    rules_released: tuple[str, ...] = ()
    fraud_cleared: bool = False
    refund_accepted: bool = False
    oversell_accepted: bool = False
    oversold: Any = None
    other: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, data: Mapping[str, Any] | None) -> AllocationState:
        data = dict(data or {})
        known = {"promise", "rules", "rules_released", "fraud_cleared", "oversell_accepted"}
        known.add("refund_accepted")
        known |= {"oversold", *PLAN_KEYS}
        return cls(
            plan={k: data[k] for k in PLAN_KEYS if k in data},
            promise=data.get("promise"),
            rules=data.get("rules") or None,
            rules_released=tuple(str(r) for r in data.get("rules_released") or ()),
            fraud_cleared=bool(data.get("fraud_cleared")),
            refund_accepted=bool(data.get("refund_accepted")),
            oversell_accepted=bool(data.get("oversell_accepted")),
            oversold=data.get("oversold"),
            other={k: v for k, v in data.items() if k not in known},
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {**self.other}
        if self.rules is not None:
            data["rules"] = dict(self.rules)
        if self.rules_released:
            data["rules_released"] = list(self.rules_released)
        if self.fraud_cleared:
            data["fraud_cleared"] = True
        if self.refund_accepted:
            data["refund_accepted"] = True
        if self.oversell_accepted:
            data["oversell_accepted"] = True
        data.update(self.plan)
        if self.promise is not None:
            data["promise"] = dict(self.promise)
        if self.oversold is not None:
            data["oversold"] = self.oversold
        return data

    def but(self, **changes: Any) -> AllocationState:
        return replace(self, **changes)

    def replanned(self, plan: Mapping[str, Any]) -> AllocationState:
        """A new plan: only the decisions are kept (not the old promise or shortfall)."""
        return AllocationState(
            plan=dict(plan),
            rules=self.rules,
            rules_released=self.rules_released,
            fraud_cleared=self.fraud_cleared,
            refund_accepted=self.refund_accepted,
            oversell_accepted=self.oversell_accepted,
        )

    def released(self, rule_ids: list[str]) -> AllocationState:
        return replace(self, rules_released=(*self.rules_released, *rule_ids))

    @property
    def carrier(self) -> str | None:
        """The carrier the rule set chose, if it chose one."""
        chosen = (self.rules or {}).get("carrier")
        return str(chosen) if chosen else None

    @property
    def forbid_split(self) -> bool:
        return bool((self.rules or {}).get("forbid_split"))

    @property
    def explanation(self) -> list[str]:
        return [str(note) for note in self.plan.get("explanation") or []]
