"""A realistic small business for the demo, benchmarks and tests: seed it, then make orders.

Three warehouses in three time zones, 200 SKUs with dimensions and weights, four channels,
stock that runs short on a few popular SKUs (so some orders split or wait), and a day of
orders with a long-tailed SKU mix, a few unknown SKUs and a few unusable addresses.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from despatch.domain.addresses import Address
from despatch.domain.money import Money
from despatch.domain.orders import LineDraft, OrderDraft, PaymentStatus
from despatch.models import Shipment, Sku
from despatch.services import calendars, catalogue, channels, fulfillment, inventory, packing

WAREHOUSES = (
    ("LON", "London DC", "Europe/London", "GB", 1),
    ("NJ", "New Jersey DC", "America/New_York", "US", 2),
    ("SYD", "Sydney DC", "Australia/Sydney", "AU", 3),
)
# the region whose public holidays each warehouse keeps (England's late summer bank holiday is
# not one of the whole of the UK's)
HOLIDAY_REGIONS = {"LON": "ENG", "NJ": "NJ", "SYD": "NSW"}
API_CHANNEL = "own-shop"
CHANNELS = (
    ("shopify-uk", "Shopify UK", "shopify", ["LON", "NJ"], "GBP", "GB"),
    ("woo-eu", "WooCommerce EU", "woocommerce", ["LON", "NJ"], "EUR", "DE"),
    ("amazon-us", "Amazon US", "amazon", ["NJ", "LON"], "USD", "US"),
    ("ebay-au", "eBay AU", "ebay", ["SYD", "LON", "NJ"], "AUD", "AU"),
)
PLACES = {
    "GB": [
        ("London", "E1 6AN", ""),
        ("Leeds", "LS1 4DY", ""),
        ("Bristol", "BS1 5TR", ""),
        ("Glasgow", "G1 1XQ", ""),
    ],
    "DE": [("Berlin", "10115", ""), ("Hamburg", "20095", ""), ("Munich", "80331", "")],
    "US": [
        ("New York", "10001", "NY"),
        ("Austin", "73301", "TX"),
        ("Seattle", "98101", "WA"),
        ("Chicago", "60601", "IL"),
    ],
    "AU": [("Sydney", "2000", "NSW"), ("Melbourne", "3000", "VIC"), ("Perth", "6000", "WA")],
}
NOUNS = ["Mug", "Tee", "Hoodie", "Cap", "Notebook", "Bottle", "Tote", "Candle", "Lamp", "Scarf"]
COLOURS = ["Black", "White", "Navy", "Olive", "Rust", "Sand", "Teal", "Plum", "Grey", "Red"]
FIRST = ["Ada", "Ben", "Chloe", "Dev", "Ema", "Finn", "Gita", "Hugo", "Iris", "Jon", "Kai", "Lena"]
LAST = ["Okafor", "Smith", "Müller", "Garcia", "Nguyen", "Brown", "Rossi", "Kowalski", "Tanaka"]


@dataclass(frozen=True)
class Business:
    skus: tuple[str, ...]
    channels: tuple[tuple[str, str, str], ...]  # (code, currency, country)


def demand_weights(count: int) -> list[float]:
    """Long-tailed popularity: SKU rank r sells in proportion to 1 / r^0.9."""
    return [1 / (rank + 1) ** 0.9 for rank in range(count)]


UNITS_PER_ORDER = 3.5  # mean distinct lines (2.17) x mean quantity (1.6) of generated orders


def seed(
    rng: random.Random,
    reference: str = "opening-balance",
    sku_count: int = 200,
    actor: str = "system:demo",
    progress: Callable[[int], None] | None = None,
    expected_orders: int = 2000,
) -> Business:
    for code, name, tz, country, priority in WAREHOUSES:
        warehouse = catalogue.upsert_warehouse(
            code=code, name=name, time_zone=tz, country=country, priority=priority
        )
        if not warehouse.calendar:  # a calendar set since is kept
            region = {"country": country, "subdivision": HOLIDAY_REGIONS[code]}
            calendars.set_calendar(code, {"holidays": region}, actor=actor)
    for code, name, kind, warehouses, _, _ in CHANNELS:
        catalogue.upsert_channel(code=code, name=name, type=kind, warehouses=warehouses)
    _seed_api_channel()
    rows = [_sku_row(i, rng) for i in range(1, sku_count + 1)]
    catalogue.upsert_skus(rows)
    weights = demand_weights(sku_count)
    demand = [expected_orders * UNITS_PER_ORDER * w / sum(weights) for w in weights]
    for i, row in enumerate(rows):
        for code, *_ in WAREHOUSES:
            units = _opening_stock(i, code, demand[i], rng)
            if units:
                inventory.receive_stock(
                    sku=row.code,
                    warehouse=code,
                    quantity=units,
                    actor=actor,
                    reference=reference,
                )
        if progress:
            progress(1)
    return Business(tuple(r.code for r in rows), tuple((c[0], c[4], c[5]) for c in CHANNELS))


def _seed_api_channel() -> None:
    """The seller's own shop posting to the API (the README's example): trusted to say that an
    order is paid, which a marketplace's channel is not until a payment notice says so."""
    channels.configure_channel(
        code=API_CHANNEL,
        name="Own shop (API)",
        type="api",
        warehouses=["LON", "NJ", "SYD"],
        settings={"trusted_payment_status": True},
        actor="demo",
    )


def _sku_row(i: int, rng: random.Random) -> catalogue.SkuRow:
    noun, colour = NOUNS[i % len(NOUNS)], COLOURS[(i // len(NOUNS)) % len(COLOURS)]
    return catalogue.SkuRow(
        code=f"SKU-{i:04d}",
        name=f"{colour} {noun} {i}",
        gtin=_gtin(500000000000 + i),
        length_mm=rng.randint(50, 450),
        width_mm=rng.randint(40, 300),
        height_mm=rng.randint(10, 200),
        weight_g=rng.randint(40, 2500),
        flags=("fragile",) if noun in ("Mug", "Lamp", "Candle") else (),
    )


def _gtin(payload: int) -> str:
    """An EAN-13: the 12 digits of ``payload`` and their check digit (one GTIN per payload)."""
    digits = str(payload).zfill(12)
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


SHARE = {"LON": 0.55, "NJ": 0.5, "SYD": 0.35}


def _opening_stock(i: int, warehouse: str, demand: float, rng: random.Random) -> int:
    """About 1.4x the day's demand in all, spread so one warehouse is sometimes short
    (orders split); a few less popular SKUs are stocked below demand (orders wait)."""
    share = SHARE[warehouse]
    if i % 5 == 3:  # kept only in New Jersey
        share = {"LON": 0.0, "NJ": 1.0, "SYD": 0.35}[warehouse]
    if i % 5 == 1:  # kept only in London: orders mixing the two kinds split
        share = {"LON": 1.0, "NJ": 0.0, "SYD": 0.35}[warehouse]
    cover = 0.7 if i % 25 == 17 else 1.4
    if share == 0:
        return 0
    return max(0, round(demand * cover * share * rng.uniform(0.8, 1.2)) + rng.randint(0, 3))


def orders(
    rng: random.Random, business: Business, count: int, prefix: str = "D"
) -> Iterator[OrderDraft]:
    weights = demand_weights(len(business.skus))
    for n in range(1, count + 1):
        code, currency, country = rng.choice(business.channels)
        lines = []
        for sku in dict.fromkeys(
            rng.choices(business.skus, weights, k=rng.choice((1, 1, 2, 2, 3, 4)))
        ):
            if rng.random() < 0.004:
                sku = f"GHOST-{rng.randint(1, 99)}"  # a SKU the catalogue does not know
            price = Money(Decimal(rng.randint(400, 6000)) / 100, currency)
            lines.append(LineDraft(sku, rng.choice((1, 1, 1, 2, 3)), price))
        city, postcode, region = rng.choice(PLACES[country])
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        street = "" if rng.random() < 0.003 else f"{rng.randint(1, 250)} High Street"
        yield OrderDraft(
            channel=code,
            external_id=f"{prefix}{n:06d}",
            currency=currency,
            lines=tuple(lines),
            shipping_address=Address(name, street, city, postcode, country, region=region),
            customer_name=name,
            customer_email=f"{name.split()[0].lower()}{n}@example.com",
            payment_status=PaymentStatus.PAID,
            requested_service=rng.choice(("standard", "standard", "express")),
            shipping_price=Money(Decimal("4.95"), currency),
            priority=1 if rng.random() < 0.1 else 0,
        )


def allocated_shipments() -> int:
    return Shipment.objects.filter(status="allocated").count()


def sku_count() -> int:
    return Sku.objects.count()


PACKAGING_G = 120  # the carton and its filling, on top of what the items weigh


def pack(shipment_id: str, *, actor: str) -> None:
    """Packed with the weight a scale would read: its items plus the packaging (a parcel
    packed with no weight would show 0 g on the manifests and in the API)."""
    weight = sum(item.weight_g for item in packing.shipment_items(shipment_id)) + PACKAGING_G
    with transaction.atomic():
        fulfillment.pack(shipment_id, actor=actor)
        Shipment.objects.filter(id=shipment_id).update(weight_g=weight)


def work_the_floor(
    rng: random.Random,
    share: float,
    actor: str = "user:demo-floor",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Pick, pack and despatch a share of allocated shipments, and deliver some of those."""
    ids = list(
        Shipment.objects.filter(status="allocated")
        .order_by("created_at")
        .values_list("id", flat=True)
    )
    moved = 0
    for shipment_id in ids:
        if rng.random() < share:
            fulfillment.start_picking(shipment_id, actor=actor)
            roll = rng.random()
            if roll < 0.85:
                pack(shipment_id, actor=actor)
            if roll < 0.7:
                fulfillment.despatch(
                    shipment_id,
                    actor=actor,
                    carrier="demo-post",
                    tracking_number=f"DP{rng.randint(10**9, 10**10 - 1)}",
                )
            if roll < 0.3:
                fulfillment.deliver(shipment_id, actor=actor)
            moved += 1
        if progress:
            progress(1)
    return moved
