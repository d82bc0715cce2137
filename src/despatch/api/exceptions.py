"""Exception queues: list (most urgent first), read, assign and resolve, one or in bulk."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from despatch.api.auth import access, actor, needs
from despatch.api.schemas import ObjectIn
from despatch.services import exceptions, resolutions, scopes

router = Router(tags=["exceptions"])


class ExceptionOut(Schema):
    id: str
    kind: str
    queue: str
    subject: str
    order_id: str | None
    shipment_id: str
    summary: str
    detail: Any
    status: str
    priority: int
    owner: str
    opened_at: datetime
    due_at: datetime
    breached: bool
    escalated_at: datetime | None
    resolved_at: datetime | None
    resolved_by: str
    resolution: str
    note: str

    @staticmethod
    def resolve_breached(case: Any) -> bool:
        return getattr(case, "breached", 1) == 0


class QueueFilter(Schema):
    status: str = "open"
    queue: str = ""
    owner: str = ""
    kind: str = ""
    order_id: str = ""
    limit: int = 200


class QueueCount(Schema):
    queue: str
    open: int
    breached: int


class AssignIn(ObjectIn):
    owner: str = Field(max_length=150)


class ResolveIn(ObjectIn):
    action: str = Field(max_length=32)
    note: str = Field("", max_length=2000)
    address: dict[str, str] | None = None
    line_no: int | None = Field(None, strict=True)
    sku: str = Field("", max_length=64)
    reason: str = Field("", max_length=64, description="a reason code (docs/security.md)")
    remember: bool = Field(
        False, description="substitute: map the channel's SKU to this one for its next orders"
    )

    def fix(self) -> resolutions.Fix:
        return resolutions.Fix(
            self.note, self.address, self.line_no, self.sku, self.reason, self.remember
        )


class BulkIn(ResolveIn):
    ids: list[str] = Field(max_length=500)


class OutcomeOut(Schema):
    exception_id: str
    ok: bool
    detail: str


class BulkOut(Schema):
    resolved: int
    failed: int
    outcomes: list[OutcomeOut]


@router.get(
    "",
    response=list[ExceptionOut],
    summary="The queue: breached SLAs first",
    auth=needs("exceptions.read"),
)
def list_cases(request: HttpRequest, filters: Query[QueueFilter]) -> Any:
    """``owner`` is ``user:NAME``, ``group:NAME`` or ``unassigned``."""
    cases = exceptions.list_cases(
        status=filters.status,
        queue=filters.queue,
        owner=filters.owner,
        kind=filters.kind,
        order_id=filters.order_id,
    )
    cases = scopes.by_order(cases, access(request).scope)
    return cases[: max(1, min(filters.limit, 1000))]


@router.get(
    "/queues",
    response=list[QueueCount],
    summary="Open and breached cases per queue",
    auth=needs("exceptions.read"),
)
def queues(request: HttpRequest) -> Any:
    return exceptions.queue_counts()


@router.post(
    "/bulk",
    response=BulkOut,
    summary="Resolve many cases with one action",
    auth=needs("exceptions.work"),
)
def bulk(request: HttpRequest, body: BulkIn) -> Any:
    """Each case is resolved on its own: one refusal stops none of the others."""
    outcomes = resolutions.resolve_many(
        body.ids, body.action, actor=actor(request), fix=body.fix(), scope=access(request).scope
    )
    return resolutions.summary(outcomes)


@router.get("/{exception_id}", response=ExceptionOut, auth=needs("exceptions.read"))
def get_case(request: HttpRequest, exception_id: str) -> Any:
    return exceptions.read_case(exception_id)


@router.post("/{exception_id}/assign", response=ExceptionOut, auth=needs("exceptions.work"))
def assign(request: HttpRequest, exception_id: str, body: AssignIn) -> Any:
    exceptions.assign(exception_id, body.owner, actor=actor(request))
    return exceptions.read_case(exception_id)


@router.post("/{exception_id}/resolve", response=ExceptionOut, auth=needs("exceptions.work"))
def resolve(request: HttpRequest, exception_id: str, body: ResolveIn) -> Any:
    """Actions by kind: ``release``/``cancel`` for holds, ``fix_address`` (with ``address``),
    ``substitute`` (with ``line_no`` and ``sku``), ``resolve`` (with a ``note``) for floor and
    delivery cases."""
    resolutions.resolve(exception_id, body.action, actor=actor(request), fix=body.fix())
    return exceptions.read_case(exception_id)
