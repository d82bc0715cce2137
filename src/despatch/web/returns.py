"""Returns in the web UI: the customer's self-service page and the returns desk."""

from __future__ import annotations

import io

from django.contrib import messages as flash
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from despatch.domain.errors import DomainError, NotFound, ValidationFailed
from despatch.domain.returns import Grade, ReturnReason
from despatch.domain.totals import plain
from despatch.services import refunds, returns, scopes
from despatch.web.access import access, in_scope, public, requires


def _said(exc: DomainError) -> list[str]:
    if isinstance(exc, ValidationFailed):
        return [f"{e.field}: {e.message}" for e in exc.errors]
    return [exc.detail]


@public("a customer finds their order by its number and email")
def customer_page(request: HttpRequest) -> HttpResponse:
    """Public: find the order with its number and email or postcode, choose lines, get a label."""
    errors: list[str] = []
    order_id = request.session.get("returns_order", "")
    if request.method == "POST" and request.POST.get("step") == "find":
        try:
            order = returns.find_for_customer(
                request.POST.get("order", ""), request.POST.get("proof", "")
            )
            request.session["returns_order"] = order_id = order.id
        except NotFound:
            errors = ["We could not find that order with that email or postcode."]
    elif request.method == "POST" and request.POST.get("step") == "request" and order_id:
        wanted = {}
        for item in returns.returnables_of(order_id):
            units = int(request.POST.get(f"qty-{item.line_no}") or 0)
            if units:
                wanted[item.line_no] = (units, request.POST.get(f"reason-{item.line_no}", "other"))
        try:
            rma = returns.request_return(
                order_id, wanted, actor="customer:self-service", source="customer"
            )
            request.session["returns_rma"] = rma.id
            return redirect("customer-returns-done")
        except DomainError as exc:
            errors = _said(exc)
    context = {
        "errors": errors,
        "order": returns.order_summary(order_id) if order_id else None,
        "items": returns.returnables_of(order_id) if order_id else [],
        "reasons": [r.value for r in ReturnReason],
    }
    return render(request, "despatch/returns_customer.html", context)


@public("shows only the return made in this browser session")
def customer_done(request: HttpRequest) -> HttpResponse:
    rma_id = request.session.get("returns_rma", "")
    if not rma_id:
        return redirect("customer-returns")
    return render(request, "despatch/returns_done.html", {"rma": returns.get_return(rma_id)})


@public("serves only the return made in this browser session")
def customer_label(request: HttpRequest, rma_id: str) -> FileResponse:
    if request.session.get("returns_rma") != rma_id:
        raise Http404("no such return in this session")
    return FileResponse(
        io.BytesIO(returns.label_pdf(rma_id)),
        filename=f"return-{rma_id}.pdf",
        content_type="application/pdf",
    )


@requires("returns.read")
def desk(request: HttpRequest) -> HttpResponse:
    """Scan an RMA, grade each unit, see where it went; pending refunds to approve."""
    scanned = request.GET.get("rma", "").strip()
    rma = None
    if scanned:
        try:
            scopes.check("rma_id", scanned, access(request).scope)
            rma = returns.get_return(scanned)
        except NotFound:
            flash.error(request, f"no return {scanned}")
    context = {
        "rma": rma,
        "grades": [g.value for g in Grade],
        "recent": returns.list_returns(limit=30, scope=access(request).scope),
        "pending": refunds.list_refunds(status="requested", scope=access(request).scope),
        "report": returns.reason_report()[:20],
    }
    return render(request, "despatch/returns_desk.html", context)


@requires("returns.receive")
@require_POST
def desk_receive(request: HttpRequest, rma_id: str) -> HttpResponse:
    in_scope(request, "rma_id", rma_id)
    grades: dict[str, list[str]] = {}
    for key in request.POST:
        if key.startswith("grade-"):
            sku = key.removeprefix("grade-").rsplit("-", 1)[0]
            value = request.POST[key]
            if value:
                grades.setdefault(sku, []).append(value)
    try:
        returns.receive(rma_id, grades, actor=f"user:{request.user.get_username()}")
        flash.success(request, f"{rma_id} received")
    except DomainError as exc:
        for said in _said(exc):
            flash.error(request, said)
    return redirect(f"/returns-desk/?rma={rma_id}")


@requires("refunds.request")
@require_POST
def desk_refund(request: HttpRequest, rma_id: str) -> HttpResponse:
    in_scope(request, "rma_id", rma_id)
    try:
        rma = returns.get_return(rma_id)
        lines = {
            li.line.line_no: li.received or li.quantity for li in rma.lines.select_related("line")
        }
        refund = refunds.request_refund(
            rma.order_id,
            actor=f"user:{request.user.get_username()}",
            lines=lines,
            rma_id=rma.id,
            kind=request.POST.get("kind", "refund"),
            reason=f"return {rma.id}",
        )
        flash.success(
            request,
            f"refund {refund.id} of {plain(refund.amount, refund.currency)} {refund.currency}: "
            f"{refund.status}",
        )
    except DomainError as exc:
        for said in _said(exc):
            flash.error(request, said)
    return redirect(f"/returns-desk/?rma={rma_id}")


@requires("refunds.approve")
@require_POST
def refund_decide(request: HttpRequest, refund_id: str, decision: str) -> HttpResponse:
    in_scope(request, "refund_id", refund_id)
    who = f"user:{request.user.get_username()}"
    try:
        if decision == "approve":
            refund = refunds.approve(refund_id, actor=who, limit=access(request).refund_limit)
        elif decision == "reject":
            refund = refunds.reject(
                refund_id,
                actor=who,
                note=request.POST.get("note", ""),
                limit=access(request).refund_limit,
            )
        else:
            raise Http404(decision)
        flash.success(request, f"refund {refund.id}: {refund.status}")
    except DomainError as exc:
        flash.error(request, f"{decision} refused: {exc.detail}")
    return redirect("returns-desk")
