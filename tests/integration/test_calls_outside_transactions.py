"""No call to another server is made while a database transaction is open (docs/architecture.md,
"The outbox and its handlers"): every outgoing TCP connection is watched, and one made inside
``transaction.atomic`` is recorded. Also: an event whose handler calls out stays leased to its
worker meanwhile."""

import socket
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from despatch import worker
from despatch.domain.events import Topic
from despatch.domain.money import Money
from despatch.domain.orders import LineDraft
from despatch.models import OutboxEvent
from despatch.services import (
    channels,
    fulfillment,
    orders,
    outbox,
    pipeline,
    refunds,
    write_backs,
)
from tests.conftest import make_draft
from tests.integration.fake_platforms import fake_platform
from tests.integration.test_channels import _bigcommerce_store, fixture, post_bigcommerce
from tests.integration.test_floor_end_to_end import platform_route

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def calls(monkeypatch):
    """Every outgoing connection as (address, whether a transaction was open on that thread)."""
    seen = []
    real = socket.create_connection

    def watched(address, *args, **kwargs):
        seen.append((address, connection.in_atomic_block))
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", watched)
    return seen


def despatched(channel: str, external_id: str) -> None:
    line = LineDraft("A", 1, Money(Decimal("9.99"), "GBP"), external_line_id="466157049")
    order, _ = orders.receive_order(
        replace(make_draft(channel=channel, external_id=external_id), lines=(line,)), actor="t"
    )
    worker.drain("t")
    for shipment in orders.get_order(order.id).shipments.all():
        fulfillment.start_picking(shipment.id, actor="t")
        fulfillment.pack(shipment.id, actor="t")
        fulfillment.despatch(shipment.id, actor="t", carrier="dpd", tracking_number="")


def test_telling_the_channel_of_a_despatch_opens_no_transaction_around_the_call(shop, calls):
    with fake_platform(route=platform_route) as platform:
        channels.configure_channel(
            code="shop-de", name="Shop", type="shopify", api_url=platform.url, token="shpat"
        )
        despatched("shop-de", "5001")
        worker.drain("t")
    assert platform.calls("POST")  # the channel was told
    assert calls and [inside for _, inside in calls] == [False] * len(calls)


def test_fetching_a_thin_bigcommerce_order_opens_no_transaction(shop, client, calls):
    from despatch.services import catalogue

    catalogue.upsert_skus(catalogue.SkuRow(code, code) for code in ("SKU-0001", "SKU-0002"))
    with fake_platform(route=_bigcommerce_store({"250": fixture("bigcommerce_order.json")})) as bc:
        channels.configure_channel(
            code="bc-uk",
            name="BigCommerce",
            type="bigcommerce",
            webhook_secret="bc-token",
            api_url=bc.url,
            token="xat-1",
        )
        assert post_bigcommerce(client, 250).status_code == 202
        worker.drain("t")
    assert orders.find_order("bc-uk", "250") is not None and bc.requests
    assert calls and not any(inside for _, inside in calls)


def test_the_refund_service_is_called_with_no_transaction_open(shop, receiver, calls, monkeypatch):
    monkeypatch.setenv("DESPATCH_REFUND_WEBHOOK_URL", receiver.url + "/refunds")
    despatched("web", "R-1")
    refund = refunds.request_refund(
        orders.find_order("web", "R-1").id, amount=Decimal("2"), actor="user:support"
    )
    worker.drain("t")
    refund.refresh_from_db()
    assert refund.status == "succeeded" and len(receiver.requests) == 1
    assert receiver.requests[0][1]["Idempotency-Key"] == f"refund-{refund.id}"
    assert calls and not any(inside for _, inside in calls)


def test_cancelling_and_refunding_on_the_platform_opens_no_transaction(shop, calls):
    from despatch.services import cancellations
    from tests.integration.test_platform_sync import answers

    with fake_platform(route=answers) as platform:
        channels.configure_channel(
            code="woo", name="Woo", type="woocommerce", api_url=platform.url, token="ck:cs"
        )
        despatched("woo", "727")
        placed = orders.find_order("woo", "727")
        refund = refunds.request_refund(placed.id, amount=Decimal("2"), actor="user:support")
        kept, _ = orders.receive_order(make_draft([("A", 1)], channel="woo"), actor="t")
        worker.drain("t")
        cancellations.cancel_order(kept.id, actor="user:ops")
        worker.drain("t")
    refund.refresh_from_db()
    assert refund.status == "succeeded" and refund.provider_reference == "refund:726"
    assert platform.calls("PUT", "/wp-json/wc/v3/orders/")  # the cancellation went out
    assert calls and not any(inside for _, inside in calls)


def test_a_handler_registered_as_transactional_that_calls_out_is_caught(shop, calls, monkeypatch):
    topic = Topic.SHIPMENT_DESPATCHED.value
    wrapped = pipeline.Registration(pipeline.HANDLERS[topic].handler, transactional=True)
    monkeypatch.setitem(pipeline.HANDLERS, topic, wrapped)
    with fake_platform(route=platform_route) as platform:
        channels.configure_channel(
            code="shop-de", name="Shop", type="shopify", api_url=platform.url, token="shpat"
        )
        despatched("shop-de", "5002")
        worker.drain("t")
    assert platform.calls("POST") and any(inside for _, inside in calls)  # the guard works


def test_an_event_whose_handler_is_calling_out_is_not_claimed_by_another_worker(shop):
    seen_by_another = []

    def slow_platform(method, path, body):
        # while this call is in flight, another worker looks well past the ordinary lease
        later = timezone.now() + outbox.LEASE + timedelta(seconds=5)
        seen_by_another.extend(e.topic for e in outbox.claim("other-worker", now=later))
        connection.close()  # this server thread's own connection
        return platform_route(method, path, body)

    with fake_platform(route=slow_platform) as platform:
        channels.configure_channel(
            code="shop-de", name="Shop", type="shopify", api_url=platform.url, token="shpat"
        )
        despatched("shop-de", "5003")
        worker.drain("t")
    assert platform.calls("POST")
    assert Topic.SHIPMENT_DESPATCHED.value not in seen_by_another
    told = OutboxEvent.objects.get(topic=Topic.SHIPMENT_DESPATCHED.value)
    assert (told.status, told.locked_by) == ("done", "t")
    assert timedelta(seconds=6 * 270) < outbox.CALL_LEASE  # six calls that all time out


def test_a_write_back_made_again_after_a_crash_adds_no_second_note(shop):
    from despatch.models import Shipment
    from tests.integration.fake_platforms import Answer

    notes = []

    def woo(method, path, body):
        if path.endswith("/notes"):
            if method == "POST":
                notes.append({"id": len(notes) + 1, **body})
            return Answer(201 if method == "POST" else 200, notes if method == "GET" else {})
        return Answer(200, {"id": 727})

    with fake_platform(route=woo) as platform:
        channels.configure_channel(
            code="woo-fr", name="Woo", type="woocommerce", api_url=platform.url, token="ck:cs"
        )
        despatched("woo-fr", "727")
        (shipment,) = Shipment.objects.filter(order__external_id="727")
        assert write_backs.confirm_shipment(shipment.id) == "completed"
        # the worker died after the call, before recording it: the event is run again
        Shipment.objects.filter(id=shipment.id).update(channel_notified_at=None)
        assert write_backs.confirm_shipment(shipment.id) == "completed"
    assert len(notes) == 1 and len(platform.calls("PUT")) == 2  # the status is set, twice


def test_events_whose_lease_ran_out_behind_a_long_call_are_left_to_the_worker_that_took_them(
    shop,
):
    outbox.save([outbox.emit("test.work", f"k{n}") for n in range(4)])
    ids = [e.id for e in outbox.claim("w1")]
    lease = worker.Lease("w1", ids)
    assert lease.keep(ids[0], calls_out=True)  # leased alone for the length of its calls
    first = OutboxEvent.objects.get(id=ids[0])
    assert first.locked_until - timezone.now() > outbox.CALL_LEASE - timedelta(seconds=5)
    # the call took long: the rest of the batch ran out and another worker took one of them
    OutboxEvent.objects.filter(id=ids[2]).update(locked_by="w2")
    lease.until = timezone.now() - timedelta(seconds=1)
    assert lease.keep(ids[1], calls_out=False)
    assert not lease.keep(ids[2], calls_out=False)  # w2 has it: w1 leaves it alone
    assert lease.keep(ids[3], calls_out=False)
    held = dict(OutboxEvent.objects.values_list("id", "locked_by"))
    assert [held[i] for i in ids] == ["w1", "w1", "w2", "w1"]
