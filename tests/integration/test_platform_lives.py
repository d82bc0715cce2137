"""An order's life told in each platform's own words (issue 14 section 2), end to end: a
WooCommerce webhook, a BigCommerce thin webhook answered by its fake store, and Amazon and eBay
orders pulled from their fake APIs. Shopify's stories are in test_channel_lifecycle."""

import copy
import json
from pathlib import Path

import pytest

from despatch import worker
from despatch.domain.shipments import ShipmentCancelled
from despatch.integrations.channels.base import sign_base64
from despatch.models import ExceptionCase, PickTask, PutAwayTask, ReturnRequest
from despatch.services import audit, calendars, cancellations, channels, fulfillment, orders
from tests.integration.conftest import level
from tests.integration.fake_platforms import Answer, fake_platform
from tests.integration.test_channels import (
    _bigcommerce_store,
    fixture,
    post_bigcommerce,
    post_shopify,
)
from tests.integration.test_channels import shop_channels as shop_channels

AMAZON_ID = "113-4821907-5528211"
EBAY_ID = "27-11963-40517"
RATES = Path(__file__).parents[2] / "docs" / "examples" / "rates.json"


def post_woo(client, payload, *, delivery="d-1", topic="order.updated"):
    body = json.dumps(payload, ensure_ascii=False).encode()
    answer = client.post(
        "/api/channels/woo-fr/webhooks",
        body,
        content_type="application/json",
        HTTP_X_WC_WEBHOOK_SIGNATURE=sign_base64("wsec", body),
        HTTP_X_WC_WEBHOOK_DELIVERY_ID=delivery,
        HTTP_X_WC_WEBHOOK_TOPIC=topic,
    )
    worker.drain("w")
    return answer


class Platforms:
    """Each platform's current state of one order, served as the platform serves it; ``send``
    brings the current state to Despatch the platform's way (webhook, thin webhook, pull)."""

    def __init__(self, client, urls):
        self.client, self.urls, self.hooks = client, urls, 0
        self.woo = fixture("woocommerce_order.json")
        self.bc = {"250": fixture("bigcommerce_order.json")}
        self.amazon = fixture("amazon_order_mfn.json")
        self.ebay = fixture("ebay_order.json")

    def send(self, kind):
        self.hooks += 1
        if kind == "woocommerce":
            post_woo(self.client, self.woo, delivery=f"d-{self.hooks}")
        elif kind == "bigcommerce":
            scope = "store/order/statusUpdated"
            post_bigcommerce(self.client, 250, hash_=f"h-{self.hooks}", scope=scope)
            worker.drain("w")
        else:
            channels.pull(CODES[kind])
            worker.drain("w")

    def order(self, kind):
        return orders.find_order(CODES[kind], EXTERNAL[kind])

    def amazon_route(self, method, path, body):
        if path.startswith("/orders/v0/orders?"):
            return Answer(200, {"payload": {"Orders": [self.amazon["order"]["payload"]]}})
        items = [i for page in self.amazon["items"] for i in page["payload"]["OrderItems"]]
        return Answer(200, {"payload": {"AmazonOrderId": AMAZON_ID, "OrderItems": items}})

    def ebay_route(self, method, path, body):
        return Answer(200, {"orders": [self.ebay], "total": 1})


CODES = {"woocommerce": "woo-fr", "bigcommerce": "bc-uk", "amazon": "amz-us", "ebay": "ebay-uk"}
EXTERNAL = {"woocommerce": "727", "bigcommerce": "250", "amazon": AMAZON_ID, "ebay": EBAY_ID}


@pytest.fixture
def platforms(shop_channels, client):
    state = Platforms(client, {})
    with (
        fake_platform(route=_bigcommerce_store(state.bc)) as bc,
        fake_platform(route=state.amazon_route) as amazon,
        fake_platform(route=state.ebay_route) as ebay,
    ):
        channels.configure_channel(
            code="bc-uk",
            name="BigCommerce",
            type="bigcommerce",
            webhook_secret="bc-token",
            api_url=bc.url,
            token="xat-1",
        )
        channels.configure_channel(
            code="amz-us",
            name="Amazon US",
            type="amazon",
            api_url=amazon.url,
            token="Atza|x",
            settings={"marketplace_ids": ["ATVPDKIKX0DER"]},
        )
        channels.configure_channel(
            code="ebay-uk", name="eBay UK", type="ebay", api_url=ebay.url, token="v^1.1#t"
        )
        yield state


def set_status(state, kind, status):
    """The platform's own words for a status (see docs/channels.md), with a later change time."""
    if kind == "woocommerce":
        state.woo.update(status=status, date_modified_gmt="2026-11-21T09:00:00")
    elif kind == "bigcommerce":
        state.bc["250"]["order"].update(
            status_id=status, date_modified="Sat, 21 Nov 2026 09:00:00 +0000"
        )
    elif kind == "amazon":
        state.amazon["order"]["payload"].update(
            OrderStatus=status, LastUpdateDate="2026-11-21T09:00:00Z"
        )
    else:
        state.ebay.update(status, lastModifiedDate="2026-11-21T09:00:00.000Z")


CANCELLED = {
    "woocommerce": "cancelled",
    "bigcommerce": 5,  # Cancelled
    "amazon": "Canceled",
    "ebay": {"cancelStatus": {"cancelState": "CANCELED", "cancelRequests": []}},
}
SHIPPED = {
    "woocommerce": ["completed"],
    "bigcommerce": [2, 10],  # Shipped, Completed
    "amazon": ["Shipped", "InvoiceUnconfirmed"],  # InvoiceUnconfirmed: all items shipped
    "ebay": [{"orderFulfillmentStatus": "FULFILLED"}],
}


@pytest.mark.parametrize(
    ("kind", "status"), [(k, s) for k, values in SHIPPED.items() for s in values]
)
def test_an_order_first_seen_shipped_is_recorded_with_its_refunds_never_reserved(
    platforms, kind, status
):
    refund = {
        "woocommerce": lambda: platforms.woo.update(
            refunds=[{"id": 726, "reason": "scratched", "total": "-5.00"}]
        ),
        "bigcommerce": lambda: platforms.bc["250"].update(
            refunds=[{"id": 3, "reason": "scratched", "total_amount": 5.0, "items": []}]
        ),
        "amazon": lambda: None,  # Amazon states no refunds on its orders
        "ebay": lambda: None,  # the fixture carries one refund already
    }
    refund[kind]()
    set_status(platforms, kind, status)
    platforms.send(kind)
    order = platforms.order(kind)
    assert order is not None and order.status == "fulfilled_by_channel"
    (delivery,) = channels.deliveries(CODES[kind])
    assert delivery.outcome == "created_fulfilled_by_channel"
    assert order.shipments.count() == 0
    assert level("SKU-0001", "LON") == (20, 0) and level("SKU-0002", "LON") == (20, 0)
    if kind != "amazon":
        assert len(orders.get_order(order.id).refunds) == 1
    platforms.send(kind)  # the same state again (another delivery, or pulled again)
    assert orders.get_order(order.id).status == "fulfilled_by_channel"
    assert level("SKU-0001", "LON") == (20, 0)


def _picking_started(platforms, kind):
    platforms.send(kind)
    order = platforms.order(kind)
    assert order.status == "allocated", (order.status, order.hold_reason, order.hold_detail)
    shipment = order.shipments.get()
    fulfillment.start_picking(shipment.id, actor="user:picker")
    return order, shipment


@pytest.mark.parametrize("kind", sorted(CANCELLED))
def test_a_cancellation_after_picking_started_is_carried_out(
    platforms, api_call, kind, monkeypatch
):
    monkeypatch.setenv("DESPATCH_RATES", str(RATES))
    order, shipment = _picking_started(platforms, kind)
    reserved = level("SKU-0001", "LON")[1]
    assert reserved > 0
    set_status(platforms, kind, CANCELLED[kind])
    platforms.send(kind)
    assert orders.get_order(order.id).status == "cancelled"
    last = channels.deliveries(CODES[kind]).order_by("-id")[0]
    assert (last.outcome, last.error) == ("cancelled", "")
    assert level("SKU-0001", "LON") == (20, 0) and level("SKU-0002", "LON") == (20, 0)
    assert not PickTask.objects.filter(shipment=shipment, status=PickTask.OPEN).exists()
    put_away = {t.sku_id for t in cancellations.put_away_tasks(warehouse="LON")}
    assert "SKU-0001" in put_away
    with pytest.raises(ShipmentCancelled, match="do not pick, do not pack"):
        fulfillment.pack(shipment.id, actor="user:packer")
    for step in ("pack", "label"):
        status, body = api_call("post", f"/api/shipments/{shipment.id}/{step}", {})
        assert (status, body["code"]) == (409, "cancelled"), body
    tasks = PutAwayTask.objects.count()
    platforms.hooks += 10
    platforms.send(kind)  # the cancellation again, under another delivery: nothing more
    assert PutAwayTask.objects.count() == tasks
    again = channels.deliveries(CODES[kind]).order_by("-id")[0].outcome
    assert again == ("duplicate" if kind in ("amazon", "ebay") else "unchanged")  # pulled
    assert [e.action for e in audit.timeline(order.id)].count("cancel") == 1


@pytest.mark.parametrize("kind", ["woocommerce", "bigcommerce"])
def test_a_packed_and_labelled_parcel_cancelled_by_its_channel_opens_a_shipping_case(
    platforms, kind
):
    order, shipment = _picking_started(platforms, kind)
    fulfillment.pack(shipment.id, actor="t")
    type(shipment).objects.filter(id=shipment.id).update(carrier="dpd", tracking_number="DPD7")
    set_status(platforms, kind, CANCELLED[kind])
    platforms.send(kind)
    assert orders.get_order(order.id).status == "cancelled"
    case = ExceptionCase.objects.get(kind="off_the_bench")
    assert case.queue == "shipping" and case.detail["label_to_void"] == "DPD7"
    assert sum(t.quantity for t in cancellations.put_away_tasks()) == sum(
        li.quantity for li in order.lines.all()
    )


@pytest.mark.parametrize(("kind", "shipped"), [("woocommerce", "completed"), ("bigcommerce", 2)])
def test_a_cancellation_after_despatch_intercepts_and_expects_the_goods_back(
    platforms, api_call, kind, shipped
):
    order, shipment = _picking_started(platforms, kind)
    fulfillment.pack(shipment.id, actor="t")
    fulfillment.despatch(shipment.id, actor="t", carrier="dpd", tracking_number="DPD1")
    set_status(platforms, kind, shipped)  # Despatch told the platform it shipped
    platforms.send(kind)
    assert orders.get_order(order.id).status == "despatched"
    assert not ExceptionCase.objects.filter(kind="invalid_order").exists()  # our own echo
    set_status(platforms, kind, CANCELLED[kind])
    platforms.send(kind)
    assert orders.get_order(order.id).status == "despatched"
    last = channels.deliveries(CODES[kind]).order_by("-id")[0]
    assert last.outcome == "intercept_requested"
    assert "ask dpd to stop DPD1" in ExceptionCase.objects.get(kind="intercept").summary
    (rma,) = ReturnRequest.objects.filter(order_id=order.id)
    assert (rma.status, rma.source) == ("requested", "channel")
    status, body = api_call("post", f"/api/orders/{order.id}/cancel", {"reason": "other"})
    assert (status, body["code"]) == (409, "not_cancellable")
    assert "intercept" in body["detail"] and "return" in body["detail"]
    platforms.hooks += 10
    platforms.send(kind)  # again: one intercept, one return
    assert ReturnRequest.objects.filter(order_id=order.id).count() == 1
    assert ExceptionCase.objects.filter(kind="intercept").count() == 1


def _change_address(state, kind, line1):
    if kind == "woocommerce":
        state.woo["shipping"]["address_1"] = line1
    elif kind == "bigcommerce":
        state.bc["250"]["shipping_addresses"][0]["street_1"] = line1
    elif kind == "amazon":
        state.amazon["order"]["payload"]["ShippingAddress"]["AddressLine1"] = line1
    else:
        step = state.ebay["fulfillmentStartInstructions"][0]["shippingStep"]
        step["shipTo"]["contactAddress"]["addressLine1"] = line1


UNCHANGED = {"woocommerce": "processing", "bigcommerce": 11, "amazon": "Unshipped", "ebay": {}}


@pytest.mark.parametrize("kind", sorted(UNCHANGED))
def test_a_changed_address_before_picking_is_applied_checked_and_audited(platforms, kind):
    platforms.send(kind)
    order = platforms.order(kind)
    assert order.status == "allocated"
    _change_address(platforms, kind, "1 New Street")
    set_status(platforms, kind, UNCHANGED[kind])
    platforms.send(kind)
    order = orders.get_order(order.id)
    assert order.shipping_address["line1"] == "1 New Street"
    assert order.status == "allocated"
    (entry,) = [e for e in audit.timeline(order.id) if e.action == "address_changed"]
    assert entry.after == {"line1": "1 New Street"} and entry.reason_code == "channel_update"


def test_amazon_pending_without_an_address_is_released_by_the_pulled_unshipped_state(platforms):
    payload = platforms.amazon["order"]["payload"]
    full = copy.deepcopy(payload["ShippingAddress"])
    del payload["ShippingAddress"]
    payload.update(OrderStatus="Pending", LastUpdateDate="2026-11-20T21:10:00Z")
    platforms.send("amazon")
    order = platforms.order("amazon")
    assert order.status == "on_hold" and level("SKU-0001", "LON") == (20, 0)
    payload.update(ShippingAddress=full, OrderStatus="Unshipped")
    payload["LastUpdateDate"] = "2026-11-20T21:35:02Z"
    platforms.send("amazon")
    order = orders.get_order(order.id)
    assert order.status == "allocated" and order.shipping_address["city"] == "Seattle"
    assert level("SKU-0001", "LON") == (20, 2)


def test_amazon_latest_ship_date_is_kept_when_it_is_earlier(platforms):
    payload = platforms.amazon["order"]["payload"]
    # Friday 28 August 2026, paid at 17:05 in London: the calendar says Monday; Amazon wants
    # it shipped that Friday evening.
    payload.update(PurchaseDate="2026-08-28T16:05:00Z", LatestShipDate="2026-08-28T20:00:00Z")
    platforms.send("amazon")
    order = platforms.order("amazon")
    assert order.shipments.get().ship_by.isoformat() == "2026-08-28"
    promise = order.allocation["promise"]["LON"]
    assert "the channel's ship-by Fri 28 Aug 2026 is earlier" in promise["reason"]
    assert promise["late"] is True and "late" in order.tags  # imported long after


def test_ebay_ship_by_date_is_kept_and_a_later_one_leaves_the_calendars(platforms):
    platforms.ebay["creationDate"] = "2026-08-28T16:05:00.000Z"
    platforms.ebay["paymentSummary"]["payments"][0]["paymentDate"] = "2026-08-28T16:05:00.000Z"
    for item in platforms.ebay["lineItems"]:
        item["lineItemFulfillmentInstructions"] = {"shipByDate": "2026-08-28T22:59:59.000Z"}
    platforms.send("ebay")
    order = platforms.order("ebay")
    assert order.shipments.get().ship_by.isoformat() == "2026-08-28"
    assert "late" in order.tags


def test_woocommerce_paid_time_starts_the_promise_in_the_warehouses_time_zone(platforms):
    calendars.set_calendar(
        "LON", {"holidays": {"subdivision": "ENG"}, "cutoffs": {"*": "16:00"}}, actor="test"
    )
    # paid at 15:30 GMT, 16:30 in London: past the cut-off on Friday 28 August 2026, and
    # Monday is a bank holiday
    platforms.woo.update(
        date_paid_gmt="2026-08-28T15:30:00", date_created_gmt="2026-08-28T15:29:00"
    )
    platforms.send("woocommerce")
    order = platforms.order("woocommerce")
    assert order.shipments.get().ship_by.isoformat() == "2026-09-01"
    assert order.allocation["promise"]["LON"]["late"] is True and "late" in order.tags


def test_a_retried_woocommerce_webhook_changes_nothing(platforms, client):
    first = post_woo(client, platforms.woo, delivery="d-1")
    again = post_woo(client, platforms.woo, delivery="d-1")
    assert (first.status_code, again.status_code) == (202, 200)
    other = post_woo(client, platforms.woo, delivery="d-2")  # the same content, a new ID
    assert other.status_code == 202
    order = platforms.order("woocommerce")
    assert orders.list_orders(channel="woo-fr").count() == 1
    outcomes = [d.outcome for d in channels.deliveries("woo-fr").order_by("id")]
    assert outcomes == ["created", "duplicate", "unchanged"]
    assert level("SKU-0001", "LON") == (20, 3)
    assert [e.action for e in audit.timeline(order.id)].count("reserve") <= 1


def _partly_shipped(state, kind):
    """Two units of SKU-0001 already left, in the platform's own words."""
    if kind == "bigcommerce":
        set_status(state, kind, 3)  # Partially Shipped
        state.bc["250"]["products"][0]["quantity_shipped"] = 2
    elif kind == "amazon":
        set_status(state, kind, "PartiallyShipped")
        state.amazon["items"][0]["payload"]["OrderItems"][0]["QuantityShipped"] = 2
    else:
        set_status(state, kind, {"orderFulfillmentStatus": "IN_PROGRESS"})
        state.ebay["lineItems"][0]["lineItemFulfillmentStatus"] = "FULFILLED"


@pytest.mark.parametrize("kind", ["amazon", "bigcommerce", "ebay"])
def test_an_order_first_seen_partly_shipped_is_held_so_nothing_ships_twice(platforms, kind):
    _partly_shipped(platforms, kind)
    platforms.send(kind)
    order = platforms.order(kind)
    assert (order.status, order.hold_reason) == ("on_hold", "invalid_order")
    assert [p["message"] for p in order.hold_detail] == [
        "SKU-0001 x 2 already shipped by the channel: ship only the rest"
    ]
    assert level("SKU-0001", "LON") == (20, 0) and order.shipments.count() == 0
    case = ExceptionCase.objects.get(order_id=order.id, kind="invalid_order")
    assert case.queue == "orders" and "SKU-0001 x 2" in case.summary
    platforms.hooks += 10
    platforms.send(kind)  # the same state again holds nothing more
    assert ExceptionCase.objects.filter(order_id=order.id).count() == 1


def test_a_shopify_order_first_seen_partly_fulfilled_is_held(shop_channels, client):
    payload = fixture("shopify_order_multicurrency.json", fulfillment_status="partial")
    sku = payload["line_items"][0]["sku"]
    payload["fulfillments"] = [
        {"id": 1, "status": "success", "line_items": [{"sku": sku, "quantity": 1}]},
        {"id": 2, "status": "cancelled", "line_items": [{"sku": sku, "quantity": 1}]},
    ]
    post_shopify(client, payload, topic="orders/updated")
    worker.drain("w")
    order = orders.find_order("shop-de", str(payload["id"]))
    assert (order.status, order.hold_reason) == ("on_hold", "invalid_order")
    assert order.hold_detail[0]["message"].startswith(f"{sku} x 1 already shipped")
    assert level(sku, "LON") == (20, 0)


KNOWN_SHIPPED = {"woocommerce": "completed", "bigcommerce": 2, "amazon": "Shipped"}
KNOWN_SHIPPED["ebay"] = {"orderFulfillmentStatus": "FULFILLED"}


@pytest.mark.parametrize("kind", sorted(KNOWN_SHIPPED))
def test_a_known_order_the_platform_says_shipped_elsewhere_is_held_before_picking(platforms, kind):
    platforms.send(kind)
    order = platforms.order(kind)
    assert order.status == "allocated" and level("SKU-0001", "LON")[1] > 0
    set_status(platforms, kind, KNOWN_SHIPPED[kind])  # someone fulfilled it on the platform
    platforms.send(kind)
    order = orders.get_order(order.id)
    assert (order.status, order.hold_reason) == ("on_hold", "invalid_order")
    assert "already shipped" in order.hold_detail[0]["message"]
    assert level("SKU-0001", "LON") == (20, 0) and level("SKU-0002", "LON") == (20, 0)
    assert channels.deliveries(CODES[kind]).order_by("-id")[0].outcome == "updated"
    platforms.hooks += 10
    platforms.send(kind)  # said again: nothing more
    assert ExceptionCase.objects.filter(order_id=order.id).count() == 1
    assert orders.get_order(order.id).status == "on_hold"


def test_a_known_order_on_the_floor_the_platform_says_shipped_opens_a_case(platforms):
    order, _ = _picking_started(platforms, "woocommerce")
    set_status(platforms, "woocommerce", "completed")
    platforms.send("woocommerce")
    assert orders.get_order(order.id).status == "picking"  # the floor decides
    case = ExceptionCase.objects.get(order_id=order.id, kind="invalid_order")
    assert "already shipped" in case.summary and case.queue == "orders"


def test_a_label_for_a_cancelled_shipment_is_refused_as_cancelled_with_no_rate_card(
    platforms, api_call, monkeypatch, tmp_path
):
    monkeypatch.setenv("DESPATCH_RATES", str(tmp_path / "no-rates.json"))  # none set up
    order, shipment = _picking_started(platforms, "woocommerce")
    set_status(platforms, "woocommerce", "cancelled")
    platforms.send("woocommerce")
    assert orders.get_order(order.id).status == "cancelled"
    status, body = api_call("post", f"/api/shipments/{shipment.id}/label", {})
    assert (status, body["code"]) == (409, "cancelled"), body


REFUNDED = {"woocommerce": "refunded", "bigcommerce": 4}  # BigCommerce 4: Refunded
PARTLY_REFUNDED = {"woocommerce": "processing", "bigcommerce": 14}  # 14: Partially Refunded


@pytest.mark.parametrize("kind", sorted(REFUNDED))
def test_a_known_order_refunded_in_full_before_picking_is_held_for_finance(platforms, kind):
    platforms.send(kind)
    order = platforms.order(kind)
    assert order.status == "allocated" and level("SKU-0001", "LON")[1] > 0
    set_status(platforms, kind, REFUNDED[kind])
    platforms.send(kind)
    order = orders.get_order(order.id)
    assert order.payment_status == "refunded"
    assert (order.status, order.hold_reason) == ("on_hold", "payment_refunded")
    assert "do not ship it" in order.hold_detail[0]["message"]
    assert level("SKU-0001", "LON") == (20, 0) and level("SKU-0002", "LON") == (20, 0)
    assert not order.shipments.exclude(status="cancelled").exists()
    case = ExceptionCase.objects.get(order_id=order.id, kind="payment_refunded")
    assert (case.queue, case.owner, case.status) == ("finance", "group:finance", "open")
    platforms.hooks += 10
    platforms.send(kind)  # said again: nothing more
    assert ExceptionCase.objects.filter(order_id=order.id).count() == 1


@pytest.mark.parametrize("kind", sorted(PARTLY_REFUNDED))
def test_a_partial_refund_before_picking_changes_nothing(platforms, kind):
    platforms.send(kind)
    order = platforms.order(kind)
    set_status(platforms, kind, PARTLY_REFUNDED[kind])
    if kind == "woocommerce":
        platforms.woo["refunds"] = [{"id": 726, "reason": "scratched", "total": "-5.00"}]
    platforms.send(kind)
    order = orders.get_order(order.id)
    assert order.status == "allocated" and level("SKU-0001", "LON")[1] > 0
    assert not ExceptionCase.objects.filter(order_id=order.id).exists()


def test_a_known_order_refunded_in_full_on_the_floor_opens_a_case(platforms):
    order, _ = _picking_started(platforms, "bigcommerce")
    set_status(platforms, "bigcommerce", 4)
    platforms.send("bigcommerce")
    order = orders.get_order(order.id)
    assert (order.status, order.payment_status) == ("picking", "refunded")  # the floor decides
    case = ExceptionCase.objects.get(order_id=order.id, kind="payment_refunded")
    assert case.queue == "finance" and "do not ship it" in case.summary


def test_a_shopify_order_refunded_in_full_before_picking_is_held(shop_channels, client):
    payload = fixture("shopify_order_multicurrency.json")
    post_shopify(client, payload)
    worker.drain("w")
    order = orders.find_order("shop-de", str(payload["id"]))
    assert order.status == "allocated"
    refunded = fixture(
        "shopify_order_multicurrency.json",
        financial_status="refunded",
        updated_at="2026-11-21T10:00:00+01:00",
    )
    post_shopify(client, refunded, webhook_id="wh-r", topic="orders/updated")
    worker.drain("w")
    order = orders.get_order(order.id)
    assert (order.status, order.hold_reason) == ("on_hold", "payment_refunded")
    assert level(payload["line_items"][0]["sku"], "LON") == (20, 0)


def _ebay_cancel(state, cancel_state, *requests, at="2026-11-21T09:00:00.000Z"):
    state.ebay.update(
        cancelStatus={"cancelState": cancel_state, "cancelRequests": list(requests)},
        lastModifiedDate=at,
    )


ASKED = {"cancelRequestId": "5000012345", "cancelInitiator": "BUYER", "cancelRequestState": ""}


def test_an_ebay_buyer_asking_to_cancel_holds_the_order_until_the_seller_answers(platforms):
    platforms.send("ebay")
    order = platforms.order("ebay")
    assert order.status == "allocated"
    _ebay_cancel(platforms, "IN_PROGRESS", {**ASKED, "cancelRequestState": "REQUESTED"})
    platforms.send("ebay")
    order = orders.get_order(order.id)
    assert (order.status, order.hold_reason) == ("on_hold", "cancel_requested")
    message = order.hold_detail[0]["message"]
    assert "eBay cancellation request 5000012345" in message and "accept or decline" in message
    assert level("SKU-0001", "LON") == (20, 0)
    case = ExceptionCase.objects.get(order_id=order.id, kind="cancel_requested")
    assert case.queue == "channels" and case.status == "open"
    _ebay_cancel(platforms, "CANCELED", {**ASKED, "cancelRequestState": "COMPLETED"},
                 at="2026-11-21T10:00:00.000Z")  # fmt: skip
    platforms.send("ebay")  # the seller accepted on eBay
    assert orders.get_order(order.id).status == "cancelled"
    assert level("SKU-0001", "LON") == (20, 0)


@pytest.mark.parametrize(
    "declined",
    [("NONE_REQUESTED",), ("IN_PROGRESS", {**ASKED, "cancelRequestState": "REJECTED"})],
)
def test_a_declined_ebay_cancellation_request_releases_the_order(platforms, declined):
    platforms.send("ebay")
    order = platforms.order("ebay")
    _ebay_cancel(platforms, "IN_PROGRESS", {**ASKED, "cancelRequestState": "REQUESTED"})
    platforms.send("ebay")
    platforms.send("ebay")  # pulled again, still asked: held once
    assert orders.get_order(order.id).hold_reason == "cancel_requested"
    assert ExceptionCase.objects.filter(order_id=order.id).count() == 1
    _ebay_cancel(platforms, *declined, at="2026-11-21T10:00:00.000Z")
    platforms.send("ebay")
    order = orders.get_order(order.id)
    assert (order.status, order.hold_reason) == ("allocated", "")
    assert level("SKU-0001", "LON")[1] > 0
    case = ExceptionCase.objects.get(order_id=order.id, kind="cancel_requested")
    assert case.status == "resolved"


def test_an_ebay_buyer_asking_to_cancel_on_the_floor_opens_a_case(platforms):
    order, _ = _picking_started(platforms, "ebay")
    _ebay_cancel(platforms, "IN_PROGRESS", {**ASKED, "cancelRequestState": "REQUESTED"})
    platforms.send("ebay")
    assert orders.get_order(order.id).status == "picking"
    case = ExceptionCase.objects.get(order_id=order.id, kind="cancel_requested")
    assert "eBay cancellation request 5000012345" in case.summary
