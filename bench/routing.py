"""Pick routing speed: routes per second for 50-pick lists, per method.

    python bench/routing.py [--lists 200] [--picks 50] [--aisles 20] [--bins 50] [--json out.json]

The layout is a single block of ``--aisles`` aisles 3 m apart with ``--bins`` bins a side at
1.2 m; pick locations are drawn uniformly (seeded, so runs compare). Also prints how much
longer the heuristics walk than the optimal route.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from despatch.domain.layout import Layout, Location
from despatch.domain.routing import route

TARGET_OPTIMAL_PER_SECOND = 50  # a 1,000-order wave's pick lists in well under a minute


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lists", type=int, default=200)
    parser.add_argument("--picks", type=int, default=50)
    parser.add_argument("--aisles", type=int, default=20)
    parser.add_argument("--bins", type=int, default=50)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    layout = Layout.from_json(
        {
            "aisles": args.aisles,
            "bins_per_side": args.bins,
            "aisle_x_m": {str(n): 1.5 + 3.0 * (n - 1) for n in range(1, args.aisles + 1)},
            "bin_pitch_m": 1.2,
            "front_cross_aisle_y_m": 0.0,
            "back_cross_aisle_y_m": 1.2 * (args.bins + 1),
            "depot": {"x_m": 0.0, "y_m": 0.0},
        }
    )
    rng = random.Random(7)
    lists = [
        [
            Location(rng.randint(1, args.aisles), rng.randint(1, args.bins), rng.choice("LR"))
            for _ in range(args.picks)
        ]
        for _ in range(args.lists)
    ]
    results: dict[str, dict[str, float]] = {}
    lengths: dict[str, list[float]] = {}
    for method in ("s-shape", "largest-gap", "optimal"):
        started = time.perf_counter()
        lengths[method] = [route(layout, picks, method).length_m for picks in lists]
        elapsed = time.perf_counter() - started
        results[method] = {
            "routes_per_s": args.lists / elapsed,
            "ms_per_route": elapsed / args.lists * 1000,
        }
    optimal = lengths["optimal"]
    for method in ("s-shape", "largest-gap", "optimal"):
        extra = sum(a / b for a, b in zip(lengths[method], optimal, strict=True)) / len(optimal) - 1
        results[method]["longer_than_optimal_pct"] = 100 * extra
        print(
            f"{method:12s} {results[method]['routes_per_s']:8.0f} routes/s "
            f"({results[method]['ms_per_route']:.2f} ms each), "
            f"walks {100 * extra:5.1f}% more than optimal"
        )
    met = results["optimal"]["routes_per_s"] >= TARGET_OPTIMAL_PER_SECOND
    print(
        f"target: optimal >= {TARGET_OPTIMAL_PER_SECOND} routes/s for {args.picks}-pick lists: "
        + ("met" if met else "NOT met")
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
