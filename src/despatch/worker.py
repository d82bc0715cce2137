"""The outbox relay: claim due events, run their handlers, retry with backoff, park the dead.

Several workers may run at once on one database: claims are leases, so no event is
handled by two workers at the same time, and handlers are idempotent for the rare
re-delivery after a lease runs out.

``run`` survives the database going away: a claim or handler that fails because the
connection dropped closes it, backs off (capped exponential, with jitter) and tries again,
logging once when the outage starts and once when it ends. Such a failure costs the event
none of its retries. The loop stops only on SIGTERM or SIGINT, after the batch in hand.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from types import FrameType

from django.db import close_old_connections
from django.utils import timezone

from despatch.domain.events import reconnect_delay
from despatch.services import (
    allocation,
    channels,
    database,
    exceptions,
    inventory,
    listings,
    outbox,
    pipeline,
    returns,
    tracking,
)

log = logging.getLogger("despatch.worker")


@dataclass
class DrainStats:
    handled: int = 0
    settled: int = 0
    failed: int = 0
    dead: int = 0
    handled_ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.handled + self.settled + self.failed


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Lease:
    """The events of the batch in hand that this worker still holds. Before each event:
    one whose handler talks to another server is leased alone for outbox.CALL_LEASE; the
    rest of the batch is renewed for outbox.LEASE when less than half of it is left. An event
    whose lease ran out and that another worker claimed meanwhile is left to that worker."""

    worker_id: str
    ids: list[int]
    until: datetime = field(default_factory=lambda: timezone.now() + outbox.LEASE)
    lost: set[int] = field(default_factory=set)

    def keep(self, event_id: int, *, calls_out: bool) -> bool:
        now = timezone.now()
        if self.until - now < outbox.LEASE / 2:
            rest = self.ids[self.ids.index(event_id) :]
            self.until = now + outbox.LEASE
            self.lost |= set(rest) - outbox.extend(rest, self.worker_id, self.until)
        if event_id in self.lost:
            return False
        if calls_out:
            return bool(outbox.extend([event_id], self.worker_id, now + outbox.CALL_LEASE))
        return True


def drain_once(worker_id: str, batch: int = 100) -> DrainStats:
    """Claim one batch and process it; returns what happened."""
    stats = DrainStats()
    events = outbox.claim(worker_id, batch)
    routes = {e.id: pipeline.route_for(e.topic) for e in events}
    facts = [e.id for e in events if routes[e.id] is None]
    if facts:
        stats.settled = outbox.settle_done(facts, worker_id)
    lease = Lease(worker_id, [e.id for e in events if routes[e.id] is not None])
    for event in events:
        route = routes[event.id]
        if route is None:
            continue
        try:
            if not lease.keep(event.id, calls_out=not route.transactional):
                continue  # its lease ran out and another worker has it now
            _run(event, route, worker_id)
            stats.handled += 1
            stats.handled_ids.append(event.id)
        except Exception as exc:  # the worker loop is the one place that catches everything
            if database.lost(exc):
                raise  # not the event's fault: it keeps its retries and is run again later
            error = traceback.format_exc()
            log.warning("event %s (%s) failed: %s", event.id, event.topic, error.splitlines()[-1])
            stats.failed += 1
            if outbox.settle_failed(event, worker_id, error) == "dead":
                stats.dead += 1
    return stats


# A transactional handler that lost a lock race (a deadlock) is run again at once, this many
# times in all, before the failure counts against the event's retries.
CONTENDED_TRIES = 3


def _run(event: outbox.Event, route: pipeline.Route, worker_id: str) -> None:
    """Run the event's route; a deadlock rolled the whole transaction back, so try again."""
    for attempt in range(1, CONTENDED_TRIES + 1):
        try:
            pipeline.run(event, route, worker_id)
            return
        except Exception as exc:
            if attempt == CONTENDED_TRIES or not route.transactional or not database.contended(exc):
                raise
            log.info("event %s (%s) lost a lock race; running it again", event.id, event.topic)
            time.sleep(random.uniform(0, 0.05 * attempt))


def drain(
    worker_id: str | None = None,
    *,
    batch: int = 100,
    on_batch: Callable[[DrainStats], None] | None = None,
) -> DrainStats:
    """Process events until none is due (used inline by the demo and tests)."""
    worker_id = worker_id or worker_name()
    total = DrainStats()
    while True:
        stats = drain_once(worker_id, batch)
        for name in ("handled", "settled", "failed", "dead"):
            setattr(total, name, getattr(total, name) + getattr(stats, name))
        total.handled_ids += stats.handled_ids
        if on_batch:
            on_batch(stats)
        if stats.total == 0:
            return total


def pull_channels(worker_id: str = "") -> None:
    """The periodic pull: each pullable channel in turn; one failing platform stops no other."""
    for code in channels.pullable():
        try:
            report = channels.pull(code, holder=worker_id or worker_name())
            log.info("pulled %s: %s new of %s", code, report.new, report.fetched)
        except Exception as exc:  # the worker loop is the one place that catches everything
            if database.lost(exc):
                raise
            log.warning("pulling %s failed: %s", code, traceback.format_exc().splitlines()[-1])


def push_stock(worker_id: str) -> None:
    """The periodic stock push: each channel with changed listings, one batch each."""
    try:
        for code, report in listings.push_due(worker_id).items():
            if report.pushed or report.failed:
                log.info(
                    "pushed stock to %s: %s sent, %s failed",
                    code,
                    report.pushed,
                    len(report.failed),
                )
    except Exception as exc:  # the worker loop is the one place that catches everything
        if database.lost(exc):
            raise
        log.warning("stock push failed: %s", traceback.format_exc().splitlines()[-1])


def timers() -> None:
    """Reservation expiry, SLA escalation, late parcels and returns waiting for QC."""
    allocation.expire_reservations()
    exceptions.escalate_due()
    tracking.warn_late()
    returns.flag_qc_due()


def reconcile() -> None:
    """Prove the stock ledger, mend what can be mended, and name what cannot."""
    listings.mark_all_dirty()  # only figures that differ are sent
    mended = inventory.repair()
    for line in mended.released + mended.corrected:
        log.warning("reconciler repaired %s", line)
    for b in mended.left:
        log.error("ledger break at %s @ %s: %s (count the shelf)", b.sku, b.warehouse, b.problem)


@dataclass
class Every:
    """A periodic task; it counts as run when it starts, so a failing one does not spin."""

    seconds: float
    task: Callable[[], None]
    last: float = field(default_factory=time.monotonic)

    def run_if_due(self) -> None:
        if self.seconds and time.monotonic() - self.last >= self.seconds:
            self.last = time.monotonic()
            self.task()


@dataclass(frozen=True)
class Backoff:
    """How long to wait between attempts to reach a database that went away."""

    base: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int) -> float:
        return reconnect_delay(attempt, base=self.base, cap=self.cap, draw=random.random())


@dataclass
class Outage:
    """The database being away: one warning when it starts, one info line when it ends."""

    worker_id: str
    backoff: Backoff
    attempts: int = 0
    since: float = 0.0

    def failed(self, exc: BaseException) -> float:
        """Close the connection and return how long to wait before trying again."""
        database.close()
        if not self.attempts:
            self.since = time.monotonic()
            cause = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            log.warning("database unavailable (%s); retrying with backoff", cause)
        self.attempts += 1
        return self.backoff.delay(self.attempts)

    def resume(self) -> None:
        """First thing in a round: if the database was away, give back the leases the lost
        batch held; once that succeeds, the database is back and the outage is over."""
        if self.attempts:
            outbox.release(self.worker_id)
            took = time.monotonic() - self.since
            log.info("database back after %.1f s (attempts: %d)", took, self.attempts)
            self.attempts = 0


class Stop:
    """SIGTERM or SIGINT asks the loop to stop after the batch in hand; a second one exits."""

    def __init__(self) -> None:
        self.requested = False

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise SystemExit(128 + signum)
        self.requested = True

    def sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.requested and (left := end - time.monotonic()) > 0:
            time.sleep(min(left, 0.1))

    @contextmanager
    def installed(self, enabled: bool) -> Iterator[None]:
        if not enabled or threading.current_thread() is not threading.main_thread():
            yield  # signals reach only the main thread (the demo runs its worker in another)
            return
        wanted = (signal.SIGTERM, signal.SIGINT)
        previous = {signum: signal.signal(signum, self._on_signal) for signum in wanted}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def _round(worker_id: str, batch: int, tasks: list[Every], outage: Outage, idle: float) -> float:
    """One round of the loop; returns how long to pause before the next."""
    try:
        close_old_connections()
        outage.resume()
        stats = drain_once(worker_id, batch)
        for task in tasks:
            task.run_if_due()
    except Exception as exc:  # the worker loop is the one place that catches everything
        if database.lost(exc):
            return outage.failed(exc)
        log.error("worker round failed: %s", traceback.format_exc())
        return 1.0
    return 0.0 if stats.total else idle


def run(
    *,
    batch: int = 100,
    idle_sleep: float = 0.5,
    timer_every: float = 30.0,
    pull_every: float = 300.0,
    push_every: float = 2.0,
    reconcile_every: float = 900.0,
    max_seconds: float | None = None,
    backoff: Backoff | None = None,
    handle_signals: bool = True,
) -> None:
    """Run until SIGTERM or SIGINT (or ``max_seconds``): drain, sleep when idle, fire timers,
    pull channels; wait out database outages."""
    worker_id = worker_name()
    tasks = [
        Every(timer_every, timers),
        Every(pull_every, lambda: pull_channels(worker_id)),
        Every(reconcile_every, reconcile),
        Every(push_every, lambda: push_stock(worker_id)),
    ]
    outage = Outage(worker_id, backoff or Backoff())
    stop = Stop()
    started = time.monotonic()
    log.info("worker %s started", worker_id)
    with stop.installed(handle_signals):
        while not stop.requested and (
            max_seconds is None or time.monotonic() - started < max_seconds
        ):
            stop.sleep(_round(worker_id, batch, tasks, outage, idle_sleep))
    database.close()
    log.info("worker %s stopped%s", worker_id, " on a signal" if stop.requested else "")
