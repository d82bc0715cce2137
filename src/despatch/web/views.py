"""Ops UI views: parse the request, call one service, render."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from despatch.domain.errors import DomainError, NotFound, ValidationFailed
from despatch.domain.exceptions import Kind, time_left
from despatch.domain.wording import resolution_words
from despatch.services import (
    catalogue,
    channels,
    exceptions,
    inventory,
    listings,
    resolutions,
    rules,
    scopes,
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
    shown = scopes.channels_in(catalogue.channels(), access(request).scope)
    rows = [(c, counts.get(c.code, {}), channels.takes_webhooks(c.type)) for c in shown]
    return render(request, "despatch/channels.html", {"rows": rows})


@requires("channels.read")
def channel_detail(request: HttpRequest, code: str) -> HttpResponse:
    _in_scope(request, "code", code, "channels/")
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


@requires("exceptions.read", post="exceptions.work")
def exception_queue(request: HttpRequest) -> HttpResponse:
    """The exception queues: breached SLAs first, then priority, then due time; take, resolve,
    or select many and resolve them together."""
    queue, owner = request.GET.get("queue", ""), request.GET.get("owner", "")
    if owner == "me":
        owner = _actor(request)
    message, failed, bad_filter = "", False, False
    if request.method == "POST":
        message, failed = _exception_action(request)
    try:
        _known_queue(queue)
        rows = exceptions.list_cases(queue=queue, owner=owner)
        rows = scopes.by_order(rows, access(request).scope).select_related("order")
        cases = list(rows[:200])
    except ValidationFailed as exc:  # a filter the page cannot take: 400, said plainly
        cases, message, failed = [], exc.errors[0].message, True
        bad_filter = True
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
    return render(request, template, context, status=400 if bad_filter else 200)


def _known_queue(queue: str) -> None:
    """A queue the policy names or an open case is in; else the filter is refused (400)."""
    known = {p.queue for p in exceptions.current_policies().values()}
    known |= {row["queue"] for row in exceptions.queue_counts()}
    if queue and queue not in known:
        raise ValidationFailed.single(
            "queue", f"there is no queue {queue!r}: use one of {', '.join(sorted(known))}"
        )


def _exception_action(request: HttpRequest) -> tuple[str, bool]:
    ids = request.POST.getlist("ids")
    action, note = request.POST.get("action", ""), request.POST.get("note", "").strip()
    if not ids:
        return "select at least one exception", True
    scope = access(request).scope
    if action == "take":
        try:
            for case_id in ids:
                scopes.check("exception_id", case_id, scope)
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
            note,
            None,
            int(line) if line.isdigit() else None,
            request.POST.get("sku", "").strip(),
            remember=request.POST.get("remember") == "on",  # the CLI's --remember
        )
    outcomes = resolutions.resolve_many(ids, action, actor=_actor(request), fix=fix, scope=scope)
    bad = [o for o in outcomes if not o.ok]
    if bad:
        return "; ".join(f"{o.exception_id}: {o.detail}" for o in bad), True
    return f"{len(outcomes)} resolved: {resolution_words(action)}", False
