"""Waking an idle worker when an event is queued, instead of after a fixed sleep.

PostgreSQL: a trigger (migration 0038) sends ``NOTIFY despatch_outbox`` with every INSERT into
the outbox; PostgreSQL delivers it when the inserting transaction commits. The worker LISTENs
on its own database connection and waits on it. SQLite has no notifications: the waiting worker
reads ``PRAGMA data_version`` every few milliseconds, a counter that changes when another
connection commits (no lock taken), and when it has changed, whether an event is due (a read:
another worker's commit wakes it, but only an event to claim makes it claim).

``arm()`` comes before the claim, so nothing committed between the claim and the wait is missed:
PostgreSQL keeps the notifications that arrive meanwhile, and SQLite's counter moves past the
value read. An idle worker still claims at least every ``seconds`` of the wait (an event whose
retry falls due makes no notification), and if the database cannot be asked, the wait is a
plain sleep: the next round deals with the outage.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, connection
from django.utils import timezone

from despatch.models import OutboxEvent
from despatch.services import rows

CHANNEL = "despatch_outbox"
POLL = 0.005  # SQLite: seconds between reads of the counter
SLICE = 0.1  # seconds between looks at whether the worker was asked to stop


class Waker:
    def __init__(self) -> None:
        self._listening: Any = None  # the PostgreSQL connection that LISTENs
        self._version: int | None = None  # SQLite's data_version when armed

    def arm(self) -> None:
        """Call before claiming: whatever is committed from now on ends the next ``wait``."""
        self._version = None
        try:
            if connection.vendor == "postgresql":
                self._listen()
                list(self._listening.notifies(timeout=0))  # the claim will see those
            elif connection.vendor == "sqlite":
                self._version = _data_version()
        except Exception as exc:  # the database went away: the round's claim will say so
            if not (isinstance(exc, DatabaseError) or _from_psycopg(exc)):
                raise
            self._listening = None

    def wait(self, seconds: float, stopped: Callable[[], bool]) -> bool:
        """Wait up to ``seconds``; True if woken (an event may be due), False on time-out or
        stop. Without an armed database, a plain sleep that still sees ``stopped``."""
        end = time.monotonic() + seconds
        while not stopped() and (left := end - time.monotonic()) > 0:
            try:
                if self._woken(min(left, SLICE)):
                    return True
            except Exception as exc:  # the database went away: sleep; the round will see it
                if not (isinstance(exc, DatabaseError) or _from_psycopg(exc)):
                    raise
                self._listening, self._version = None, None
        return False

    def _listen(self) -> None:
        connection.ensure_connection()
        raw = connection.connection
        if raw is not self._listening:  # a new connection (reconnected, or the first)
            with connection.cursor() as cursor:
                cursor.execute(f"LISTEN {CHANNEL}")
            self._listening = raw

    def _woken(self, seconds: float) -> bool:
        if self._listening is not None:
            return any(True for _ in self._listening.notifies(timeout=seconds, stop_after=1))
        if self._version is None:
            time.sleep(seconds)
            return False
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if (version := _data_version()) != self._version:
                self._version = version  # a commit: anything due? (not another's settling)
                if _due():
                    return True
            time.sleep(POLL)
        return False


def _data_version() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA data_version")
        return int(cursor.fetchone()[0])


_DUE = (
    "SELECT 1 FROM despatch_outboxevent WHERE status = 'pending' AND available_at <= %s"
    " AND (locked_until IS NULL OR locked_until <= %s) LIMIT 1"
)


def _due() -> bool:
    """Whether an event is there to claim: a read, so a worker woken by another's commit does
    not take SQLite's write lock to claim nothing."""
    now = rows.stamp(OutboxEvent, "available_at")(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_DUE, [now, now])
        return cursor.fetchone() is not None


def _from_psycopg(exc: BaseException) -> bool:
    return type(exc).__module__.split(".")[0] == "psycopg"
