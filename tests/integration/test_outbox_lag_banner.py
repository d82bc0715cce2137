"""Outside the demo no worker runs inside the server: every page says so when the outbox has
events that have waited more than a minute, instead of leaving orders silently `received`."""

from datetime import timedelta

from django.utils import timezone

from despatch import worker
from despatch.models import OutboxEvent
from despatch.services import orders, tokens


def _log_in(client):
    tokens.ensure_user("olga", "watch-the-queue", roles=("order_ops",))
    client.login(username="olga", password="watch-the-queue")


def _age_everything_due(seconds):
    OutboxEvent.objects.filter(status="pending").update(
        available_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_an_order_waiting_over_a_minute_for_a_worker_shows_on_every_page(shop, client, draft):
    _log_in(client)
    orders.receive_order(draft(), actor="test")
    assert b'id="outbox-lag"' not in client.get("/").content  # just received: not late yet
    _age_everything_due(90)
    for page in ("/", "/exceptions/", "/stock/"):
        body = client.get(page).content.decode()
        assert 'id="outbox-lag"' in body, page
        assert "No worker is running" in body and "despatch worker" in body
        assert "1\xa0minute" in body  # how long it has waited


def test_the_warning_goes_once_a_worker_drains_the_queue(shop, client, draft):
    _log_in(client)
    orders.receive_order(draft(), actor="test")
    _age_everything_due(600)
    assert b'id="outbox-lag"' in client.get("/").content
    worker.drain("test-worker")
    assert b'id="outbox-lag"' not in client.get("/").content


def test_an_event_waiting_out_a_retry_is_not_lag(shop, client, draft):
    _log_in(client)
    orders.receive_order(draft(), actor="test")
    OutboxEvent.objects.filter(status="pending").update(
        available_at=timezone.now() + timedelta(minutes=5),
        created_at=timezone.now() - timedelta(hours=1),
    )
    assert b'id="outbox-lag"' not in client.get("/").content


def test_the_sign_in_page_says_nothing_of_the_queue(shop, client, draft):
    orders.receive_order(draft(), actor="test")
    _age_everything_due(600)
    response = client.get("/login/")
    assert response.status_code == 200 and b"outbox-lag" not in response.content


def test_a_wait_under_a_minute_is_said_in_seconds(shop, client, draft, settings):
    settings.LAG_WARNING_SECONDS = 5
    _log_in(client)
    orders.receive_order(draft(), actor="test")
    _age_everything_due(19)
    body = client.get("/").content.decode()
    assert 'id="outbox-lag"' in body and "0\xa0minutes" not in body
    waited = body.split("events have waited ", 1)[1].split(",", 1)[0]
    assert waited in ("19\xa0seconds", "20\xa0seconds")  # the page may take a second
