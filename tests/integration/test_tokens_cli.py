"""despatch users and tokens: passwords follow Django's rules, tokens carry scopes and an
expiry, are listed without the token and can be revoked."""

from typer.testing import CliRunner

from despatch.cli.app import app
from despatch.models import ApiToken
from despatch.services import tokens
from tests.integration.test_permissions import call

runner = CliRunner()


def test_a_weak_password_is_refused_with_the_rule_it_breaks(db):
    result = runner.invoke(app, ["users", "create", "bob", "--password", "x"])
    assert result.exit_code == 1 and "too short" in result.output
    result = runner.invoke(app, ["users", "create", "bob", "--password", "12345678"])
    assert result.exit_code == 1 and "too common" in result.output
    assert tokens.authenticate("nothing") is None
    result = runner.invoke(
        app, ["users", "create", "bob", "--password", "plum-tree-77", "--role", "picker"]
    )
    assert result.exit_code == 0, result.output


def test_tokens_are_created_with_scopes_and_expiry_listed_and_revoked(shop, client):
    tokens.ensure_user("bob", "pw", roles=("picker",))
    made = runner.invoke(
        app, ["tokens", "create", "bob", "--scope", "warehouse:LON", "--expires", "90d"]
    )
    assert made.exit_code == 0, made.output
    token = made.output.strip()
    row = ApiToken.objects.get()
    assert (
        row.scopes == ["warehouse:LON"]
        and row.key_hash != token
        and token not in str(ApiToken.objects.values().get())
    )
    assert 89 <= (row.expires_at - row.created_at).days <= 90
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert call(client, auth, "GET", "/api/stock")[0] == 200
    listed = runner.invoke(app, ["tokens", "list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and "warehouse:LON" in listed.output
    assert token not in listed.output and row.prefix in listed.output
    row.refresh_from_db()
    assert row.last_used_at is not None
    revoked = runner.invoke(app, ["tokens", "revoke", str(row.pk)])
    assert revoked.exit_code == 0
    assert call(client, auth, "GET", "/api/stock")[0] == 401


def test_a_bad_scope_or_lifetime_is_named(shop):
    tokens.ensure_user("bob", "pw")
    result = runner.invoke(app, ["tokens", "create", "bob", "--scope", "site:LON"])
    assert result.exit_code == 1 and "scope" in result.output
    result = runner.invoke(app, ["tokens", "create", "bob", "--expires", "soon"])
    assert result.exit_code == 1 and "expires" in result.output
    result = runner.invoke(app, ["tokens", "create", "bob", "--scope", "warehouse:NOPE"])
    assert result.exit_code == 1 and "NOPE" in result.output  # a typo would shut bob out
    assert not ApiToken.objects.exists()


def test_users_limit_sets_scopes_and_the_refund_limit(shop):
    tokens.ensure_user("fin", "pw", roles=("finance",))
    result = runner.invoke(
        app, ["users", "limit", "fin", "--scope", "channel:shop", "--refund-limit", "250"]
    )
    assert result.exit_code == 0 and "channel:shop" in result.output and "250.00" in result.output
    access = tokens.access_of_username("fin")
    assert access.channels() == {"shop"} and access.refund_limit == 250
    assert access.can("refunds.approve") and not access.can("stock.write")
