"""Exception policies, owners and the queue's order, as pure rules."""

from datetime import UTC, datetime, timedelta

import pytest

from despatch.domain.errors import ValidationFailed
from despatch.domain.exceptions import (
    DEFAULT_POLICIES,
    ORDER_HOLDS,
    Kind,
    Resolution,
    normalise_owner,
    policies,
    time_left,
)
from despatch.domain.orders import HoldReason

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_every_hold_reason_has_a_policy_and_every_kind_a_resolution():
    assert {Kind(r.value) for r in HoldReason} <= ORDER_HOLDS
    assert set(DEFAULT_POLICIES) == set(Kind)
    for kind in ORDER_HOLDS:
        assert Resolution.RESOLVE not in DEFAULT_POLICIES[kind].resolutions  # holds need a choice
    assert DEFAULT_POLICIES[Kind.SHORT_PICK].resolutions == (Resolution.RESOLVE,)


def test_overrides_change_only_what_they_name():
    changed = policies({"oversold": {"owner": "group:buyers", "sla_minutes": 45, "priority": 2}})
    oversold = changed[Kind.OVERSOLD]
    assert (oversold.owner, oversold.sla, oversold.priority) == (
        "group:buyers",
        timedelta(minutes=45),
        2,
    )
    assert oversold.queue == DEFAULT_POLICIES[Kind.OVERSOLD].queue
    assert changed[Kind.MANUAL] == DEFAULT_POLICIES[Kind.MANUAL]
    assert oversold.due(NOW) == NOW + timedelta(minutes=45)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lost_parcel": {}}, "lost_parcel"),
        ({"manual": []}, "manual"),
        ({"manual": {"sla_minutes": "soon"}}, "manual.sla_minutes"),
        ({"manual": {"priority": True}}, "manual.priority"),
        ({"manual": {"owner": "bob"}}, "manual.owner"),
        ({"manual": {"queue": ""}}, "manual.queue"),
        ({"manual": {"resolutions": ["release"]}}, "manual.resolutions"),
    ],
)
def test_a_wrong_override_names_its_field(overrides, field):
    with pytest.raises(ValidationFailed) as failure:
        policies(overrides)
    assert [e.field for e in failure.value.errors] == [field]


def test_owners_are_users_or_groups():
    assert normalise_owner(" alice ") == "user:alice"
    assert normalise_owner("group:support") == "group:support"
    for bad in ("robot:x", "user:", "group: ", ":x"):
        with pytest.raises(ValidationFailed):
            normalise_owner(bad)


def test_time_left_reads_like_a_person_would_say_it():
    assert time_left(NOW + timedelta(minutes=65), NOW) == (False, "1h05m")
    assert time_left(NOW + timedelta(minutes=9), NOW) == (False, "9m")
    assert time_left(NOW - timedelta(hours=3), NOW) == (True, "3h00m")
    assert time_left(NOW, NOW) == (True, "0m")
