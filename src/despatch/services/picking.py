"""Picking: route pick lists through a warehouse layout.

``plan_routes`` checks a layout and pick lists given as JSON (the formats of
``despatch picking route``) and routes each list with the chosen method; with ``best`` it
routes with every method and keeps the shortest, reporting all their lengths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from despatch.domain.errors import FieldError, ValidationFailed
from despatch.domain.layout import Layout, Location, parse_location
from despatch.domain.routing import METHODS, Route, route


@dataclass(frozen=True)
class PickListRoute:
    pick_list_id: str
    route: Route
    lengths: dict[str, float]  # every method tried -> its length


def read_pick_lists(data: Any, layout: Layout) -> list[tuple[str, list[Location]]]:
    """PICKS.json: ``{"pick_lists": [{"pick_list_id": ..., "locations": [...]}]}``; every wrong
    entry is named by its list and position."""
    lists = data.get("pick_lists") if isinstance(data, dict) else None
    if not isinstance(lists, list):
        raise ValidationFailed.single("pick_lists", "expected a list of pick lists", "required")
    errors: list[FieldError] = []
    result: list[tuple[str, list[Location]]] = []
    for i, entry in enumerate(lists):
        where = f"pick_lists[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("locations"), list):
            errors.append(FieldError(f"{where}.locations", "expected a list of location codes"))
            continue
        name = str(entry.get("pick_list_id", i + 1))
        picks: list[Location] = []
        for k, code in enumerate(entry["locations"]):
            try:
                picks.append(parse_location(code, layout, f"{where}.locations[{k}]"))
            except ValidationFailed as exc:
                errors += exc.errors
        result.append((name, picks))
    if errors:
        raise ValidationFailed(errors)
    return result


def plan_routes(layout_data: Any, picks_data: Any, method: str = "best") -> list[PickListRoute]:
    if method not in METHODS:
        raise ValidationFailed.single("method", f"{method!r} is not one of {', '.join(METHODS)}")
    layout = Layout.from_json(layout_data)
    planned = []
    for name, picks in read_pick_lists(picks_data, layout):
        tried = METHODS[:-1] if method == "best" else (method,)
        routes = [route(layout, picks, m) for m in tried]
        chosen = min(routes, key=lambda r: (r.length_m, tried.index(r.method)))
        planned.append(PickListRoute(name, chosen, {r.method: r.length_m for r in routes}))
    return planned
