"""The order inbox: filters and a sort in the query string (shareable links), one scoped query
(services/inbox_query.py), fifty rows a page, each row said in words."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_POST

from despatch.domain.errors import DomainError, ValidationFailed
from despatch.domain.orders import HoldReason, OrderStatus
from despatch.domain.wording import age_words, field_words, hold_words, lateness
from despatch.services import bulk, catalogue, inbox_query, saved_views
from despatch.services.inbox_query import COUNT_CAP, DEFAULT_SORT, OrderQuery
from despatch.web.access import access, actor_of, requires

PER_PAGE = 50
# (heading, sort key) of each column, in order; the first one is the order number's link
COLUMNS = (
    ("Order", "number"),
    ("Channel", "channel"),
    ("Customer", "customer"),
    ("Country", "country"),
    ("Service", "service"),
    ("Ship by", "ship_by"),
    ("Age", "received"),
    ("Status", "status"),
    ("Total", "total"),
    ("Warehouse", "warehouse"),
)


def _user_id(request: HttpRequest) -> int:
    return int(request.user.pk or 0)


def read_query(request: HttpRequest) -> tuple[OrderQuery, str]:
    """The inbox's filters from the query string, or none and what was wrong with them."""
    try:
        query = OrderQuery.parse(request.GET)
    except ValidationFailed as exc:
        return OrderQuery(), "; ".join(f"{field_words(e.field)}: {e.message}" for e in exc.errors)
    if query.sort.removeprefix("-") == "customer" and not access(request).can("customers.read"):
        query = replace(query, sort=DEFAULT_SORT)  # no ordering by names one may not see
    return query, ""


def headings(query: OrderQuery, personal: bool) -> list[dict[str, str]]:
    """Each column's heading with the link that sorts by it (again: the other way round)."""
    shown = []
    for label, key in COLUMNS:
        if key == "customer" and not personal:
            shown.append({"label": label, "href": "", "arrow": ""})
            continue
        current = query.sort.removeprefix("-") == key
        descending = query.sort.startswith("-")
        flipped = key if current and descending else f"-{key}" if current else key
        if key == "received":  # the Age column: oldest first on the first click
            flipped = key if not current or descending else f"-{key}"
        arrow = ("↓" if descending else "↑") if current else ""
        shown.append({"label": label, "href": "?" + query.as_query(sort=flipped), "arrow": arrow})
    return shown


def default_zone(zones: dict[str, str]) -> str:
    """The zone of the first warehouse by priority, for what has no warehouse yet."""
    return next(iter(zones.values()), "UTC")


def row_of(o: Any, days: dict[str, date], zones: dict[str, str], now: datetime) -> dict[str, Any]:
    shipments = [s for s in o.shipments.all() if s.status != "cancelled"]
    warehouses = sorted({s.warehouse_id for s in shipments})
    ship_by = getattr(o, "ship_by_day", None)
    today = days.get(warehouses[0], now.date()) if warehouses else now.date()
    late_words, late = lateness(ship_by, today, o.status)
    return {
        "order": o,
        "country": (o.shipping_address or {}).get("country", ""),
        "ship_by": ship_by,
        "lateness": late_words,
        "late": late,
        "age": age_words(now - o.created_at),
        # no warehouse yet: the default (first by priority) warehouse's zone, as on the order page
        "zone": zones.get(warehouses[0], "UTC")
        if warehouses
        else next(iter(zones.values()), "UTC"),
        "hold": hold_words(o.hold_reason) if o.hold_reason else "",
        "warehouses": warehouses,
    }


class CappedPaginator(Paginator):  # type: ignore[type-arg]
    """Counts the matching orders no further than the page asked for needs, and at least
    ``COUNT_CAP``: a list of more says so ("1,000+ orders"); the pages go on past it."""

    def __init__(self, rows: Any, asked: Any) -> None:
        super().__init__(rows, PER_PAGE)
        try:
            number = min(max(int(asked), 1), 10**6)
        except (TypeError, ValueError):
            number = 1
        self.cap = max(COUNT_CAP, (number + 1) * PER_PAGE)  # one page more: is there a next?

    @cached_property
    def found(self) -> int:
        return int(self.object_list.count_upto(self.cap))  # type: ignore[attr-defined]

    @cached_property
    def count(self) -> int:
        return min(self.found, self.cap)

    @property
    def more(self) -> bool:
        return self.found > self.cap

    @property
    def count_words(self) -> str:
        return count_words(self.found, self.cap)


def count_words(n: int, cap: int) -> str:
    """A count of up to ``cap`` + 1 in words: past ``cap``, "1,000+"."""
    return f"{cap:,}+" if n > cap else f"{n:,}"


def page_context(request: HttpRequest, query: OrderQuery) -> dict[str, Any]:
    personal = access(request).can("customers.read")
    rows = inbox_query.Listing(inbox_query.search(query, access(request).scope), query.sorting)
    page = CappedPaginator(rows, request.GET.get("page")).get_page(request.GET.get("page"))
    now = timezone.now()
    days = inbox_query.warehouse_days(now)
    zones = {w.code: w.time_zone for w in catalogue.warehouses()}
    return {
        "page": page,
        "rows": [row_of(o, days, zones, now) for o in page],
        "query": query,
        "query_string": query.as_query(),
        "headings": headings(query, personal),
        "personal": personal,
        "actions": bulk.allowed_actions(access(request)),
    }


@requires("orders.read")
def inbox(request: HttpRequest) -> HttpResponse:
    query, problem = read_query(request)
    context = page_context(request, query)
    if request.headers.get("HX-Request"):
        response = render(request, "despatch/_inbox_rows.html", context)
        clean = query.as_query()  # the address bar shows only the filters in use
        response["HX-Push-Url"] = f"{request.path}?{clean}" if clean else request.path
        return response
    user_access = access(request)
    context |= {
        "problem": problem,
        "statuses": [s.value for s in OrderStatus],
        "holds": [(h.value, hold_words(h.value)) for h in HoldReason],
        "channels": [c.code for c in catalogue.channels() if user_access.may_channel(c.code)],
        "warehouses": [w.code for w in catalogue.warehouses() if user_access.may_warehouse(w.code)],
        "counts": [
            (s, count_words(n, COUNT_CAP))
            for s, n in inbox_query.status_counts_upto(COUNT_CAP, user_access.scope).items()
        ],
        "views": saved_views.views_of(_user_id(request)),
        "reasons": bulk.reason_choices(),
    }
    return render(request, "despatch/inbox.html", context, status=400 if problem else 200)


@requires("orders.read")
@require_POST
def save_view(request: HttpRequest) -> HttpResponse:
    params = {k: str(v) for k, v in QueryDict(request.POST.get("query", "")).items()}
    try:
        view = saved_views.save_view(
            _user_id(request), request.POST.get("name", ""), params, actor=actor_of(request)
        )
    except DomainError as exc:
        messages.error(request, f"View not saved: {exc.detail}")
        return redirect(f"{reverse('inbox')}?{request.POST.get('query', '')}")
    messages.success(request, f"Saved the view {view.name!r}")
    return redirect(f"{reverse('inbox')}?{view.query}")


@requires("orders.read")
@require_POST
def delete_view(request: HttpRequest, view_id: int) -> HttpResponse:
    try:
        saved_views.delete_view(_user_id(request), view_id, actor=actor_of(request))
        messages.success(request, "View deleted")
    except DomainError as exc:
        messages.error(request, f"View not deleted: {exc.detail}")
    return redirect("inbox")
