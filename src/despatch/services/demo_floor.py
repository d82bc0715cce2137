"""What the demo's warehouse floor needs so every screen has something real on it: a layout and
a bin for every SKU in each warehouse, cartons, a rate card with two carriers, one user for each
role, a few orders that need a person (open exceptions) and a wave released into pick lists.

Everything here is idempotent: running the demo again keeps the files a person edited and resets
the demo users' passwords to the ones printed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from despatch.domain.addresses import Address
from despatch.domain.money import Money
from despatch.domain.orders import LineDraft, OrderDraft, PaymentStatus
from despatch.services import packing, picking, shipping, tokens, waves

AISLES, BINS_PER_SIDE = 6, 20
LAYOUT = {
    "aisles": AISLES,
    "bins_per_side": BINS_PER_SIDE,
    "aisle_x_m": {str(a): 2.0 + 3.0 * (a - 1) for a in range(1, AISLES + 1)},
    "bin_pitch_m": 1.0,
    "front_cross_aisle_y_m": 0.0,
    "back_cross_aisle_y_m": BINS_PER_SIDE + 1.0,
    "depot": {"x_m": 0.0, "y_m": 0.0},
}

CARTONS_CSV = (
    (
        "carton_id,name,inner_length_mm,inner_width_mm,inner_height_mm,max_content_weight_g,cost,"
        "currency,supplier\n"
    )
    + """S,Small mailer,250,180,80,2000,0.35,GBP,Demo Packaging
M,Medium box,350,250,150,10000,0.60,GBP,Demo Packaging
L,Large box,450,350,300,20000,1.10,GBP,Demo Packaging
XL,Extra large box,600,450,450,30000,1.80,GBP,Demo Packaging
T,Tube,610,80,80,3000,0.45,GBP,Demo Packaging
"""
)

Json = dict[str, Any]
EU = ["DE", "FR", "NL", "BE", "IE", "ES", "IT"]


def _bands(zone: str, prices: Iterable[tuple[int, str]]) -> list[Json]:
    return [{"zone": zone, "max_weight_g": w, "price": p} for w, p in prices]


def _service(code: str, name: str, days: int, zones: list[Json], bands: list[Json]) -> Json:
    return {
        "code": code,
        "name": name,
        "currency": "GBP",
        "transit_days": days,
        "dim_divisor": 5000,
        "zones": zones,
        "bands": bands,
    }


RATE_CARD = {
    "carriers": [
        {
            "code": "royalmail",
            "name": "Royal Mail",
            "tracking": {"scheme": "s10", "service": "RR", "country": "GB"},
            "services": [
                _service(
                    "tracked-48",
                    "Tracked 48",
                    2,
                    [{"zone": "UK", "countries": ["GB"]}],
                    _bands("UK", [(1000, "3.10"), (2000, "3.90"), (10000, "6.50")])
                    + _bands("UK", [(20000, "11.00"), (30000, "15.00")]),
                ),
                _service(
                    "international-tracked",
                    "International Tracked",
                    6,
                    [{"zone": "WORLD", "countries": [*EU, "US", "AU"]}],
                    _bands("WORLD", [(2000, "14.50"), (10000, "32.00"), (30000, "68.00")]),
                ),
            ],
        },
        {
            "code": "ups",
            "name": "UPS",
            "tracking": {"scheme": "ups", "shipper": "D3M0UK", "service": "11"},
            "services": [
                _service(
                    "standard",
                    "UPS Standard",
                    3,
                    [{"zone": "UK", "countries": ["GB"]}, {"zone": "EU", "countries": EU}],
                    _bands("UK", [(30000, "5.20")])
                    + _bands("EU", [(5000, "11.50"), (30000, "19.00")]),
                ),
                _service(
                    "express",
                    "UPS Express",
                    2,
                    [{"zone": "FAR", "countries": ["US", "AU"]}],
                    _bands("FAR", [(5000, "24.00"), (30000, "49.00")]),
                ),
            ],
        },
    ]
}

# one user a role; passwords pass Django's validators (length, common, numeric, similarity)
ROLE_USERS = (
    ("ops_manager", "amber-harbour-41"),
    ("order_ops", "copper-meadow-27"),
    ("finance", "velvet-ledger-63"),
    ("picker", "orchid-trolley-18"),
    ("packer", "saffron-parcel-52"),
    ("shipping", "cobalt-pallet-39"),
    ("support", "willow-kettle-84"),
    ("integrator", "granite-socket-76"),
)


def bin_of(n: int) -> str:
    """The n-th bin of the layout (0-based): aisle by aisle, left side then right."""
    aisle, rest = divmod(n, 2 * BINS_PER_SIDE)
    side, number = divmod(rest, BINS_PER_SIDE)
    return f"A{aisle + 1:02d}-B{number + 1:02d}-{'LR'[side]}"


def set_up_floor(warehouses: Iterable[str], skus: Iterable[str]) -> None:
    """A layout and a bin for each SKU in every warehouse; cartons and a rate card in
    DESPATCH_HOME unless a file is already there."""
    places = [(sku, bin_of(n)) for n, sku in enumerate(skus) if n < AISLES * 2 * BINS_PER_SIDE]
    for code in warehouses:
        picking.set_layout(code, LAYOUT)
        picking.set_locations(code, places)
    for path, text in (
        (packing.cartons_path(), CARTONS_CSV),
        (shipping.rates_path(), json.dumps(RATE_CARD, indent=2) + "\n"),
    ):
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


def role_users() -> list[tuple[str, str, str]]:
    """(username, password, role) of the demo's users, created or reset."""
    users = []
    for role, password in ROLE_USERS:
        tokens.ensure_user(role, password, roles=(role,))
        users.append((role, password, role))
    return users


@dataclass(frozen=True)
class Wave:
    wave: str
    pick_lists: list[str]


def release_wave(warehouse: str, *, actor: str, shipments: int = 12) -> Wave:
    """A small wave of the most urgent allocated shipments, three to a pick list."""
    report = waves.release(warehouse, actor=actor, max_orders=3, limit=shipments)
    return Wave(report.wave, [pl.id for pl in report.pick_lists])


def problem_orders(channel: str, currency: str, sku: str, prefix: str) -> Iterator[OrderDraft]:
    """Orders a person must look at: an unknown SKU, and an address with no street."""
    for n, (line_sku, street) in enumerate(
        ((f"GHOST-{prefix}", "12 Quay Street"), (sku, ""), (f"GHOST-{prefix}2", "7 Mill Lane"))
    ):
        name = ("Mo Farouk", "Una Street", "Ravi Nair")[n]
        yield OrderDraft(
            channel=channel,
            external_id=f"{prefix}X{n + 1}",
            currency=currency,
            lines=(LineDraft(line_sku, 1, Money(Decimal("19.00"), currency)),),
            shipping_address=Address(name, street, "Leeds", "LS1 4DY", "GB"),
            customer_name=name,
            customer_email=f"problem{n + 1}@example.com",
            payment_status=PaymentStatus.PAID,
            requested_service="standard",
            shipping_price=Money(Decimal("4.95"), currency),
        )
