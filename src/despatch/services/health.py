"""Readiness: can this process do its work now? (Liveness needs no database and no service.)

Each check says only ok or not and a short, non-sensitive reason: health endpoints are public.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from despatch.services import database, outbox


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


_migrated = False  # once applied, they stay applied for the life of this process


def _database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        database.close()
        return Check("database", False, "unreachable")
    return Check("database", True, "reachable")


def _migrations() -> Check:
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connection)
        missing = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if missing:
            return Check("migrations", False, f"{len(missing)} not applied: run despatch migrate")
        _migrated = True
    return Check("migrations", True, "applied")


def _outbox_lag(limit: timedelta) -> Check:
    waited = outbox.lag()
    detail = f"{waited.total_seconds():.0f} s (limit {limit.total_seconds():.0f} s)"
    return Check("outbox_lag", waited <= limit, detail)


def readiness(max_lag: timedelta) -> list[Check]:
    """Database reachable, migrations applied, outbox lag under ``max_lag``; stops at the
    first check that cannot run without the one before."""
    reachable = _database()
    if not reachable.ok:
        return [reachable]
    try:
        applied = _migrations()
        return [reachable, applied] + ([_outbox_lag(max_lag)] if applied.ok else [])
    except DatabaseError:
        database.close()
        return [Check("database", False, "unreachable")]
