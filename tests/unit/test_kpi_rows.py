from decimal import Decimal

from despatch.domain.kpi_rows import flat


def test_every_kpi_is_a_row_and_every_part_its_own_row():
    values = {
        "orders_received": 23,
        "pick_accuracy": None,
        "backlog_by_age": {"under_4h": 17, "over_2d": 1},
        "pick_rate_units_per_hour": {},
        "exceptions_by_reason": {"unknown_sku": {"count": 2, "median_hours_to_resolve": None}},
        "refund_value": [{"amount": Decimal("12.50"), "currency": "GBP"}],
    }
    assert flat(values, list(values)) == [
        ("orders_received", "", "23"),
        ("pick_accuracy", "", ""),
        ("backlog_by_age", "under_4h", "17"),
        ("backlog_by_age", "over_2d", "1"),
        ("pick_rate_units_per_hour", "", ""),
        ("exceptions_by_reason", "unknown_sku count", "2"),
        ("exceptions_by_reason", "unknown_sku median_hours_to_resolve", ""),
        ("refund_value", "GBP", "12.50"),
    ]
