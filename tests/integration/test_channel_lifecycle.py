"""An order's life on its channel (issue 14 section 2): fulfilled elsewhere, cancelled after
picking started or after despatch, and later updates. Each story goes through the webhook
path (or a file import, which is stored and applied the same way)."""

import json
from pathlib import Path

import pytest

from despatch import worker
from despatch.domain.shipments import ShipmentCancelled
from despatch.integrations.channels.base import sign_base64
from despatch.models import ExceptionCase, PickTask, ReturnRequest
from despatch.services import audit, cancellations, channels, fulfillment, manifests, orders
from tests.integration.conftest import level
from tests.integration.test_channels import fixture, post_shopify
from tests.integration.test_channels import shop_channels as shop_channels

SHOPIFY_ID = "5678901234001"
RATES = Path(__file__).parents[2] / "docs" / "examples" / "rates.json"


def _import(code, payload, name):
    body = json.dumps(payload, ensure_ascii=False).encode()
    delivery, _ = channels.import_payload(code, body, name=name)
    worker.drain("w")
    return delivery


def _fulfilled_elsewhere(client):
    """Each platform's own way of saying "already shipped", for an order never seen here."""
    refunded = fixture("shopify_order_partially_refunded.json", fulfillment_status="fulfilled")
    post_shopify(client, refunded, webhook_id="wh-f")
    woo = fixture("woocommerce_order.json", status="completed")
    body = json.dumps(woo).encode()
    client.post(
        "/api/channels/woo-fr/webhooks",
        body,
        content_type="application/json",
        HTTP_X_WC_WEBHOOK_SIGNATURE=sign_base64("wsec", body),
        HTTP_X_WC_WEBHOOK_DELIVERY_ID="d-f",
        HTTP_X_WC_WEBHOOK_TOPIC="order.updated",
    )
    worker.drain("w")
    for code, kind in (("amz-us", "amazon"), ("ebay-uk", "ebay"), ("bc-uk", "bigcommerce")):
        channels.configure_channel(code=code, name=code, type=kind)
    amazon = fixture("amazon_order_mfn.json")
    amazon["order"]["payload"]["OrderStatus"] = "Shipped"
    ebay = fixture("ebay_order.json", orderFulfillmentStatus="FULFILLED")
    bigcommerce = fixture("bigcommerce_order.json")
    bigcommerce["order"]["status_id"] = 10  # Completed
    deliveries = [
        _import("amz-us", amazon, "amz.json"),
        _import("ebay-uk", ebay, "ebay.json"),
        _import("bc-uk", bigcommerce, "bc.json"),
    ]
    return deliveries


def test_an_order_already_fulfilled_elsewhere_is_recorded_never_reserved(shop_channels, client):
    deliveries = _fulfilled_elsewhere(client)
    assert {d.outcome for d in deliveries} == {"created_fulfilled_by_channel"}
    found = [
        orders.find_order("shop-de", "5678901234004"),
        orders.find_order("woo-fr", "727"),
        orders.find_order("amz-us", "113-4821907-5528211"),
        orders.find_order("ebay-uk", "27-11963-40517"),
        orders.find_order("bc-uk", "250"),
    ]
    assert {o.status for o in found} == {"fulfilled_by_channel"}
    assert all(o.shipments.count() == 0 for o in found)
    assert level("SKU-0001", "LON") == (20, 0) and level("SKU-0002", "LON") == (20, 0)
    refunds = orders.get_order(found[0].id).refunds
    assert [r["refund_id"] for r in refunds] == ["90001"]  # its refunds, recorded


def test_a_cancellation_after_picking_started_is_carried_out(shop_channels, client):
    post_shopify(client, fixture("shopify_order_multicurrency.json"))
    worker.drain("w")
    order = orders.find_order("shop-de", SHOPIFY_ID)
    shipment = order.shipments.get()
    fulfillment.start_picking(shipment.id, actor="user:picker")
    assert level("SKU-0001", "LON") == (20, 2)
    cancelled = fixture("shopify_order_cancelled.json", id=int(SHOPIFY_ID))
    post_shopify(client, cancelled, webhook_id="wh-9", topic="orders/cancelled")
    worker.drain("w")
    assert orders.get_order(order.id).status == "cancelled"
    assert channels.deliveries("shop-de").order_by("-id")[0].outcome == "cancelled"
    assert level("SKU-0001", "LON") == (20, 0)  # the reservation is released
    put_away = cancellations.put_away_tasks(warehouse="LON")
    assert {(t.sku_id, t.order_id) for t in put_away} >= {("SKU-0001", order.id)}
    assert not PickTask.objects.filter(shipment=shipment, status=PickTask.OPEN).exists()
    with pytest.raises(ShipmentCancelled):
        fulfillment.pack(shipment.id, actor="user:packer")
    entry = next(e for e in audit.timeline(order.id) if e.action == "cancel")
    assert entry.reason_code == "channel_cancelled"
    assert not ExceptionCase.objects.filter(kind="off_the_bench").exists()  # nothing packed


def test_pack_and_label_answer_409_cancelled(shop_channels, client, api_call, monkeypatch):
    monkeypatch.setenv(
        "DESPATCH_RATES", str(Path(__file__).parents[2] / "docs/examples/rates.json")
    )
    post_shopify(client, fixture("shopify_order_multicurrency.json"))
    worker.drain("w")
    order = orders.find_order("shop-de", SHOPIFY_ID)
    shipment = order.shipments.get()
    fulfillment.start_picking(shipment.id, actor="user:picker")
    post_shopify(
        client,
        fixture("shopify_order_cancelled.json", id=int(SHOPIFY_ID)),
        webhook_id="wh-9",
        topic="orders/cancelled",
    )
    worker.drain("w")
    for step in ("pack", "label"):
        status, body = api_call("post", f"/api/shipments/{shipment.id}/{step}", {})
        assert (status, body["code"]) == (409, "cancelled"), body


def test_a_packed_parcel_cancelled_by_its_channel_is_pulled_off_the_bench(shop_channels, client):
    post_shopify(client, fixture("shopify_order_multicurrency.json"))
    worker.drain("w")
    order = orders.find_order("shop-de", SHOPIFY_ID)
    shipment = order.shipments.get()
    fulfillment.start_picking(shipment.id, actor="t")
    fulfillment.pack(shipment.id, actor="t")
    type(shipment).objects.filter(id=shipment.id).update(carrier="dpd", tracking_number="DPD9")
    post_shopify(
        client,
        fixture("shopify_order_cancelled.json", id=int(SHOPIFY_ID)),
        webhook_id="wh-9",
        topic="orders/cancelled",
    )
    worker.drain("w")
    assert orders.get_order(order.id).status == "cancelled"
    case = ExceptionCase.objects.get(kind="off_the_bench")
    assert case.queue == "shipping" and case.shipment_id == shipment.id
    assert "void label DPD9" in case.summary and case.detail["label_to_void"] == "DPD9"
    assert sum(t.quantity for t in cancellations.put_away_tasks()) == 3  # every packed unit
    assert manifests.due() == []  # never manifested


def test_a_cancellation_after_despatch_opens_an_intercept_and_expects_a_return(
    shop_channels,
    client,
    api_call,
):
    post_shopify(client, fixture("shopify_order_multicurrency.json"))
    worker.drain("w")
    order = orders.find_order("shop-de", SHOPIFY_ID)
    shipment = order.shipments.get()
    for step in (fulfillment.start_picking, fulfillment.pack):
        step(shipment.id, actor="t")
    fulfillment.despatch(shipment.id, actor="t", carrier="dpd", tracking_number="DPD1")
    cancelled = fixture("shopify_order_cancelled.json", id=int(SHOPIFY_ID))
    for hook in ("wh-9", "wh-10"):  # the same cancellation twice opens one of each
        post_shopify(client, cancelled, webhook_id=hook, topic="orders/cancelled")
        worker.drain("w")
    assert orders.get_order(order.id).status == "despatched"
    outcomes = [d.outcome for d in channels.deliveries("shop-de").order_by("id")]
    assert outcomes[-2:] == ["intercept_requested", "unchanged"]
    case = ExceptionCase.objects.get(kind="intercept")
    assert "ask dpd to stop DPD1" in case.summary
    (rma,) = ReturnRequest.objects.filter(order_id=order.id)
    assert (rma.status, rma.source) == ("requested", "channel")
    assert sum(li.quantity for li in rma.lines.all()) == sum(
        li.quantity for li in order.lines.all()
    )
    status, body = api_call("post", f"/api/orders/{order.id}/cancel", {"reason": "other"})
    assert (status, body["code"]) == (409, "not_cancellable")
    assert "intercept" in body["detail"] and "return" in body["detail"]
    assert level("SKU-0001", "LON") == (18, 0)  # despatched stock stays despatched


def _address_entries(order_id):
    return [e for e in audit.timeline(order_id) if e.action.startswith("address_change")]


def _shopify_update(client, hook, updated_at, **address):
    payload = fixture("shopify_order_multicurrency.json", updated_at=updated_at)
    payload["shipping_address"] = {**payload["shipping_address"], **address}
    post_shopify(client, payload, webhook_id=hook, topic="orders/updated")
    worker.drain("w")


def test_an_address_update_is_applied_checked_and_audited_before_picking(shop_channels, client):
    post_shopify(client, fixture("shopify_order_multicurrency.json"))
    worker.drain("w")
    order = orders.find_order("shop-de", SHOPIFY_ID)
    _shopify_update(client, "wh-2", "2026-11-20T10:00:00+01:00")  # the same address again
    assert _address_entries(order.id) == []  # compared as stored: no change
    _shopify_update(client, "wh-3", "2026-11-20T11:00:00+01:00", address1="Unter den Linden 5")
    order = orders.get_order(order.id)
    assert order.status == "allocated"
    assert order.shipping_address["line1"] == "Unter den Linden 5"
    (entry,) = _address_entries(order.id)
    assert entry.action == "address_changed"
    assert entry.before == {"line1": "Straße des 17. Juni 135"}
    assert entry.after == {"line1": "Unter den Linden 5"}
    _shopify_update(client, "wh-4", "2026-11-20T12:00:00+01:00", zip="1")  # not a German one
    order = orders.get_order(order.id)
    last = channels.deliveries("shop-de").order_by("-id")[0]
    assert (last.outcome, last.error) == ("updated", "")
    assert (order.status, order.hold_reason) == ("on_hold", "invalid_address")
    assert level("SKU-0001", "LON") == (20, 0)  # its stock went back
    _shopify_update(client, "wh-5", "2026-11-20T13:00:00+01:00", zip="10117")
    order = orders.get_order(order.id)
    assert order.status == "allocated" and order.shipping_address["postcode"] == "10117"
    assert level("SKU-0001", "LON") == (20, 2)


def test_an_address_change_after_picking_is_recorded_not_applied(shop_channels, client):
    post_shopify(client, fixture("shopify_order_multicurrency.json"))
    worker.drain("w")
    order = orders.find_order("shop-de", SHOPIFY_ID)
    fulfillment.start_picking(order.shipments.get().id, actor="user:picker")
    _shopify_update(client, "wh-3", "2026-11-20T11:00:00+01:00", address1="Unter den Linden 5")
    order = orders.get_order(order.id)
    assert order.shipping_address["line1"] == "Straße des 17. Juni 135"
    (entry,) = _address_entries(order.id)
    assert (entry.action, entry.reason_code) == ("address_change_not_applied", "picking_started")


def test_amazon_pending_then_unshipped_with_the_address_releases_the_order(shop_channels):
    channels.configure_channel(code="amz-us", name="Amazon US", type="amazon")
    pending = fixture("amazon_order_pending.json")
    del pending["order"]["payload"]["ShippingAddress"]  # Amazon withholds it while pending
    _import("amz-us", pending, "p.json")
    order = orders.find_order("amz-us", "113-4821907-5528211")
    assert order.status == "on_hold" and level("SKU-0001", "LON") == (20, 0)
    _import("amz-us", fixture("amazon_order_mfn.json"), "u.json")
    order = orders.get_order(order.id)
    assert order.status == "allocated" and order.shipping_address["city"] == "Seattle"
    assert [e.action for e in _address_entries(order.id)] == ["address_changed"]


def test_the_picker_is_told_not_to_pick_a_cancelled_order(shop_channels, client):
    from despatch.services import picking, waves

    layout = Path(__file__).parents[2] / "docs" / "examples" / "layout.json"
    picking.set_layout("LON", json.loads(layout.read_text()))
    picking.set_locations("LON", [("SKU-0001", "A05-B19-L"), ("SKU-0002", "A01-B02-R")])
    post_shopify(client, fixture("shopify_order_multicurrency.json"))
    worker.drain("w")
    order = orders.find_order("shop-de", SHOPIFY_ID)
    (pick_list,) = waves.release("LON", actor="user:lead").pick_lists
    first = pick_list.tasks.get(sku_id="SKU-0001")
    picking.scan(first.pk, location="A05-B19-L", item="SKU-0001", actor="user:picker")
    post_shopify(
        client,
        fixture("shopify_order_cancelled.json", id=int(SHOPIFY_ID)),
        webhook_id="wh-9",
        topic="orders/cancelled",
    )
    worker.drain("w")
    with pytest.raises(ShipmentCancelled, match="do not pick, do not pack"):
        picking.scan(first.pk, location="A05-B19-L", item="SKU-0001", actor="user:picker")
    (put,) = cancellations.put_away_tasks(warehouse="LON")
    assert (put.sku_id, put.quantity, put.location) == ("SKU-0001", 1, "A05-B19-L")
    assert orders.get_order(order.id).status == "cancelled"


def test_amazon_pending_says_which_fields_and_the_update_fills_the_customer_name(
    shop_channels, tmp_path
):
    from typer.testing import CliRunner

    from despatch.cli.app import app

    channels.configure_channel(code="amz-us", name="Amazon US", type="amazon")
    documented = Path(__file__).parents[1] / "fixtures" / "channels" / "documented"
    unshipped = json.loads((documented / "amazon_order_us.json").read_text())
    pending = json.loads(json.dumps(unshipped))
    order_part = pending["order"]["payload"]
    order_part.update(OrderStatus="Pending", LastUpdateDate="1970-01-19T03:58:30Z")
    del order_part["ShippingAddress"]  # Amazon withholds it while pending, and names no buyer
    path = tmp_path / "pending.json"
    path.write_text(json.dumps(pending))
    said = CliRunner().invoke(app, ["orders", "import", "--channel", "amz-us", str(path)])
    output = " ".join(said.output.split())  # rich wraps long lines
    assert "is on_hold: awaiting_payment payment is pending;" in output, output
    assert "address first line is required" in output and "address city is required" in output
    order = orders.find_order("amz-us", "902-1845936-5435065")
    assert order.customer_name == ""
    _import("amz-us", unshipped, "u.json")  # Unshipped, with the address named "Jane Doe"
    order = orders.get_order(order.id)
    assert order.customer_name == "Jane Doe" and order.shipping_address["name"] == "Jane Doe"
    (filled,) = [e for e in audit.timeline(order.id) if e.action == "customer_name_filled"]
    assert (filled.before, filled.after) == ("", "Jane Doe")
    unshipped["order"]["payload"]["ShippingAddress"]["Name"] = "J. Doe"
    unshipped["order"]["payload"]["LastUpdateDate"] = "1970-01-19T03:59:00Z"
    _import("amz-us", unshipped, "v.json")  # a name already there is kept
    assert orders.get_order(order.id).customer_name == "Jane Doe"
