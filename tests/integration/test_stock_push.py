"""Stock back to channels, proven against local fake platform servers."""

import json

import pytest
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.domain.errors import ValidationFailed
from despatch.integrations.channels import amazon, bigcommerce, ebay, woocommerce
from despatch.integrations.channels.base import Connection, StockUpdate
from despatch.models import ChannelListing, Sku
from despatch.services import cancellations, catalogue, channels, inventory, leases, listings
from tests.integration.fake_platforms import (
    Answer,
    fake_platform,
    shopify_inventory_set,
    shopify_quantities_sent,
)

pytestmark = pytest.mark.django_db


def shopify_ok(method, path, body):
    return shopify_inventory_set(body)


@pytest.fixture
def store(shop):
    catalogue.upsert_skus(catalogue.SkuRow(code, code) for code in ("SKU-0001", "SKU-0002"))
    Sku.objects.filter(code="SKU-0001").update(safety_stock=2)
    for sku in ("SKU-0001", "SKU-0002"):
        inventory.receive_stock(sku=sku, warehouse="LON", quantity=20, actor="test")
    worker.drain("setup")


def shopify_channel(url, **rule):
    channels.configure_channel(
        code="shop-de",
        name="Shop DE",
        type="shopify",
        api_url=url,
        token="shpat_1",
        settings={"location_id": 655441491, "availability": rule or None},
    )
    listings.set_listings("shop-de", [("SKU-0001", "808950810"), ("SKU-0002", "39072856")])


def sent(platform):
    return shopify_quantities_sent(platform.requests)


def test_stock_changes_are_coalesced_into_one_update_per_sku(store):
    with fake_platform(route=shopify_ok) as shop:
        shopify_channel(shop.url, buffer=1)
        first = listings.push("shop-de", "w1")
        assert (first.pushed, first.failed) == (2, {})
        assert sorted(sent(shop)) == [(39072856, 19), (808950810, 17)]  # 20-2-1 and 20-1
        assert shop.requests[0]["headers"]["x-shopify-access-token"] == "shpat_1"
        sent_input = shop.requests[0]["body"]["variables"]["input"]
        assert shop.requests[0]["path"] == "/admin/api/2025-01/graphql.json"
        assert "inventorySetQuantities" in shop.requests[0]["body"]["query"]
        assert (sent_input["name"], sent_input["reason"]) == ("available", "correction")
        assert sent_input["ignoreCompareQuantity"] is True
        assert {q["locationId"] for q in sent_input["quantities"]} == {
            "gid://shopify/Location/655441491"
        }
        assert len(shop.requests) == 1  # both SKUs in one mutation
        shop.requests.clear()
        for _ in range(10):  # a burst: ten changes to one SKU
            inventory.adjust_stock(
                sku="SKU-0002", warehouse="LON", delta=-1, actor="t", note="count"
            )
        worker.drain("w")
        listings.push("shop-de", "w1")
        assert sent(shop) == [(39072856, 9)]  # one update, the final figure
        shop.requests.clear()
        again = listings.push("shop-de", "w1")
    assert shop.requests == [] and again.pushed == 0


def test_reservations_and_releases_reach_the_channel(store, draft):
    from despatch.services import orders

    with fake_platform(route=shopify_ok) as shop:
        shopify_channel(shop.url)
        listings.push("shop-de", "w1")
        shop.requests.clear()
        order, _ = orders.receive_order(draft([("SKU-0002", 4)], external_id="R1"), actor="t")
        worker.drain("w")
        listings.push("shop-de", "w1")
        assert sent(shop) == [(39072856, 16)]
        cancellations.cancel_order(order.id, actor="t", reason="customer_request")
        worker.drain("w")
        listings.push("shop-de", "w1")
    assert sent(shop)[-1] == (39072856, 20)


def test_rules_shape_the_figure_and_explain_it(store, client):
    from despatch.services import tokens

    tokens.ensure_user("ops", "pw", roles=("ops_manager",))
    api_token = tokens.create_token("ops")
    channels.configure_channel(
        code="shop-de",
        name="Shop DE",
        type="shopify",
        settings={"availability": {"buffer": 2, "percent": 50, "max_listed": 8, "end_at": 3}},
    )
    listings.set_listings("shop-de", [("SKU-0001", "1"), ("SKU-0002", "2")])
    figures = {a.sku: a for a in listings.availability("shop-de")}
    assert figures["SKU-0002"].quantity == 8  # (20 - 2) x 50% = 9, capped at 8
    assert figures["SKU-0001"].quantity == 8  # (20 - 2 safety - 2) x 50% = 8
    inventory.adjust_stock(sku="SKU-0001", warehouse="LON", delta=-12, actor="t", note="damaged")
    low = listings.availability("shop-de", ["SKU-0001"])[0]
    assert low.quantity == 0 and "listing ends" in low.steps[-1]  # (8-4) x 50% = 2 <= 3

    answer = client.get(
        "/api/channels/shop-de/availability?sku=SKU-0002",
        HTTP_AUTHORIZATION=f"Bearer {api_token}",
    )
    assert answer.status_code == 200
    (row,) = answer.json()
    assert row["quantity"] == 8 and row["published"] is None
    assert row["why"][0] == "free stock 20 (LON 20)"
    shown = CliRunner().invoke(app, ["channels", "availability", "shop-de", "--json"])
    assert {r["sku"]: r["quantity"] for r in json.loads(shown.output)} == {
        "SKU-0001": 0,
        "SKU-0002": 8,
    }
    with pytest.raises(ValidationFailed) as bad:
        channels.configure_channel(
            code="shop-de",
            name="Shop DE",
            type="shopify",
            settings={"availability": {"percent": 150, "buffr": 1}},
        )
    fields = {e.field for e in bad.value.errors}
    assert fields == {"availability.percent", "availability.buffr"}


def test_a_failed_push_is_kept_and_retried_later(store):
    def flaky(method, path, body):
        refused = "The specified inventory item does not have inventory tracking"
        return shopify_inventory_set(body, refuse={"39072856": refused})

    with fake_platform(route=flaky) as shop:
        shopify_channel(shop.url)
        report = listings.push("shop-de", "w1")
    assert report.pushed == 1 and "inventory tracking" in report.failed["SKU-0002"]
    # the mutation with an error may have applied nothing: the good item was sent again alone
    calls = [sorted(shopify_quantities_sent([r])) for r in shop.requests]
    assert calls == [[(39072856, 20), (808950810, 18)], [(808950810, 18)]]
    failed = ChannelListing.objects.get(sku_id="SKU-0002")
    assert failed.dirty and failed.retry_at is not None and failed.attempts == 1
    assert "inventory tracking" in failed.error and failed.published is None
    with fake_platform(route=shopify_ok) as shop:
        channels.configure_channel(code="shop-de", name="Shop DE", type="shopify", api_url=shop.url)
        assert listings.push("shop-de", "w1").pushed == 0  # waits for its retry time
        ChannelListing.objects.filter(sku_id="SKU-0002").update(retry_at=None)
        assert listings.push("shop-de", "w1").pushed == 1


def test_one_pusher_per_channel(store):
    with fake_platform(route=shopify_ok) as shop:
        shopify_channel(shop.url)
        assert leases.acquire("push:shop-de", "other-worker", listings.PUSH_LEASE)
        assert listings.push("shop-de", "w1").skipped == "another worker is pushing"
        assert shop.requests == []
        leases.release("push:shop-de", "other-worker")
        assert listings.push("shop-de", "w1").pushed == 2


def test_a_channel_that_sold_a_sku_lists_it(store):
    from despatch.services import orders
    from tests.integration.test_channels import fixture

    channels.configure_channel(code="woo-fr", name="Woo FR", type="woocommerce")
    payload = json.dumps(fixture("woocommerce_order.json")).encode()
    channels.import_payload("woo-fr", payload, name="order.json")
    assert orders.find_order("woo-fr", "727")
    assert set(listings.listings("woo-fr").values_list("sku_id", flat=True)) == {
        "SKU-0001",
        "SKU-0002",
    }


@pytest.mark.django_db(transaction=True)
def test_the_worker_publishes_within_seconds(store):
    with fake_platform(route=shopify_ok) as shop:
        shopify_channel(shop.url)
        listings.push("shop-de", "w1")
        shop.requests.clear()
        inventory.receive_stock(sku="SKU-0002", warehouse="LON", quantity=5, actor="test")
        worker.run(max_seconds=1.5, push_every=0.2, idle_sleep=0.05, pull_every=0)
    assert sent(shop) == [(39072856, 25)]


def test_cli_listings_and_push(store, tmp_path):
    runner = CliRunner()
    with fake_platform(route=shopify_ok) as shop:
        added = runner.invoke(
            app,
            [
                "channels",
                "add",
                "shop-de",
                "--type",
                "shopify",
                "--api-url",
                shop.url,
                "--token",
                "t",
                "--setting",
                "location_id=1",
                "--setting",
                'availability={"max_listed": 5}',
            ],
        )
        assert added.exit_code == 0, added.output
        csv_file = tmp_path / "listings.csv"
        csv_file.write_text("sku,listing_id\nSKU-0001,11\nSKU-0002,12\n")
        saved = runner.invoke(app, ["channels", "listings", "shop-de", "--file", str(csv_file)])
        assert "2 listings saved" in saved.output, saved.output
        pushed = runner.invoke(app, ["channels", "push", "shop-de"])
        assert pushed.exit_code == 0 and "2 pushed" in pushed.output, pushed.output
    assert sorted(sent(shop)) == [(11, 5), (12, 5)]
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,listing_id\nSKU-0001,11\nNOPE,13\n")
    refused = runner.invoke(app, ["channels", "listings", "shop-de", "--file", str(bad)])
    assert refused.exit_code != 0 and "row 2: 'NOPE'" in refused.output
    shown = runner.invoke(app, ["channels", "listings", "shop-de"])
    assert "SKU-0001" in shown.output and "5" in shown.output


def test_each_platform_gets_its_documented_stock_update(db):
    updates = [StockUpdate("SKU-1", "101", 7), StockUpdate("SKU 2/B", "55/202", 0)]

    def ok(method, path, body):
        if path.startswith("/sell/inventory"):
            responses = [{"sku": r["sku"], "statusCode": 200} for r in body["requests"]]
            return Answer(200, {"responses": responses})
        if path.startswith("/listings"):
            return Answer(200, {"sku": "x", "status": "ACCEPTED", "submissionId": "s1"})
        if "batch" in path:
            return Answer(200, {"update": [{"id": u["id"]} for u in body["update"]]})
        return Answer(200, {"data": {"transaction_id": "t1"}})

    with fake_platform(route=ok) as p:
        conn = Connection(p.url, "tok", {"marketplace_ids": ["A1PA6795UKMFR9"], "seller_id": "S1"})
        assert woocommerce.push_stock(conn, updates) == {}
        assert ebay.push_stock(conn, updates) == {}
        assert amazon.push_stock(conn, updates) == {}
        assert bigcommerce.push_stock(Connection(p.url, "tok", {"location_id": 3}), updates) == {}
    calls = {(r["method"], r["path"]): r["body"] for r in p.requests}
    assert calls[("POST", "/wp-json/wc/v3/products/batch")] == {
        "update": [{"id": 101, "manage_stock": True, "stock_quantity": 7}]
    }
    assert calls[("POST", "/wp-json/wc/v3/products/55/variations/batch")]["update"][0]["id"] == 202
    bulk = calls[("POST", "/sell/inventory/v1/bulk_update_price_quantity")]["requests"]
    assert bulk[1] == {"sku": "SKU 2/B", "shipToLocationAvailability": {"quantity": 0}}
    patch = calls[
        ("PATCH", "/listings/2021-08-01/items/S1/SKU%202%2FB?marketplaceIds=A1PA6795UKMFR9")
    ]
    assert patch["patches"][0]["value"] == [{"fulfillment_channel_code": "DEFAULT", "quantity": 0}]
    absolute = calls[("PUT", "/v3/inventory/adjustments/absolute")]["items"]
    assert absolute[0] == {"location_id": 3, "variant_id": 101, "quantity": 7}


def test_platform_refusals_per_item_are_reported(db):
    def refuse(method, path, body):
        if path.startswith("/sell/inventory"):
            return Answer(
                207,
                {
                    "responses": [
                        {"sku": "SKU-1", "statusCode": 200},
                        {"sku": "SKU-2", "statusCode": 400, "errors": [{"message": "No offer"}]},
                    ]
                },
            )
        return Answer(200, {"update": [{"id": 2, "error": {"message": "Invalid ID."}}]})

    updates = [StockUpdate("SKU-1", "1", 3), StockUpdate("SKU-2", "2", 4)]
    with fake_platform(route=refuse) as p:
        conn = Connection(p.url, "ck:cs")
        assert ebay.push_stock(conn, updates) == {"SKU-2": "No offer"}
        assert woocommerce.push_stock(conn, updates) == {"SKU-2": "Invalid ID."}


def test_the_channel_page_shows_what_is_published_and_why(store, client):
    from despatch.services import tokens

    with fake_platform(route=shopify_ok) as shop:
        shopify_channel(shop.url, max_listed=10)
        listings.push("shop-de", "w1")
    inventory.receive_stock(sku="SKU-0002", warehouse="LON", quantity=5, actor="t")
    worker.drain("w")
    tokens.ensure_user("ops", "pw", roles=("order_ops",))
    client.login(username="ops", password="pw")
    page = client.get("/channels/shop-de/").content.decode()
    assert "Stock published" in page and "capped at the maximum listed, 10" in page
    assert "waiting" in page  # SKU-0002 changed since its last push


def test_channels_that_take_no_stock_list_nothing_and_backorder(store):
    from despatch.services import orders
    from tests.integration.test_channels import fixture

    channels.configure_channel(code="web-jp", name="Web JP", type="api")
    payload = fixture("generic_order.json")
    payload["lines"][0]["quantity"] = 60  # more than the 20 in stock
    payload["total"] = None
    channels.import_payload("web-jp", json.dumps(payload).encode(), name="big.json")
    worker.drain("w")
    assert not listings.listings("web-jp").exists()
    assert orders.find_order("web-jp", "WEB-10042").status == "backordered"


def test_stock_moves_of_unlisted_skus_write_no_stock_events(store, draft):
    from despatch.models import OutboxEvent
    from despatch.services import orders

    orders.receive_order(draft([("SKU-0002", 1)], external_id="U1"), actor="t")
    worker.drain("w")
    assert not OutboxEvent.objects.filter(topic="stock.changed").exists()
    with fake_platform(route=shopify_ok) as shop:
        shopify_channel(shop.url)  # lists both SKUs: they start dirty, with today's figures
        listings.push("shop-de", "w1")
        orders.receive_order(draft([("SKU-0002", 1)], external_id="U2"), actor="t")
        worker.drain("w")
        assert OutboxEvent.objects.filter(topic="stock.changed").count() == 1
        assert listings.mark_all_dirty() == 2
        report = listings.push("shop-de", "w1")
    assert (report.pushed, report.unchanged) == (1, 1)  # only SKU-0002 moved since
