"""An order as it was at a moment, rebuilt by replaying its audit entries up to that moment.

The entries written for an order carry what the replay needs: ``received`` its lines; every
status change (``set_status``) the status after it and, for a hold, the hold reason; the
allocation plan (``allocation_planned``), the shipments made (``allocate``) and each
shipment's status changes; cancelled lines (``lines_cancelled``) and substituted SKUs
(``sku_substituted``). Entries are replayed in chain order (``seq``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from despatch.domain.orders import OrderEvent

_STATUS_EVENTS = {event.value for event in OrderEvent}


@dataclass
class OrderHistory:
    """What the trail says the order was at ``as_of``; ``changes`` counts the entries replayed."""

    order_id: str
    as_of: datetime
    received_at: datetime
    status: str = ""
    hold_reason: str = ""
    lines: list[dict[str, Any]] = field(default_factory=list)
    plan: dict[str, Any] = field(default_factory=dict)
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_change: dict[str, Any] = field(default_factory=dict)
    changes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.order_id,
            "as_of": self.as_of.isoformat(),
            "received_at": self.received_at.isoformat(),
            "status": self.status,
            "hold_reason": self.hold_reason,
            "lines": self.lines,
            "allocation": {
                "assignments": self.plan.get("assignments", []),
                "backorders": self.plan.get("backorders", []),
                "explanation": self.plan.get("explanation", []),
                "shipments": [{"id": k, **v} for k, v in self.shipments.items()],
            },
            "last_change": self.last_change,
            "changes": self.changes,
        }


def replay(
    order_id: str, entries: Iterable[Mapping[str, Any]], as_of: datetime
) -> OrderHistory | None:
    """The order at ``as_of`` from its entries in chain order; None if it was not yet received."""
    history: OrderHistory | None = None
    for entry in entries:
        if entry["at"] > as_of:
            continue
        if history is None:
            if entry["action"] != "received" or entry["subject_type"] != "order":
                continue
            history = OrderHistory(order_id, as_of, entry["at"])
        _apply(history, entry)
        history.changes += 1
        history.last_change = {
            "seq": entry.get("seq"),
            "at": entry["at"].isoformat(),
            "actor": entry.get("actor", ""),
            "action": entry["action"],
        }
    return history


def _apply(history: OrderHistory, entry: Mapping[str, Any]) -> None:
    action, detail = entry["action"], entry.get("detail") or {}
    if entry["subject_type"] == "shipment":
        shown = history.shipments.setdefault(entry["subject_id"], {"warehouse": "", "status": ""})
        shown["status"] = entry.get("after") or shown["status"]
        shown["warehouse"] = detail.get("warehouse", shown["warehouse"])
    elif action == "received":
        history.status = entry.get("after") or "received"
        history.lines = [dict(line, cancelled=0) for line in detail.get("lines", [])]
    elif action in _STATUS_EVENTS and isinstance(entry.get("after"), str):
        _status(history, entry)
    elif action == "allocation_planned":
        history.plan = dict(detail.get("plan") or {})
    elif action == "lines_cancelled":
        for cut in detail.get("lines", []):
            for line in history.lines:
                if line.get("line_no") == cut.get("line_no"):
                    line["quantity"] -= cut.get("quantity", 0)
                    line["cancelled"] += cut.get("quantity", 0)
    elif action == "sku_substituted":
        for line in history.lines:
            if line.get("line_no") == detail.get("line_no"):
                line["sku"] = entry.get("after")


def _status(history: OrderHistory, entry: Mapping[str, Any]) -> None:
    history.status = entry["after"]
    detail = entry.get("detail") or {}
    held = entry["action"] == "hold"
    history.hold_reason = (
        (detail.get("hold_reason") or entry.get("reason_code", "")) if held else ""
    )
    if entry["action"] == "allocate":
        for shipment in detail.get("shipments", []):
            warehouse = (detail.get("warehouses") or {}).get(shipment, "")
            history.shipments.setdefault(shipment, {"warehouse": warehouse, "status": "allocated"})
    if entry["action"] in ("replan", "release", "expire"):
        history.plan = {}
