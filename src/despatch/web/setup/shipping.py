"""Set-up: the carton list of the packing bench, and the carriers, services and rate card that
labels are bought with (checked whole, as ``despatch shipping rates`` and ``PUT /api/rates``)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from despatch.domain.errors import DomainError
from despatch.services import carton_list, packing, shipping
from despatch.web.access import requires
from despatch.web.setup.forms import Outcome, actor, attempt, json_box, page, text

CARTON_FIELDS = carton_list.COLUMNS


@requires("warehouses.manage", shared="cartons")
def carton_page(request: HttpRequest) -> HttpResponse:
    """Every carton; POST adds one or changes the one with the same ID."""
    outcome = Outcome()
    form: dict[str, str] = {}
    if request.method == "POST":
        form = {c: text(request, c) for c in CARTON_FIELDS}
        said = attempt(
            lambda: carton_list.save_carton(form, actor=actor(request)), outcome, CARTON_FIELDS
        )
        if said:
            messages.success(request, f"carton {form['carton_id']} {said}")
            return redirect("setup-cartons")
    context = {"cartons": carton_list.cartons(), "form": form, "path": shipping_paths()[0]}
    return page(request, "despatch/setup/cartons.html", context, outcome)


@requires("warehouses.manage", shared="cartons")
@require_POST
def carton_remove(request: HttpRequest, carton_id: str) -> HttpResponse:
    outcome = Outcome()
    attempt(lambda: carton_list.remove_carton(carton_id, actor=actor(request)), outcome)
    if outcome.failed:
        messages.error(request, "; ".join([*outcome.general, *outcome.errors.values()]))
    else:
        messages.success(request, f"carton {carton_id} removed")
    return redirect("setup-cartons")


def shipping_paths() -> tuple[str, str]:
    return str(packing.cartons_path()), str(shipping.rates_path())


@requires("warehouses.manage", shared="rates")
def carrier_page(request: HttpRequest) -> HttpResponse:
    """The carriers and services of the rate card; POST replaces the card (checked whole)."""
    outcome, card = Outcome(), ""
    if request.method == "POST":
        data = json_box(request, "card", outcome)
        saved = None
        if not outcome.failed:
            saved = attempt(
                lambda: shipping.set_rate_card(data, actor=actor(request)), outcome, into="card"
            )
        if saved is not None:
            messages.success(request, "rate card saved: labels are bought with it from now on")
            return redirect("setup-carriers")
        card = text(request, "card")
    services: list[Any] = []
    stored, notice = None, ""
    try:
        services = shipping.load_rates()
        stored = json.loads(shipping.rates_path().read_text(encoding="utf-8"))
    except (DomainError, ValueError, OSError) as exc:
        notice = f"no usable rate card yet: {getattr(exc, 'detail', exc)}"
    context = {
        "notice": notice,
        "services": services,
        "card": card or (json.dumps(stored, indent=2, ensure_ascii=False) if stored else ""),
        "path": shipping_paths()[1],
    }
    return page(request, "despatch/setup/carriers.html", context, outcome)
