"""The warehouses that may ship an order, as the plan's candidates (domain/allocation.py).

A channel ships from the active warehouses it names, in its priority order (all active ones
when it names none). Each is ranked for the destination by nearness (its own country, a
country it serves, elsewhere) and by its estimated parcel cost there (a ``*`` entry covers the
countries not listed). The rules an order met may route it to some warehouses (``route_to``),
exclude some (``exclude``) and forbid splitting it (``forbid_split``); those decisions are read
from what the order stored (``AllocationState.rules``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from despatch.domain.allocation import Candidate, Sourcing

SAME_COUNTRY, SAME_REGION, ELSEWHERE = 0, 1, 2


def ships_from(active: Sequence[str], named: Sequence[str]) -> list[str]:
    """The warehouses a channel ships from: those it names that are active, in its order, or
    every active one (in their order) when it names none."""
    if named:
        return [code for code in named if code in active]
    return list(active)


def nearness(home: str, location: Mapping[str, Any], destination: str) -> int:
    """0 when the warehouse is in the destination country, 1 when it serves that country
    (its ``serves`` list), else 2."""
    if home == destination:
        return SAME_COUNTRY
    return SAME_REGION if destination in location.get("serves", []) else ELSEWHERE


def parcel_cost(location: Mapping[str, Any], destination: str) -> Decimal | None:
    """The warehouse's estimated parcel cost to ``destination`` (its ``costs``, with ``*`` for
    any other country); None when it gives none."""
    costs = location.get("costs") or {}
    cost = costs.get(destination, costs.get("*"))
    return Decimal(str(cost)) if cost is not None else None


def excluded_by(code: str, decided: Mapping[str, Any]) -> str:
    """Why the rules the order met keep warehouse ``code`` from shipping it, or "" if they
    do not: a route to other warehouses first, then the first rule excluding it."""
    route = decided.get("route_to")
    if route and code not in route["warehouses"]:
        return f"rule {route['rule']} routes this order to {', '.join(route['warehouses'])}"
    for rule, codes in (decided.get("exclude") or {}).items():
        if code in codes:
            return f"excluded by rule {rule}"
    return ""


def order_sourcing(sourcing: Sourcing, decided: Mapping[str, Any]) -> Sourcing:
    """The channel's sourcing for this order: a rule that forbids splitting caps it at one
    shipment."""
    if decided.get("forbid_split"):
        return Sourcing(sourcing.strategy, 1)
    return sourcing


def candidate(
    code: str,
    home: str,
    location: Mapping[str, Any],
    destination: str,
    *,
    ship_by: date | None,
    decided: Mapping[str, Any],
) -> Candidate:
    """Warehouse ``code`` (in country ``home``, with its ``location`` settings) as a candidate
    to ship to ``destination`` (an upper-case country code)."""
    return Candidate(
        code,
        distance=nearness(home, location, destination),
        cost=parcel_cost(location, destination),
        ship_by=ship_by,
        excluded=excluded_by(code, decided),
    )
