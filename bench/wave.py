"""Wave release: 1,000 allocated orders released into routed pick lists, timed.

    python bench/wave.py [--orders 1000] [--max-orders 20] [--method best] [--database-url URL]

Seeds a 20-aisle warehouse (50 bins a side) with the benchmark's 200 SKUs in random bins,
allocates the orders (not timed), then times ``waves.release`` for all of them: choosing and
batching the shipments, moving each to ``picking`` under its order's lock, routing every pick
list and writing its tasks.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

TARGET_SECONDS = 60.0  # a 1,000-order wave ready within a minute of pressing release


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--max-orders", type=int, default=20)
    parser.add_argument("--method", default="best")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/wave.sqlite3"
    import pipeline

    pipeline.setup_database(url)
    from despatch import worker
    from despatch.domain.addresses import Address
    from despatch.domain.money import Money
    from despatch.domain.orders import LineDraft, OrderDraft
    from despatch.models import PickTask
    from despatch.services import orders, picking, waves

    warehouse = pipeline.WAREHOUSES[0]
    aisles, bins = 20, 50
    picking.set_layout(
        warehouse,
        {
            "aisles": aisles,
            "bins_per_side": bins,
            "aisle_x_m": {str(n): 1.5 + 3.0 * (n - 1) for n in range(1, aisles + 1)},
            "bin_pitch_m": 1.2,
            "front_cross_aisle_y_m": 0.0,
            "back_cross_aisle_y_m": 1.2 * (bins + 1),
            "depot": {"x_m": 0.0, "y_m": 0.0},
        },
    )
    rng = random.Random(11)
    spots = rng.sample(
        [
            f"A{a:02d}-B{b:02d}-{s}"
            for a in range(1, aisles + 1)
            for b in range(1, bins + 1)
            for s in "LR"
        ],
        len(pipeline.SPREAD),
    )
    picking.set_locations(warehouse, list(zip(pipeline.SPREAD, spots, strict=True)))
    address = Address("Ada Okafor", "4 Quay St", "Bristol", "BS1 4DJ", "GB")
    started = time.perf_counter()
    for n in range(args.orders):
        lines = tuple(
            LineDraft(s, q, Money.parse("9.99", "GBP")) for s, q in pipeline._lines(rng, "spread")
        )
        orders.receive_order(OrderDraft("bench", f"wave-{n}", "GBP", lines, address), actor="bench")
        if n % 50 == 49:
            worker.drain("bench")
    worker.drain("bench")
    print(f"set-up: {args.orders} orders allocated in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    report = waves.release(
        warehouse, actor="bench", max_orders=args.max_orders, max_lines=10**6, method=args.method
    )
    elapsed = time.perf_counter() - started
    tasks = PickTask.objects.count()
    released = len({t for t in PickTask.objects.values_list("shipment_id", flat=True)})
    walk = sum(pl.length_m for pl in report.pick_lists)
    print(
        f"wave: {released} shipments, {tasks} tasks, {len(report.pick_lists)} pick lists "
        f"({args.method}) in {elapsed:.1f} s = {released / elapsed:.0f} shipments/s; "
        f"walk {walk / 1000:.1f} km, {walk / max(1, len(report.pick_lists)):.0f} m a list"
    )
    verdict = "met" if elapsed <= TARGET_SECONDS else "NOT met"
    print(f"target: the wave released and routed within {TARGET_SECONDS:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
