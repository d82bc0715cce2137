"""DESPATCH_SECURE=1: Secure cookies, HSTS, a Content-Security-Policy the UI passes,
nosniff and a Referrer-Policy."""

import importlib
from html.parser import HTMLParser

import pytest

import despatch.settings as despatch_settings
from despatch import worker
from despatch.services import orders, tokens
from despatch.web.headers import POLICY
from tests.conftest import make_draft

HARDENED = (
    "SECURE",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER",
)


@pytest.fixture
def secure(settings, monkeypatch):
    """Django's settings as settings.py makes them with DESPATCH_SECURE=1."""
    monkeypatch.setenv("DESPATCH_SECURE", "1")
    fresh = importlib.reload(despatch_settings)
    for name in HARDENED:
        setattr(settings, name, getattr(fresh, name))
    monkeypatch.delenv("DESPATCH_SECURE")
    importlib.reload(despatch_settings)
    return settings


def test_the_production_headers_and_cookies(secure, db, client):
    response = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    assert response["Content-Security-Policy"] == POLICY
    assert "script-src 'self';" in POLICY and "'unsafe-inline'" not in POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response.cookies["csrftoken"]["secure"] and response.cookies["csrftoken"]["httponly"]
    tokens.ensure_user("ann", "a-long-enough-pass-1", roles=("ops_manager",))
    login = client.post(
        "/login/",
        {"username": "ann", "password": "a-long-enough-pass-1"},
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert login.status_code == 302
    session = login.cookies["sessionid"]
    assert session["secure"] and session["httponly"]


def test_without_the_setting_there_is_no_hsts_or_csp(client):
    response = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert "Strict-Transport-Security" not in response
    assert "Content-Security-Policy" not in response
    assert response["X-Content-Type-Options"] == "nosniff"


class InlineCode(HTMLParser):
    """What a strict Content-Security-Policy would block in a page."""

    def __init__(self):
        super().__init__()
        self.blocked = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        handlers = [name for name in attrs if name.startswith("on")]
        if handlers:
            self.blocked.append(f"<{tag} {handlers[0]}=…>")
        if "style" in attrs:
            self.blocked.append(f"<{tag} style=…>")
        if tag == "style":
            self.blocked.append("<style>")
        if tag == "script" and not attrs.get("src") and attrs.get("type") != "application/json":
            self.blocked.append("inline <script>")
        for name in ("src", "href", "action"):
            value = attrs.get(name) or ""
            if value.startswith(("javascript:", "http://", "https://", "//")):
                self.blocked.append(f"<{tag} {name}={value}>")


def test_every_page_passes_the_content_security_policy(secure, shop, client):
    order, _ = orders.receive_order(make_draft([("A", 1)]), actor="t")
    worker.drain("t")
    boss = tokens.ensure_user("boss", "pw", roles=("ops_manager",), superuser=True)
    client.force_login(boss)
    pages = [
        "/",
        f"/orders/{order.id}/",
        "/exceptions/",
        "/stock/",
        "/channels/",
        "/rules/",
        "/pick/",
        "/pack/",
        "/returns-desk/",
        "/messages/",
        "/webhooks/",
        "/returns/",
        "/api/docs",
    ]
    for page in pages:
        response = client.get(page, HTTP_X_FORWARDED_PROTO="https")
        assert response.status_code == 200, page
        assert response["Content-Security-Policy"] == POLICY
        found = InlineCode()
        found.feed(response.content.decode())
        assert found.blocked == [], (page, found.blocked)
    client.logout()
    found = InlineCode()
    found.feed(client.get("/login/").content.decode())
    assert found.blocked == []


def test_a_webhook_answer_carries_the_production_headers_of_the_api(secure, db, client):
    from despatch.services import channels

    channels.configure_channel(code="shop", name="Shop", type="shopify", webhook_secret="s")
    webhook = client.post(
        "/api/channels/shop/webhooks",
        b"{}",
        content_type="application/json",
        HTTP_X_SHOPIFY_HMAC_SHA256="forged",
        HTTP_X_FORWARDED_PROTO="https",
    )
    api = client.get("/api/orders", HTTP_X_FORWARDED_PROTO="https")
    assert (webhook.status_code, api.status_code) == (401, 401)
    for name in (
        "Strict-Transport-Security",
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
        "X-Frame-Options",
    ):
        assert webhook[name] == api[name], name
