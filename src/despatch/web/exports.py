"""CSV downloads of the inbox, stock and exception lists, with the filters the page shows."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from despatch.domain.errors import ValidationFailed
from despatch.services import exports
from despatch.web.access import access, requires
from despatch.web.inbox import read_query


def _csv(text: str, name: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


@requires("orders.read")
def orders_csv(request: HttpRequest) -> HttpResponse:
    query, problem = read_query(request)
    if problem:
        return HttpResponse(f"Filter not understood: {problem}", status=400,
                            content_type="text/plain; charset=utf-8")  # fmt: skip
    personal = access(request).can("customers.read")
    return _csv(exports.orders_csv(query, access(request).scope, personal=personal), "orders")


@requires("stock.read")
def stock_csv(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    return _csv(exports.stock_csv(search, access(request).scope), "stock")


@requires("exceptions.read")
def exceptions_csv(request: HttpRequest) -> HttpResponse:
    queue, owner = request.GET.get("queue", ""), request.GET.get("owner", "")
    if owner == "me":
        owner = f"user:{request.user.get_username()}"
    try:
        text = exports.exceptions_csv(queue, owner, access(request).scope)
    except ValidationFailed as exc:
        return HttpResponse(exc.detail, status=400, content_type="text/plain; charset=utf-8")
    return _csv(text, "exceptions")
