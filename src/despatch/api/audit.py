"""The audit trail's hash chain: verify it and read its head (docs/security.md#audit-trail)."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from despatch.api.auth import needs
from despatch.domain.audit import parse_anchor, parse_moment
from despatch.services import audit

router = Router(tags=["audit"])


class HeadOut(Schema):
    seq: int = Field(description="the latest entry's sequence number (0: no entries yet)")
    hash: str = Field(description="its SHA-256, hex; keep it elsewhere as an anchor")


class BreakOut(Schema):
    seq: int
    id: str
    problem: str


class VerifyOut(Schema):
    ok: bool
    checked: int = Field(description="entries whose hash matched")
    broken: BreakOut | None = Field(description="the first entry that does not match")
    head: HeadOut


class VerifyQuery(Schema):
    since: str = Field("", max_length=40, description="a date or ISO 8601 time: start there")
    anchor: str = Field("", max_length=100, description="SEQ:HASH kept from /api/audit/head")


@router.get(
    "/head",
    response=HeadOut,
    summary="The latest hash of the audit chain",
    auth=needs("audit.read"),
)
def head(request: HttpRequest) -> Any:
    found = audit.head()
    return {"seq": found.seq, "hash": found.hash}


@router.get(
    "/verify",
    response=VerifyOut,
    summary="Walk the audit chain and name the first changed, moved or deleted entry",
    auth=needs("audit.read"),
)
def verify(request: HttpRequest, query: Query[VerifyQuery]) -> Any:
    since = parse_moment(query.since, "since") if query.since else None
    anchor = parse_anchor(query.anchor, "anchor") if query.anchor else None
    verdict = audit.verify(since, anchor)
    broken = verdict.broken
    return {
        "ok": verdict.ok,
        "checked": verdict.checked,
        "broken": None
        if broken is None
        else {"seq": broken.seq, "id": broken.id, "problem": broken.problem},
        "head": {"seq": verdict.head.seq, "hash": verdict.head.hash},
    }
