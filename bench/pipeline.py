"""Orders per second from receive through reserve and allocate, against the raw-SQL limit, and
how long an order waits from received to allocated with workers running beside the clients.

For SQLite and PostgreSQL, with 1 and 4 client processes, and two SKU mixes:
  hot     every order takes 3 lines from the same 3 SKUs (every order contends for the same rows)
  spread  every order takes 3 lines from 200 SKUs

Throughput (orders/s, and the ratio to the raw-SQL limit). Both paths do all their work in the
same number of client processes, so they get the same share of the machine:
- Despatch: each client receives orders through ``services.orders.receive_order`` and runs the
  outbox worker's batch (``worker.drain``) every 20 orders, in the same process; an order counts
  when it is allocated (validated, stock reserved with conditional updates, shipment made,
  audit and outbox rows written).
- Raw-SQL limit: the minimal statements an order needs, in one transaction, with psycopg or
  sqlite3 directly on the same tables: insert the order, 3 lines, 3 conditional stock updates,
  3 reservations and 1 outbox row.

Latency (p50 and p95 received -> allocated, as a user sees it): the same clients only receive,
at a steady pace that adds up to ``--load`` (default half) of the Despatch throughput just
measured, while ``--workers`` separate ``despatch worker`` loops (``worker.run``: woken by
PostgreSQL's NOTIFY, or SQLite's data_version, when an order is queued) drain the outbox. An
order's wait runs from its ``created_at`` (stamped when it is received) to the moment the
transaction that allocated it committed: the ``processed_at`` of its ``order.received`` event,
stamped just before that commit. Draining every 20 orders in the client, as the throughput run
does, would make an order wait for 19 more receipts: that is a batch size, not a latency.

    python bench/pipeline.py [--orders 800] [--databases sqlite,postgresql] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import tempfile
import time
import uuid
from pathlib import Path

PG_BASE = os.environ.get("DESPATCH_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
HOT = ["SKU-0001", "SKU-0002", "SKU-0003"]
SPREAD = [f"SKU-{i:04d}" for i in range(1, 201)]
WAREHOUSES = ["LON", "NJ", "SYD"]
BATCH = 20


def _django(url: str) -> None:
    os.environ["DESPATCH_DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "despatch.settings"
    import django

    django.setup()


def setup_database(url: str) -> None:
    """Migrate and seed: 3 warehouses, 200 SKUs, more stock than any run can take."""
    _django(url)
    from django.core.management import call_command

    from despatch.models import StockLevel, StockMovement
    from despatch.services import catalogue

    call_command("migrate", interactive=False, verbosity=0)
    for priority, code in enumerate(WAREHOUSES, start=1):
        catalogue.upsert_warehouse(code=code, name=code, priority=priority)
    catalogue.upsert_skus(catalogue.SkuRow(code, code) for code in SPREAD)
    StockLevel.objects.all().delete()
    StockLevel.objects.bulk_create(
        StockLevel(sku_id=sku, warehouse_id=w, on_hand=10**9) for sku in SPREAD for w in WAREHOUSES
    )
    StockMovement.objects.all().delete()


def reset(url: str) -> None:
    """Empty the order tables and give every reservation back between runs."""
    _django(url)
    from django.db import connection

    tables = [
        "despatch_shipmentline",
        "despatch_shipment",
        "despatch_reservation",
        "despatch_orderline",
        "despatch_order",
        "despatch_outboxevent",
        "despatch_auditentry",
        "despatch_audithead",  # the chain starts again from the first entry written
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute("UPDATE despatch_stocklevel SET reserved = 0")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE") if connection.get_autocommit() else None


ALLOCATED_SQL = "SELECT created_at, allocated_at FROM despatch_order WHERE status = 'allocated'"
# Each allocated order's receipt, and the commit of the worker's transaction that allocated it
# (its order.received event is settled, and stamped, in that transaction).
WAITS_SQL = (
    "SELECT o.created_at, e.processed_at FROM despatch_order o JOIN despatch_outboxevent e"
    " ON e.key = o.id AND e.topic = 'order.received'"
    " WHERE o.status = 'allocated' AND e.status = 'done'"
)


def _query(url: str, sql: str) -> list[tuple]:
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30) as conn:
            return conn.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def _seconds(url: str, sql: str) -> list[float]:
    from datetime import datetime

    def moment(value):
        return datetime.fromisoformat(value) if isinstance(value, str) else value

    return [(moment(b) - moment(a)).total_seconds() for a, b in _query(url, sql)]


def allocated(url: str) -> tuple[int, list[float]]:
    """Orders allocated so far, and each one's seconds from received to its ``allocated_at``
    (stamped when its allocation began; ``?process=inline`` commits it with the request)."""
    waits = _seconds(url, ALLOCATED_SQL)
    return len(waits), waits


def committed(url: str) -> list[float]:
    """Each allocated order's seconds from received to the commit that allocated it."""
    return _seconds(url, WAITS_SQL)


def count_allocated(url: str) -> int:
    sql = "SELECT count(*) FROM despatch_order WHERE status = 'allocated'"
    return int(_query(url, sql)[0][0])


def _lines(rng: random.Random, mix: str) -> list[tuple[str, int]]:
    skus = HOT if mix == "hot" else rng.sample(SPREAD, 3)
    return [(sku, rng.randint(1, 2)) for sku in skus]


def _drafts(mix: str, count: int, seed: int) -> list:
    from despatch.domain.addresses import Address
    from despatch.domain.money import Money
    from despatch.domain.orders import LineDraft, OrderDraft

    rng = random.Random(seed)
    address = Address("Ada Okafor", "4 Quay St", "Bristol", "BS1 4DJ", "GB")
    name = f"bench-{seed}-{os.getpid()}"
    return [
        OrderDraft(
            "bench",
            f"{name}-{n}",
            "GBP",
            tuple(LineDraft(s, q, Money.parse("9.99", "GBP")) for s, q in _lines(rng, mix)),
            address,
        )
        for n in range(count)
    ]


def despatch_client(url: str, mix: str, count: int, seed: int, start_at: float) -> float:
    """Receive ``count`` orders and drain the outbox in this process every BATCH orders."""
    _django(url)
    from despatch import worker
    from despatch.services import orders

    drafts = _drafts(mix, count, seed)
    name = f"bench-{seed}-{os.getpid()}"
    time.sleep(max(0.0, start_at - time.time()))
    for n, draft in enumerate(drafts, start=1):
        orders.receive_order(draft, actor="bench")
        if n % BATCH == 0:
            worker.drain(name)
    while orders.list_orders(status="received").exists():
        worker.drain(name)
    return time.time()


def paced_client(url: str, mix: str, count: int, seed: int, start_at: float, every: float) -> float:
    """Receive ``count`` orders, one every ``every`` seconds (at once when behind); no draining:
    the workers do that."""
    _django(url)
    from despatch.services import orders

    drafts = _drafts(mix, count, seed)
    time.sleep(max(0.0, start_at - time.time()))
    for n, draft in enumerate(drafts):
        time.sleep(max(0.0, start_at + n * every - time.time()))
        orders.receive_order(draft, actor="bench")
    return time.time()


def worker_loop(url: str, ready: mp.Queue) -> None:
    """``despatch worker``'s loop, until SIGTERM; says when it is about to start."""
    _django(url)
    from despatch import worker

    ready.put(os.getpid())
    worker.run(pull_every=0, push_every=0, timer_every=0, reconcile_every=0)


def raw_client(url: str, mix: str, count: int, seed: int, start_at: float) -> float:
    rng = random.Random(seed)
    orders = [_lines(rng, mix) for _ in range(count)]
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=60, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        begin, mark = "BEGIN IMMEDIATE", "?"
    else:
        import psycopg

        conn = psycopg.connect(url, autocommit=True)
        begin, mark = "BEGIN", "%s"
    sql = {k: v.replace("?", mark) for k, v in raw_sql(url).items()}
    time.sleep(max(0.0, start_at - time.time()))
    for lines in orders:
        _raw_order(conn, begin, sql, lines)
    conn.close()
    return time.time()


# The columns each raw statement sets itself; every other column takes the model's default, read
# from the schema at start-up, so a NOT NULL column added later cannot break the baseline.
RAW_GIVEN = {
    "order": {"id": "?", "channel": "'bench'", "external_id": "?", "status": "'allocated'",
              "payment_status": "'paid'", "currency": "'GBP'", "total_amount": "29.97",
              "created_at": "?", "updated_at": "?"},
    "line": {"id": "?", "order_id": "?", "line_no": "?", "sku": "?", "quantity": "?",
             "unit_price": "9.99"},
    "reservation": {"id": "?", "order_id": "?", "line_id": "?", "sku_id": "?",
                    "warehouse_id": "'LON'", "quantity": "?", "status": "'active'",
                    "expires_at": "?", "created_at": "?"},
    "outbox": {"topic": "'order.allocated'", "key": "?", "payload": "'{}'", "status": "'pending'",
               "available_at": "?", "created_at": "?"},
}  # fmt: skip
RAW_MODELS = {"order": "Order", "line": "OrderLine", "reservation": "Reservation",
              "outbox": "OutboxEvent"}  # fmt: skip
RESERVE_SQL = (
    "UPDATE despatch_stocklevel SET reserved = reserved + ? WHERE sku_id = ?"
    " AND warehouse_id = 'LON' AND on_hand >= reserved + quarantined + ?"
)


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def raw_sql(url: str) -> dict[str, str]:
    """The raw INSERTs, with every column the schema has: given values or the model's default."""
    _django(url)
    from django.db import connection
    from django.db.models import JSONField

    from despatch import models

    sql = {"reserve": RESERVE_SQL}
    for name, given in RAW_GIVEN.items():
        model = getattr(models, RAW_MODELS[name])
        columns, values = [], []
        for field in model._meta.concrete_fields:
            if field.primary_key and field.column not in given and field.get_default() is None:
                continue  # an auto-increment key
            columns.append(field.column)
            if field.column in given or field.name in given:
                values.append(given.get(field.column, given.get(field.name, "")))
            elif isinstance(field, JSONField):
                values.append(_literal(json.dumps(field.get_default())))
            else:
                values.append(_literal(field.get_db_prep_save(field.get_default(), connection)))
        table = model._meta.db_table
        sql[name] = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(values)})"
    return sql


def _raw_order(conn, begin: str, sql: dict[str, str], lines: list[tuple[str, int]]) -> None:
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    order_id = f"ord_{uuid.uuid4().hex[:26]}"
    conn.execute(begin)
    conn.execute(sql["order"], (order_id, order_id, now, now))
    line_ids = []
    for n, (sku, qty) in enumerate(lines, start=1):
        line_ids.append(f"oln_{uuid.uuid4().hex[:26]}")
        conn.execute(sql["line"], (line_ids[-1], order_id, n, sku, qty))
    for sku, qty in sorted(lines):
        if conn.execute(sql["reserve"], (qty, sku, qty)).rowcount != 1:
            raise RuntimeError("raw reservation failed")
    for line_id, (sku, qty) in zip(line_ids, lines, strict=True):
        conn.execute(
            sql["reservation"],
            (f"res_{uuid.uuid4().hex[:26]}", order_id, line_id, sku, qty, now, now),
        )
    conn.execute(sql["outbox"], (order_id, now, now))
    conn.execute("COMMIT")


def client(kind: str, url: str, mix: str, count: int, seed: int, start_at: float, out: mp.Queue,
           every: float = 0.0) -> None:  # fmt: skip
    """Run one client; put its finishing time on ``out``, or its traceback if it failed."""
    import traceback

    try:
        if kind == "paced":
            out.put(paced_client(url, mix, count, seed, start_at, every))
        else:
            target = despatch_client if kind == "despatch" else raw_client
            out.put(target(url, mix, count, seed, start_at))
    except BaseException:
        out.put(traceback.format_exc())
        raise


def _reset(ctx, url: str) -> None:
    reset_proc = ctx.Process(target=reset, args=(url,))
    reset_proc.start()
    reset_proc.join()


def _finish(kind: str, procs: list, out: mp.Queue) -> list[float]:
    """Each client's finishing time; a failed client stops the run instead of a wait."""
    ends = []
    for _ in procs:
        result = out.get(timeout=1800)
        if isinstance(result, str):
            for p in procs:
                p.terminate()
            raise RuntimeError(f"a {kind} client failed:\n{result}")
        ends.append(result)
    for p in procs:
        p.join()
    return ends


def run(kind: str, url: str, mix: str, processes: int, orders: int) -> float:
    """Orders per second of ``processes`` clients of ``kind`` (despatch or raw)."""
    ctx = mp.get_context("spawn")
    _reset(ctx, url)
    out: mp.Queue = ctx.Queue()
    start_at = time.time() + 4  # every client imports Django and builds its orders first
    share = orders // processes
    procs = [
        ctx.Process(target=client, args=(kind, url, mix, share, seed, start_at, out))
        for seed in range(processes)
    ]
    for p in procs:
        p.start()
    ends = _finish(kind, procs, out)
    return share * processes / (max(ends) - start_at)


def latency_run(
    url: str, mix: str, processes: int, orders: int, rate: float, workers: int
) -> tuple[float, float]:
    """p50 and p95 ms received -> allocated: ``processes`` paced clients offering ``rate``
    orders/s in all, ``workers`` worker processes draining."""
    ctx = mp.get_context("spawn")
    _reset(ctx, url)
    out: mp.Queue = ctx.Queue()
    ready: mp.Queue = ctx.Queue()
    drains = [ctx.Process(target=worker_loop, args=(url, ready)) for _ in range(workers)]
    for p in drains:
        p.start()
    for _ in drains:  # the workers are up (Django loaded) before the first order comes
        ready.get(timeout=300)
    start_at = time.time() + 4
    share = orders // processes
    every = processes / rate
    procs = [
        ctx.Process(
            target=client,
            args=("paced", url, mix, share, seed, start_at + seed * every / processes, out, every),
        )
        for seed in range(processes)
    ]
    for p in procs:
        p.start()
    _finish("paced", procs, out)
    deadline = time.time() + 600
    while count_allocated(url) < share * processes and time.time() < deadline:
        if not any(p.is_alive() for p in drains):
            raise RuntimeError("the workers stopped")
        time.sleep(0.2)
    for p in drains:
        p.terminate()  # SIGTERM: the loop stops after the batch in hand
    for p in drains:
        p.join()
    waits = sorted(committed(url))
    if len(waits) < share * processes:
        raise RuntimeError(f"only {len(waits)} of {share * processes} orders were allocated")
    return _ms(waits, 0.5), _ms(waits, 0.95)


def _ms(waits: list[float], share: float) -> float:
    return round(1000 * waits[min(len(waits) - 1, int(len(waits) * share))], 1) if waits else 0.0


def own_database(base: str, name: str) -> str:
    """A fresh PostgreSQL database for this run alone, dropped when the script ends.

    Named after the process, so two benchmarks run at the same time (or a benchmark beside
    the test suite) never drop each other's database mid-run."""
    import atexit

    import psycopg

    name = f"{name}_{os.getpid()}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")

    def drop() -> None:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    atexit.register(drop)
    return name


def databases(names: list[str], tmp: Path, name: str = "despatch_bench") -> dict[str, str]:
    found = {}
    if "sqlite" in names:
        found["sqlite"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    if "postgresql" in names:
        name = own_database(PG_BASE, name)
        found["postgresql"] = PG_BASE.rsplit("/", 1)[0] + f"/{name}"
    return found


def measure(url: str, db: str, mix: str, processes: int, args: argparse.Namespace) -> dict:
    """One configuration: the raw-SQL limit, Despatch's throughput, then its latency."""
    raw = run("raw", url, mix, processes, args.orders)
    ours = run("despatch", url, mix, processes, args.orders)
    offered = args.load * ours
    p50, p95 = latency_run(url, mix, processes, args.orders, offered, args.workers)
    return {
        "database": db,
        "mix": mix,
        "processes": processes,
        "despatch_orders_per_s": round(ours, 1),
        "raw_sql_orders_per_s": round(raw, 1),
        "ratio": round(ours / raw, 3),
        "latency_offered_orders_per_s": round(offered, 1),
        "latency_workers": args.workers,
        "p50_received_to_allocated_ms": p50,
        "p95_received_to_allocated_ms": p95,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=800, help="orders per run")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--mixes", default="hot,spread", help="SKU mixes to run: hot, spread")
    parser.add_argument("--processes", default="1,4", help="client process counts to run")
    parser.add_argument(
        "--load", type=float, default=0.5, help="latency run: share of the throughput offered"
    )
    parser.add_argument("--workers", type=int, default=2, help="latency run: worker processes")
    args = parser.parse_args()
    from rich.console import Console
    from rich.table import Table

    console = Console()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for db, url in databases(args.databases.split(","), Path(tmp)).items():
            ctx = mp.get_context("spawn")
            setup = ctx.Process(target=setup_database, args=(url,))
            setup.start()
            setup.join()
            for mix in args.mixes.split(","):
                for processes in (int(p) for p in args.processes.split(",")):
                    r = measure(url, db, mix, processes, args)
                    results.append(r)
                    console.print(
                        f"{db:10} {mix:6} {processes} proc: despatch "
                        f"{r['despatch_orders_per_s']:7.1f}/s  raw "
                        f"{r['raw_sql_orders_per_s']:7.1f}/s  ratio {r['ratio']:.0%}  "
                        "received -> allocated at "
                        f"{r['latency_offered_orders_per_s']}/s: p50 "
                        f"{r['p50_received_to_allocated_ms']} ms, p95 "
                        f"{r['p95_received_to_allocated_ms']} ms"
                    )
    table = Table(
        "database",
        "SKU mix",
        "processes",
        "Despatch orders/s",
        "raw SQL orders/s",
        "ratio",
        "latency at orders/s",
        "p50 ms",
        "p95 ms",
        title=f"receive → reserve → allocate, {args.orders} orders a run, {os.cpu_count()} cores;"
        f" latency with {args.workers} workers at {args.load:.0%} of the throughput",
    )
    for r in results:
        table.add_row(
            r["database"],
            r["mix"],
            str(r["processes"]),
            f"{r['despatch_orders_per_s']:.1f}",
            f"{r['raw_sql_orders_per_s']:.1f}",
            f"{r['ratio']:.0%}",
            f"{r['latency_offered_orders_per_s']:.1f}",
            f"{r['p50_received_to_allocated_ms']}",
            f"{r['p95_received_to_allocated_ms']}",
        )
    console.print(table)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
