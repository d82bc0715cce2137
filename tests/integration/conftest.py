import pytest

from despatch import worker
from despatch.services import catalogue, inventory


@pytest.fixture
def shop(db):
    """Two warehouses (LON first) and SKUs A, B, C, D with known stock."""
    catalogue.upsert_warehouse(code="LON", name="London", time_zone="Europe/London", priority=1)
    catalogue.upsert_warehouse(
        code="NJ", name="New Jersey", time_zone="America/New_York", priority=2
    )
    catalogue.upsert_skus(catalogue.SkuRow(code, f"Item {code}") for code in "ABCD")
    for sku, warehouse, qty in [("A", "LON", 10), ("B", "LON", 2), ("B", "NJ", 5), ("C", "NJ", 3)]:
        inventory.receive_stock(sku=sku, warehouse=warehouse, quantity=qty, actor="test")
    worker.drain("test-worker")
    return None


def level(sku, warehouse):
    row = inventory.levels(sku=sku, warehouse=warehouse).first()
    return (row.on_hand, row.reserved) if row else (0, 0)
