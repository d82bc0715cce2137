"""The worker waits out a database that goes away, and loses or repeats no work."""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Sum

from despatch import worker
from despatch.models import AuditEntry, Order, OrderLine, OutboxEvent, Reservation, StockLevel
from despatch.services import catalogue, inventory, orders
from tests.conftest import make_draft
from tests.integration.test_concurrency import database_url

ROOT = Path(__file__).resolve().parents[2]
KILL_WORKERS = """
    SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
      AND application_name LIKE 'despatch worker%%'
"""


def stock_up(units: int) -> None:
    catalogue.upsert_warehouse(code="LON", name="London", priority=1)
    catalogue.upsert_skus(catalogue.SkuRow(code, code) for code in ("A", "B"))
    for sku in ("A", "B"):
        inventory.receive_stock(sku=sku, warehouse="LON", quantity=units, actor="test")
    worker.drain("setup")


def receive(first: int, count: int) -> None:
    for n in range(first, first + count):
        orders.receive_order(make_draft([("A", 1), ("B", 2)], external_id=f"K{n}"), actor="t")


def start_worker(log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "DESPATCH_DATABASE_URL": database_url(), "DESPATCH_LOG_LEVEL": "INFO"}
    with log_path.open("w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "despatch.cli.run", "worker", "--batch", "10"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def kill_worker_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(KILL_WORKERS)
        return cursor.fetchone()[0]


def refuse_connections(refuse: bool) -> None:
    """A server that refuses new connections to this database, as during a restart (said from
    another database: PostgreSQL will not do it from inside the one it changes)."""
    import psycopg

    s = connection.settings_dict
    server = f"host={s['HOST'] or '127.0.0.1'} port={s['PORT'] or 5432} user={s['USER']}"
    with psycopg.connect(f"{server} dbname=postgres", autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{s["NAME"]}" ALLOW_CONNECTIONS {str(not refuse).lower()}')


def refuse_long_enough(log_path: Path, kill) -> None:
    """Refuse connections until the worker has met the refusal and tried again several times.

    A fixed pause was not enough on a loaded machine: the worker could meet the refusal late
    and try only once before it ended. So wait for its warning, then 4 s more: its first three
    attempts come within about 1.5 s (backoff 0.25-0.5 s, then 0.5-1 s)."""
    said = log_path.read_text().count("database unavailable")
    refuse_connections(True)
    try:
        kill()
        waited = time.monotonic() + 60
        while log_path.read_text().count("database unavailable") == said:
            assert time.monotonic() < waited, "the worker never met the refusal"
            time.sleep(0.1)
        time.sleep(4)
    finally:
        refuse_connections(False)


def assert_each_order_processed_once(count: int) -> None:
    ids = list(Order.objects.filter(channel="web").values_list("id", flat=True))
    assert len(ids) == count
    assert set(Order.objects.filter(id__in=ids).values_list("status", flat=True)) == {"allocated"}
    planned = Counter(
        AuditEntry.objects.filter(action="allocation_planned").values_list("order_id", flat=True)
    )
    assert set(planned.values()) == {1} and set(planned) == set(ids)
    for line in OrderLine.objects.filter(order_id__in=ids):
        held = Reservation.objects.filter(line=line).aggregate(n=Sum("quantity"))["n"]
        assert held == line.quantity
    assert inventory.ledger_breaks() == []
    assert {(s.sku_id, s.reserved) for s in StockLevel.objects.all()} == {
        ("A", count),
        ("B", 2 * count),
    }
    received = OutboxEvent.objects.filter(topic="order.received")
    burnt = [e.last_error[-600:] for e in received.exclude(attempts=0)]
    assert set(received.values_list("status")) == {("done",)} and burnt == []  # no retry burnt
    assert not OutboxEvent.objects.filter(status="dead").exists()


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_the_worker_outlives_its_connections_being_killed_and_handles_each_order_once(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    total = 160
    stock_up(units=3 * total)
    receive(0, 40)
    log_path = tmp_path / "worker.log"
    proc = start_worker(log_path)
    kills, sent, deadline = 0, 40, time.monotonic() + 180
    try:
        while time.monotonic() < deadline:
            time.sleep(0.6)
            assert proc.poll() is None, log_path.read_text()[-3000:]
            if kills < 16:
                kills += bool(kill_worker_connections())
            if sent == total // 2:  # a longer outage: connections refused for a while
                refuse_long_enough(log_path, lambda: kill_worker_connections())
                kills += 1
            if sent < total:  # keep a backlog coming while the connections die
                receive(sent, 20)
                sent += 20
            elif kills >= 8 and not Order.objects.filter(status="received").exists():
                break
        time.sleep(1.5)  # the last outage ends
        assert proc.poll() is None, log_path.read_text()[-3000:]
    finally:
        refuse_connections(False)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    log = log_path.read_text()

    assert proc.returncode == 0, log[-3000:]
    assert kills >= 8
    assert_each_order_processed_once(total)
    warnings = log.count("database unavailable")
    tries = [
        int(line.split("attempts: ")[1][:-1]) for line in log.splitlines() if "back after" in line
    ]
    # Each outage the worker meets is said once, with how long it lasted. A connection killed
    # while the worker waits to be woken is replaced without a word (the waker drops it and the
    # next round reconnects), so how many kills show as outages depends on timing: the long
    # refusal always does.
    assert warnings >= 1 and len(tries) == warnings, (warnings, tries, log[-1500:])
    assert max(tries) >= 3  # the refusal: tried again and again, and said so once
    assert "Traceback" not in log and "stopped on a signal" in log


@pytest.mark.django_db(transaction=True)
def test_a_locked_sqlite_database_is_waited_out_with_one_warning_and_one_recovery(
    monkeypatch, caplog
):
    if connection.vendor != "sqlite":
        pytest.skip("the write lock of another connection is SQLite's busy case")
    stock_up(units=10)
    receive(0, 3)
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.05)
    connection.close()
    holder = sqlite3.connect(connection.settings_dict["NAME"], check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another process's long write transaction
    threading.Timer(1.5, holder.rollback).start()
    attempts = []
    backoff = worker.Backoff(base=0.02, cap=0.2)
    monkeypatch.setattr(worker.Backoff, "delay", lambda self, n: attempts.append(n) or 0.1)
    caplog.set_level("INFO", logger="despatch.worker")
    try:
        worker.run(max_seconds=3, idle_sleep=0.05, backoff=backoff, pull_every=0, push_every=0)
    finally:
        holder.close()
    said = [(r.levelname, r.getMessage()) for r in caplog.records if "database" in r.getMessage()]

    assert len(attempts) >= 5 and attempts[:3] == [1, 2, 3]  # tried again and again
    assert [level for level, _ in said] == ["WARNING", "INFO"], said  # once per outage
    assert "database is locked" in said[0][1] and f"(attempts: {len(attempts)})" in said[1][1]
    assert set(Order.objects.values_list("status", flat=True)) == {"allocated"}
    assert not OutboxEvent.objects.exclude(attempts=0).exists()  # no retry burnt
    assert not OutboxEvent.objects.filter(status="dead").exists()


def test_the_reconnect_delay_grows_to_its_cap_with_jitter():
    backoff = worker.Backoff(base=0.5, cap=30.0)
    delays = [backoff.delay(n) for n in range(1, 12)]
    assert 0.25 <= delays[0] <= 0.5 and 0.5 <= delays[1] <= 1.0
    assert all(15.0 <= d <= 30.0 for d in delays[7:])
    assert len({backoff.delay(9) for _ in range(20)}) > 1  # jittered: workers spread out


@pytest.mark.django_db(transaction=True)
def test_sigterm_finishes_the_batch_in_hand_then_stops(monkeypatch):
    from despatch.services import outbox, pipeline

    handled = []

    def handle(event):
        if not handled:
            os.kill(os.getpid(), signal.SIGTERM)  # arrives while the batch is in hand
        handled.append(event.key)

    monkeypatch.setitem(pipeline.HANDLERS, "test.work", pipeline.Registration(handle))
    outbox.save([outbox.emit("test.work", f"k{n}") for n in range(5)])
    worker.run(batch=3, idle_sleep=0.05, max_seconds=30, pull_every=0, push_every=0)

    assert handled == ["k0", "k1", "k2"]  # the batch of three, and no batch after it
    statuses = list(OutboxEvent.objects.order_by("id").values_list("status", flat=True))
    assert statuses == ["done"] * 3 + ["pending"] * 2
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers put back


@pytest.mark.django_db(transaction=True)
def test_a_second_signal_stops_at_once(monkeypatch):
    from despatch.services import outbox, pipeline

    def handle(event):
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setitem(pipeline.HANDLERS, "test.stuck", pipeline.Registration(handle))
    outbox.save([outbox.emit("test.stuck", "k")])
    with pytest.raises(SystemExit) as stopped:
        worker.run(max_seconds=30, pull_every=0, push_every=0)
    assert stopped.value.code == 128 + signal.SIGINT
    assert OutboxEvent.objects.get().status == "pending"  # rolled back, claimed again later
