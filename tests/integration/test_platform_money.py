"""Where an order's money and life stand as each platform means them: an order first seen
refunded, the release of a refunded order, an Amazon AFN order cancelled, a cancel request's
case, amounts finer than their currency, and Shopify order edits."""

import copy
import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from despatch import worker
from despatch.integrations.channels import ebay, shopify
from despatch.models import ExceptionCase
from despatch.services import audit, channels, fulfillment, orders
from despatch.services import exceptions as exceptions_svc
from despatch.services.audit import Trail
from despatch.services.channels.apply import apply_channel_order
from tests.integration.conftest import level
from tests.integration.test_channels import FIXTURES, fixture, post_shopify
from tests.integration.test_channels import shop_channels as shop_channels
from tests.integration.test_platform_lives import ASKED, _ebay_cancel
from tests.integration.test_platform_lives import platforms as platforms


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


def test_an_ebay_cancel_request_case_is_matched_by_its_typed_reference(platforms):
    platforms.send("ebay")
    order = platforms.order("ebay")
    _ebay_cancel(platforms, "IN_PROGRESS", {**ASKED, "cancelRequestState": "REQUESTED"})
    platforms.send("ebay")
    case = ExceptionCase.objects.get(order_id=order.id, kind="cancel_requested")
    assert case.reference == "eBay cancellation request 5000012345"
    exceptions_svc.close(
        ExceptionCase.objects.filter(id=case.id), Trail("ops"), "release", "asked the buyer"
    )
    ExceptionCase.objects.filter(id=case.id).update(summary="worded another way")
    _ebay_cancel(platforms, "IN_PROGRESS", {**ASKED, "cancelRequestState": "REQUESTED"},
                 at="2026-11-21T10:00:00.000Z")  # fmt: skip
    platforms.send("ebay")  # the same request, pulled again: a person has answered it here
    assert ExceptionCase.objects.filter(order_id=order.id).count() == 1


def _case_queries(captured):
    return [q["sql"] for q in captured if "exceptioncase" in q["sql"].lower()]


def test_an_update_that_is_not_about_cancelling_looks_up_no_cancel_request_case(
    shop_channels, client
):
    payload = fixture("shopify_order_multicurrency.json")
    order = _shopify(client, payload)
    assert order.status == "allocated"
    later = fixture("shopify_order_multicurrency.json", updated_at="2026-11-21T10:00:00+01:00")
    with CaptureQueriesContext(connection) as captured:
        apply_channel_order(shopify.parse(later, "shop-de"), actor="channel:shop-de")
    assert _case_queries(captured) == []


def test_an_ebay_update_with_no_request_for_an_order_going_ahead_looks_up_no_case(platforms):
    platforms.send("ebay")
    order = platforms.order("ebay")
    assert order.status == "allocated"
    platforms.ebay.update(lastModifiedDate="2026-11-21T09:00:00.000Z")
    with CaptureQueriesContext(connection) as captured:
        apply_channel_order(ebay.parse(copy.deepcopy(platforms.ebay), "ebay-uk"), actor="t")
    assert _case_queries(captured) == []


def _in_yen(node, amounts):
    """The documented Amazon order, in yen: every Money object's currency JPY, its amount
    from ``amounts`` (in order of appearance)."""
    if isinstance(node, dict):
        if "CurrencyCode" in node and "Amount" in node:
            node.update(CurrencyCode="JPY", Amount=amounts.pop(0))
        for value in node.values():
            _in_yen(value, amounts)
    elif isinstance(node, list):
        for value in node:
            _in_yen(value, amounts)


def test_an_amount_finer_than_its_currency_keeps_the_order_and_holds_it_naming_it(shop_channels):
    payload = fixture("amazon_order_mfn.json")
    # total; item 1: price, tax, shipping, shipping tax, promotion, shipping discount; item 2
    _in_yen(payload["order"], ["5812.99"])
    _in_yen(payload["items"], ["3998", "320", "599", "0", "400", "0", "1199.99", "96"])
    channels.configure_channel(code="amz-jp", name="Amazon JP", type="amazon")
    channels.import_payload("amz-jp", json.dumps(payload).encode(), name="jp.json")
    worker.drain("w")
    order = orders.find_order("amz-jp", payload["order"]["payload"]["AmazonOrderId"])
    assert (order.status, order.hold_reason) == ("on_hold", "invalid_order")
    said = {p["field"]: p["message"] for p in order.hold_detail}
    price = said["items.OrderItems[1].ItemPrice.Amount"]
    assert "1199.99" in price and "JPY has no decimal places" in price
    assert "5812.99" in said["order.payload.OrderTotal.Amount"]
    assert level("SKU-0001", "LON") == (20, 0)


def test_discount_total_is_the_goods_discounts_whatever_shopify_total_discounts_says(
    shop_channels, client, api_call
):
    # Shopify's total_discounts counts the 2.00 off shipping (9.00 -> 7.00) as well as the
    # 6.00 allocated to the lines; discount_total is the goods' discounts alone (docs/api.md)
    payload = fixture("shopify_order_multicurrency.json", total_discounts="8.00")
    order = _shopify(client, payload)
    assert order.status == "allocated"
    status, shown = api_call("get", f"/api/orders/{order.id}")
    assert status == 200
    money = {k: shown[k] for k in ("discount_total", "shipping_total", "total")}
    assert money == {"discount_total": "6.00", "shipping_total": "7.00", "total": "67.08"}


def _documented_order(**changes):
    """Shopify's documented order 450789469 (three lines of 199.00, 10.00 of discounts, 2%
    tax: 598.94), as placed and paid: its later refund left out."""
    payload = json.loads((FIXTURES / "documented" / "shopify_order_450789469.json").read_text())
    payload = payload.get("order", payload)
    payload.update(financial_status="paid", refunds=[], **changes)
    return payload


def _edited(payload, *, current_total="399.29"):
    """The same order after a Shopify order edit removed line 518995019 (SKU-0002, 199.00 less
    its 3.33 discount): ``current_quantity`` 0 on it, 1 on the others, and the ``current_*``
    figures after the edit (REST Admin API 2024-01 and later). 597.00 - 199.00 - 6.67 =
    391.33 subtotal, 2% tax on 398.00 = 7.96, total 399.29."""
    edited = copy.deepcopy(payload)
    for item in edited["line_items"]:
        item["current_quantity"] = 0 if item["id"] == 518995019 else item["quantity"]
    edited.update(
        current_subtotal_price="391.33",
        current_total_tax="7.96",
        current_total_price=current_total,
        current_total_discounts="6.67",
        current_total_price_set={
            "shop_money": {"amount": current_total, "currency_code": "USD"},
            "presentment_money": {"amount": current_total, "currency_code": "USD"},
        },
        updated_at="2008-01-11T09:00:00-05:00",
    )
    return edited


def test_a_shopify_edit_before_picking_ships_fewer_units_and_gives_the_stock_back(
    shop_channels, client
):
    placed = _documented_order()
    order = _shopify(client, placed)
    assert order.status == "allocated", order.hold_detail
    assert level("SKU-0002", "LON") == (20, 1) and level("SKU-0001", "LON") == (20, 2)
    order = _shopify(client, _edited(placed), webhook_id="wh-e", topic="orders/updated")
    assert order.status == "allocated", order.hold_detail
    assert level("SKU-0002", "LON") == (20, 0) and level("SKU-0001", "LON") == (20, 2)
    shipped = {(ln.sku, ln.quantity) for s in order.shipments.all() for ln in s.lines.all()}
    assert ("SKU-0002", 1) not in shipped and sum(q for _, q in shipped) == 2
    (entry,) = [e for e in audit.timeline(order.id) if e.action == "lines_cancelled"]
    assert (
        entry.reason_code == "channel_cancelled" and entry.detail["lines"][0]["sku"] == "SKU-0002"
    )
    assert str(order.total_amount.normalize()) == "399.29"
    assert not ExceptionCase.objects.filter(order_id=order.id, kind="total_mismatch").exists()
    again = _edited(placed)
    again["updated_at"] = "2008-01-11T10:00:00-05:00"
    _shopify(client, again, webhook_id="wh-e2", topic="orders/updated")  # said again
    assert [e.action for e in audit.timeline(order.id)].count("lines_cancelled") == 1


def test_a_shopify_edit_whose_current_total_differs_opens_the_total_case(shop_channels, client):
    placed = _documented_order()
    order = _shopify(client, placed)
    edited = _edited(placed, current_total="420.00")
    order = _shopify(client, edited, webhook_id="wh-e", topic="orders/updated")
    case = ExceptionCase.objects.get(order_id=order.id, kind="total_mismatch")
    assert "420.00" in case.summary and "399.29" in case.summary


def test_a_shopify_edit_once_picking_started_opens_a_case_and_changes_nothing(
    shop_channels, client
):
    placed = _documented_order()
    order = _shopify(client, placed)
    fulfillment.start_picking(order.shipments.get().id, actor="user:picker")
    order = _shopify(client, _edited(placed), webhook_id="wh-e", topic="orders/updated")
    assert order.status == "picking"
    assert sum(ln.quantity for ln in order.lines.all()) == 3
    case = ExceptionCase.objects.get(order_id=order.id, kind="invalid_order", status="open")
    assert "SKU-0002 1 -> 0" in case.summary


def test_a_shopify_order_first_seen_edited_ships_its_current_quantities(shop_channels, client):
    order = _shopify(client, _edited(_documented_order()))
    assert order.status == "allocated", order.hold_detail
    units = {}
    for line in order.lines.all():
        units[line.sku] = units.get(line.sku, 0) + line.quantity
    assert units == {"SKU-0001": 2}  # line 518995019 (SKU-0002) was removed by the edit
    assert level("SKU-0002", "LON") == (20, 0) and level("SKU-0001", "LON") == (20, 2)
    assert str(order.total_amount.normalize()) == "399.29"
    assert not ExceptionCase.objects.filter(order_id=order.id).exists()


def test_an_update_to_an_order_whose_sku_was_mapped_here_is_no_edit(shop_channels, client):
    from despatch.services import sku_maps

    sku_maps.map_sku("shop-de", "THEIRS-1", "SKU-0001", actor="t")
    placed = _documented_order()
    for item in placed["line_items"]:
        item["sku"] = "THEIRS-1" if item["sku"] == "SKU-0001" else item["sku"]
    order = _shopify(client, placed)
    assert order.status == "allocated", order.hold_detail
    later = copy.deepcopy(placed)
    for item in later["line_items"]:
        item["current_quantity"] = item["quantity"]
    later["updated_at"] = "2008-01-11T09:00:00-05:00"
    order = _shopify(client, later, webhook_id="wh-u", topic="orders/updated")
    assert order.status == "allocated", order.hold_detail
    assert not ExceptionCase.objects.filter(order_id=order.id).exists()
