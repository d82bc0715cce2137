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
import socket
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db import close_old_connections
from django.utils import timezone

from despatch.domain.events import reconnect_delay
from despatch.services import (
    channels,
    database,
    exceptions,
    inventory,
    listings,
    outbox,
    pipeline,
    reservations,
    returns,
    tracking,
)
from despatch.services.loops import Every, Stop
from despatch.services.wakeup import Waker

log = logging.getLogger("despatch.worker")
Route = pipeline.Route


@dataclass
class DrainStats:
    handled: int = 0
    settled: int = 0
    failed: int = 0
    dead: int = 0
    handled_ids: list[int] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)  # failed events by topic
    quiet: bool = False  # failures are summed up by the caller (a one-shot drain), not logged

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


def drain_once(
    worker_id: str, batch: int = 100, *, retries_due_by: datetime | None = None
) -> DrainStats:
    """Claim one batch and process it; returns what happened."""
    events = outbox.claim(worker_id, batch, retries_due_by=retries_due_by)
    return process(worker_id, events, DrainStats(quiet=retries_due_by is not None))


# Senders (events whose handler calls another server) run after the pipeline events of a
# batch; once they have taken this long, the rest of them are given back for the next round,
# so that a slow or unreachable receiver holds up no order queued meanwhile.
SENDERS_FOR = 5.0


def process(
    worker_id: str, events: list[outbox.Event], stats: DrainStats | None = None
) -> DrainStats:
    """Settle, run or run together the claimed ``events``; returns what happened."""
    stats = stats or DrainStats()
    routes = {e.id: pipeline.route_for(e.topic) for e in events}
    facts = [e.id for e in events if routes[e.id] is None]
    if facts:
        stats.settled = outbox.settle_done(facts, worker_id)
    live = {e.id: route for e in events if (route := routes[e.id]) is not None}
    lease = Lease(worker_id, list(live))
    groups, senders_from = list(_groups([e for e in events if e.id in live], live)), 0.0
    for n, group in enumerate(groups):
        if not live[group[0].id].transactional:  # a sender: they come last in a batch
            if senders_from and time.monotonic() - senders_from > SENDERS_FOR:
                outbox.release_events([e.id for g in groups[n:] for e in g], worker_id)
                break
            senders_from = senders_from or time.monotonic()
        group = [e for e in group if lease.keep(e.id, calls_out=not live[e.id].transactional)]
        if len(group) > 1 and _together(group, live, worker_id):
            stats.handled += len(group)
            stats.handled_ids += [e.id for e in group]
            continue
        for event in group:  # alone: a failing event fails by itself
            _one(event, live[event.id], worker_id, stats)
    return stats


# Events of a batch that may share one transaction, at most this many at once: a longer
# transaction holds SQLite's one write lock, and PostgreSQL's row locks, for longer.
TOGETHER = 25


def _groups(events: list[outbox.Event], routes: dict[int, Route]) -> Iterator[list[outbox.Event]]:
    """Runs of consecutive batched events (each order at most once in a run), and every other
    event alone, in the order claimed."""
    run: list[outbox.Event] = []
    orders: set[str] = set()
    for event in events:
        route = routes[event.id]
        order_id = str(event.payload.get("order_id") or "")
        if not route.batched or len(run) >= TOGETHER or (order_id and order_id in orders):
            if run:
                yield run
            run, orders = [], set()
        if not route.batched:
            yield [event]
            continue
        run.append(event)
        orders.add(order_id)
    if run:
        yield run


def _together(group: list[outbox.Event], routes: dict[int, Route], worker_id: str) -> bool:
    """Run ``group`` in one transaction; False (nothing kept) if one of its events failed."""
    try:
        pipeline.run_together(group, [routes[e.id] for e in group], worker_id)
        return True
    except Exception as exc:  # the worker loop is the one place that catches everything
        if database.lost(exc):
            raise
        log.info("a batch of %s events failed together; running each alone", len(group))
        return False


def _one(event: outbox.Event, route: Route, worker_id: str, stats: DrainStats) -> None:
    try:
        _run(event, route, worker_id)
        stats.handled += 1
        stats.handled_ids.append(event.id)
    except Exception as exc:  # the worker loop is the one place that catches everything
        if database.lost(exc):
            raise  # not the event's fault: it keeps its retries and is run again later
        error = traceback.format_exc()
        level = logging.INFO if stats.quiet else logging.WARNING
        log.log(level, "event %s (%s) failed: %s", event.id, event.topic, error.splitlines()[-1])
        stats.failed += 1
        stats.failures[event.topic] += 1
        if outbox.settle_failed(event, worker_id, error) == "dead":
            stats.dead += 1


# A transactional handler that lost a lock race (a deadlock) is run again at once, this many
# times in all, before the failure counts against the event's retries.
CONTENDED_TRIES = 3


def _run(event: outbox.Event, route: Route, worker_id: str) -> None:
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
    summary: bool = True,
) -> DrainStats:
    """Process what is due now and what that queues, then return (the demo, imports, tests):
    an event that fails is tried once and left to wait out its retry for the worker, and the
    failures are summed up in one log line (``summary``), not one line each."""
    worker_id = worker_id or worker_name()
    total, started = DrainStats(), timezone.now()
    while True:
        stats = drain_once(worker_id, batch, retries_due_by=started)
        for name in ("handled", "settled", "failed", "dead"):
            setattr(total, name, getattr(total, name) + getattr(stats, name))
        total.handled_ids += stats.handled_ids
        total.failures += stats.failures
        if on_batch:
            on_batch(stats)
        if stats.total == 0:
            break
    if total.failures and summary:
        each = ", ".join(f"{n} {topic}" for topic, n in total.failures.most_common())
        log.warning("%s events failed (%s); the worker retries them", total.failed, each)
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
    reservations.expire_reservations()
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


IDLE = -1.0  # what _round returns when it found nothing to do: wait to be woken


def _round(worker_id: str, batch: int, tasks: list[Every], outage: Outage, waker: Waker) -> float:
    """One round of the loop; returns how long to pause before the next (IDLE: until woken)."""
    try:
        close_old_connections()
        outage.resume()
        waker.arm()  # before the claim: an event queued after it wakes the wait
        stats = drain_once(worker_id, batch)
        for task in tasks:
            task.run_if_due()
    except Exception as exc:  # the worker loop is the one place that catches everything
        if database.lost(exc):
            return outage.failed(exc)
        log.error("worker round failed: %s", traceback.format_exc())
        return 1.0
    return 0.0 if stats.total else IDLE


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
    """Run until SIGTERM or SIGINT (or ``max_seconds``): drain, fire timers, pull channels;
    when idle, wait up to ``idle_sleep`` for an event to be queued (``wakeup``): a new order
    is claimed within milliseconds, not at the next poll. Waits out database outages."""
    worker_id = worker_name()
    tasks = [
        Every(timer_every, timers),
        Every(pull_every, lambda: pull_channels(worker_id)),
        Every(reconcile_every, reconcile),
        Every(push_every, lambda: push_stock(worker_id)),
    ]
    outage = Outage(worker_id, backoff or Backoff())
    stop = Stop()
    waker = Waker()
    ends = time.monotonic() + (max_seconds if max_seconds is not None else float("inf"))

    def done() -> bool:
        return stop.requested or time.monotonic() >= ends

    log.info("worker %s started", worker_id)
    with stop.installed(handle_signals):
        while not done():
            pause = _round(worker_id, batch, tasks, outage, waker)
            if pause == IDLE:
                waker.wait(idle_sleep, done)
            else:
                stop.sleep(pause)
    database.close()
    log.info("worker %s stopped%s", worker_id, " on a signal" if stop.requested else "")
