"""Nobody hands out more than they hold: a manager limited to some channels (or to a refund
limit) cannot mint a token, create a user, or change a user, that would reach further than
they do, nor take over such a user by resetting their password. Refused with 403, nothing
changed."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from despatch.models import ApiToken, StaffAccess
from despatch.services import tokens

PASSWORD = "run-the-floor-2026"


@pytest.fixture
def limited(db, client):
    """olga manages users but only for channel shop, and approves refunds up to 100."""
    tokens.ensure_user("olga", PASSWORD, roles=("ops_manager",))
    tokens.set_limits("olga", scopes=("channel:shop",), refund_limit=Decimal("100"))
    tokens.ensure_user("root", PASSWORD, superuser=True)
    tokens.ensure_user("boss", PASSWORD, roles=("ops_manager",))  # no limits
    tokens.ensure_user("sue", PASSWORD, roles=("support",))
    tokens.set_limits("sue", scopes=("channel:shop",))
    tokens.ensure_user("fin", PASSWORD, roles=("finance",))
    tokens.set_limits("fin", scopes=("channel:shop",), refund_limit=Decimal("1000"))
    assert client.login(username="olga", password=PASSWORD)
    return client


@pytest.mark.parametrize("username", ["root", "boss", "fin"])
def test_a_limited_manager_cannot_mint_a_token_that_reaches_further(limited, username):
    answer = limited.post("/setup/tokens/", {"username": username, "name": "ci"})
    assert answer.status_code == 403, answer.status_code
    assert not ApiToken.objects.filter(user__username=username).exists()


def test_a_limited_manager_cannot_widen_a_token_past_their_scope(limited):
    answer = limited.post("/setup/tokens/", {"username": "sue", "scope": "channel:web"})
    assert answer.status_code in (403, 422)
    assert not ApiToken.objects.filter(user__username="sue").exists()


def test_a_limited_manager_mints_tokens_within_their_reach(limited):
    answer = limited.post("/setup/tokens/", {"username": "sue", "name": "ci"})
    assert answer.status_code == 200 and ApiToken.objects.filter(user__username="sue").exists()
    answer = limited.post("/setup/tokens/", {"username": "olga", "name": "mine"})
    assert answer.status_code == 200 and ApiToken.objects.filter(user__username="olga").exists()


def test_a_limited_manager_cannot_lift_their_own_limits_or_raise_anothers(limited):
    answer = limited.post("/setup/users/olga/", {"action": "limits", "scope": ""})
    assert answer.status_code == 403
    answer = limited.post("/setup/users/olga/", {"action": "limits", "scope": "channel:web"})
    assert answer.status_code == 403
    tokens.ensure_user("fay", PASSWORD, roles=("finance",))
    tokens.set_limits("fay", scopes=("channel:shop",), refund_limit=Decimal("50"))
    for amount, status in (("500", 403), ("80", 302)):
        answer = limited.post(
            "/setup/users/fay/",
            {"action": "limits", "scope": "channel:shop", "refund_limit": amount},
        )
        assert answer.status_code == status, amount
    assert StaffAccess.objects.get(user__username="olga").scopes == ["channel:shop"]
    assert StaffAccess.objects.get(user__username="fay").refund_limit == Decimal("80")


def test_a_limited_manager_cannot_take_over_or_change_a_wider_user(limited):
    for action in (
        {"action": "password", "password": "taken-over-by-olga-1"},
        {"action": "roles", "roles": ["picker"]},
        {"action": "deactivate"},
    ):
        answer = limited.post("/setup/users/boss/", action)
        assert answer.status_code == 403, action
    boss = User.objects.get(username="boss")
    assert boss.check_password(PASSWORD) and boss.is_active
    assert list(boss.groups.values_list("name", flat=True)) == ["ops_manager"]


def test_a_limited_manager_cannot_create_a_user_who_reaches_everywhere(limited):
    answer = limited.post(
        "/setup/users/",
        {"username": "newboss", "password": "boxes-and-tape-9", "roles": ["ops_manager"]},
    )
    assert answer.status_code == 403
    assert not User.objects.filter(username="newboss").exists()


def test_an_unlimited_manager_still_does_all_of_it(limited, client):
    assert client.login(username="boss", password=PASSWORD)
    assert client.post("/setup/tokens/", {"username": "root"}).status_code == 200
    answer = client.post("/setup/users/olga/", {"action": "limits", "scope": ""})
    assert answer.status_code == 302
    assert StaffAccess.objects.get(user__username="olga").scopes == []
