from datetime import timedelta

import pytest
from django.utils import timezone

from despatch import worker
from despatch.models import OutboxEvent
from despatch.services import outbox, pipeline

pytestmark = pytest.mark.django_db


def boom(event):
    raise RuntimeError(f"carrier API down for {event.key}")


def make_due():
    OutboxEvent.objects.update(available_at=timezone.now() - timedelta(seconds=1))


def test_a_failing_handler_is_retried_with_backoff_then_parked_dead(monkeypatch):
    monkeypatch.setitem(pipeline.HANDLERS, "test.boom", pipeline.Registration(boom))
    outbox.save([outbox.emit("test.boom", "k1")])
    stats = worker.drain_once("w1")
    event = OutboxEvent.objects.get()
    assert (stats.failed, event.status, event.attempts) == (1, "pending", 1)
    assert event.available_at > timezone.now()  # backed off, not retried at once
    assert worker.drain_once("w1").total == 0
    for _ in range(5):
        make_due()
        worker.drain_once("w1")
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("dead", 6)
    assert "carrier API down for k1" in event.last_error
    assert [e.id for e in outbox.dead_events()] == [event.id]


def test_a_dead_event_can_be_sent_round_again(monkeypatch):
    outbox.save([outbox.emit("test.flaky", "k2")])
    OutboxEvent.objects.update(status="dead", attempts=6)
    calls = []
    monkeypatch.setitem(pipeline.HANDLERS, "test.flaky", pipeline.Registration(calls.append))
    assert outbox.retry_dead(OutboxEvent.objects.get().id)
    worker.drain("w1")
    assert len(calls) == 1 and OutboxEvent.objects.get().status == "done"


def test_a_handlers_changes_roll_back_when_it_fails(monkeypatch):
    def half_done(event):
        outbox.save([outbox.emit("test.side_effect", "x")])
        raise ValueError("failed after writing")

    monkeypatch.setitem(pipeline.HANDLERS, "test.half", pipeline.Registration(half_done))
    outbox.save([outbox.emit("test.half", "k3")])
    worker.drain_once("w1")
    assert not OutboxEvent.objects.filter(topic="test.side_effect").exists()


def test_a_claimed_event_is_not_claimed_again_until_its_lease_ends():
    outbox.save([outbox.emit("order.allocated", "k4")])
    assert len(outbox.claim("w1")) == 1
    assert outbox.claim("w2") == []
    later = timezone.now() + outbox.LEASE + timedelta(seconds=1)
    assert [e.locked_by for e in outbox.claim("w2", now=later)] == ["w2"]


def test_facts_without_a_handler_are_settled_as_delivered():
    outbox.save([outbox.emit("shipment.labelled", "k5")])
    stats = worker.drain("w1")
    assert stats.settled == 1 and OutboxEvent.objects.get().status == "done"
