"""The picker's screens: the open pick lists (the user's own first, with progress in units),
picking by scanning the bin then the item, and the printable pick list with its barcode."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from despatch.domain.errors import DomainError, NotFound, ValidationFailed
from despatch.services import picking, wave_board
from despatch.web.access import access, actor_of, in_scope, requires
from despatch.web.documents import pdf_response


@requires("picking.work")
def pick_lists(request: HttpRequest) -> HttpResponse:
    me = request.user.get_username()
    lists = wave_board.open_lists(access(request).warehouses(), picker=me)
    return render(request, "despatch/pick_lists.html", {"lists": lists, "me": me})


def _scan(request: HttpRequest) -> tuple[str, bool]:
    task_id = int(request.POST.get("task") or 0) if request.POST.get("task", "").isdigit() else 0
    in_scope(request, "task_id", str(task_id), "pick-tasks")
    try:
        if request.POST.get("action") == "short":
            task = picking.short(task_id, actor=actor_of(request), note="short at the bin")
            return f"Short: {task.short} x {task.sku_id} recorded for a supervisor", False
        task = picking.scan(
            task_id,
            location=request.POST.get("location", ""),
            item=request.POST.get("item", ""),
            actor=actor_of(request),
        )
        return f"OK: {task.sku_id} {task.picked}/{task.quantity}", False
    except ValidationFailed as exc:
        return exc.errors[0].message, True
    except DomainError as exc:
        return exc.detail, True


@requires("picking.work")
def pick_screen(request: HttpRequest, pick_list_id: str) -> HttpResponse:
    """The picker's screen: the next bin and item; scan the bin, then the item (a scanner
    types the code and presses Enter). A wrong scan is refused loudly."""
    in_scope(request, "pick_list_id", pick_list_id)
    try:
        pick_list = picking.get_pick_list(pick_list_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    message, wrong = "", False
    if request.method == "POST":
        message, wrong = _scan(request)
        pick_list.refresh_from_db()
    tasks = pick_list.tasks.exclude(status="cancelled")
    orders = {o for o in tasks.values_list("shipment__order_id", flat=True)}
    context = {
        "pick_list": pick_list,
        "name": wave_board.list_name(pick_list, len(orders)),
        "task": picking.current_task(pick_list),
        "done": tasks.exclude(status="open").count(),
        "total": tasks.count(),
        "units": sum(t.quantity for t in tasks),
        "picked": sum(t.picked for t in tasks),
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


@requires("picking.work")
def pick_list_pdf(request: HttpRequest, pick_list_id: str) -> HttpResponse:
    """The pick list to print: its barcode is what the packing bench scans."""
    in_scope(request, "pick_list_id", pick_list_id)
    return pdf_response(lambda: picking.pick_list_pdf(pick_list_id), f"{pick_list_id}.pdf")
