"""Waves in the ops UI: the allocated work waiting (by warehouse, ship-by and its cut-off,
priority), releasing a wave with its limits, giving its lists to pickers, and its progress in
units."""

from __future__ import annotations

from datetime import date

from django.contrib import messages as flash
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from despatch.domain.errors import DomainError, FieldError, NotFound, ValidationFailed
from despatch.domain.routing import METHODS
from despatch.services import catalogue, scopes, wave_board, waves
from despatch.web.access import access, requires

# (field, label, default, upper bound) of the release form's whole-number limits
LIMITS = (
    ("max_orders", "Orders a list", 20, 500),
    ("max_lines", "Lines a list", 100, 5000),
    ("max_units", "Units a tote (0: any)", 0, 100000),
    ("max_lists", "Lists (0: all)", 0, 1000),
)


def _actor(request: HttpRequest) -> str:
    return f"user:{request.user.get_username()}"


def read_limits(form: QueryDict) -> dict[str, object]:
    """The release form's fields as ``waves.release`` arguments; every wrong one is named."""
    errors: list[FieldError] = []
    found: dict[str, object] = {}
    for name, label, default, most in LIMITS:
        text = (form.get(name) or str(default)).strip()
        if not text.isdigit() or int(text) > most:
            errors.append(FieldError(name, f"{label}: enter a whole number 0 to {most}"))
        else:
            found[name] = int(text)
    due = (form.get("ship_by") or "").strip()
    if due:
        try:
            found["ship_by"] = date.fromisoformat(due)
        except ValueError:
            errors.append(FieldError("ship_by", f"Ship by: {due!r} is not a date (2026-11-30)"))
    method = form.get("method") or "best"
    if method not in METHODS:
        errors.append(FieldError("method", f"Route: {method!r} is not one of {', '.join(METHODS)}"))
    if errors:
        raise ValidationFailed(errors)
    return found | {
        "method": method,
        "service": (form.get("service") or "").strip(),
        "zones": form.get("zones") == "on",
    }


@requires("picking.release")
def board(request: HttpRequest) -> HttpResponse:
    allowed = access(request).warehouses()
    codes = [w.code for w in catalogue.warehouses() if access(request).may_warehouse(w.code)]
    waiting, released = wave_board.waiting(allowed), wave_board.progress(allowed)
    pickers = {code: wave_board.pickers(code) for code in codes}
    for wave in released:
        for one in wave.lists:  # who may be given each list: the pickers of its warehouse
            one.choices = pickers.get(one.pick_list.warehouse_id, [])  # type: ignore[attr-defined]
    context = {
        "waiting": waiting,
        "waves": released,
        "warehouses": codes,
        "services": sorted({w.service for w in waiting}),
        "limits": LIMITS,
        "methods": METHODS,
    }
    return render(request, "despatch/waves.html", context)


@requires("picking.release")
@require_POST
def release(request: HttpRequest) -> HttpResponse:
    warehouse = request.POST.get("warehouse", "")
    try:
        if not access(request).may_warehouse(warehouse):
            raise NotFound("warehouse", warehouse)
        report = waves.release(
            warehouse,
            actor=_actor(request),
            **read_limits(request.POST),  # type: ignore[arg-type]
        )
    except ValidationFailed as exc:
        flash.error(request, "not released: " + "; ".join(e.message for e in exc.errors))
        return redirect("waves")
    except DomainError as exc:
        flash.error(request, f"not released: {exc.detail}")
        return redirect("waves")
    if not report.pick_lists:
        flash.error(request, f"nothing released at {warehouse}: no allocated parcel matches")
    else:
        parcels = len({t for pl in report.pick_lists for t in pl.tasks.values_list("shipment_id")})
        flash.success(
            request,
            f"wave released at {warehouse}: {len(report.pick_lists)} pick lists, {parcels} parcels",
        )
    for shipment, why in list(report.skipped.items())[:5]:
        flash.warning(request, f"left out {shipment}: {why}")
    return redirect("waves")


@requires("picking.release")
@require_POST
def assign(request: HttpRequest, pick_list_id: str) -> HttpResponse:
    try:
        scopes.check("pick_list_id", pick_list_id, access(request).scope)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    picker = request.POST.get("picker", "")
    try:
        wave_board.assign(pick_list_id, picker, actor=_actor(request))
        flash.success(
            request,
            f"{pick_list_id} given to {picker}" if picker else f"{pick_list_id} unassigned",
        )
    except ValidationFailed as exc:
        flash.error(request, f"not assigned: {exc.errors[0].message}")
    except DomainError as exc:
        flash.error(request, f"not assigned: {exc.detail}")
    return redirect("waves")
