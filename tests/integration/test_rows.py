"""The hot path's repository functions write what the ORM would have written."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.db import DatabaseError

from despatch.domain.ids import new_id
from despatch.domain.orders import OrderStatus
from despatch.models import Order, OutboxEvent
from despatch.services import outbox, rows


def _order(**given):
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    values = dict(
        id=new_id("order"),
        channel="web",
        external_id=new_id("event"),
        status=OrderStatus.RECEIVED,
        currency="GBP",
        total_amount=Decimal("29.97"),
        created_at=now,
        updated_at=now,
    )
    return Order(**{**values, **given})


@pytest.mark.django_db
def test_insert_reads_back_as_the_orm_would_store_it():
    away = timezone(timedelta(hours=-5))
    order = _order(
        updated_at=datetime(2026, 11, 30, 7, 30, tzinfo=away),
        shipping_address={"name": "Ada", "lines": ["4 Quay St"]},
        tags=["vip"],
        promise_date=date(2026, 12, 3),
        computed_total=Decimal("29.9700"),
    )
    rows.insert(Order, [order])
    stored = Order.objects.get(id=order.id)
    assert stored.updated_at == datetime(2026, 11, 30, 12, 30, tzinfo=UTC)
    assert stored.shipping_address == {"name": "Ada", "lines": ["4 Quay St"]}
    assert stored.tags == ["vip"]
    assert stored.promise_date == date(2026, 12, 3)
    assert stored.total_amount == Decimal("29.97")
    assert stored.status == OrderStatus.RECEIVED
    assert not order._state.adding


@pytest.mark.django_db
def test_insert_sets_the_keys_the_database_made():
    events = [outbox.emit("order.received", f"k{n}", order_id=f"o{n}") for n in range(3)]
    rows.insert(OutboxEvent, events)
    assert all(e.id for e in events)
    stored = {e.id: (e.key, e.payload) for e in OutboxEvent.objects.filter(key__startswith="k")}
    assert stored == {e.id: (e.key, e.payload) for e in events}


@pytest.mark.django_db
def test_update_writes_only_the_fields_named():
    order = _order()
    rows.insert(Order, [order])
    order.status = OrderStatus.ALLOCATED
    order.allocated_at = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
    order.allocation = {"promise": {"LON": {"late": False}}}
    order.customer_name = "not written"
    rows.update(order, ["status", "allocated_at", "allocation"])
    stored = Order.objects.get(id=order.id)
    assert stored.status == OrderStatus.ALLOCATED
    assert stored.allocated_at == datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
    assert stored.allocation == {"promise": {"LON": {"late": False}}}
    assert stored.customer_name == ""


@pytest.mark.django_db
def test_update_of_a_missing_row_fails_as_save_would():
    with pytest.raises(DatabaseError):
        rows.update(_order(), ["status"])
