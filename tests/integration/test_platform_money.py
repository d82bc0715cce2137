"""Where an order's money and life stand as each platform means them: an order first seen
refunded, the release of a refunded order, an Amazon AFN order cancelled, a cancel request's
case, amounts finer than their currency, and Shopify order edits."""

import json

from despatch import worker
from despatch.models import ExceptionCase
from despatch.services import audit, channels, orders
from tests.integration.conftest import level
from tests.integration.test_channels import fixture, post_shopify
from tests.integration.test_channels import shop_channels as shop_channels


def _shopify(client, payload, webhook_id="wh-1", topic="orders/create"):
    post_shopify(client, payload, webhook_id=webhook_id, topic=topic)
    worker.drain("w")
    return orders.find_order("shop-de", str(payload["id"]))


def test_an_order_first_seen_refunded_in_full_is_held_for_finance(shop_channels, client):
    payload = fixture("shopify_order_multicurrency.json", financial_status="refunded")
    order = _shopify(client, payload)
    assert (order.status, order.hold_reason) == ("on_hold", "payment_refunded")
    assert "refunded" in order.hold_detail[0]["message"]
    case = ExceptionCase.objects.get(order_id=order.id, kind="payment_refunded")
    assert case.queue == "finance" and case.status == "open"
    assert level(payload["line_items"][0]["sku"], "LON") == (20, 0)


def test_releasing_a_refunded_order_ships_it_and_names_who_decided(shop_channels, client):
    payload = fixture("shopify_order_multicurrency.json")
    order = _shopify(client, payload)
    assert order.status == "allocated"
    refunded = fixture(
        "shopify_order_multicurrency.json",
        financial_status="refunded",
        updated_at="2026-11-21T10:00:00+01:00",
    )
    order = _shopify(client, refunded, webhook_id="wh-r", topic="orders/updated")
    assert (order.status, order.hold_reason) == ("on_hold", "payment_refunded")
    orders.release_order(order.id, actor="fin@shop", note="money taken again by phone")
    worker.drain("w")
    order = orders.get_order(order.id)
    assert (order.status, order.hold_reason) == ("allocated", ""), order.hold_detail
    assert level(payload["line_items"][0]["sku"], "LON")[1] > 0
    released = [e for e in audit.timeline(order.id) if e.actor == "fin@shop"]
    assert any(
        e.action == "release" and e.detail.get("hold_reason") == "payment_refunded"
        for e in released
    )
    case = ExceptionCase.objects.get(order_id=order.id, kind="payment_refunded")
    assert case.status == "resolved"
    again = fixture(
        "shopify_order_multicurrency.json",
        financial_status="refunded",
        updated_at="2026-11-21T11:00:00+01:00",
    )
    order = _shopify(client, again, webhook_id="wh-r2", topic="orders/updated")
    assert order.status == "allocated"  # the same refund, said again, undoes no decision


def test_an_order_first_seen_refunded_then_released_ships(shop_channels, client):
    payload = fixture("shopify_order_multicurrency.json", financial_status="refunded")
    order = _shopify(client, payload)
    orders.release_order(order.id, actor="fin@shop")
    worker.drain("w")
    assert orders.get_order(order.id).status == "allocated"


def _afn(status, at):
    payload = fixture("amazon_order_afn.json")
    payload["order"]["payload"].update(OrderStatus=status, LastUpdateDate=at)
    return json.dumps(payload).encode()


def test_an_amazon_afn_order_later_cancelled_is_cancelled_and_touches_no_stock(shop_channels):
    channels.configure_channel(code="amz-us", name="Amazon US", type="amazon")
    channels.import_payload("amz-us", _afn("Unshipped", "2026-11-20T21:35:02Z"), name="a.json")
    worker.drain("w")
    order = orders.find_order("amz-us", "113-0000001-0000001")
    assert order.status == "fulfilled_by_channel"
    delivery, _ = channels.import_payload(
        "amz-us", _afn("Canceled", "2026-11-21T09:00:00Z"), name="b.json"
    )
    worker.drain("w")
    order = orders.get_order(order.id)
    assert (order.status, delivery.outcome) == ("cancelled", "cancelled")
    assert level("SKU-0001", "LON") == (20, 0) and order.shipments.count() == 0
    entries = [e for e in audit.timeline(order.id) if e.action == "cancel"]
    assert len(entries) == 1


def test_an_amazon_afn_order_first_seen_cancelled_is_cancelled(shop_channels):
    channels.configure_channel(code="amz-us", name="Amazon US", type="amazon")
    delivery, _ = channels.import_payload(
        "amz-us", _afn("Canceled", "2026-11-21T09:00:00Z"), name="c.json"
    )
    worker.drain("w")
    order = orders.find_order("amz-us", "113-0000001-0000001")
    assert (order.status, delivery.outcome) == ("cancelled", "created_cancelled")
    assert level("SKU-0001", "LON") == (20, 0)
