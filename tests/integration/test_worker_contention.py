"""A handler that loses a lock race (PostgreSQL's deadlock detector picks it) is run again at
once: the transaction rolled back whole, so the event keeps its retries."""

import psycopg
import pytest
from django.db import OperationalError

from despatch import worker
from despatch.models import OutboxEvent
from despatch.services import outbox, pipeline

pytestmark = pytest.mark.django_db


def deadlocked() -> OperationalError:
    try:  # as Django raises it: its own error, caused by the driver's
        raise psycopg.errors.DeadlockDetected("deadlock detected")
    except psycopg.Error as cause:
        try:
            raise OperationalError("deadlock detected") from cause
        except OperationalError as exc:
            return exc


def test_a_deadlocked_handler_runs_again_at_once_and_keeps_its_retries(monkeypatch):
    calls = []

    def loses_once(event):
        outbox.save([outbox.emit("test.side_effect", event.key)])
        calls.append(event.key)
        if len(calls) == 1:
            raise deadlocked()

    monkeypatch.setitem(pipeline.HANDLERS, "test.race", pipeline.Registration(loses_once))
    outbox.save([outbox.emit("test.race", "k1")])
    stats = worker.drain_once("w1")
    event = OutboxEvent.objects.get(topic="test.race")
    assert calls == ["k1", "k1"] and (stats.handled, stats.failed) == (1, 0)
    assert (event.status, event.attempts) == ("done", 0)
    assert OutboxEvent.objects.filter(topic="test.side_effect").count() == 1  # first rolled back


def test_a_handler_that_keeps_deadlocking_fails_like_any_other(monkeypatch):
    calls = []

    def always(event):
        calls.append(event.key)
        raise deadlocked()

    monkeypatch.setitem(pipeline.HANDLERS, "test.race", pipeline.Registration(always))
    outbox.save([outbox.emit("test.race", "k2")])
    stats = worker.drain_once("w1")
    event = OutboxEvent.objects.get()
    assert len(calls) == worker.CONTENDED_TRIES and stats.failed == 1
    assert (event.status, event.attempts) == ("pending", 1)


def test_other_errors_are_not_run_again(monkeypatch):
    calls = []

    def broken(event):
        calls.append(event.key)
        raise ValueError("a fault of the work")

    monkeypatch.setitem(pipeline.HANDLERS, "test.race", pipeline.Registration(broken))
    outbox.save([outbox.emit("test.race", "k3")])
    assert worker.drain_once("w1").failed == 1 and calls == ["k3"]
