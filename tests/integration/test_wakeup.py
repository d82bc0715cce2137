"""An idle worker wakes when an event is queued, not at its next poll."""

import threading
import time

import pytest
from django.db import connection

from despatch import worker
from despatch.models import OutboxEvent
from despatch.services import outbox, wakeup


def _queue_later(seconds, key):
    """Another connection (a receiving process) queues an event after ``seconds``."""

    def run():
        time.sleep(seconds)
        try:
            outbox.save([outbox.emit("test.wake", key)])
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_waiting_worker_is_woken_by_an_event_committed_elsewhere():
    waker = wakeup.Waker()
    waker.arm()
    thread = _queue_later(0.3, "k1")
    started = time.monotonic()
    woken = waker.wait(10, lambda: False)
    took = time.monotonic() - started
    thread.join()
    assert woken and 0.25 <= took < 3, took


@pytest.mark.django_db(transaction=True)
def test_an_event_committed_between_the_claim_and_the_wait_is_not_missed():
    waker = wakeup.Waker()
    waker.arm()
    assert outbox.claim("w") == []
    _queue_later(0, "k2").join()  # committed before the wait starts
    started = time.monotonic()
    assert waker.wait(10, lambda: False)
    assert time.monotonic() - started < 1


@pytest.mark.django_db(transaction=True)
def test_with_nothing_queued_the_wait_times_out_or_stops():
    waker = wakeup.Waker()
    waker.arm()
    started = time.monotonic()
    assert not waker.wait(0.3, lambda: False)
    assert 0.25 <= time.monotonic() - started < 2
    assert not waker.wait(10, lambda: True)  # asked to stop: at once


@pytest.mark.django_db(transaction=True)
def test_the_worker_loop_handles_an_event_queued_while_it_idles(monkeypatch):
    from despatch.services import pipeline

    handled = {}
    monkeypatch.setitem(
        pipeline.HANDLERS,
        "test.wake",
        pipeline.Registration(lambda event: handled.setdefault(event.key, time.monotonic())),
    )
    queued = time.monotonic() + 1.0
    thread = _queue_later(1.0, "k3")
    worker.run(idle_sleep=30, max_seconds=3, pull_every=0, push_every=0, timer_every=0)
    thread.join()
    assert "k3" in handled and handled["k3"] - queued < 1.5  # not 30 s later
    assert OutboxEvent.objects.get(key="k3").status == "done"
