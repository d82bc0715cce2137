"""Every change of configuration is audited, before -> after, and no secret reaches the trail."""

import json
from pathlib import Path

from despatch.domain import audit as chain
from despatch.models import AuditEntry
from despatch.services import audit, catalogue, channels, picking, rules, tokens, webhooks

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
SECRETS = ("shpss_webhook_secret_1", "shpss_webhook_secret_2", "shpat_token_9", "hook-secret-77")


def entries(subject_type, subject_id):
    return list(AuditEntry.objects.filter(subject_type=subject_type, subject_id=subject_id))


def assert_no_secret_in_the_trail(*secrets):
    for row in AuditEntry.objects.values("before", "after", "detail", "subject_id", "action"):
        text = json.dumps(row)
        for secret in secrets:
            assert secret not in text, f"{secret!r} in {row['action']} of {row['subject_id']}"


def test_a_channel_and_its_secrets_are_audited_as_fingerprints(shop):
    channels.configure_channel(
        code="shop", name="Shop", type="shopify", warehouses=["LON"],
        webhook_secret=SECRETS[0], token=SECRETS[2], actor="user:alice",
    )  # fmt: skip
    channels.configure_channel(
        code="shop", name="Shop", type="shopify", warehouses=["LON"],
        webhook_secret=SECRETS[1], actor="user:mallory",
    )  # fmt: skip
    channels.configure_channel(code="shop", name="Shop", type="shopify", warehouses=["LON"])

    created, changed = entries("channel", "shop")  # the third call changed nothing
    assert (created.action, created.actor, created.before) == (
        "channel_created",
        "user:alice",
        None,
    )
    assert created.after["webhook_secret"] == chain.fingerprint("webhook_secret", SECRETS[0])
    assert created.after["token"].startswith("*** sha256:") and created.after["warehouses"] == [
        "LON"
    ]
    assert (changed.action, changed.actor) == ("channel_changed", "user:mallory")
    assert set(changed.before) == set(changed.after) == {"webhook_secret"}
    assert changed.before["webhook_secret"] != changed.after["webhook_secret"]
    assert_no_secret_in_the_trail(*SECRETS)
    assert audit.verify().ok


def test_skus_are_audited_when_created_and_only_the_changed_fields_after(shop):
    catalogue.upsert_skus([catalogue.SkuRow("Z1", "Zed", weight_g=100)], actor="cli")
    catalogue.upsert_skus([catalogue.SkuRow("Z1", "Zed", weight_g=250)], actor="user:bob")
    catalogue.upsert_skus([catalogue.SkuRow("Z1", "Zed", weight_g=250)], actor="user:bob")

    created, changed = entries("sku", "Z1")
    assert created.action == "sku_created" and created.after["weight_g"] == 100
    assert (changed.before, changed.after, changed.actor) == (
        {"weight_g": 100},
        {"weight_g": 250},
        "user:bob",
    )


def test_a_warehouse_change_is_audited_before_and_after(shop):
    catalogue.upsert_warehouse(code="LON", name="London", priority=5, actor="user:alice")
    (change,) = [e for e in entries("warehouse", "LON") if e.actor == "user:alice"]
    assert change.action == "warehouse_changed"
    assert (change.before, change.after) == ({"priority": 1, "time_zone": "Europe/London"}, {
        "priority": 5, "time_zone": "UTC"})  # fmt: skip


def test_layouts_and_bins_are_audited(shop):
    layout = json.loads((EXAMPLES / "layout.json").read_text())
    picking.set_layout("LON", layout, actor="user:lead")
    picking.set_locations("LON", [("A", "A05-B19-L")], actor="user:lead")
    picking.set_locations("LON", [("A", "A01-B02-R"), ("B", "A01-B02-L")], actor="user:lead")

    laid, first, second = entries("warehouse", "LON")[-3:]
    assert (laid.action, laid.before, laid.after) == ("layout_changed", {}, layout)
    assert (first.action, first.before, first.after) == (
        "locations_changed",
        {"A": None},  # no bin before
        {"A": "A05-B19-L"},
    )
    assert (second.before, second.after) == (
        {"A": "A05-B19-L", "B": None},
        {"A": "A01-B02-R", "B": "A01-B02-L"},
    )


def test_webhook_subscriptions_are_audited_without_their_secret(shop):
    sub = webhooks.subscribe(
        url="https://example.com/hook", events=["order.despatched"], actor="user:alice",
        secret=SECRETS[3],
    )  # fmt: skip
    webhooks.unsubscribe(sub.id, actor="user:bob")

    subscribed, unsubscribed = entries("webhook", sub.id)
    assert (
        subscribed.action == "subscribed" and subscribed.after["url"] == "https://example.com/hook"
    )
    assert subscribed.after["secret"] == chain.fingerprint("secret", SECRETS[3])
    assert (unsubscribed.before, unsubscribed.after) == ({"active": True}, {"active": False})
    assert_no_secret_in_the_trail(SECRETS[3])


def test_rule_sets_are_audited_with_their_source_and_activation(shop):
    text = (EXAMPLES / "rules.yaml").read_text()
    version = rules.load(text, actor="user:alice", activate=True)
    loaded, activated = entries("rule_set", str(version.version))
    assert loaded.after["source"] == text and loaded.after["checksum"]
    assert (activated.action, activated.before, activated.after) == (
        "activated",
        None,
        version.version,
    )


def test_the_api_audits_a_channel_change_as_the_caller(shop, client):
    tokens.ensure_user("lead", "pw", roles=("ops_manager",))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('lead')}"}
    body = {"name": "Shop", "type": "shopify", "warehouses": ["LON"], "webhook_secret": SECRETS[0]}
    response = client.put("/api/channels/shop", body, content_type="application/json", **auth)
    assert response.status_code == 200, response.content
    (created,) = entries("channel", "shop")
    assert created.actor == "user:lead" and created.after["webhook_secret"].startswith("***")
    assert_no_secret_in_the_trail(*SECRETS)


def test_users_roles_limits_and_tokens_are_audited_without_passwords_or_tokens(shop):
    from decimal import Decimal

    tokens.ensure_user("sam", "first-pass-phrase", roles=("picker",), actor="user:boss")
    tokens.ensure_user("sam", "second-pass-phrase", roles=("packer",), actor="user:boss")
    tokens.set_limits(
        "sam", scopes=("warehouse:LON",), refund_limit=Decimal("20"), actor="user:boss"
    )
    plain = tokens.create_token("sam", "bench", actor="user:boss")
    (issued,) = tokens.list_tokens("sam")
    tokens.revoke_token(issued.id, actor="user:boss")

    created, changed, limited = entries("user", "sam")
    assert created.action == "user_created" and created.after["roles"] == ["picker"]
    assert created.after["password"] == "***"
    assert changed.before == {"roles": ["picker"], "password": "***"}
    assert changed.after == {"roles": ["packer", "picker"], "password": "***"}
    assert limited.action == "user_limits_changed"
    assert limited.after == {"scopes": ["warehouse:LON"], "refund_limit": "20.00"}
    made, revoked = entries("token", str(issued.id))
    assert made.action == "token_created" and made.after["prefix"] == plain[:12]
    assert (revoked.action, revoked.actor, revoked.before) == (
        "token_revoked",
        "user:boss",
        {"revoked_at": None},
    )
    assert_no_secret_in_the_trail(plain, "first-pass-phrase", "second-pass-phrase")
    assert audit.verify().ok


def test_the_shell_is_the_actor_of_user_and_token_changes_made_there(shop):
    from typer.testing import CliRunner

    from despatch.cli.app import app

    runner = CliRunner()
    made = runner.invoke(
        app, ["users", "create", "kim", "--role", "picker"], input="a-long-passphrase\n" * 2
    )
    assert made.exit_code == 0, made.output
    plain = runner.invoke(app, ["tokens", "create", "kim"]).output.strip().splitlines()[-1]
    (issued,) = tokens.list_tokens("kim")
    assert runner.invoke(app, ["tokens", "revoke", str(issued.id)]).exit_code == 0
    actors = {e.action: e.actor for e in entries("user", "kim") + entries("token", str(issued.id))}
    assert actors == {"user_created": "cli", "token_created": "cli", "token_revoked": "cli"}
    assert_no_secret_in_the_trail(plain, "a-long-passphrase")
