"""Set-up in the browser: channels, their secrets (never shown), health line and a connection
test that calls only the channel's own base URL, outside any transaction."""

import json
import re
import socket

import pytest
from django.db import connection

from despatch.models import AuditEntry, Channel, ChannelListing
from despatch.services import catalogue, channels, listings, orders, tokens
from tests.conftest import make_draft
from tests.integration.fake_platforms import Answer, fake_platform

MANAGER = ("olga", "run-the-floor-2026")
SHOPIFY_ORDERS = "/admin/api/2025-01/orders.json"


@pytest.fixture
def manager(shop, client):
    tokens.ensure_user(*MANAGER, roles=("ops_manager",))
    assert client.login(username=MANAGER[0], password=MANAGER[1])
    return client


def last_audit(subject: str) -> AuditEntry:
    return AuditEntry.objects.filter(subject_type="channel", subject_id=subject).latest("seq")


def test_the_manager_adds_a_channel_and_its_secrets_are_never_shown(manager):
    added = manager.post(
        "/setup/channels/",
        {
            "code": "shop-uk",
            "name": "UK shop",
            "type": "shopify",
            "warehouses": "LON, NJ",
            "api_url": "https://uk-shop.myshopify.com",
            "token": "shpat_very_secret_1",
            "webhook_secret": "hook-secret-2",
            "settings": '{"trusted_payment_status": true}',
        },
        follow=True,
    )
    assert added.status_code == 200 and "channel shop-uk added" in added.content.decode()
    channel = Channel.objects.get(code="shop-uk")
    assert channel.warehouses == ["LON", "NJ"] and channel.token == "shpat_very_secret_1"
    assert channel.settings == {"trusted_payment_status": True}
    for url in ("/setup/channels/", "/setup/channels/shop-uk/"):
        html = manager.get(url).content.decode()
        assert "shpat_very_secret_1" not in html and "hook-secret-2" not in html
        assert "set (sha256:" in html
    entry = last_audit("shop-uk")
    assert entry.action == "channel_created" and entry.actor == "user:olga"
    assert entry.after["token"].startswith("*** sha256:")


def test_a_wrong_field_is_said_next_to_it_and_nothing_is_stored(manager):
    for form, field, words in [
        ({"code": "no spaces", "type": "shopify"}, "code", "1 to 32 letters, digits"),
        ({"code": "ok", "type": "shopify", "warehouses": "XX"}, "warehouses", "unknown warehouse"),
        ({"code": "ok", "type": "shopify", "settings": "{nope"}, "settings", "not JSON"),
        (
            {"code": "ok", "type": "api", "settings": '{"unpaid_hold_minutes": -1}'},
            "",
            "whole minutes from 0 to 10080",
        ),
    ]:
        answer = manager.post("/setup/channels/", form)
        assert answer.status_code == 422, form
        html = answer.content.decode()
        if field:
            assert words in re.search(rf'id="{field}-error">([^<]+)<', html)[1]
        else:
            assert words in html
    assert not Channel.objects.filter(code__in=["ok", "no spaces"]).exists()


def test_an_empty_secret_box_keeps_the_secret_and_a_new_value_replaces_it(manager):
    channels.configure_channel(code="web", name="Web", type="api", token="old-token", actor="t")
    url = "/setup/channels/web/"
    manager.post(url, {"name": "Web shop", "type": "api", "token": "", "settings": ""})
    channel = Channel.objects.get(code="web")
    assert channel.name == "Web shop" and channel.token == "old-token"
    manager.post(url, {"name": "Web shop", "type": "api", "token": "new-token", "settings": ""})
    assert Channel.objects.get(code="web").token == "new-token"
    entry = last_audit("web")
    assert entry.action == "channel_changed" and entry.actor == "user:olga"
    assert entry.before["token"] != entry.after["token"] and "new-token" not in str(entry.after)


def test_the_health_line_counts_orders_today_and_push_errors(manager):
    channels.configure_channel(code="shop", name="Shop", type="shopify", actor="t")
    orders.receive_order(make_draft([("A", 1)], channel="shop", external_id="h-1"), actor="t")
    listings.set_listings("shop", [("A", "111"), ("B", "222")])
    ChannelListing.objects.filter(sku_id="B").update(error="HTTP 422: bad quantity")
    html = manager.get("/setup/channels/shop/").content.decode()
    health = re.search(r'id="health">(.*?)</p>', html, re.S)[1]
    assert "1 push error" in health and "1 order today" in health and "last pull never" in health


@pytest.fixture
def calls(monkeypatch):
    seen = []
    real = socket.create_connection

    def watched(address, *args, **kwargs):
        seen.append((address, connection.in_atomic_block))
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", watched)
    return seen


@pytest.mark.django_db(transaction=True)
def test_the_connection_test_reads_one_order_at_the_base_url_only(shop, client, calls, monkeypatch):
    tokens.ensure_user(*MANAGER, roles=("ops_manager",))
    client.login(username=MANAGER[0], password=MANAGER[1])
    monkeypatch.setenv("DESPATCH_WEBHOOK_ALLOW_PRIVATE", "1")  # the fake platform is local
    script = [
        Answer(200, {"orders": []}),
        Answer(401, {"errors": "Invalid API key"}),
        Answer(302, {}, {"Location": "http://169.254.169.254/latest/meta-data"}),
    ]
    with fake_platform(script) as platform:
        catalogue_url = platform.url + "/base"
        channels.configure_channel(
            code="shop", name="Shop", type="shopify", api_url=catalogue_url, token="shpat_1"
        )
        said = [
            re.search(r'id="probe"[^>]*>([^<]+)<', client.post(url).content.decode())[1]
            for url in ["/setup/channels/shop/test/"] * 3
        ]
    assert said[0].startswith("connected: 127.0.0.1")
    assert "refused the credentials (401)" in said[1]
    assert "redirects are not followed" in said[2]
    assert [r["path"].split("?")[0] for r in platform.requests] == [f"/base{SHOPIFY_ORDERS}"] * 3
    assert platform.requests[0]["headers"]["x-shopify-access-token"] == "shpat_1"
    assert calls and all(not inside for _, inside in calls)  # no transaction around a call
    assert len({address for address, _ in calls}) == 1  # never the redirect's address


def test_the_connection_test_refuses_a_private_address_unless_allowed(manager):
    channels.configure_channel(
        code="shop", name="Shop", type="shopify", api_url="http://127.0.0.1:9", token="t"
    )
    refused = manager.post("/setup/channels/shop/test/")
    assert refused.status_code == 422
    assert "not public" in re.search(r'id="api_url-error">([^<]+)<', refused.content.decode())[1]
    channels.configure_channel(code="web", name="Web", type="api")
    api = manager.post("/setup/channels/web/test/").content.decode()
    assert "nothing to test: api channels send their orders to us" in api


@pytest.mark.parametrize("url", ["/setup/channels/", "/setup/channels/shop/"])
def test_a_non_manager_may_not_open_or_change_a_channel(shop, client, url):
    catalogue.upsert_channel(code="shop", name="Shop", type="shopify")
    tokens.ensure_user("oli", "order-ops-pass-1", roles=("order_ops",))
    client.login(username="oli", password="order-ops-pass-1")
    assert client.get(url).status_code == 403
    assert client.post(url, {"code": "evil", "type": "api"}).status_code == 403
    assert client.post("/setup/channels/shop/test/").status_code == 403
    assert not Channel.objects.filter(code="evil").exists()


def test_a_secret_among_the_settings_shows_as_its_fingerprint_and_is_kept_on_save(manager):
    from despatch.domain.audit import fingerprint

    secret = "lwa-client-secret-9e1d77"
    channels.configure_channel(
        code="amz",
        name="Amazon",
        type="amazon",
        settings={"lwa_client_id": "amzn1.app", "lwa_client_secret": secret},
    )
    page = manager.get("/setup/channels/amz/").content.decode()
    assert secret not in page
    shown = fingerprint("lwa_client_secret", secret)
    assert shown in page.replace("&quot;", '"').replace("&#x27;", "'")
    box = json.dumps({"lwa_client_id": "amzn1.app.2", "lwa_client_secret": shown})
    saved = manager.post(
        "/setup/channels/amz/", {"name": "Amazon", "type": "amazon", "settings": box}
    )
    assert saved.status_code == 302
    stored = Channel.objects.get(code="amz").settings
    assert stored["lwa_client_secret"] == secret and stored["lwa_client_id"] == "amzn1.app.2"
    made_up = '{"lwa_client_secret": "*** sha256:00000000"}'
    refused = manager.post(
        "/setup/channels/", {"code": "amz2", "name": "A", "type": "amazon", "settings": made_up}
    )
    assert refused.status_code == 422 and "type the secret itself" in refused.content.decode()
    assert not Channel.objects.filter(code="amz2").exists()
