"""Health checks a supervisor or load balancer can poll, and the outbox's lag on the CLI."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from typer.testing import CliRunner

from despatch.cli.app import app
from despatch.models import OutboxEvent
from despatch.services import health, outbox

pytestmark = pytest.mark.django_db


def queue(topic: str, waited: timedelta, **fields) -> OutboxEvent:
    event = outbox.emit(topic, "O-1", now=timezone.now() - waited)
    for name, value in fields.items():
        setattr(event, name, value)
    outbox.save([event])
    return OutboxEvent.objects.get(topic=topic)


def test_healthz_answers_without_asking_anyone(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_ready_when_the_database_answers_and_the_outbox_keeps_up(client):
    queue("order.received", timedelta(seconds=10))
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ready"
    assert set(response.json()["checks"]) == {"database", "migrations", "outbox_lag"}


def test_readyz_names_the_outbox_lag_when_the_oldest_due_event_waited_too_long(client, settings):
    settings.READY_MAX_LAG_SECONDS = 60
    queue("order.received", timedelta(minutes=5))
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503 and response["Content-Type"] == "application/problem+json"
    assert body["code"] == "not_ready" and body["failing"] == ["outbox_lag"]
    assert "outbox_lag: 300 s (limit 60 s)" in body["detail"]


def test_readyz_names_migrations_that_are_not_applied(client, monkeypatch):
    monkeypatch.setattr(health, "_migrated", False)
    from django.db.migrations.loader import MigrationLoader

    (leaf,) = [
        name for app, name in MigrationLoader(connection).graph.leaf_nodes() if app == "despatch"
    ]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'despatch' AND name = %s", [leaf])
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["failing"] == ["migrations"]
    assert "1 not applied: run despatch migrate" in response.json()["detail"]


def test_an_event_waiting_out_a_retry_is_not_lag():
    queue("order.received", timedelta(minutes=-5))  # due in five minutes
    assert outbox.lag() == timedelta(0)


def test_outbox_status_shows_the_lag_the_dead_and_the_oldest_pending_event():
    queue("order.received", timedelta(seconds=90), attempts=2, last_error="Trace\nboom: down")
    queue("message.send", timedelta(hours=1), status="dead")
    result = CliRunner().invoke(app, ["outbox", "status"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "dead     1" in lines and "pending  1" in lines
    lag = float(next(line for line in lines if line.startswith("lag")).split()[1])
    assert 90 <= lag < 120
    assert "order.received O-1" in result.output and "attempts 2" in result.output
    assert "last error: boom: down" in result.output


def test_the_favicon_answers_and_every_page_links_it(client, db):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon["Content-Type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = client.get("/login/").content.decode()
    assert '<link rel="icon" href="/static/despatch/favicon.ico">' in page
