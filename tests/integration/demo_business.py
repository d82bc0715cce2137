"""The demo's business, small: what `despatch demo` seeds, for tests that need every screen and
command to have something real to show."""

import random

import pytest

from despatch import worker
from despatch.services import demo, demo_floor, orders, tokens

CRAWLER = ("crawler", "crawl-the-app")


@pytest.fixture
def demo_business(db, settings, tmp_path):
    settings.HOME = tmp_path  # cartons.csv, rates.json, labels and manifests go here
    rng = random.Random(3)
    shop = demo.seed(rng, sku_count=30, expected_orders=60)
    demo_floor.set_up_floor([code for code, *_ in demo.WAREHOUSES], shop.skus)
    demo_floor.role_users()
    worker.drain()
    drafts = [*demo.orders(rng, shop, 60, prefix="CRAWL-")]
    drafts += demo_floor.problem_orders("shopify-uk", "GBP", shop.skus[0], "CRAWL-")
    for draft in drafts:
        orders.receive_order(draft, actor=f"channel:{draft.channel}")
    worker.drain()
    demo.work_the_floor(rng, 0.5)
    wave = demo_floor.release_wave("LON", actor="user:demo-floor")
    worker.drain()
    tokens.ensure_user(*CRAWLER, roles=("ops_manager",), superuser=True)
    return wave
