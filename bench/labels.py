"""Label rendering speed: 4 x 6 PDF and ZPL labels per second (rendering only, no database).

python bench/labels.py [--labels 300]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from despatch.domain import tracking_numbers
from despatch.domain.addresses import Address
from despatch.integrations import labels

TARGET_PDF_PER_SECOND = 50  # a packing bench prints one every few seconds; a batch of 1,000 in 20 s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=300)
    args = parser.parse_args()
    sender = Address("Despatch Ltd", "1 Dock Rd", "London", "E16 1AA", "GB")
    to = Address("Zoë Łukasiewicz", "Straße des 17. Juni 135", "Berlin", "10623", "DE")
    items = [
        labels.Label(
            tracking_numbers.s10("RR", n, "GB"), "royalmail", "Tracked 48", sender, to, f"#{n}"
        )
        for n in range(args.labels)
    ]
    for name, render in (("pdf", labels.pdf), ("zpl", labels.zpl)):
        started = time.perf_counter()
        for label in items:
            render(label)
        rate = args.labels / (time.perf_counter() - started)
        print(f"{name}: {rate:,.0f} labels/s ({1000 / rate:.2f} ms each)")
        if name == "pdf":
            verdict = "met" if rate >= TARGET_PDF_PER_SECOND else "NOT met"
            print(f"target: PDF >= {TARGET_PDF_PER_SECOND} labels/s: {verdict}")


if __name__ == "__main__":
    main()
