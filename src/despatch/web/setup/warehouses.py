"""Set-up: warehouses (name, time zone, country, priority), their calendars, where they ship
to, their layouts and the pick bin of each SKU."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from despatch.domain.errors import NotFound
from despatch.services import calendars, catalogue, picking, warehouse_setup
from despatch.web.access import requires
from despatch.web.setup.forms import Outcome, actor, attempt, json_box, page, text, whole

FIELDS = ("code", "name", "time_zone", "country", "priority")


def _upsert(request: HttpRequest, code: str, outcome: Outcome) -> Any:
    priority = whole(request, "priority", outcome, default=100)
    if outcome.failed:
        return None
    return attempt(
        lambda: catalogue.upsert_warehouse(
            code=code,
            name=text(request, "name"),
            time_zone=text(request, "time_zone") or "UTC",
            country=text(request, "country").upper() or "GB",
            priority=priority,
            actor=actor(request),
        ),
        outcome,
        FIELDS,
    )


@requires("warehouses.manage")
def warehouse_list(request: HttpRequest) -> HttpResponse:
    """Every warehouse; POST adds one."""
    outcome = Outcome()
    form: dict[str, str] = {}
    if request.method == "POST":
        form = {k: text(request, k) for k in FIELDS}
        made = _upsert(request, form["code"], outcome)
        if made is not None:
            messages.success(request, f"warehouse {made.code} added")
            return redirect("setup-warehouse", code=made.code)
    counts = warehouse_setup.bin_counts()
    rows = [(w, counts.get(w.code, 0)) for w in catalogue.warehouses()]
    return page(request, "despatch/setup/warehouses.html", {"rows": rows, "form": form}, outcome)


def _bins(raw: str) -> list[tuple[str, str]]:
    """``SKU,BIN`` (or ``SKU BIN``) lines; a header line ``sku,location`` is skipped."""
    rows = []
    for line in raw.splitlines():
        sku, _, location = line.replace(",", " ", 1).strip().partition(" ")
        if sku and (sku.lower(), location.strip().lower()) != ("sku", "location"):
            rows.append((sku, location.strip()))
    return rows


def _document(name: str, change: Callable[[str, Any, str], Any]) -> Callable[..., str]:
    """An action that saves the JSON box ``name`` through ``change(code, data, actor)``."""

    def run(request: HttpRequest, code: str, outcome: Outcome) -> str:
        data = json_box(request, name, outcome)
        if outcome.failed:
            return ""
        done = attempt(lambda: change(code, data, actor(request)), outcome, into=name)
        return f"{name} saved" if done is not None else ""

    return run


def _basics(request: HttpRequest, code: str, outcome: Outcome) -> str:
    return "saved" if _upsert(request, code, outcome) is not None else ""


def _set_bins(request: HttpRequest, code: str, outcome: Outcome) -> str:
    rows = _bins(text(request, "bins"))
    if not rows:
        outcome.add("bins", "enter one SKU and its bin a line, e.g. SKU-0001,A01-B03-L")
        return ""
    count = attempt(
        lambda: picking.set_locations(code, rows, actor=actor(request)), outcome, into="bins"
    )
    return f"{count} bins saved" if count is not None else ""


ACTIONS: dict[str, Callable[[HttpRequest, str, Outcome], str]] = {
    "basics": _basics,
    "calendar": _document("calendar", lambda c, d, a: calendars.set_calendar(c, d, actor=a)),
    "location": _document("location", lambda c, d, a: calendars.set_location(c, d, actor=a)),
    "layout": _document("layout", lambda c, d, a: picking.set_layout(c, d, actor=a)),
    "bins": _set_bins,
}


@requires("warehouses.manage")
def warehouse_edit(request: HttpRequest, code: str) -> HttpResponse:
    """One warehouse: the basics, the calendar, where it ships to, the layout, the bins."""
    try:
        warehouse = warehouse_setup.get_warehouse(code)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    outcome, action = Outcome(), text(request, "action")
    if request.method == "POST":
        if action not in ACTIONS:
            raise Http404(f"unknown action {action!r}")
        said = ACTIONS[action](request, code, outcome)
        if said:
            messages.success(request, f"{code}: {said}")
            return redirect("setup-warehouse", code=code)
    posted = request.method == "POST"

    def shown(name: str, stored: Any) -> str:
        if posted and action == name:
            return text(request, name)
        return json.dumps(stored, indent=2) if stored else ""

    bins = warehouse_setup.bins(code)
    context = {
        "w": warehouse,
        "form": {k: text(request, k) for k in FIELDS} if posted and action == "basics" else {},
        "calendar": shown("calendar", warehouse.calendar),
        "location": shown("location", warehouse.location),
        "layout": shown("layout", warehouse.layout),
        "bins": text(request, "bins") if posted and action == "bins" else "",
        "bin_rows": bins,
    }
    return page(request, "despatch/setup/warehouse.html", context, outcome)
