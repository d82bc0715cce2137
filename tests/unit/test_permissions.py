"""The role table and scopes, as plain functions."""

from decimal import Decimal

import pytest

from despatch.domain.errors import Forbidden, ValidationFailed
from despatch.domain.permissions import (
    ALL,
    PERMISSIONS,
    ROLES,
    Access,
    Scope,
    permissions_of,
)


def test_every_role_grants_only_permissions_in_the_table():
    for role, granted in ROLES.items():
        assert granted <= set(PERMISSIONS), role


def test_the_ops_manager_and_a_superuser_hold_everything():
    assert permissions_of(["ops_manager"]) == ALL
    assert permissions_of([], superuser=True) == ALL


def test_only_finance_and_the_ops_manager_approve_refunds():
    assert {r for r, granted in ROLES.items() if "refunds.approve" in granted} == {
        "finance",
        "ops_manager",
    }


def test_pickers_and_packers_do_not_see_customers_personal_data():
    assert "customers.read" not in permissions_of(["picker", "packer"])


def test_roles_add_up_and_unknown_roles_grant_nothing():
    assert permissions_of(["picker", "packer"]) == ROLES["picker"] | ROLES["packer"]
    assert permissions_of(["nobody"]) == frozenset()


def test_a_forbidden_permission_is_named():
    access = Access("user:pat", permissions_of(["packer"]))
    with pytest.raises(Forbidden) as caught:
        access.require("refunds.approve")
    assert caught.value.code == "forbidden" and caught.value.data["permission"] == "refunds.approve"


def test_a_scope_is_parsed_and_a_bad_item_named():
    scope = Scope.parse(["warehouse:LON", "channel:shop", "channel:ebay"])
    assert scope.warehouses == {"LON"} and scope.channels == {"shop", "ebay"}
    assert scope.items() == ["warehouse:LON", "channel:ebay", "channel:shop"]
    with pytest.raises(ValidationFailed) as caught:
        Scope.parse(["site:LON"])
    assert caught.value.errors[0].field == "scope"


def test_no_scope_reaches_everything_and_a_token_never_reaches_past_its_user():
    anywhere = Access("user:a", frozenset(), Scope())
    assert anywhere.may_channel("shop") and anywhere.may_warehouse("NJ")
    user = Scope.parse(["channel:shop", "channel:ebay"])
    assert user.narrowed(Scope.parse(["channel:shop"])).channels == {"shop"}
    assert user.narrowed(Scope()).channels == {"shop", "ebay"}
    assert user.narrowed(Scope.parse(["channel:amazon"])).channels == frozenset()
    limited = Access("user:a", frozenset(), user.narrowed(Scope.parse(["channel:amazon"])))
    assert not limited.may_channel("shop") and not limited.may_channel("amazon")


def test_the_security_doc_prints_the_same_table_as_the_code():
    from pathlib import Path

    from despatch.domain.permissions import markdown_table

    doc = (Path(__file__).parents[2] / "docs" / "security.md").read_text()
    start = doc.index(
        "<!-- permissions table: generated from src/despatch/domain/permissions.py -->"
    )
    end = doc.index("<!-- end of permissions table -->")
    printed = doc[start:end].split("\n", 1)[1].strip()
    assert printed == markdown_table(), "run: python -m despatch.domain.permissions"


def test_a_grant_may_reach_no_further_than_its_grantor():
    boss = Access("user:olga", ALL, Scope.parse(["channel:shop"]), refund_limit=Decimal("100"))
    assert boss.beyond(Access("u", ROLES["support"], Scope.parse(["channel:shop"]))) == ""
    assert "every channel" in boss.beyond(Access("u", ROLES["support"]))
    assert "channel web" in boss.beyond(Access("u", ROLES["support"], Scope.parse(["channel:web"])))
    finance = ROLES["finance"]
    shop = Scope.parse(["channel:shop"])
    assert "limit of 100.00" in boss.beyond(Access("u", finance, shop))
    assert "limit of 100.00" in boss.beyond(Access("u", finance, shop, Decimal("100.01")))
    assert boss.beyond(Access("u", finance, shop, Decimal("100"))) == ""
    packer = Access("user:pat", ROLES["packer"] | {"users.manage"})
    assert "refunds.approve" in packer.beyond(Access("u", finance))
    assert boss.beyond(Access("u", frozenset())) == ""  # no permission reaches nothing
