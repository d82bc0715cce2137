"""POST /api/orders/bulk: one action on many orders (listed, or all that match the inbox's
filters), with a result per order. The caller needs the action's own permission."""

from typing import Any

from django.http import HttpRequest, QueryDict
from ninja import Field, Router, Schema

from despatch.api.auth import access, actor, needs
from despatch.api.schemas import ObjectIn
from despatch.domain.errors import ValidationFailed
from despatch.services import bulk, inbox_query

router = Router(tags=["orders"])


class BulkIn(ObjectIn):
    action: str = Field(description=", ".join(bulk.ACTIONS))
    order_ids: list[str] = Field([], max_length=bulk.MAX_ORDERS)
    filter: str = Field(
        "", max_length=2000, description="instead of order_ids: the inbox's query string"
    )
    note: str = Field("", max_length=500)
    reason: str = Field("", max_length=64, description="hold, release, cancel: a reason code")
    service: str = Field("", max_length=64, description="service: the new service")
    priority: int | None = Field(None, ge=-100, le=100, description="priority: the new one")


class OutcomeOut(Schema):
    order_id: str
    order_number: str
    done: bool
    detail: str


class BulkOut(Schema):
    action: str
    done: int
    results: list[OutcomeOut]


@router.post(
    "", response=BulkOut, summary="Run one action on many orders", auth=needs("orders.read")
)
def run_bulk(request: HttpRequest, body: BulkIn) -> Any:
    chosen = bulk.BulkRequest(body.action, body.note, body.reason, body.service, body.priority)
    bulk.check(chosen, access(request))
    if body.order_ids and body.filter:
        raise ValidationFailed.single("filter", "send order_ids or filter, not both")
    ids = body.order_ids
    if body.filter:
        query = inbox_query.OrderQuery.parse(QueryDict(body.filter))
        ids = inbox_query.order_ids(query, access(request).scope, bulk.MAX_ORDERS + 1)
    outcomes = bulk.run(chosen, ids, access=access(request), actor=actor(request))
    return {
        "action": body.action,
        "done": sum(o.done for o in outcomes),
        "results": [
            {"order_id": o.order_id, "order_number": o.number, "done": o.done, "detail": o.detail}
            for o in outcomes
        ],
    }
