"""Every demo SKU has its own GTIN, with a right EAN-13 check digit (the seed once kept the first
12 digits of a 13-digit number, so neighbours such as SKU-0003 and SKU-0004 shared one)."""

import random

from despatch.models import Sku
from despatch.services import demo


def _check_digit(payload: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(payload))
    return str((10 - total % 10) % 10)


def test_every_demo_sku_has_its_own_valid_gtin(db):
    demo.seed(random.Random(1), sku_count=200, expected_orders=10)
    gtins = list(Sku.objects.values_list("gtin", flat=True))
    assert len(gtins) == 200
    assert len(set(gtins)) == len(gtins)
    for gtin in gtins:
        assert len(gtin) == 13 and gtin.isdigit()
        assert gtin[-1] == _check_digit(gtin[:12]), gtin
