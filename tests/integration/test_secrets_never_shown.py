"""Secrets are never shown: channel secrets and tokens, outbound webhook signing secrets, API
tokens and secret settings do not appear in any API answer, web page, CLI listing, audit
entry or log line, whichever page or operation is asked. New routes are crawled as they come."""

import json
import logging
import re

import pytest
from typer.testing import CliRunner

from despatch.cli.app import app
from despatch.models import AuditEntry
from despatch.services import channels, tokens, webhooks
from tests.integration.test_permissions import concrete
from tests.unit.test_declared_permissions import api_operations, url_patterns

SECRETS = {
    "channel webhook secret": "whsec-channel-7f3a9c1e55",
    "channel token": "shpat-channel-token-42b8d9",
    "channel settings secret": "lwa-client-secret-9e1d77",
    "outbound signing secret": "outbound-signing-secret-c0ffee",
    "smtp password": "smtp-password-5a5a5a5a",
    "payments secret": "payments-secret-b0b0b0b0",
}


@pytest.fixture
def secrets(shop, monkeypatch, caplog):
    monkeypatch.setenv("DESPATCH_SMTP_PASSWORD", SECRETS["smtp password"])
    monkeypatch.setenv("DESPATCH_PAYMENTS_SECRET_BANK", SECRETS["payments secret"])
    monkeypatch.setenv("DESPATCH_WEBHOOK_ALLOW_PRIVATE", "1")
    caplog.set_level(logging.DEBUG)
    channels.configure_channel(
        code="shop",
        name="Shop",
        type="shopify",
        webhook_secret=SECRETS["channel webhook secret"],
        api_url="http://127.0.0.1:9/",
        token=SECRETS["channel token"],
        settings={"lwa_client_secret": SECRETS["channel settings secret"]},
        actor="user:boss",
    )
    webhooks.subscribe(
        url="http://127.0.0.1:9/hook",
        events=["*"],
        secret=SECRETS["outbound signing secret"],
        actor="user:boss",
    )
    tokens.ensure_user("boss", "pw", roles=("ops_manager",))
    token = tokens.create_token("boss", "ci")
    return {**SECRETS, "api token": token}, token, caplog


def leaked(text, found):
    return [name for name, value in found.items() if value in text]


def test_no_api_answer_shows_a_secret(secrets, client):
    found, token, caplog = secrets
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    wrong, asked = [], 0
    for name, _operation in api_operations():
        method, path = name.split(" ", 1)
        if method != "GET":
            continue
        path = concrete(path.replace("{code}", "shop"))
        answer = client.get(path, **auth)
        asked += 1
        text = answer.content.decode(errors="replace")
        wrong += [f"{path}: {what}" for what in leaked(text, found)]
    assert asked > 30 and not wrong, wrong
    assert not leaked(caplog.text, found), leaked(caplog.text, found)


def test_no_web_page_shows_a_secret(secrets, client):
    found, _, caplog = secrets
    client.login(username="boss", password="pw")
    wrong, asked = [], 0
    for route, _view in url_patterns():
        if route in ("logout/",):
            continue
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: _value(m.group(1)), route)
        answer = client.get(path)
        if answer.status_code == 405:
            continue
        asked += 1
        body = b"".join(answer) if answer.streaming else answer.content
        wrong += [f"{path}: {what}" for what in leaked(body.decode(errors="replace"), found)]
    assert asked > 40 and not wrong, wrong
    assert not leaked(caplog.text, found)


def _value(param):
    return {"code": "shop", "username": "boss", "template": "order_received"}.get(param, "nope-1")


def test_no_cli_listing_config_or_audit_entry_shows_a_secret(secrets):
    found, _, caplog = secrets
    runner = CliRunner()
    for args in (
        ["config", "show"],
        ["channels", "list"],
        ["webhooks", "list", "--all"],
        ["webhooks", "deliveries"],
        ["tokens", "list"],
        ["users", "list"],
        ["audit", "head"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert not leaked(result.output, found), (args, leaked(result.output, found))
    trail = json.dumps(list(AuditEntry.objects.values()), default=str)
    assert AuditEntry.objects.filter(subject_type__in=("channel", "webhook", "token")).count() >= 3
    assert not leaked(trail, found), leaked(trail, found)
    assert not leaked(caplog.text, found)
