"""Ops UI views: parse the request, call one service, render."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from despatch.domain.cancellations import CancelReason
from despatch.domain.errors import DomainError, NotFound, ValidationFailed
from despatch.domain.exceptions import Kind, time_left
from despatch.domain.orders import OrderStatus
from despatch.services import (
    audit,
    cancellations,
    catalogue,
    channels,
    exceptions,
    fulfillment,
    inventory,
    listings,
    orders,
    packing,
    picking,
    resolutions,
    rules,
    scopes,
    shipping,
)
from despatch.web.access import access, requires


def _actor(request: HttpRequest) -> str:
    return f"user:{request.user.get_username()}"


def _in_scope(request: HttpRequest, param: str, value: str, route: str = "") -> None:
    """404 for a row outside the user's warehouses or channels, as for one that is not there."""
    try:
        scopes.check(param, value, access(request).scope, route)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


@requires("orders.read")
def inbox(request: HttpRequest) -> HttpResponse:
    status, q = request.GET.get("status", ""), request.GET.get("q", "").strip()
    if status not in OrderStatus.__members__.values():
        status = ""
    rows = scopes.orders_in(orders.list_orders(status=status, q=q), access(request).scope)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "q": q,
        "statuses": list(OrderStatus),
        "counts": orders.status_counts(),
        "personal": access(request).can("customers.read"),
    }
    template = (
        "despatch/_inbox_rows.html" if request.headers.get("HX-Request") else "despatch/inbox.html"
    )
    return render(request, template, context)


@requires("orders.read")
def order_detail(request: HttpRequest, order_id: str) -> HttpResponse:
    try:
        scopes.check("order_id", order_id, access(request).scope)
        order = orders.get_order(order_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    return render(
        request,
        "despatch/order.html",
        {
            "order": order,
            "timeline": audit.timeline(order.id),
            "reservations": orders.reservations_of(order.id),
            "cancel_reasons": [r.value for r in CancelReason],
            "personal": access(request).can("customers.read"),
        },
    )


ACTIONS = {
    "cancel": lambda oid, actor, note: cancellations.cancel_order(
        oid, actor=actor, reason=note or "ops_decision"
    ),
    "hold": lambda oid, actor, note: orders.place_hold(oid, actor=actor, note=note),
    "release": lambda oid, actor, note: orders.release_order(oid, actor=actor, note=note),
}


@requires("orders.write")
@require_POST
def order_action(request: HttpRequest, order_id: str, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404(f"unknown action {action!r}")
    _in_scope(request, "order_id", order_id)
    try:
        ACTIONS[action](order_id, _actor(request), request.POST.get("note", "").strip())
        messages.success(request, f"{action}: done")
    except DomainError as exc:
        messages.error(request, f"{action} refused: {exc.detail}")
    return redirect("order", order_id=order_id)


@requires("stock.read")
def stock(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    scope = access(request).scope
    warehouses = [w.code for w in catalogue.warehouses() if access(request).may_warehouse(w.code)]
    table: dict[str, dict[str, dict[str, int]]] = {}
    for level in scopes.levels_in(inventory.levels(search=q), scope):
        table.setdefault(level.sku_id, {})[level.warehouse_id] = {
            "available": level.on_hand - level.reserved - level.quarantined,
            "on_hand": level.on_hand,
            "reserved": level.reserved,
        }
    rows = [(sku, [cells.get(w) for w in warehouses]) for sku, cells in sorted(table.items())]
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {"page": page, "warehouses": warehouses, "q": q}
    template = (
        "despatch/_stock_rows.html" if request.headers.get("HX-Request") else "despatch/stock.html"
    )
    return render(request, template, context)


LISTINGS_SHOWN = 100


@requires("rules.read", post="rules.manage")
def rule_sets(request: HttpRequest) -> HttpResponse:
    """Versions, the active one's YAML, and a candidate tried on recent orders."""
    report, source, errors = None, "", []
    chosen = request.GET.get("version", "")
    if request.method == "POST":
        source = request.POST.get("source", "")
        last = max(1, min(int(request.POST.get("last") or 500), 10000))
        try:
            report = rules.test_candidate(source, last)
        except ValidationFailed as exc:
            errors = [e.as_dict() for e in exc.errors]
    versions = rules.versions()
    shown = next((v for v in versions if str(v.version) == chosen), None) or next(
        (v for v in versions if v.active), None
    )
    context = {
        "versions": versions,
        "shown": shown,
        "report": report.as_dict() if report else None,
        "source": source or (shown.source if shown else ""),
        "errors": errors,
    }
    return render(request, "despatch/rules.html", context)


@requires("channels.read")
def channel_list(request: HttpRequest) -> HttpResponse:
    counts = channels.delivery_counts()
    rows = [(c, counts.get(c.code, {})) for c in catalogue.channels()]
    return render(request, "despatch/channels.html", {"rows": rows})


@requires("channels.read")
def channel_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        channel = channels.get_channel(code)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    status = request.GET.get("status", "")
    page = Paginator(channels.deliveries(code, status), 50).get_page(request.GET.get("page"))
    shown = list(listings.listings(code)[:LISTINGS_SHOWN])
    figures = {a.sku: a for a in listings.availability(code, [li.sku_id for li in shown])}
    stock = [(li, figures[li.sku_id]) for li in shown]
    return render(
        request,
        "despatch/channel.html",
        {"channel": channel, "page": page, "status": status, "stock": stock},
    )


@requires("picking.work")
def pick_lists(request: HttpRequest) -> HttpResponse:
    lists = picking.open_lists(warehouses=access(request).warehouses())
    return render(request, "despatch/pick_lists.html", {"lists": lists})


@requires("picking.work")
def pick_screen(request: HttpRequest, pick_list_id: str) -> HttpResponse:
    """The picker's screen: the next bin and item; scan the bin, then the item (a scanner
    types the code and presses Enter). A wrong scan is refused loudly."""
    _in_scope(request, "pick_list_id", pick_list_id)
    try:
        pick_list = picking.get_pick_list(pick_list_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    message, wrong = "", False
    if request.method == "POST":
        task_id = int(request.POST.get("task") or 0)
        _in_scope(request, "task_id", str(task_id), "pick-tasks")
        try:
            if request.POST.get("action") == "short":
                task = picking.short(task_id, actor=_actor(request), note="short at the bin")
                message = f"Short: {task.short} x {task.sku_id} recorded for a supervisor"
            else:
                task = picking.scan(
                    task_id,
                    location=request.POST.get("location", ""),
                    item=request.POST.get("item", ""),
                    actor=_actor(request),
                )
                message = f"OK: {task.sku_id} {task.picked}/{task.quantity}"
        except ValidationFailed as exc:
            message, wrong = exc.errors[0].message, True
        except DomainError as exc:
            message, wrong = exc.detail, True
        pick_list.refresh_from_db()
    context = {
        "pick_list": pick_list,
        "task": picking.current_task(pick_list),
        "done": pick_list.tasks.exclude(status="open").count(),
        "total": pick_list.tasks.count(),
        "parcels": sorted(set(pick_list.tasks.values_list("shipment_id", flat=True))),
        "message": message,
        "wrong": wrong,
    }
    template = (
        "despatch/_pick_panel.html" if request.headers.get("HX-Request") else "despatch/pick.html"
    )
    return render(
        request,
        template,
        context,
        status=422 if wrong and not request.headers.get("HX-Request") else 200,
    )


@requires("packing.work")
def pack_start(request: HttpRequest) -> HttpResponse:
    """The packing bench: scan the parcel's shipment ID to start."""
    code = request.GET.get("shipment", "").strip()
    if code:
        return redirect("pack", shipment_id=code)
    return render(request, "despatch/pack_start.html")


def _scanned(raw: str) -> dict[str, int]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): int(v) for k, v in data.items() if isinstance(v, int) and v > 0}


@requires("packing.work")
def pack_screen(request: HttpRequest, shipment_id: str) -> HttpResponse:
    """Scan every item against the shipment, see the carton, weigh, pack, buy the label."""
    _in_scope(request, "shipment_id", shipment_id)
    try:
        shipment = fulfillment.get_shipment(shipment_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    scanned = _scanned(request.POST.get("scanned", ""))
    message, wrong = "", False
    action = request.POST.get("action", "") if request.method == "POST" else ""
    try:
        if action == "scan":
            check, sku = packing.scan_item(shipment_id, scanned, request.POST.get("item", ""))
            scanned, message = check.scanned, f"OK: {sku}"
        elif action == "pack":
            text = request.POST.get("weight_g", "").strip()
            if not text.isdigit():
                raise ValidationFailed.single("weight_g", "enter the weight in grams, e.g. 690")
            weight = int(text)
            packing.pack_at_bench(
                shipment_id,
                weighed_g=weight,
                carton_id=request.POST.get("carton", ""),
                actor=_actor(request),
            )
            message = f"Packed, {weight} g"
        elif action == "label":
            bought = shipping.buy_label(shipment_id, actor=_actor(request))
            message = f"Label: {bought.shipment.carrier} {bought.shipment.tracking_number}"
    except ValidationFailed as exc:
        message, wrong = exc.errors[0].message, True
    except DomainError as exc:
        message, wrong = exc.detail, True
    shipment = fulfillment.get_shipment(shipment_id)
    expected = packing.expected_units(shipment_id)
    complete = shipment.status != "picking" or scanned == expected
    carton, carton_note = "", ""
    if complete and shipment.status == "picking":
        try:
            choice = packing.recommend(shipment_id)
            carton = choice.parcels[0].carton.carton_id if choice.single else ""
            carton_note = "" if choice.single else "fits no single carton: split it"
        except DomainError as exc:
            carton_note = exc.detail
    context = {
        "shipment": shipment,
        "rows": [(sku, expected[sku], scanned.get(sku, 0)) for sku in sorted(expected)],
        "scanned_json": json.dumps(scanned),
        "complete": complete,
        "carton": carton,
        "carton_note": carton_note,
        "message": message,
        "wrong": wrong,
    }
    template = (
        "despatch/_pack_panel.html" if request.headers.get("HX-Request") else "despatch/pack.html"
    )
    return render(request, template, context)


@requires("labels.print")
def label_file(request: HttpRequest, shipment_id: str, kind: str) -> FileResponse:
    _in_scope(request, "shipment_id", shipment_id)
    try:
        path, media = shipping.label_file(shipment_id, kind)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    return FileResponse(path.open("rb"), content_type=media, filename=path.name)


@requires("exceptions.read", post="exceptions.work")
def exception_queue(request: HttpRequest) -> HttpResponse:
    """The exception queues: breached SLAs first, then priority, then due time; take, resolve,
    or select many and resolve them together."""
    queue, owner = request.GET.get("queue", ""), request.GET.get("owner", "")
    if owner == "me":
        owner = _actor(request)
    message, failed = "", False
    if request.method == "POST":
        message, failed = _exception_action(request)
    try:
        rows = exceptions.list_cases(queue=queue, owner=owner)
        cases = list(scopes.by_order(rows, access(request).scope)[:200])
    except ValidationFailed as exc:
        cases, message, failed = [], exc.detail, True
    now, rules = timezone.now(), exceptions.current_policies()
    for case in cases:  # what the row shows: time left and the case's resolutions
        case.late, case.left = time_left(case.due_at, now)  # type: ignore[attr-defined]
        case.actions = [r.value for r in rules[Kind(case.kind)].resolutions]  # type: ignore[attr-defined]
    context = {
        "cases": cases,
        "queues": exceptions.queue_counts(),
        "queue": queue,
        "owner": request.GET.get("owner", ""),
        "message": message,
        "failed": failed,
        "me": _actor(request),
    }
    template = (
        "despatch/_exception_rows.html"
        if request.headers.get("HX-Request")
        else "despatch/exceptions.html"
    )
    return render(request, template, context)


def _exception_action(request: HttpRequest) -> tuple[str, bool]:
    ids = request.POST.getlist("ids")
    action, note = request.POST.get("action", ""), request.POST.get("note", "").strip()
    if not ids:
        return "select at least one exception", True
    if action == "take":
        try:
            for case_id in ids:
                exceptions.assign(case_id, _actor(request), actor=_actor(request))
        except DomainError as exc:
            return f"take refused: {exc.detail}", True
        return f"{len(ids)} taken by you", False
    address = {
        k.removeprefix("address."): str(v).strip()
        for k, v in request.POST.items()
        if k.startswith("address.") and str(v).strip()
    }
    fix = resolutions.Fix(note, address or None, None, "")
    if action == "substitute":
        line = request.POST.get("line_no", "")
        fix = resolutions.Fix(
            note, None, int(line) if line.isdigit() else None, request.POST.get("sku", "").strip()
        )
    outcomes = resolutions.resolve_many(ids, action, actor=_actor(request), fix=fix)
    bad = [o for o in outcomes if not o.ok]
    if bad:
        return "; ".join(f"{o.exception_id}: {o.detail}" for o in bad), True
    return f"{len(outcomes)} resolved ({action})", False
