"""The database as a dependency that can go away: tell an outage from a fault of the work.

A PostgreSQL restart, ``pg_terminate_backend`` or a network cut breaks the connection; on
SQLite another writer can hold the lock beyond the timeout. Neither is the fault of the order
being handled, so the worker waits for the database instead of burning the event's retries,
and the server answers 503 instead of 500.
"""

from __future__ import annotations

import select
from contextlib import suppress
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError, connection, connections

# SQLite reports a busy or missing database with these messages (all OperationalError).
SQLITE_UNAVAILABLE = (
    "database is locked",
    "database table is locked",
    "unable to open database file",
    "disk i/o error",
)

# PostgreSQL: admin shutdown (pg_terminate_backend), crash shutdown, cannot connect now; and
# class 08, connection exceptions. psycopg's own errors without a SQLSTATE are the client
# losing the connection.
POSTGRES_UNAVAILABLE = ("57P01", "57P02", "57P03")


def lost(exc: BaseException | None) -> bool:
    """Whether ``exc``, or an exception it came from, is the database being unreachable."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OperationalError | InterfaceError) and _unreachable(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


# PostgreSQL: deadlock detected, serialisation failure, lock not available. The transaction
# rolled back as a whole, so running the same work again at once is safe and usually succeeds.
CONTENDED = ("40P01", "40001", "55P03")


def contended(exc: BaseException | None) -> bool:
    """Whether ``exc``, or an exception it came from, is losing a race for locks."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if getattr(exc, "sqlstate", None) in CONTENDED:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def unmigrated(exc: BaseException | None) -> bool:
    """Whether ``exc`` is a table missing because ``despatch migrate`` was never run here."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if getattr(exc, "sqlstate", None) == "42P01" or "no such table" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def where() -> str:
    """The database in words, for a message to whoever runs the command (no password)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"the SQLite file {settings['NAME']}"
    return f"the PostgreSQL database {settings['NAME']!r} on {settings.get('HOST') or 'localhost'}"


def _unreachable(exc: Exception) -> bool:
    if connection.vendor == "sqlite":
        return any(text in str(exc).lower() for text in SQLITE_UNAVAILABLE)
    state = getattr(exc.__cause__, "sqlstate", None)
    if isinstance(exc, InterfaceError) or state is None or state.startswith("08"):
        return True
    if state in POSTGRES_UNAVAILABLE:
        return True  # Django may have reconnected already: the work still was not at fault
    # A deadlock or a statement timeout leaves the connection usable: that is the work's fault.
    return connection.connection is None or not connection.is_usable()


def check_kept_connection(conn: Any = connection) -> None:
    """Check a kept PostgreSQL connection without the round trip of Django's health check.

    Django sends ``SELECT 1`` before the first statement of each request on a kept connection
    (``CONN_HEALTH_CHECKS``). An idle connection that is still open has nothing to read: one
    the server ended (a restart, ``pg_terminate_backend``) shows its end, or the server's last
    word, on the socket. Such a connection is closed, so the next statement opens a fresh
    one; either way the request's health check is counted as done.
    """
    raw = conn.connection
    if conn.vendor != "postgresql" or raw is None:
        return
    if not conn.health_check_enabled or conn.health_check_done:
        return
    if raw.closed or raw.broken or _ended(raw):
        conn.close()
    conn.health_check_done = True


def _ended(raw: Any) -> bool:
    """Whether the server has said anything, or hung up, on an idle connection."""
    try:
        fd = raw.pgconn.socket
    except Exception:  # no socket to give: the connection is already gone
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def close() -> None:
    """Drop this thread's connections; the next query opens a fresh one."""
    for conn in connections.all(initialized_only=True):
        with suppress(DatabaseError):
            conn.close()


def label_connections(name: str) -> None:
    """Name this process's PostgreSQL connections (``application_name`` in pg_stat_activity)."""
    for conn in connections.all():
        if conn.vendor == "postgresql":
            conn.settings_dict.setdefault("OPTIONS", {})["application_name"] = name[:63]
    close()
