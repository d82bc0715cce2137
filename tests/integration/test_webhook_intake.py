"""The lean intake path (api/intake.py) answers signed webhooks without the session, CSRF,
user and messages middleware or the API framework, and keeps every check of the full path."""

import json
import os
import select

import pytest
from django.db import connection, connections

from despatch.domain.events import Topic
from despatch.integrations.channels.base import sign_base64
from despatch.models import OutboxEvent
from despatch.services import channels, database

SECRET = "lean-secret"
SECURITY_HEADERS = (
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


@pytest.fixture
def shop_channel(shop):
    channels.configure_channel(code="lean", name="Lean", type="shopify", webhook_secret=SECRET)


def post(client, body=b'{"id": 1}', *, webhook_id="lean-1", secret=SECRET, code="lean", **extra):
    headers = {
        "HTTP_X_SHOPIFY_TOPIC": "orders/create",
        "HTTP_X_SHOPIFY_WEBHOOK_ID": webhook_id,
        "HTTP_X_SHOPIFY_HMAC_SHA256": sign_base64(secret, body),
        **extra,
    }
    return client.post(
        f"/api/channels/{code}/webhooks", body, content_type="application/json", **headers
    )


def kept(code="lean"):
    """The deliveries kept (not the repeats recorded beside them)."""
    return channels.deliveries(code).filter(repeats__isnull=True)


def received_events():
    return list(OutboxEvent.objects.filter(topic=Topic.CHANNEL_DELIVERY_RECEIVED.value))


def test_a_signed_delivery_is_answered_by_the_lean_path_with_the_apps_headers(shop_channel, client):
    body = b'{"id": 1, "note": "caf\xc3\xa9 \\u00e9"}'
    response = post(client, body)
    assert response.status_code == 202
    assert response["Content-Type"] == "application/json; charset=utf-8"
    (delivery,) = kept()
    assert response.json() == {"delivery": delivery.pk, "status": "accepted"}
    assert int(response["Content-Length"]) == len(response.content)
    assert bytes(delivery.raw_body) == body  # the exact bytes the platform signed
    assert [e.payload for e in received_events()] == [{"delivery": delivery.pk}]
    # The middleware that intake skips set nothing on the request
    assert not hasattr(response.wsgi_request, "session")
    assert not hasattr(response.wsgi_request, "user")
    assert not hasattr(response.wsgi_request, "auth")
    # ... and the answer carries the same security headers as the rest of the API
    other = client.get("/api/orders")
    assert other.status_code == 401 and hasattr(other.wsgi_request, "session")
    for name in SECURITY_HEADERS:
        assert response[name] == other[name], name


def test_a_bad_signature_is_refused_401_and_nothing_is_kept(shop_channel, client):
    response = post(client, secret="not-the-secret")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "unauthorized"
    unsigned = post(client, HTTP_X_SHOPIFY_HMAC_SHA256="")
    assert unsigned.status_code == 401
    assert kept().count() == 0 and received_events() == []


def test_a_body_over_the_limit_is_refused_413_before_any_check(shop_channel, client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(client, json.dumps({"id": 1, "note": "x" * 2000}).encode())
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
    assert kept().count() == 0


def test_a_repeated_delivery_answers_200_and_keeps_one(shop_channel, client):
    first = post(client, webhook_id="same")
    again = post(client, webhook_id="same")
    assert first.status_code == 202 and again.status_code == 200
    assert again.json() == {"delivery": first.json()["delivery"], "status": "duplicate"}
    assert kept().count() == 1 and len(received_events()) == 1


def test_an_unknown_channel_is_404_and_a_nul_character_400(shop_channel, client):
    response = post(client, code="nowhere")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert response["Content-Type"] == "application/problem+json"
    nul = post(client, b'{"id": "a\\u0000b"}')
    assert nul.status_code == 400 and nul.json()["code"] == "nul_character"
    assert kept().count() == 0


def test_other_methods_and_hosts_are_answered_as_everywhere_else(shop_channel, client):
    response = client.get("/api/channels/lean/webhooks")
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"
    assert post(client, HTTP_HOST="elsewhere.example").status_code == 400
    assert kept().count() == 0


@pytest.mark.skipif(
    not os.environ.get("DESPATCH_DATABASE_URL", "").startswith("postgres"),
    reason="ends a PostgreSQL server process",
)
def test_a_kept_connection_the_server_ended_is_replaced_without_a_round_trip(db, monkeypatch):
    kept_conn = connections.create_connection("default")
    try:
        kept_conn.ensure_connection()
        raw = kept_conn.connection
        monkeypatch.setattr(kept_conn, "is_usable", lambda: pytest.fail("a round trip"))
        kept_conn.health_check_enabled, kept_conn.health_check_done = True, False
        database.check_kept_connection(kept_conn)
        assert kept_conn.connection is raw and kept_conn.health_check_done  # alive: kept

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [raw.info.backend_pid])
        select.select([raw.pgconn.socket], [], [], 10)  # the server's goodbye arrives
        kept_conn.health_check_done = False
        database.check_kept_connection(kept_conn)
        assert kept_conn.connection is None  # closed: the next statement opens a fresh one
        with kept_conn.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
    finally:
        kept_conn.close()


@pytest.mark.skipif(
    not os.environ.get("DESPATCH_DATABASE_URL", "").startswith("postgres"),
    reason="Django's health check runs on PostgreSQL kept connections",
)
def test_every_request_checks_its_kept_connection_without_a_round_trip(db, client, monkeypatch):
    kept_conn = connections["default"]  # the connection itself, not the proxy
    kept_conn.ensure_connection()
    checked = []
    with monkeypatch.context() as patched:  # until the request ends
        patched.setattr(kept_conn, "health_check_enabled", True)
        patched.setattr(kept_conn, "health_check_done", False)
        patched.setattr(kept_conn, "is_usable", lambda: pytest.fail("a SELECT 1 round trip"))
        patched.setattr(database, "_ended", lambda raw: checked.append(raw) or False)
        response = client.get("/api/orders", HTTP_AUTHORIZATION="Bearer dsp_unknown")
    assert response.status_code == 401 and checked == [kept_conn.connection]  # token read


def test_a_kept_connection_without_a_socket_is_closed_not_an_error():
    class Gone:
        closed = broken = False

        @property
        def pgconn(self):
            raise OSError("the connection is lost")

    class Wrapper:
        vendor, health_check_enabled, health_check_done = "postgresql", True, False
        connection = Gone()

        def close(self):
            self.connection = None

    kept_conn = Wrapper()
    database.check_kept_connection(kept_conn)
    assert kept_conn.connection is None and kept_conn.health_check_done
