"""A channel's event applies exactly once, however many deliveries of it race; and a delivery's
body is kept as the bytes received."""

import json
import time

import pytest

from despatch import worker
from despatch.integrations.channels.base import sign_base64
from despatch.models import ChannelDelivery
from despatch.services import catalogue, channels, orders
from tests.integration.test_channels import FIXTURES, SECRET, post_shopify, shop_channels  # noqa: F401
from tests.integration.test_concurrency import ROOT, database_url, results, spawn


def _headers(body: bytes, delivery_id: str, event_id: str) -> dict[str, str]:
    return {
        "x-shopify-webhook-id": delivery_id,
        "x-shopify-event-id": event_id,
        "x-shopify-topic": "orders/updated",
        "x-shopify-hmac-sha256": sign_base64("k", body),
    }


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_deliveries_of_one_event_racing_apply_it_exactly_once():
    catalogue.upsert_warehouse(code="LON", name="London", priority=1)
    catalogue.upsert_skus(catalogue.SkuRow(code, code) for code in ("SKU-0001", "SKU-0002"))
    channels.configure_channel(code="shop", name="Shop", type="shopify", webhook_secret="k")
    created = (FIXTURES / "shopify_order_multicurrency.json").read_bytes()
    channels.receive_delivery("shop", _headers(created, "wh-0", "evt-create"), created)
    worker.drain("setup")
    refunded = json.loads((FIXTURES / "shopify_order_partially_refunded.json").read_text())
    refunded["id"] = 5678901234001
    body = json.dumps(refunded).encode()
    pks = [
        channels.receive_delivery("shop", _headers(body, f"wh-{n}", "evt-refund"), body)[0].pk
        for n in range(1, 7)
    ]  # six deliveries (a platform's retries under new IDs) of one event
    start = str(time.time() + 3)
    done = results(spawn(*[("process", database_url(), start, str(pk)) for pk in pks]))

    outcomes = sorted(r["outcome"] for r in done)
    assert outcomes.count("duplicate_event") == 5, outcomes
    applied = ChannelDelivery.objects.filter(applied_event="evt-refund")
    assert applied.count() == 1 and applied.get().outcome != "duplicate_event"
    order = orders.find_order("shop", "5678901234001")
    assert len({r["refund_id"] for r in order.refunds}) == len(order.refunds) >= 1
    assert ROOT.exists()


def test_a_rejected_delivery_leaves_its_event_to_the_next_one(shop_channels, client):  # noqa: F811
    broken = json.loads((FIXTURES / "shopify_order_multicurrency.json").read_text())
    broken["line_items"] = "not a list"
    assert post_shopify(client, broken, webhook_id="a", event_id="evt-1").status_code == 202
    worker.drain("w")
    fixed = json.loads((FIXTURES / "shopify_order_multicurrency.json").read_text())
    assert post_shopify(client, fixed, webhook_id="b", event_id="evt-1").status_code == 202
    worker.drain("w")
    first, second = sorted(channels.deliveries("shop-de"), key=lambda d: d.delivery_id)
    assert (first.status, first.applied_event) == ("failed", None)
    assert (second.outcome, second.applied_event) == ("created", "evt-1")


def test_a_body_in_another_encoding_is_kept_as_bytes_and_read_right(shop_channels, client):  # noqa: F811
    payload = json.loads((FIXTURES / "shopify_order_multicurrency.json").read_text())
    body = json.dumps(payload, ensure_ascii=False).encode("latin-1", "replace")
    response = client.post(
        "/api/channels/shop-de/webhooks",
        body.decode("latin-1"),  # the test client encodes it in the charset named
        content_type="application/json; charset=iso-8859-1",
        HTTP_X_SHOPIFY_TOPIC="orders/create",
        HTTP_X_SHOPIFY_WEBHOOK_ID="latin",
        HTTP_X_SHOPIFY_HMAC_SHA256=sign_base64(SECRET, body),
    )
    assert response.status_code == 202
    worker.drain("w")
    (delivery,) = channels.deliveries("shop-de")
    assert bytes(delivery.raw_body) == body and "\ufffd" in delivery.body
    order = orders.find_order("shop-de", "5678901234001")
    assert order.shipping_address["line1"] == "Straße des 17. Juni 135"
