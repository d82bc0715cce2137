"""Where an order's time goes on the Despatch path: per phase, statements and milliseconds.

    python bench/breakdown.py [--orders 400] [--database-url URL]

Phases: receive (store order, lines, audit, outbox event), claim (lease a batch of events),
handle (what the worker does with the claimed batch: validate, reserve, allocate, audit,
outbox, settle; facts with no handler are settled at once). Statements are counted with
Django's query log, per phase, transaction control (BEGIN, COMMIT, SAVEPOINT) included; CPU
ms is this process's CPU time (steadier than the wall clock on a busy machine).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{tmp}/breakdown.sqlite3"
    import pipeline

    pipeline.setup_database(url)
    from django.db import connection, reset_queries
    from django.test.utils import override_settings

    from despatch import worker
    from despatch.domain.addresses import Address
    from despatch.domain.money import Money
    from despatch.domain.orders import LineDraft, OrderDraft
    from despatch.services import orders, outbox

    rng = random.Random(3)
    address = Address("Ada Okafor", "4 Quay St", "Bristol", "BS1 4DJ", "GB")
    drafts = [
        OrderDraft(
            "bench",
            f"bd-{os.getpid()}-{n}",
            "GBP",
            tuple(
                LineDraft(s, q, Money.parse("9.99", "GBP"))
                for s, q in pipeline._lines(rng, "spread")
            ),
            address,
        )
        for n in range(args.orders)
    ]
    seconds: dict[str, float] = defaultdict(float)
    cpu: dict[str, float] = defaultdict(float)
    statements: dict[str, int] = defaultdict(int)

    def timed(phase, fn, *a):
        reset_queries()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn(*a)
        seconds[phase] += time.perf_counter() - start
        cpu[phase] += time.process_time() - start_cpu
        statements[phase] += len(connection.queries)
        return result

    with override_settings(DEBUG=True):
        for n, draft in enumerate(drafts, start=1):
            timed("receive", lambda d: orders.receive_order(d, actor="bench"), draft)
            if n % pipeline.BATCH == 0 or n == len(drafts):
                while events := timed("claim", outbox.claim, "bd", 100):
                    timed("handle", worker.process, "bd", events)
    total = sum(seconds.values())
    rate = args.orders / total
    print(f"{connection.vendor}: {args.orders} orders, {rate:.0f} orders/s with the query log on")
    print(f"{'phase':8} {'ms/order':>9} {'CPU ms/order':>13} {'statements/order':>17} {'share':>6}")
    for phase in ("receive", "claim", "handle"):
        print(
            f"{phase:8} {1000 * seconds[phase] / args.orders:9.2f} "
            f"{1000 * cpu[phase] / args.orders:13.2f} "
            f"{statements[phase] / args.orders:17.1f} {seconds[phase] / total:6.0%}"
        )
    per_order = sum(statements.values()) / args.orders
    cpu_total = 1000 * sum(cpu.values()) / args.orders
    print(f"{'total':8} {1000 * total / args.orders:9.2f} {cpu_total:13.2f} {per_order:17.1f}")


if __name__ == "__main__":
    main()
