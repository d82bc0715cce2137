"""At a million orders: the pipeline as fast as at ten thousand, the inbox's queries quick.

Seeds stored orders by bulk insert (COPY on PostgreSQL, executemany on SQLite): 2 lines each,
across 4 channels, 50,000 customers and a year of days, in every status an order rests in
(none left ``received``, so the workers have nothing old to do). Then, per database:

- pipeline: orders a second, in-process, received -> allocated (the worker draining every 20
  orders, as bench/pipeline.py does), once with ``--small`` orders stored and once with
  ``--orders`` stored; the ratio must stay >= 0.9;
- inbox: each query the orders inbox runs (services/inbox_query.py, as the web inbox and
  ``GET /api/orders`` do: its count up to 1,000 and the first page of 50 with their parcels,
  newest first): no filter, each status, a channel, an external ID, a SKU, and searches
  (``q``) by customer name, customer email and external ID; and the status counts the inbox
  shows (each up to 1,000). p50 and p95 of ``--repeat`` runs each, in milliseconds; the
  target is p95 <= 200 ms.

    python bench/scale.py [--orders 1000000] [--small 10000] [--pipeline-orders 400]
        [--databases sqlite,postgresql] [--repeat 10] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pipeline

CHANNELS = ["web", "amazon-uk", "ebay", "shopify-uk"]
RESTING = ["delivered"] * 70 + ["despatched"] * 12 + ["allocated"] * 8 + ["cancelled"] * 4
RESTING += ["on_hold"] * 3 + ["backordered"] * 2 + ["packed"]
CUSTOMERS = 50_000
NAMES = ["Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ivy", "Jo", "Kit", "Lu"]


def _defaults(model, given: dict) -> tuple[list[str], list]:
    """Every column of ``model`` with the given value or the model's default (as stored)."""
    from django.db import connection
    from django.db.models import JSONField

    columns, values = [], []
    for field in model._meta.concrete_fields:
        columns.append(field.column)
        if field.column in given:
            values.append(given[field.column])
        elif isinstance(field, JSONField):
            values.append(json.dumps(field.get_default()))
        else:
            values.append(field.get_db_prep_save(field.get_default(), connection))
    return columns, values


def _rows(first: int, count: int, seed: int):
    """Orders and lines for numbers first..first+count-1 (created over the past year)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    for n in range(first, first + count):
        order_id = f"ord_{uuid.UUID(int=rng.getrandbits(128)).hex[:26]}"
        customer = rng.randrange(CUSTOMERS)
        created = now - timedelta(seconds=rng.randrange(365 * 86400)) - timedelta(hours=1)
        channel = CHANNELS[n % len(CHANNELS)]
        order = {
            "id": order_id,
            "channel": channel,
            "external_id": f"{channel.upper()}-{n:08d}",
            "status": rng.choice(RESTING),
            "payment_status": "paid",
            "currency": "GBP",
            "total_amount": "19.98",
            "customer_name": f"{NAMES[customer % len(NAMES)]} Customer{customer}",
            "customer_email": f"customer{customer}@example.com",
            "shipping_address": json.dumps(
                {
                    "name": "A Customer",
                    "line1": "1 High St",
                    "city": "Leeds",
                    "postcode": "LS1 1AA",
                    "country": "GB",
                }
            ),
            "created_at": created,
            "updated_at": created,
        }
        lines = [
            {
                "id": f"oln_{uuid.UUID(int=rng.getrandbits(128)).hex[:26]}",
                "order_id": order_id,
                "line_no": i,
                "sku": sku,
                "quantity": 1,
                "unit_price": "9.99",
                "line_total": "9.99",
            }
            for i, sku in enumerate(rng.sample(pipeline.SPREAD, 2), start=1)
        ]
        yield order, lines


def seed(url: str, first: int, count: int) -> None:
    """Store ``count`` more orders (numbers from ``first``) by bulk insert."""
    pipeline._django(url)
    from django.db import connection

    from despatch.models import Order, OrderLine

    restore = _unindexed(connection)
    chunk = 50_000
    for start in range(first, first + count, chunk):
        size = min(chunk, first + count - start)
        orders, lines = [], []
        for order, order_lines in _rows(start, size, start):
            orders.append(order)
            lines += order_lines
        for model, rows in ((Order, orders), (OrderLine, lines)):
            columns, base = _defaults(model, {})
            given = [columns.index(name) for name in rows[0]]
            values = []
            for row in rows:
                value = list(base)
                for i, v in zip(given, row.values(), strict=True):
                    value[i] = v
                values.append(value)
            table = model._meta.db_table
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    raw = cursor.cursor
                    with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in values:
                            copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values
                    )
    with connection.cursor() as cursor:
        for sql in restore:
            cursor.execute(sql)
        # as autovacuum leaves a table loaded over a year: statistics and (on PostgreSQL) the
        # visibility map that lets index-only scans skip the rows
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _unindexed(connection) -> list[str]:
    """As a bulk load does: drop the order tables' secondary indexes (and on SQLite the search
    table's insert trigger) for the load, and return the SQL that puts them back, the search
    index rebuilt. Unique keys stay. The seeding session skips waiting for the disk."""
    tables = ("despatch_order", "despatch_orderline")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET synchronous_commit = off")
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)"
                " AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
                [list(tables)],
            )
            found = cursor.fetchall()
            for name, _ in found:
                cursor.execute(f'DROP INDEX "{name}"')
            return [sql for _, sql in found]
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN (%s, %s)"
            " AND sql IS NOT NULL AND (type = 'index' AND sql NOT LIKE 'CREATE UNIQUE%%'"
            " OR name = 'despatch_order_search_ai')",
            list(tables),
        )
        found = cursor.fetchall()
        for kind, name, _ in found:
            cursor.execute(f'DROP {kind.upper()} "{name}"')
        restore = [sql for _, _, sql in found]
        if any(name == "despatch_order_search_ai" for _, name, _ in found):
            restore.append(
                "INSERT INTO despatch_order_search(despatch_order_search) VALUES ('rebuild')"
            )
        return restore


def _pipeline_rate(url: str, count: int, tag: str, out: mp.Queue) -> None:
    """Receive ``count`` orders and drain every 20 (as bench/pipeline.py); orders a second."""
    pipeline._django(url)
    from despatch import worker
    from despatch.domain.addresses import Address
    from despatch.domain.money import Money
    from despatch.domain.orders import LineDraft, OrderDraft
    from despatch.services import orders

    rng = random.Random(7)
    address = Address("Ada Okafor", "4 Quay St", "Bristol", "BS1 4DJ", "GB")
    drafts = [
        OrderDraft(
            "web",
            f"scale-{tag}-{n}",
            "GBP",
            tuple(
                LineDraft(s, q, Money.parse("9.99", "GBP"))
                for s, q in pipeline._lines(rng, "spread")
            ),
            address,
            customer_email=f"customer{rng.randrange(CUSTOMERS)}@example.com",
        )
        for n in range(count)
    ]
    worker.drain("scale")  # nothing due, but connections and caches are warm
    start = time.perf_counter()
    for n, draft in enumerate(drafts, start=1):
        orders.receive_order(draft, actor="bench")
        if n % pipeline.BATCH == 0:
            worker.drain("scale")
    worker.drain("scale")
    out.put(count / (time.perf_counter() - start))


def _inbox(url: str, repeat: int, out: mp.Queue) -> None:
    """p50 and p95 (ms) of each query the orders inbox makes (the web inbox and
    ``GET /api/orders`` share them): its count (up to 1,000) and first page of 50."""
    pipeline._django(url)
    from despatch.services import inbox_query
    from despatch.services.inbox_query import OrderQuery

    cases = {"list": {}}
    cases |= {f"status={s}": {"status": s} for s in sorted(set(RESTING))}
    cases |= {
        "channel=ebay": {"channel": "ebay"},
        "external_id": {"external_id": "EBAY-00000042"},
        "sku=SKU-0007": {"sku": "SKU-0007"},
        "q=customer name": {"q": "Customer4242"},
        "q=customer email": {"q": "customer4242@example.com"},
        "q=external ID": {"q": "WEB-00012344"},
    }
    timings = {}
    for name, filters in cases.items():
        took = []
        for _ in range(repeat):
            start = time.perf_counter()
            given = dict(filters)
            external_id = given.pop("external_id", "")
            rows = inbox_query.search(OrderQuery(**given))
            if external_id:  # as GET /api/orders?external_id= does
                rows = rows.filter(external_id=external_id)
            listing = inbox_query.Listing(rows, inbox_query.DEFAULT_SORT)
            listing.count_upto(inbox_query.COUNT_CAP)
            listing[:50]
            took.append(1000 * (time.perf_counter() - start))
        timings[name] = took
    took = []
    for _ in range(repeat):
        start = time.perf_counter()
        inbox_query.status_counts_upto(inbox_query.COUNT_CAP)
        took.append(1000 * (time.perf_counter() - start))
    timings["status counts"] = took
    out.put({k: (_pct(v, 0.5), _pct(v, 0.95)) for k, v in timings.items()})


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1)


def _in_child(target, *args):
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, out))
    proc.start()
    result = out.get(timeout=7200)
    proc.join()
    return result


def _seed_in_child(url: str, first: int, count: int) -> float:
    ctx = mp.get_context("spawn")
    start = time.perf_counter()
    proc = ctx.Process(target=seed, args=(url, first, count))
    proc.start()
    proc.join()
    if proc.exitcode:
        raise SystemExit("seeding failed")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders stored at the end")
    parser.add_argument("--small", type=int, default=10_000, help="orders stored at first")
    parser.add_argument("--pipeline-orders", type=int, default=400)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    small = min(args.small, args.orders)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for db, url in pipeline.databases(
            args.databases.split(","), Path(tmp), "despatch_bench_scale"
        ).items():
            ctx = mp.get_context("spawn")
            setup = ctx.Process(target=pipeline.setup_database, args=(url,))
            setup.start()
            setup.join()
            took = _seed_in_child(url, 0, small)
            before = _in_child(_pipeline_rate, url, args.pipeline_orders, "small")
            took += _seed_in_child(url, small, args.orders - small)
            after = _in_child(_pipeline_rate, url, args.pipeline_orders, "large")
            inbox = _in_child(_inbox, url, args.repeat)
            print(f"{db}: {args.orders:,} orders seeded in {took:.0f} s")
            print(
                f"  pipeline: {before:.0f} orders/s at {small:,} stored, {after:.0f}/s at "
                f"{args.orders:,} (x{after / before:.2f}; target >= 0.9)"
            )
            worst = max(p95 for _, p95 in inbox.values())
            print(f"  inbox queries, ms (count + first page), p50 / p95 (worst p95 {worst}):")
            for name, (p50, p95) in inbox.items():
                print(f"    {name:22} {p50:8.1f} {p95:8.1f}")
            results.append(
                {
                    "database": db,
                    "orders": args.orders,
                    "small": small,
                    "pipeline_small": round(before, 1),
                    "pipeline_large": round(after, 1),
                    "inbox_ms": inbox,
                }
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
