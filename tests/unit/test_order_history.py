"""Replaying an order's audit entries up to a moment."""

from datetime import UTC, datetime, timedelta

from despatch.domain.history import replay

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def entry(seq, action, minutes, *, subject="order", before=None, after=None, reason="", **detail):
    return {
        "seq": seq,
        "at": T0 + timedelta(minutes=minutes),
        "actor": "t",
        "subject_type": subject,
        "subject_id": "shp_1" if subject == "shipment" else "ord_1",
        "action": action,
        "reason_code": reason,
        "before": before,
        "after": after,
        "detail": detail,
    }


LIFE = [
    entry(1, "received", 0, after="received", lines=[{"line_no": 1, "sku": "A", "quantity": 2}]),
    entry(2, "validate", 1, before="received", after="validated"),
    entry(3, "payment_changed", 1, before="pending", after="paid"),  # not a status event
    entry(4, "allocation_planned", 2, plan={"assignments": [{"sku": "A", "warehouse": "LON"}]}),
    entry(
        5,
        "allocate",
        2,
        before="reserved",
        after="allocated",
        shipments=["shp_1"],
        warehouses={"shp_1": "LON"},
    ),
    entry(6, "lines_cancelled", 3, lines=[{"line_no": 1, "quantity": 1}]),
    entry(
        7, "despatched", 4, subject="shipment", before="packed", after="despatched", warehouse="LON"
    ),
    entry(8, "despatch", 4, before="packed", after="despatched"),
]


def test_before_it_was_received_there_is_no_order():
    assert replay("ord_1", LIFE, T0 - timedelta(seconds=1)) is None
    assert replay("ord_1", LIFE[1:], T0 + timedelta(hours=1)) is None


def test_each_moment_shows_the_status_lines_and_allocation_of_then():
    received = replay("ord_1", LIFE, T0)
    assert (received.status, received.lines[0]["quantity"], received.plan) == ("received", 2, {})
    paid = replay("ord_1", LIFE, T0 + timedelta(minutes=1))
    assert paid.status == "validated"  # a payment status is not the order's status
    allocated = replay("ord_1", LIFE, T0 + timedelta(minutes=2))
    assert allocated.status == "allocated"
    assert allocated.shipments == {"shp_1": {"warehouse": "LON", "status": "allocated"}}
    cut = replay("ord_1", LIFE, T0 + timedelta(minutes=3))
    assert (cut.lines[0]["quantity"], cut.lines[0]["cancelled"]) == (1, 1)
    done = replay("ord_1", LIFE, T0 + timedelta(minutes=5))
    assert done.status == "despatched" and done.shipments["shp_1"]["status"] == "despatched"
    assert done.changes == 8 and done.last_change["seq"] == 8
    assert done.as_dict()["allocation"]["shipments"] == [
        {"id": "shp_1", "warehouse": "LON", "status": "despatched"}
    ]


def test_a_hold_carries_its_reason_until_the_next_status():
    held = [
        *LIFE[:1],
        entry(2, "hold", 1, before="received", after="on_hold", reason="fraud_review"),
    ]
    released = [*held, entry(3, "release", 2, before="on_hold", after="received")]
    assert replay("ord_1", held, T0 + timedelta(minutes=1)).hold_reason == "fraud_review"
    assert replay("ord_1", released, T0 + timedelta(minutes=2)).hold_reason == ""
