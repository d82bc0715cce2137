"""Rule sets: versions, load, activate, and test a candidate on recent orders."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from despatch.api.auth import actor, needs
from despatch.api.schemas import ObjectIn
from despatch.services import rules

router = Router(tags=["rules"])


class RuleSetIn(ObjectIn):
    source: str = Field(min_length=1, max_length=1_000_000, description="the YAML (docs/rules.md)")
    activate: bool = False


class RuleTestIn(ObjectIn):
    source: str = Field(min_length=1, max_length=1_000_000)
    last: int = Field(
        strict=True, default=500, ge=1, le=10000, description="replay the last N orders"
    )


class RuleSetOut(Schema):
    version: int
    name: str
    rule_count: int
    active: bool
    created_by: str
    created_at: datetime
    activated_by: str
    activated_at: datetime | None
    source: str


@router.get(
    "",
    response=list[RuleSetOut],
    summary="Every rule set version, newest first",
    auth=needs("rules.read"),
)
def list_versions(request: HttpRequest) -> Any:
    return rules.versions()


@router.post(
    "",
    response={201: RuleSetOut},
    summary="Load a rule set as the next version (422 names each error with its line)",
    auth=needs("rules.manage"),
)
def load(request: HttpRequest, body: RuleSetIn) -> Any:
    return Status(201, rules.load(body.source, actor=actor(request), activate=body.activate))


@router.post(
    "test", summary="What a candidate would change on the last N orders", auth=needs("rules.manage")
)
def test(request: HttpRequest, body: RuleTestIn) -> Any:
    return rules.test_candidate(body.source, body.last).as_dict()


@router.get("active", response=RuleSetOut, summary="The active rule set", auth=needs("rules.read"))
def get_active(request: HttpRequest) -> Any:
    return rules.get_version(None)


@router.get("{version}", response=RuleSetOut, summary="One version", auth=needs("rules.read"))
def get_version(request: HttpRequest, version: int) -> Any:
    return rules.get_version(version)


@router.post(
    "{version}/activate",
    response=RuleSetOut,
    summary="Make a version the active one",
    auth=needs("rules.manage"),
)
def activate(request: HttpRequest, version: int) -> Any:
    return rules.activate_version(version, actor=actor(request))
