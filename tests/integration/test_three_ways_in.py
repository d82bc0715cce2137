"""Every fixture payload through every way in its platform offers (webhook, file, pull) must
store the same order: same lines, money, address, status and hold."""

import copy
import json
from pathlib import Path

import pytest

from despatch import worker
from despatch.integrations.channels.base import sign_base64
from despatch.services import catalogue, channels, inventory, orders
from tests.integration.fake_platforms import Answer, fake_platform

FIXTURES = Path(__file__).parents[1] / "fixtures" / "channels"
SECRET = "three-ways"


def load(name):
    return json.loads((FIXTURES / name).read_text())


def _shopify(payload):
    return lambda m, path, b: Answer(200, {"orders": [payload]})


def _woocommerce(payload):
    return lambda m, path, b: Answer(200, [payload], {"X-WP-TotalPages": "1"})


def _ebay(payload):
    return lambda m, path, b: Answer(200, {"orders": [payload], "total": 1})


def _amazon(payload):
    order = payload["order"]["payload"]

    def route(method, path, body):
        if path.startswith("/orders/v0/orders?"):
            return Answer(200, {"payload": {"Orders": [order]}})
        return Answer(200, payload["items"][0]) if len(payload["items"]) == 1 else _paged(path)

    def _paged(path):
        pages = payload["items"]
        index = 1 if "NextToken" in path else 0
        page = copy.deepcopy(pages[index])
        if index + 1 < len(pages):
            page["payload"]["NextToken"] = "more"
        return Answer(200, page)

    return route


def _bigcommerce(payload):
    # as BigCommerce gives it: the order links to its fees, which /fees lists
    order = {**payload["order"], "fees": {"url": "…/fees", "resource": "/orders/0/fees"}}

    def route(method, path, body):
        parts = path.split("?")[0].strip("/").split("/")
        if parts == ["v2", "orders"]:
            first = "&page=1" in path or path.endswith("page=1")
            return Answer(200, [order]) if first else Answer(204)
        if parts[0] == "v3":
            return Answer(200, {"data": payload.get("refunds", [])})
        if len(parts) == 3:
            return Answer(200, order)
        if parts[3] == "fees":
            return Answer(200, {"fees": payload["order"].get("fees") or []})
        first = "&page=1" in path or path.endswith("page=1")
        return Answer(200, payload[parts[3]] if first else [])

    return route


def _webhook_headers(kind, body, n):
    if kind == "shopify":
        return {
            "HTTP_X_SHOPIFY_HMAC_SHA256": sign_base64(SECRET, body),
            "HTTP_X_SHOPIFY_WEBHOOK_ID": f"wh-{n}",
            "HTTP_X_SHOPIFY_TOPIC": "orders/create",
        }
    if kind == "woocommerce":
        return {
            "HTTP_X_WC_WEBHOOK_SIGNATURE": sign_base64(SECRET, body),
            "HTTP_X_WC_WEBHOOK_DELIVERY_ID": f"wc-{n}",
            "HTTP_X_WC_WEBHOOK_TOPIC": "order.created",
        }
    if kind == "api":
        return {
            "HTTP_X_DESPATCH_SIGNATURE": sign_base64(SECRET, body),
            "HTTP_X_DESPATCH_DELIVERY_ID": f"api-{n}",
        }
    return {"HTTP_X_WEBHOOK_TOKEN": SECRET}  # BigCommerce's custom header


CASES = [
    ("shopify", "shopify_order_multicurrency.json", _shopify),
    ("shopify", "shopify_order_cancelled.json", _shopify),
    ("shopify", "shopify_order_partially_refunded.json", _shopify),
    ("shopify", "shopify_order_unknown_sku_no_phone.json", _shopify),
    ("woocommerce", "woocommerce_order.json", _woocommerce),
    ("woocommerce", "woocommerce_order_cancelled.json", _woocommerce),
    ("ebay", "ebay_order.json", _ebay),
    ("amazon", "amazon_order_mfn.json", _amazon),
    ("amazon", "amazon_order_afn.json", _amazon),
    ("amazon", "amazon_order_pending.json", _amazon),
    ("bigcommerce", "bigcommerce_order.json", _bigcommerce),
    ("api", "generic_order.json", None),
]


def snapshot(order):
    return {
        "status": order.status,
        "hold": order.hold_reason,
        "payment": order.payment_status,
        "currency": order.currency,
        "total": str(order.total_amount),
        "shipping": str(order.shipping_amount),
        "discount": str(order.discount_amount),
        "tax": str(order.tax_amount),
        "fees": str(order.fee_amount),
        "presentment": (order.presentment_currency, str(order.presentment_total)),
        "refunds": sorted(r["refund_id"] for r in order.refunds),
        "address": order.shipping_address,
        "lines": sorted((li.sku, li.quantity, str(li.unit_price)) for li in order.lines.all()),
    }


@pytest.fixture
def stocked(shop):
    catalogue.upsert_skus(catalogue.SkuRow(code, code) for code in ("SKU-0001", "SKU-0002"))
    for sku in ("SKU-0001", "SKU-0002"):
        inventory.receive_stock(sku=sku, warehouse="LON", quantity=50, actor="test")
    worker.drain("setup")


@pytest.mark.parametrize(("kind", "name", "platform"), CASES, ids=[c[1] for c in CASES])
def test_every_way_in_stores_the_same_order(stocked, client, kind, name, platform):
    payload = load(name)
    body = json.dumps(payload, ensure_ascii=False).encode()
    stored = {}

    channels.configure_channel(code="by-file", name="file", type=kind)
    delivery, new = channels.import_payload("by-file", body, name=name)
    assert new and delivery.status == "processed", delivery.error
    stored["file"] = orders.get_order(delivery.order_id)

    webhooks = kind in ("shopify", "woocommerce", "api", "bigcommerce")
    route = platform(payload) if platform else (lambda *args: Answer(404))
    with fake_platform(route=route) as api:
        if webhooks:
            channels.configure_channel(
                code="by-hook", name="hook", type=kind, webhook_secret=SECRET, api_url=api.url
            )
            hook_body = body
            if kind == "bigcommerce":
                thin = {"scope": "store/order/created", "data": {"type": "order", "id": 250}}
                hook_body = json.dumps({**thin, "hash": "h1"}).encode()
            for n in (1, 1, 2):  # the same delivery twice, then a second delivery
                answer = client.post(
                    "/api/channels/by-hook/webhooks",
                    hook_body,
                    content_type="application/json",
                    **_webhook_headers(kind, hook_body, n),
                )
                assert answer.status_code in (200, 202), answer.content
            forged_headers = (
                {"HTTP_X_WEBHOOK_TOKEN": "forged"}
                if kind == "bigcommerce"
                else _webhook_headers(kind, hook_body + b" ", 3)  # signed a different body
            )
            forged = client.post(
                "/api/channels/by-hook/webhooks",
                hook_body,
                content_type="application/json",
                **forged_headers,
            )
            assert forged.status_code == 401
            worker.drain("w")
            (hooked,) = orders.list_orders(channel="by-hook")
            stored["webhook"] = hooked
        if platform is not None:
            channels.configure_channel(
                code="by-pull",
                name="pull",
                type=kind,
                api_url=api.url,
                settings={"marketplace_ids": ["A1F83G8C2ARO7P"]},
            )
            report = channels.pull("by-pull")
            assert report.fetched == 1
            worker.drain("w")
            (pulled,) = orders.list_orders(channel="by-pull")
            stored["pull"] = pulled

    worker.drain("w")
    first = snapshot(orders.get_order(stored.pop("file").id))
    assert stored, "every platform has a second way in"
    for way, order in stored.items():
        assert snapshot(orders.get_order(order.id)) == first, way
