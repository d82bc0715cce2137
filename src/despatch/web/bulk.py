"""Bulk actions from the inbox (the selection, or all that match its filters), the page that
reports each order's outcome, and the one printable sheet of packing slips or pick lists for
the selection."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_POST

from despatch.domain.errors import DomainError, Forbidden, ValidationFailed
from despatch.services import bulk, inbox_query, paperwork_sheets
from despatch.services.inbox_query import OrderQuery
from despatch.web.access import access, forbidden, requires


def _request(post: QueryDict) -> bulk.BulkRequest:
    text = post.get("priority", "").strip()
    try:
        priority = int(text) if text else None
    except ValueError:
        raise ValidationFailed.single("priority", "a whole number from -100 to 100") from None
    return bulk.BulkRequest(
        action=post.get("action", ""),
        note=post.get("note", "").strip()[:500],
        reason=post.get("reason", ""),
        service=post.get("service", "").strip(),
        priority=priority,
    )


def _targets(request: HttpRequest, query: OrderQuery) -> list[str]:
    if request.POST.get("scope") == "all":
        return inbox_query.order_ids(query, access(request).scope, bulk.MAX_ORDERS + 1)
    return request.POST.getlist("ids")


@requires("orders.read")
@require_POST
def bulk_action(request: HttpRequest) -> HttpResponse:
    """Run one action on each order; the answer lists every order with what was done or
    why not. Needs the action's own permission (403 naming it)."""
    query_string = request.POST.get("query", "")
    context: dict[str, Any] = {"query_string": query_string, "outcomes": [], "error": ""}
    try:
        query = OrderQuery.parse(QueryDict(query_string))
        chosen = _request(request.POST)
        bulk.check(chosen, access(request))
        outcomes = bulk.run(
            chosen,
            _targets(request, query),
            access=access(request),
            actor=f"user:{request.user.get_username()}",
        )
    except Forbidden as exc:
        return forbidden(str(exc.data.get("permission", "")))
    except DomainError as exc:
        context["error"] = exc.detail
        return render(request, "despatch/bulk_results.html", context, status=400)
    done = [o.order_id for o in outcomes if o.done]
    context |= {
        "action": bulk.ACTIONS[chosen.action][0],
        "outcomes": outcomes,
        "done": len(done),
        "printable": chosen.action in ("pick_lists", "packing_slips") and done,
        "kind": chosen.action,
        "done_ids": done,
    }
    return render(request, "despatch/bulk_results.html", context)


@requires("orders.read")
def print_sheet(request: HttpRequest, kind: str) -> HttpResponse:
    """One page to print for the chosen orders: their packing slips, or their pick lists."""
    if kind not in paperwork_sheets.KINDS:
        raise Http404(f"nothing to print called {kind!r}")
    permission = bulk.ACTIONS[kind][1]
    if not access(request).can(permission):
        return forbidden(permission)
    ids = request.GET.getlist("ids")[: bulk.MAX_ORDERS]
    sheets = paperwork_sheets.sheets(kind, ids, access(request).scope)
    return render(request, "despatch/print_sheet.html", {"kind": kind, "sheets": sheets})
