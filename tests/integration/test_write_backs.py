"""Fulfilment write-back, per shipment and per line, to each platform's fake server: a partial
shipment is told with its lines and units, the remainder later on its own, a retry never posts
twice, an outage is retried by the outbox and a refusal opens a case someone owns."""

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.domain.money import Money
from despatch.domain.orders import LineDraft
from despatch.integrations.channels import http
from despatch.models import ExceptionCase, OutboxEvent, Shipment
from despatch.services import channels, fulfillment, inventory, orders, tokens, write_backs
from tests.conftest import make_draft
from tests.integration import fake_platforms as fakes
from tests.integration.fake_platforms import Answer, fake_platform

FIRST, SECOND = "RR123456785GB", "RR123456799GB"  # valid UPU S10 numbers


@dataclass
class Store:
    """One platform: its channel type, the order's line IDs, its fake API and what it got."""

    kind: str
    line_ids: tuple[str, str]
    settings: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)

    def route(self, url: list[str]) -> fakes.Route:
        s = self.state
        if self.kind == "shopify":
            s["fulfillments"] = []
            return fakes.shopify_store(shopify_fulfillment_orders(), s["fulfillments"])
        if self.kind == "woocommerce":
            s["notes"], s["orders"] = [], {}
            return fakes.woocommerce_store(s["notes"], s["orders"])
        if self.kind == "amazon":
            s["packages"] = {}
            return fakes.amazon_store(s["packages"])
        if self.kind == "ebay":
            s["fulfillments"] = []
            return fakes.ebay_store(s["fulfillments"], url)
        s["shipments"] = []
        return fakes.bigcommerce_store(s["shipments"])

    def told(self, platform) -> list[dict[str, int]]:
        """Each shipment the platform was told of, as {line ID: units}."""
        posts = [r["body"] for r in platform.requests if r["method"] == "POST"]
        if self.kind == "shopify":
            fo_lines = {
                li["id"]: str(li["line_item_id"])
                for fo in shopify_fulfillment_orders()
                for li in fo["line_items"]
            }
            return [
                {
                    fo_lines[i["id"]]: i["quantity"]
                    for g in p["fulfillment"]["line_items_by_fulfillment_order"]
                    for i in g["fulfillment_order_line_items"]
                }
                for p in posts
            ]
        if self.kind == "woocommerce":
            return [
                {line: int(n) for n, line in re.findall(r"(\d+) x \S+ \(line (\w+)\)", p["note"])}
                for p in posts
                if "note" in p
            ]
        if self.kind == "amazon":
            return [
                {i["orderItemId"]: i["quantity"] for i in p["packageDetail"]["orderItems"]}
                for p in posts
            ]
        if self.kind == "ebay":
            return [{i["lineItemId"]: i["quantity"] for i in p["lineItems"]} for p in posts]
        return [{str(i["order_product_id"]): i["quantity"] for i in p["items"]} for p in posts]


def shopify_fulfillment_orders() -> list[dict[str, Any]]:
    """Shopify's documented fulfillment order shape: one open order at one location."""
    return [
        {
            "id": 1046000778,
            "order_id": 450789469,
            "assigned_location_id": 24826418,
            "status": "open",
            "supported_actions": ["create_fulfillment"],
            "line_items": [
                {
                    "id": 1058737482,
                    "fulfillment_order_id": 1046000778,
                    "quantity": 2,
                    "line_item_id": 466157049,
                    "fulfillable_quantity": 2,
                },
                {
                    "id": 1058737483,
                    "fulfillment_order_id": 1046000778,
                    "quantity": 1,
                    "line_item_id": 518995019,
                    "fulfillable_quantity": 1,
                },
            ],
        }
    ]


STORES = [
    Store("shopify", ("466157049", "518995019")),
    Store("woocommerce", ("315", "316")),
    Store(
        "amazon",
        ("68828574383266", "68828574383267"),
        settings={"marketplace_ids": ["A1F83G8C2ARO7P"]},
    ),
    Store("ebay", ("10000000001234", "10000000001235")),
    Store("bigcommerce", ("5", "6"), extra={"order_address_id": "131"}),
]


def receive(store: Store, url: str) -> str:
    channels.configure_channel(
        code="mkt", name="Market", type=store.kind, api_url=url, token="t", settings=store.settings
    )
    lines = tuple(
        LineDraft(sku, qty, Money(Decimal("9.99"), "GBP"), external_line_id=line_id)
        for (sku, qty), line_id in zip((("A", 2), ("D", 1)), store.line_ids, strict=True)
    )
    draft = replace(
        make_draft(channel="mkt", external_id="450789469", extra=store.extra), lines=lines
    )
    order, _ = orders.receive_order(draft, actor="t")
    worker.drain("w")
    return order.id


def despatch(order_id: str, tracking: str) -> Shipment:
    shipment = orders.get_order(order_id).shipments.filter(status="allocated").get()
    fulfillment.start_picking(shipment.id, actor="t")
    fulfillment.pack(shipment.id, actor="t")
    fulfillment.despatch(shipment.id, actor="t", carrier="royalmail", tracking_number=tracking)
    worker.drain("w")
    return Shipment.objects.get(id=shipment.id)


@pytest.mark.parametrize("store", STORES, ids=lambda s: s.kind)
def test_each_parcel_reaches_the_platform_with_its_lines_and_a_retry_posts_nothing_new(shop, store):
    url: list[str] = []
    with fake_platform(route=store.route(url)) as platform:
        url.append(platform.url)
        order_id = receive(store, platform.url)
        first = despatch(order_id, FIRST)  # 2 x A now; D is backordered
        assert store.told(platform) == [{store.line_ids[0]: 2}]
        assert first.channel_notified_at and first.channel_outcome in ("posted", "noted")
        posts = len(platform.calls("POST"))

        # the worker died after the call, before recording it: the event runs again
        Shipment.objects.filter(id=first.id).update(channel_notified_at=None)
        again = write_backs.confirm_shipment(first.id)
        assert again in ("already_posted", "noted", "posted")
        if store.kind == "amazon":  # the same packageReferenceId edits, it adds nothing
            assert list(store.state["packages"]) == ["1"]
        else:
            assert len(platform.calls("POST")) == posts
        assert Shipment.objects.get(id=first.id).channel_reference == first.channel_reference

        inventory.receive_stock(sku="D", warehouse="LON", quantity=1, actor="t")
        worker.drain("w")
        second = despatch(order_id, SECOND)  # the remainder, on its own
        assert store.told(platform)[-1] == {store.line_ids[1]: 1}
        assert second.channel_notified_at and second.channel_reference != first.channel_reference
    assert orders.get_order(order_id).status == "despatched"
    if store.kind == "woocommerce":  # completed once the last unit has left, not before
        assert store.state["orders"] == {"450789469": {"status": "completed"}}
        assert [r["method"] for r in platform.requests].count("PUT") == 1
    if store.kind == "amazon":
        assert sorted(store.state["packages"]) == ["1", "2"]
        detail = store.state["packages"]["2"]["packageDetail"]
        assert detail["carrierCode"] == "Royal Mail" and detail["trackingNumber"] == SECOND
        assert store.state["packages"]["2"]["marketplaceId"] == "A1F83G8C2ARO7P"
    if store.kind == "bigcommerce":
        assert {s["order_address_id"] for s in store.state["shipments"]} == {131}
    if store.kind == "ebay":
        assert first.channel_reference == FIRST  # from the Location eBay answered


def test_an_outage_is_retried_by_the_outbox_and_posts_once(shop, monkeypatch):
    monkeypatch.setattr(http, "BACKOFF", (0.0,))
    store = Store("ebay", ("10000000001234", "10000000001235"))
    url: list[str] = []
    with fake_platform(route=fakes.failing_first(store.route(url), 6)) as platform:
        url.append(platform.url)
        order_id = receive(store, platform.url)
        shipment = despatch(order_id, FIRST)  # six 503s: the first run gives up for now
        event = OutboxEvent.objects.get(topic="shipment.despatched")
        assert event.status == "pending" and event.attempts == 1
        assert not Shipment.objects.get(id=shipment.id).channel_notified_at
        OutboxEvent.objects.filter(pk=event.pk).update(available_at=event.created_at)
        worker.drain("w")
    assert OutboxEvent.objects.get(pk=event.pk).status == "done"
    assert len(store.state["fulfillments"]) == 1
    assert not ExceptionCase.objects.filter(kind="channel_write_back").exists()


def test_a_refusal_opens_a_case_and_telling_again_closes_it(shop, client):
    store = Store("bigcommerce", ("5", "6"), extra={"order_address_id": "131"})
    refuse = {"on": True}
    inner = store.route([])

    def route(method, path, body):
        if refuse["on"] and method == "POST":
            return Answer(400, [{"status": 400, "message": "The field 'items' is invalid."}])
        return inner(method, path, body)

    with fake_platform(route=route) as platform:
        order_id = receive(store, platform.url)
        shipment = despatch(order_id, FIRST)
        case = ExceptionCase.objects.get(kind="channel_write_back")
        assert (case.queue, case.owner, case.status) == ("channels", "group:order-ops", "open")
        assert case.shipment_id == shipment.id and "items" in case.summary
        assert shipment.channel_outcome == "failed" and not shipment.channel_notified_at
        assert OutboxEvent.objects.get(topic="shipment.despatched").status == "done"
        tokens.ensure_user("ann", "pw", roles=("ops_manager",))
        auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('ann')}"}
        shown = client.get(f"/api/shipments/{shipment.id}", **auth).json()["channel"]
        assert shown["outcome"] == "failed" and "items" in shown["error"]
        client.login(username="ann", password="pw")
        page = client.get(f"/orders/{order_id}/").content.decode()
        assert "channel not told" in page and "is invalid" in page
        again = CliRunner().invoke(app, ["shipping", "tell-channel", shipment.id])
        assert again.exit_code == 1 and "refused" in again.output
        refuse["on"] = False
        told = CliRunner().invoke(app, ["shipping", "tell-channel", shipment.id])
        assert told.exit_code == 0 and "posted" in told.output, told.output
        shown = client.get(f"/api/shipments/{shipment.id}", **auth).json()["channel"]
        assert shown["outcome"] == "posted" and shown["reference"] == "11"
        assert "(its ID 11)" in client.get(f"/orders/{order_id}/").content.decode()
    case.refresh_from_db()
    assert case.status == "resolved"
    assert len(store.state["shipments"]) == 1
