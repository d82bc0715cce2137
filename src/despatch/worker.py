"""The outbox relay: claim due events, run their handlers, retry with backoff, park the dead.

Several workers may run at once on one database: claims are leases, so no event is
handled by two workers at the same time, and handlers are idempotent for the rare
re-delivery after a lease runs out.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import close_old_connections

from despatch.services import (
    allocation,
    channels,
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


def drain_once(worker_id: str, batch: int = 100) -> DrainStats:
    """Claim one batch and process it; returns what happened."""
    stats = DrainStats()
    events = outbox.claim(worker_id, batch)
    facts = [e.id for e in events if pipeline.handler_for(e.topic) is None]
    if facts:
        stats.settled = outbox.settle_done(facts, worker_id)
    for event in events:
        handler = pipeline.handler_for(event.topic)
        if handler is None:
            continue
        try:
            wrapped = event.topic not in pipeline.UNWRAPPED
            outbox.run_handler(event, handler, worker_id, atomic=wrapped)
            stats.handled += 1
            stats.handled_ids.append(event.id)
        except Exception:  # the worker loop is the one place that catches everything
            error = traceback.format_exc()
            log.warning("event %s (%s) failed: %s", event.id, event.topic, error.splitlines()[-1])
            stats.failed += 1
            if outbox.settle_failed(event, worker_id, error) == "dead":
                stats.dead += 1
    return stats


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
        except Exception:  # the worker loop is the one place that catches everything
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
    except Exception:  # the worker loop is the one place that catches everything
        log.warning("stock push failed: %s", traceback.format_exc().splitlines()[-1])


def run(
    *,
    batch: int = 100,
    idle_sleep: float = 0.5,
    timer_every: float = 30.0,
    pull_every: float = 300.0,
    push_every: float = 2.0,
    reconcile_every: float = 900.0,
    max_seconds: float | None = None,
) -> None:
    """Run forever (or ``max_seconds``): drain, sleep when idle, fire timers, pull channels."""
    worker_id = worker_name()
    started = last_timer = last_pull = last_push = last_reconcile = time.monotonic()
    log.info("worker %s started", worker_id)
    while max_seconds is None or time.monotonic() - started < max_seconds:
        close_old_connections()
        stats = drain_once(worker_id, batch)
        if time.monotonic() - last_timer >= timer_every:
            allocation.expire_reservations()
            exceptions.escalate_due()
            tracking.warn_late()
            returns.flag_qc_due()
            last_timer = time.monotonic()
        if pull_every and time.monotonic() - last_pull >= pull_every:
            pull_channels(worker_id)
            last_pull = time.monotonic()
        if reconcile_every and time.monotonic() - last_reconcile >= reconcile_every:
            listings.mark_all_dirty()  # only figures that differ are sent
            mended = inventory.repair()
            for line in mended.released + mended.corrected:
                log.warning("reconciler repaired %s", line)
            for b in mended.left:
                log.error(
                    "ledger break at %s @ %s: %s (count the shelf)", b.sku, b.warehouse, b.problem
                )
            last_reconcile = time.monotonic()
        if push_every and time.monotonic() - last_push >= push_every:
            push_stock(worker_id)
            last_push = time.monotonic()
        if stats.total == 0:
            time.sleep(idle_sleep)
