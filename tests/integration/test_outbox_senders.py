"""A webhook receiver that has been down for hours holds up no order: senders are claimed in a
lane of their own, an unsubscribed hook's deliveries are not sent, the lag the health check and
the banner show is the pipeline's, and a one-shot drain tries what is due once and ends."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.domain.events import Topic
from despatch.domain.ids import new_id
from despatch.models import Order, OutboxEvent, WebhookDelivery
from despatch.services import orders as order_service
from despatch.services import outbox, tokens, webhooks
from tests.conftest import make_draft
from tests.integration.conftest import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def local_receivers(monkeypatch):
    """The dead receiver of these tests is a closed port on 127.0.0.1 (refused by default)."""
    monkeypatch.setenv("DESPATCH_WEBHOOK_ALLOW_PRIVATE", "1")


def dead_receiver_backlog(n=200, waited=timedelta(minutes=10)):
    """``n`` deliveries to a closed local port, each failed once already and due again, queued
    before anything else (lower IDs): a receiver down since a day of orders."""
    url = f"http://127.0.0.1:{free_port()}/hook"
    sub = webhooks.subscribe(url=url, events=["order.despatched"], actor="t")
    now, due = timezone.now(), timezone.now() - waited
    deliveries = [
        WebhookDelivery(
            id=new_id("webhook_delivery"),
            subscription=sub,
            event_id=n,
            event_type="order.despatched",
            payload={"n": n},
            status="retrying",
            attempts=1,
            created_at=now,
        )
        for n in range(n)
    ]
    WebhookDelivery.objects.bulk_create(deliveries)
    events = [outbox.emit(Topic.WEBHOOK_DELIVER, d.id, due, delivery_id=d.id) for d in deliveries]
    for event in events:
        event.attempts, event.last_error = 1, "Traceback\nUnavailable: connection refused"
    outbox.save(events)
    return sub


def test_a_new_order_is_allocated_in_one_round_behind_hundreds_of_failing_deliveries(shop):
    dead_receiver_backlog(200)
    order, _ = order_service.receive_order(make_draft([("A", 1)]), actor="t")
    stats = worker.drain_once("w")
    assert Order.objects.get(id=order.id).status == "allocated"
    assert stats.failed <= 20  # the senders' share of the batch, not the whole batch
    assert OutboxEvent.objects.filter(topic="webhook.deliver", attempts=2).count() == stats.failed


def test_the_senders_share_of_a_claim_is_the_longest_due_first(shop):
    dead_receiver_backlog(30)
    first = OutboxEvent.objects.filter(topic="webhook.deliver").order_by("id")
    oldest = first.last()
    OutboxEvent.objects.filter(id=oldest.id).update(available_at=timezone.now() - timedelta(days=1))
    order_service.receive_order(make_draft([("A", 1)]), actor="t")
    claimed = outbox.claim("w", 10)
    assert claimed[0].topic == "order.received"  # pipeline events first
    senders = [e for e in claimed if e.topic == "webhook.deliver"]
    assert len(senders) == 1 and senders[0].id == oldest.id
    assert len(outbox.claim("w2", 1)) == 1  # a claim of one still takes a sender when idle


def test_slow_senders_give_the_rest_of_their_share_back_after_their_time(shop, monkeypatch):
    dead_receiver_backlog(20)
    monkeypatch.setattr(worker, "SENDERS_FOR", 0.0)
    stats = worker.drain_once("w", 100)
    assert stats.failed == 1  # one ran, then its time was up: the other nine go back
    assert OutboxEvent.objects.filter(locked_until__isnull=False, attempts=1).count() == 0


def test_an_unsubscribed_hooks_queued_deliveries_are_cancelled_not_sent(shop):
    sub = dead_receiver_backlog(3, waited=timedelta(minutes=-10))  # waiting out their retry
    webhooks.unsubscribe(sub.id, actor="t")
    assert {d.status for d in WebhookDelivery.objects.all()} == {"cancelled"}
    stats = worker.drain("w")  # made due at once: settled without sending
    assert stats.handled == 3 and stats.failed == 0
    assert not OutboxEvent.objects.filter(topic="webhook.deliver", status="pending").exists()
    assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {1}


def test_a_delivery_of_an_inactive_or_deleted_subscription_is_settled_without_sending(shop):
    sub = dead_receiver_backlog(2, waited=timedelta(0))
    first, second = WebhookDelivery.objects.order_by("event_id")
    type(sub).objects.filter(id=sub.id).update(active=False)  # without unsubscribe's sweep
    assert webhooks.deliver(first.id, 2) == "cancelled"
    first.refresh_from_db()
    assert first.status == "cancelled" and first.attempts == 1
    WebhookDelivery.objects.filter(id=second.id).delete()  # as when its subscription is deleted
    assert webhooks.deliver(second.id, 2) == "gone"
    stats = worker.drain("w")
    assert stats.failed == 0 and stats.handled == 2


def test_failing_deliveries_trip_neither_readyz_nor_the_banner_and_status_counts_them(
    shop, client, settings
):
    settings.READY_MAX_LAG_SECONDS = 60
    dead_receiver_backlog(50, waited=timedelta(minutes=11))
    assert outbox.lag() == timedelta(0)
    assert client.get("/readyz").status_code == 200
    tokens.ensure_user("olga", "watch-the-queue", roles=("order_ops",))
    client.login(username="olga", password="watch-the-queue")
    assert "No worker is running" not in client.get("/").content.decode()
    result = CliRunner().invoke(app, ["outbox", "status"])
    assert result.exit_code == 0, result.output
    assert "lag      0.0 s" in result.output
    assert "50 pending, 50 deliveries retrying" in result.output
    assert "latest error: Unavailable: connection refused" in result.output
    order_service.receive_order(make_draft([("A", 1)]), actor="t")  # an order: that is lag
    OutboxEvent.objects.filter(topic="order.received").update(
        available_at=timezone.now() - timedelta(minutes=5)
    )
    assert client.get("/readyz").status_code == 503
    assert "No worker is running" in client.get("/").content.decode()


def test_a_one_shot_drain_tries_each_due_delivery_once_ends_and_sums_up(shop, caplog):
    dead_receiver_backlog(40)
    order, _ = order_service.receive_order(make_draft([("A", 1)]), actor="t")
    with caplog.at_level(logging.INFO, logger="despatch.worker"):
        stats = worker.drain("w")
    assert Order.objects.get(id=order.id).status == "allocated"
    assert stats.failed == 40 and stats.failures == {"webhook.deliver": 40}
    assert set(
        OutboxEvent.objects.filter(topic="webhook.deliver").values_list("attempts", flat=True)
    ) == {2}
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == ["40 events failed (40 webhook.deliver); the worker retries them"]
