"""Sourcing with calendars: ship-by and promised dates, strategies, split caps, explanations."""

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.domain.addresses import Address
from despatch.domain.errors import ValidationFailed
from despatch.models import AuditEntry, Order, Shipment
from despatch.services import allocation, calendars, channels, orders, tokens
from despatch.services.audit import Trail
from tests.conftest import make_draft

LONDON = ZoneInfo("Europe/London")


def receive(lines, **overrides):
    order, _ = orders.receive_order(make_draft(lines, **overrides), actor="test")
    return order


def allocate_at(order_id, moment):
    """Run the pipeline for one order as if it were ``moment``."""
    from django.db import transaction

    with transaction.atomic():
        order = orders.lock_order(order_id)
        trail = Trail("test", at=moment)
        lines = list(order.lines.all())
        assert allocation.validate(order, trail, lines)
        allocation._reserve_and_allocate(order, trail, lines)
        trail.save()
    return Order.objects.get(id=order_id)


def test_an_order_paid_before_the_cut_off_on_the_friday_before_a_bank_holiday(shop):
    calendars.set_calendar(
        "LON", {"holidays": {"subdivision": "ENG"}, "cutoffs": {"*": "16:00"}}, actor="test"
    )
    early = allocate_at(receive([("A", 1)]).id, datetime(2026, 8, 28, 15, 59, tzinfo=LONDON))
    late = allocate_at(receive([("A", 1)]).id, datetime(2026, 8, 28, 16, 0, tzinfo=LONDON))
    assert Shipment.objects.get(order=early).ship_by == date(2026, 8, 28)
    assert Shipment.objects.get(order=late).ship_by == date(2026, 9, 1)
    assert early.promise_date == date(2026, 9, 2)  # standard: two working days, not Monday
    assert late.promise_date == date(2026, 9, 3)
    promise = late.allocation["promise"]["LON"]
    assert promise["ship_by"] == "2026-09-01" and "past the cut-off 16:00" in promise["reason"]


def test_a_channel_promise_is_kept(shop):
    order = receive([("A", 1)])
    Order.objects.filter(id=order.id).update(promise_date=date(2026, 12, 1))
    done = allocate_at(order.id, datetime(2026, 11, 23, 9, 0, tzinfo=LONDON))
    assert done.promise_date == date(2026, 12, 1)


def test_nearest_sourcing_ships_from_the_destination_country(shop):
    channels.configure_channel(
        code="web",
        name="Web",
        type="api",
        warehouses=["LON", "NJ"],
        settings={"sourcing": {"strategy": "nearest"}},
    )
    from despatch.services import catalogue, inventory

    catalogue.upsert_warehouse(
        code="NJ", name="New Jersey", time_zone="America/New_York", country="US", priority=2
    )
    inventory.receive_stock(sku="A", warehouse="NJ", quantity=5, actor="test")
    us = Address("Jo", "1 Main St", "New York", "10001", "US", region="NY")
    order = allocate_at(
        receive([("A", 1)], shipping_address=us).id, datetime(2026, 11, 23, 9, tzinfo=LONDON)
    )
    assert [s.warehouse_id for s in order.shipments.all()] == ["NJ"]
    assert order.allocation["strategy"] == "nearest"
    assert order.allocation["explanation"][0].startswith("chose NJ (choice 1, same country")
    uk = allocate_at(receive([("A", 1)]).id, datetime(2026, 11, 23, 9, tzinfo=LONDON))
    assert [s.warehouse_id for s in uk.shipments.all()] == ["LON"]


def test_forbidding_splits_backorders_rather_than_sending_two_parcels(shop):
    channels.configure_channel(
        code="web", name="Web", type="api", settings={"sourcing": {"max_shipments": 1}}
    )
    order = receive([("A", 1), ("C", 1)])  # A only in LON, C only in NJ
    worker.drain("test")
    order = Order.objects.get(id=order.id)
    assert order.status == "backordered" and not order.shipments.exists()
    assert order.allocation["strategy"] == "fewest_shipments, splitting forbidden"
    assert sum(line.backordered for line in order.lines.all()) == 1


def test_a_wrong_sourcing_setting_is_refused(shop):
    with pytest.raises(ValidationFailed) as caught:
        channels.configure_channel(
            code="web", name="Web", type="api", settings={"sourcing": {"strategy": "closest"}}
        )
    assert caught.value.errors[0].field == "sourcing.strategy"


def test_calendar_location_and_promise_through_the_api_and_the_cli(shop, client, tmp_path):
    tokens.ensure_user("boss", "pw", roles=("ops_manager",))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('boss')}"}
    answer = client.put(
        "/api/warehouses/LON/calendar",
        {"holidays": {"subdivision": "ENG"}, "cutoffs": {"express": "14:30"}},
        content_type="application/json",
        **auth,
    )
    assert answer.status_code == 200 and answer.json()["calendar"]["cutoffs"]["express"] == "14:30"
    bad = client.put(
        "/api/warehouses/LON/calendar",
        {"working_days": ["mon", "someday"], "cutoffs": {"express": "2pm"}},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {
        "calendar.working_days[1]",
        "calendar.cutoffs.express",
    }
    promise = client.get(
        "/api/warehouses/LON/promise?at=2026-08-28T14:30:00&service=express", **auth
    ).json()
    assert (promise["ship_by"], promise["deliver_by"]) == ("2026-09-01", "2026-09-02")
    located = client.put(
        "/api/warehouses/NJ/location",
        {"serves": ["ca"], "costs": {"US": "5.10", "*": "14"}},
        content_type="application/json",
        **auth,
    )
    assert located.json()["location"] == {"serves": ["CA"], "costs": {"US": "5.10", "*": "14"}}
    assert AuditEntry.objects.filter(subject_id="LON", action="calendar_changed").count() == 1

    runner = CliRunner()
    file = tmp_path / "calendar.json"
    file.write_text(json.dumps({"working_days": ["mon", "tue", "wed", "thu", "fri", "sat"]}))
    saved = runner.invoke(app, ["warehouses", "calendar", "NJ", "--file", str(file)])
    assert saved.exit_code == 0, saved.output
    tried = runner.invoke(
        app, ["warehouses", "promise", "NJ", "--at", "2026-11-27T17:00:00", "--service", "standard"]
    )
    assert tried.exit_code == 0 and "ships Sat 28 Nov 2026" in tried.output
    file.write_text(json.dumps({"cutoffs": {"standard": "25:00"}}))
    refused = runner.invoke(app, ["warehouses", "calendar", "NJ", "--file", str(file)])
    assert refused.exit_code != 0 and "calendar.cutoffs.standard" in refused.output
