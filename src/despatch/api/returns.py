"""Returns (RMA) and refunds: request, label, receive and grade, approve, report."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import StrictInt

from despatch.api.auth import access, actor, needs
from despatch.api.picking import pdf_response
from despatch.api.schemas import ObjectIn
from despatch.domain.totals import plain
from despatch.services import refunds, returns, scopes

router = Router(tags=["returns"])
refund_router = Router(tags=["refunds"])


class ReturnLineIn(Schema):
    line_no: int = Field(strict=True, ge=1)
    quantity: int = Field(strict=True, ge=1)
    reason: str = Field(
        description="damaged, defective, wrong_item, not_as_described, "
        "too_small, too_large, changed_mind, arrived_late or other"
    )


class ReturnIn(ObjectIn):
    order_id: str = Field(max_length=40)
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=200)
    note: str = Field("", max_length=2000)


class ReturnLineOut(Schema):
    sku: str
    quantity: int
    reason: str
    received: int
    grades: dict[str, int]
    dispositions: dict[str, int]
    held: int
    qc_due_at: datetime | None


class ReturnOut(Schema):
    id: str
    order_id: str
    warehouse_id: str
    status: str
    source: str
    requested_by: str
    created_at: datetime
    received_at: datetime | None
    lines: list[ReturnLineOut]


class ReceiveIn(ObjectIn):
    grades: dict[str, list[str]] = Field(
        description='per SKU, a grade per unit: {"A1": ["A", "D"]}'
    )
    dispositions: dict[str, list[str]] = Field(
        default_factory=dict, description="per SKU and unit, to override the policy"
    )


class ReleaseIn(ObjectIn):
    sku: str = Field(max_length=64)
    units: int = Field(strict=True, ge=1)
    to: str = Field(description="restock or scrap")
    note: str = Field("", max_length=500)


class RefundIn(ObjectIn):
    order_id: str = Field(max_length=40)
    kind: str = Field("refund", description="refund, store_credit or exchange")
    lines: dict[int, StrictInt] = Field(default_factory=dict, description="{line_no: units}")
    amount: Decimal | None = Field(None, gt=0, max_digits=14, decimal_places=4)
    include_shipping: bool = False
    restocking_fee_percent: Decimal = Field(Decimal(0), ge=0, le=100)
    return_id: str = Field("", max_length=40)
    reason: str = Field("", max_length=300)
    swaps: dict[int, str] = Field(
        default_factory=dict, description="exchange: {line_no: SKU} to ship another SKU"
    )


class RefundOut(Schema):
    id: str
    order_id: str
    rma_id: str | None
    kind: str
    amount: str = Field(description="in the currency's decimals, e.g. 15.00")
    currency: str
    restocking_fee: str = Field(description="in the currency's decimals, e.g. 0.00")
    status: str
    approvals_needed: int
    approved_by: list[str]
    requested_by: str
    decided_by: str
    attempts: int
    last_error: str
    provider_reference: str = Field("", description="an exchange: order:<replacement order ID>")
    created_at: datetime

    @staticmethod
    def resolve_amount(refund: Any) -> str:
        return plain(refund.amount, refund.currency)

    @staticmethod
    def resolve_restocking_fee(refund: Any) -> str:
        return plain(refund.restocking_fee, refund.currency)


class Note(ObjectIn):
    note: str = Field("", max_length=2000)


def return_out(rma: Any) -> dict[str, Any]:
    return {
        **{
            k: getattr(rma, k)
            for k in (
                "id",
                "order_id",
                "warehouse_id",
                "status",
                "source",
                "requested_by",
                "created_at",
                "received_at",
            )
        },
        "lines": list(rma.lines.all()),
    }


@router.post(
    "",
    response={201: ReturnOut},
    summary="Open a return (422 names each ineligible line)",
    auth=needs("returns.request"),
)
def create(request: HttpRequest, body: ReturnIn) -> Any:
    wanted: dict[int, tuple[int, str]] = {}
    for line in body.lines:
        count, _ = wanted.get(line.line_no, (0, line.reason))
        wanted[line.line_no] = (count + line.quantity, line.reason)
    scopes.check("order_id", body.order_id, access(request).scope)
    rma = returns.request_return(
        body.order_id, wanted, actor=actor(request), source="api", note=body.note
    )
    return Status(201, return_out(returns.get_return(rma.id)))


@router.get(
    "", response=list[ReturnOut], summary="Returns, newest first", auth=needs("returns.read")
)
def list_returns(request: HttpRequest, status: str = "", order_id: str = "") -> Any:
    return [
        return_out(r)
        for r in returns.list_returns(status=status, order_id=order_id, scope=access(request).scope)
    ]


@router.get(
    "reasons",
    summary="Returned units by SKU, channel and reason, with units sold",
    auth=needs("returns.read"),
)
def reasons(request: HttpRequest, since: datetime | None = None) -> Any:
    return returns.reason_report(since=since)


@router.get("{rma_id}", response=ReturnOut, auth=needs("returns.read"))
def get(request: HttpRequest, rma_id: str) -> Any:
    return return_out(returns.get_return(rma_id))


@router.get(
    "{rma_id}/label.pdf",
    summary="The return label with the RMA barcode",
    auth=needs("returns.read"),
)
def label(request: HttpRequest, rma_id: str) -> Any:
    return pdf_response(returns.label_pdf(rma_id), f"return-{rma_id}.pdf")


@router.post(
    "{rma_id}/receive",
    response=ReturnOut,
    summary="Receive and grade (A-D) each unit",
    auth=needs("returns.receive"),
)
def receive(request: HttpRequest, rma_id: str, body: ReceiveIn) -> Any:
    returns.receive(rma_id, body.grades, dispositions=body.dispositions, actor=actor(request))
    return return_out(returns.get_return(rma_id))


@router.post(
    "{rma_id}/release",
    response=ReturnOut,
    summary="Quality check: held units restocked or scrapped",
    auth=needs("returns.receive"),
)
def release(request: HttpRequest, rma_id: str, body: ReleaseIn) -> Any:
    returns.release_held(
        rma_id, body.sku, units=body.units, to=body.to, actor=actor(request), note=body.note
    )
    return return_out(returns.get_return(rma_id))


@refund_router.post(
    "",
    response={201: RefundOut},
    summary="Request a refund (approval matrix applies)",
    auth=needs("refunds.request"),
)
def request_refund(request: HttpRequest, body: RefundIn) -> Any:
    scopes.check("order_id", body.order_id, access(request).scope)
    if body.return_id:
        scopes.check("rma_id", body.return_id, access(request).scope)
    refund = refunds.request_refund(
        body.order_id,
        actor=actor(request),
        kind=body.kind,
        lines=body.lines or None,
        amount=body.amount,
        include_shipping=body.include_shipping,
        restocking_fee_percent=body.restocking_fee_percent,
        rma_id=body.return_id,
        reason=body.reason,
        swaps=body.swaps or None,
    )
    return Status(201, refund)


@refund_router.get(
    "", response=list[RefundOut], summary="Refunds, newest first", auth=needs("refunds.read")
)
def list_refunds(request: HttpRequest, status: str = "", order_id: str = "") -> Any:
    return refunds.list_refunds(status=status, order_id=order_id, scope=access(request).scope)


@refund_router.get("{refund_id}", response=RefundOut, auth=needs("refunds.read"))
def get_refund(request: HttpRequest, refund_id: str) -> Any:
    return refunds.get_refund(refund_id)


@refund_router.post(
    "{refund_id}/approve",
    response=RefundOut,
    summary="Approve (never your own request)",
    auth=needs("refunds.approve"),
)
def approve(request: HttpRequest, refund_id: str) -> Any:
    return refunds.approve(refund_id, actor=actor(request), limit=access(request).refund_limit)


@refund_router.post("{refund_id}/reject", response=RefundOut, auth=needs("refunds.approve"))
def reject(request: HttpRequest, refund_id: str, body: Note) -> Any:
    return refunds.reject(
        refund_id, actor=actor(request), note=body.note, limit=access(request).refund_limit
    )


@refund_router.post(
    "{refund_id}/retry",
    response=RefundOut,
    summary="Try a failed refund again",
    auth=needs("refunds.approve"),
)
def retry(request: HttpRequest, refund_id: str) -> Any:
    return refunds.retry(refund_id, actor=actor(request))
