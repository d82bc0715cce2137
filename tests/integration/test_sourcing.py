"""Sourcing with calendars: ship-by and promised dates, strategies, split caps, explanations."""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.domain.addresses import Address
from despatch.domain.errors import ValidationFailed
from despatch.models import AuditEntry, Order, Shipment
from despatch.services import calendars, channels, orders, sourcing, tokens, validation
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
        assert validation.validate(order, trail, lines)
        sourcing.reserve_and_allocate(order, trail, lines)
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


def test_promises_start_from_when_the_customer_paid_not_from_when_despatch_ran(shop):
    calendars.set_calendar(
        "LON", {"holidays": {"subdivision": "ENG"}, "cutoffs": {"*": "16:00"}}, actor="test"
    )
    paid = datetime(2026, 8, 28, 15, 0, tzinfo=LONDON)  # before the Friday cut-off
    order = receive([("A", 1)], paid_at=paid)
    done = allocate_at(order.id, datetime(2026, 8, 28, 16, 30, tzinfo=LONDON))
    assert done.paid_at == paid
    assert Shipment.objects.get(order=done).ship_by == date(2026, 8, 28)  # not Tuesday
    assert done.promise_date == date(2026, 9, 2)
    assert done.allocation["promise"]["LON"]["late"] is False and "late" not in done.tags


def test_an_order_imported_late_shows_it_is_already_late(shop):
    calendars.set_calendar(
        "LON", {"holidays": {"subdivision": "ENG"}, "cutoffs": {"*": "16:00"}}, actor="test"
    )
    order = receive([("A", 1)], paid_at=datetime(2026, 8, 27, 10, 0, tzinfo=LONDON))
    done = allocate_at(order.id, datetime(2026, 9, 1, 9, 0, tzinfo=LONDON))  # days later
    promise = done.allocation["promise"]["LON"]
    assert promise["ship_by"] == "2026-08-27" and promise["late"] is True
    assert "already late on Tue 1 Sep 2026" in promise["reason"]
    assert done.promise_date == date(2026, 9, 1)  # Thu + 2 working days, bank holiday skipped
    assert "late" in done.tags


def test_a_late_import_through_the_worker_is_late_too(shop):
    order = receive([("A", 1)], paid_at=timezone.now() - timedelta(days=10))
    worker.drain("test")
    done = Order.objects.get(id=order.id)
    assert done.status == "allocated" and "late" in done.tags
    assert Shipment.objects.get(order=done).ship_by < timezone.localdate()


def test_the_channels_own_ship_by_wins_when_it_is_earlier(shop):
    paid = datetime(2026, 8, 28, 17, 0, tzinfo=LONDON)  # past the cut-off: the calendar says Mon
    channel_ship_by = datetime(2026, 8, 28, 20, 0, tzinfo=UTC)  # 21:00 in London, Friday
    order = receive([("A", 1)], paid_at=paid, channel_ship_by=channel_ship_by)
    done = allocate_at(order.id, datetime(2026, 8, 28, 17, 5, tzinfo=LONDON))
    assert Shipment.objects.get(order=done).ship_by == date(2026, 8, 28)
    promise = done.allocation["promise"]["LON"]
    assert "the channel's ship-by Fri 28 Aug 2026 is earlier" in promise["reason"]
    assert promise["late"] is False
    later = receive([("A", 1)], paid_at=paid, channel_ship_by=datetime(2026, 9, 30, tzinfo=UTC))
    done = allocate_at(later.id, datetime(2026, 8, 28, 17, 5, tzinfo=LONDON))
    assert Shipment.objects.get(order=done).ship_by == date(2026, 8, 31)  # the calendar's


def test_adapters_read_the_paid_time_and_the_channels_ship_by():
    from despatch.integrations.channels import amazon, ebay

    documented = Path(__file__).parents[1] / "fixtures" / "channels" / "documented"
    uk = json.loads((documented / "amazon_order_uk.json").read_text())
    draft = amazon.parse(uk, "amz").draft
    assert draft.paid_at == datetime(1970, 1, 19, 3, 58, 30, tzinfo=UTC)
    assert draft.channel_ship_by == datetime(1970, 1, 19, 4, 5, 13, tzinfo=UTC)
    payload = json.loads((documented / "ebay_order.json").read_text())
    payload["lineItems"][0]["lineItemFulfillmentInstructions"] = {
        "shipByDate": "2026-06-21T06:59:59.000Z"
    }
    draft = ebay.parse(payload, "ebay").draft
    assert draft.paid_at == datetime(2026, 6, 18, 13, 27, 24, 746000, tzinfo=UTC)
    assert draft.channel_ship_by == datetime(2026, 6, 21, 6, 59, 59, tzinfo=UTC)


def test_a_paid_time_without_a_zone_is_refused(shop):
    with pytest.raises(ValidationFailed) as failed:
        receive([("A", 1)], paid_at=datetime(2026, 8, 28, 15, 0))
    assert failed.value.errors[0].field == "paid_at"


def test_a_csv_import_keeps_the_paid_time_and_names_a_bad_one(shop, tmp_path):
    head = "external_id,currency,sku,quantity,unit_price,ship_name,ship_line1,ship_city,"
    head += "ship_postcode,ship_country,paid_at\n"
    (tmp_path / "orders.csv").write_text(
        head + "OLD-1,GBP,A,1,5.00,Jo,1 High St,Leeds,LS1 1AA,GB,2026-01-05T10:00:00\n"
        "BAD-1,GBP,A,1,5.00,Jo,1 High St,Leeds,LS1 1AA,GB,last tuesday\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["orders", "import", "--channel", "csv", str(tmp_path / "orders.csv")]
    )
    assert "paid_at" in result.output and "last tuesday" in result.output
    worker.drain("w")
    old = orders.find_order("csv", "OLD-1")
    assert old.paid_at == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    assert old.status == "allocated" and "late" in old.tags
    assert not Order.objects.filter(external_id="BAD-1").exists()
