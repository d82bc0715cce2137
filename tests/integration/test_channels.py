import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.domain.errors import ValidationFailed
from despatch.integrations.channels import shopify
from despatch.integrations.channels.base import sign_base64
from despatch.services import audit, catalogue, channels, fulfillment, inventory, orders
from despatch.services import outbox as outbox_service
from tests.integration.conftest import level

FIXTURES = Path(__file__).parents[1] / "fixtures" / "channels"
SECRET = "shpss_test_secret"


@pytest.fixture
def shop_channels(shop):
    catalogue.upsert_skus(catalogue.SkuRow(code, code) for code in ("SKU-0001", "SKU-0002"))
    for sku in ("SKU-0001", "SKU-0002"):
        inventory.receive_stock(sku=sku, warehouse="LON", quantity=20, actor="test")
    worker.drain("setup")
    channels.configure_channel(
        code="shop-de", name="Shop DE", type="shopify", webhook_secret=SECRET
    )
    channels.configure_channel(
        code="woo-fr", name="Woo FR", type="woocommerce", webhook_secret="wsec"
    )


def fixture(name, **changes):
    payload = json.loads((FIXTURES / name).read_text())
    payload.update(changes)
    return payload


def post_shopify(
    client, payload, *, webhook_id="wh-1", topic="orders/create", secret=SECRET, event_id=""
):
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {
        "HTTP_X_SHOPIFY_TOPIC": topic,
        "HTTP_X_SHOPIFY_WEBHOOK_ID": webhook_id,
        "HTTP_X_SHOPIFY_HMAC_SHA256": sign_base64(secret, body),
        "HTTP_X_SHOPIFY_EVENT_ID": event_id,
    }
    return client.post(
        "/api/channels/shop-de/webhooks", body, content_type="application/json", **headers
    )


def test_a_signed_webhook_is_stored_answered_and_becomes_an_order(shop_channels, client):
    response = post_shopify(client, fixture("shopify_order_multicurrency.json"))
    assert response.status_code == 202 and response.json()["status"] == "accepted"
    worker.drain("w")
    order = orders.find_order("shop-de", "5678901234001")
    assert order.status == "allocated" and order.customer_name == "Zoë Łukasiewicz"
    assert (
        str(order.total_amount.normalize()) == "67.08" and str(order.presentment_total) == "61.9000"
    )
    assert order.shipping_address["phone"] == "+493012345678"
    (delivery,) = channels.deliveries("shop-de")
    assert (delivery.status, delivery.outcome, delivery.order_id) == (
        "processed",
        "created",
        order.id,
    )


def test_the_same_delivery_twice_changes_nothing(shop_channels, client):
    payload = fixture("shopify_order_multicurrency.json")
    assert post_shopify(client, payload).status_code == 202
    again = post_shopify(client, payload)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    worker.drain("w")
    assert orders.list_orders(channel="shop-de").count() == 1
    # the repeat is kept in the inbox, marked duplicate and naming the delivery it repeated
    assert channels.deliveries("shop-de").count() == 2
    repeat = channels.deliveries("shop-de", "duplicate").get()
    assert repeat.repeats_id == again.json()["delivery"]


def test_a_forged_signature_is_refused_and_nothing_is_stored(shop_channels, client):
    response = post_shopify(client, fixture("shopify_order_multicurrency.json"), secret="forged")
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    assert channels.deliveries("shop-de").count() == 0
    assert outbox_service.counts().get("pending", 0) == 0


def test_the_same_event_through_two_subscriptions_is_applied_once(shop_channels, client):
    payload = fixture("shopify_order_multicurrency.json")
    post_shopify(client, payload, webhook_id="wh-a", event_id="ev-1")
    post_shopify(client, payload, webhook_id="wh-b", event_id="ev-1")
    worker.drain("w")
    assert sorted(d.outcome for d in channels.deliveries("shop-de")) == [
        "created",
        "duplicate_event",
    ]


def test_unknown_and_empty_skus_keep_the_order_on_hold_naming_the_lines(shop_channels, client):
    post_shopify(client, fixture("shopify_order_unknown_sku_no_phone.json"))
    worker.drain("w")
    order = orders.find_order("shop-de", "5678901234002")
    assert (order.status, order.hold_reason) == ("on_hold", "unknown_sku")
    assert [(p["field"], p["message"]) for p in order.hold_detail] == [
        ("lines[0].sku", "unknown SKU 'NOT-IN-CATALOGUE'"),
        ("lines[1].sku", "the line has no SKU"),
    ]


def test_an_update_records_payment_status_and_refunds(shop_channels, client):
    post_shopify(client, fixture("shopify_order_multicurrency.json"))
    refunded = fixture("shopify_order_partially_refunded.json", id=5678901234001)
    post_shopify(client, refunded, webhook_id="wh-2", topic="orders/updated")
    post_shopify(client, refunded, webhook_id="wh-3", topic="orders/updated")  # same state again
    worker.drain("w")
    order = orders.find_order("shop-de", "5678901234001")
    assert order.payment_status == "partially_refunded"
    assert order.refunds == [
        {
            "refund_id": "90001",
            "amount": "10.71",
            "currency": "USD",
            "reason": "damaged in transit",
            "lines": [{"sku": "SKU-0002", "quantity": 1}],
        }
    ]
    outcomes = [d.outcome for d in channels.deliveries("shop-de").order_by("id")]
    assert outcomes == ["created", "updated", "unchanged"]


def test_an_update_that_arrives_first_creates_the_order(shop_channels, client):
    post_shopify(client, fixture("shopify_order_partially_refunded.json"), topic="orders/updated")
    worker.drain("w")
    order = orders.find_order("shop-de", "5678901234004")
    assert order.status == "allocated" and order.payment_status == "partially_refunded"


def test_a_cancellation_before_picking_cancels_and_gives_the_stock_back(shop_channels, client):
    post_shopify(client, fixture("shopify_order_multicurrency.json"))
    worker.drain("w")
    assert level("SKU-0001", "LON") == (20, 2)
    cancelled = fixture("shopify_order_cancelled.json", id=5678901234001)
    post_shopify(client, cancelled, webhook_id="wh-9", topic="orders/cancelled")
    worker.drain("w")
    assert orders.find_order("shop-de", "5678901234001").status == "cancelled"
    assert level("SKU-0001", "LON") == (20, 0)


def test_a_cancellation_after_picking_is_carried_out(shop_channels, client):
    # issue 14: the platform's cancellation is the merchant's decision (more in
    # test_channel_lifecycle.py), no longer only a request for a person
    post_shopify(client, fixture("shopify_order_multicurrency.json"))
    worker.drain("w")
    order = orders.find_order("shop-de", "5678901234001")
    fulfillment.start_picking(order.shipments.get().id, actor="user:picker")
    cancelled = fixture("shopify_order_cancelled.json", id=5678901234001)
    post_shopify(client, cancelled, webhook_id="wh-9", topic="orders/cancelled")
    worker.drain("w")
    assert orders.get_order(order.id).status == "cancelled"
    entry = next(e for e in audit.timeline(order.id) if e.action == "cancel")
    assert entry.reason_code == "channel_cancelled"
    assert channels.deliveries("shop-de").order_by("-id")[0].outcome == "cancelled"


def test_a_cancelled_order_arriving_first_is_kept_as_cancelled(shop_channels, client):
    post_shopify(client, fixture("shopify_order_cancelled.json"))
    worker.drain("w")
    order = orders.find_order("shop-de", "5678901234003")
    assert order.status == "cancelled" and level("SKU-0001", "LON") == (20, 0)


def test_a_signed_delivery_that_cannot_be_read_is_kept_and_marked_failed(shop_channels, client):
    broken = fixture("shopify_order_multicurrency.json")
    broken["line_items"][0]["quantity"] = "two"
    post_shopify(client, broken)
    worker.drain("w")
    (delivery,) = channels.deliveries("shop-de")
    assert delivery.status == "failed" and "line_items[0].quantity" in delivery.error
    assert json.loads(delivery.body)["line_items"][0]["quantity"] == "two"


def test_woocommerce_webhook(shop_channels, client):
    body = (FIXTURES / "woocommerce_order.json").read_bytes()
    headers = {
        "HTTP_X_WC_WEBHOOK_SIGNATURE": sign_base64("wsec", body),
        "HTTP_X_WC_WEBHOOK_DELIVERY_ID": "d-1",
        "HTTP_X_WC_WEBHOOK_TOPIC": "order.created",
    }
    response = client.post(
        "/api/channels/woo-fr/webhooks", body, content_type="application/json", **headers
    )
    assert response.status_code == 202
    worker.drain("w")
    order = orders.find_order("woo-fr", "727")
    assert order.status == "allocated" and str(order.total_amount.normalize()) == "37.13"
    assert sum(li.quantity for li in order.lines.all() if li.sku == "SKU-0001") == 3


def test_files_import_through_the_cli_and_report_duplicates(shop_channels, tmp_path):
    runner = CliRunner()
    first = runner.invoke(
        app,
        [
            "orders",
            "import",
            "--channel",
            "shop-de",
            str(FIXTURES / "shopify_order_multicurrency.json"),
            str(FIXTURES / "shopify_order_unknown_sku_no_phone.json"),
        ],
    )
    assert first.exit_code == 0, first.output
    assert "shopify_order_multicurrency.json: created" in first.output
    assert "is on_hold: unknown_sku" in " ".join(first.output.split())  # rich wraps long lines
    again = runner.invoke(
        app,
        [
            "orders",
            "import",
            "--channel",
            "shop-de",
            str(FIXTURES / "shopify_order_multicurrency.json"),
        ],
    )
    assert "shopify_order_multicurrency.json: duplicate" in again.output
    woo = tmp_path / "order.json"
    woo.write_bytes((FIXTURES / "woocommerce_order.json").read_bytes())
    forced = runner.invoke(
        app, ["orders", "import", "--channel", "shop-de", "--format", "woocommerce", str(woo)]
    )
    assert forced.exit_code == 0, forced.output
    assert orders.find_order("shop-de", "727").currency == "EUR"
    shown = runner.invoke(
        app, ["orders", "show", "--channel", "shop-de", "--external-id", "5678901234001", "--json"]
    )
    assert json.loads(shown.output)["total"] == "67.08"


def test_channel_configuration_keeps_secrets_write_only(shop_channels, client):
    from despatch.services import tokens

    tokens.ensure_user("admin", "pw", superuser=True)
    token = tokens.create_token("admin")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    body = {"name": "Woo UK", "type": "woocommerce", "webhook_secret": "abc", "warehouses": ["LON"]}
    response = client.put("/api/channels/woo-uk", body, content_type="application/json", **auth)
    assert response.status_code == 200
    shown = response.json()
    assert shown["has_webhook_secret"] is True and "webhook_secret" not in shown
    bad = client.put(
        "/api/channels/x", {**body, "type": "myspace"}, content_type="application/json", **auth
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "type"
    inbox = client.get("/api/channels/shop-de/deliveries", **auth)
    assert inbox.status_code == 200 and inbox.json()["count"] == 0


def test_a_large_order_of_150_lines_goes_through(shop_channels, client):
    payload = copy.deepcopy(fixture("shopify_order_multicurrency.json"))
    payload["line_items"] = [
        {
            "id": i,
            "sku": "SKU-0001" if i % 2 else "SKU-0002",
            "title": "x",
            "quantity": 1,
            "price": "1.00",
            "discount_allocations": [],
        }
        for i in range(150)
    ]
    payload["total_price"] = str(shopify.parse(payload, "x").draft.total.amount)
    inventory.receive_stock(sku="SKU-0001", warehouse="LON", quantity=100, actor="t")
    inventory.receive_stock(sku="SKU-0002", warehouse="LON", quantity=100, actor="t")
    post_shopify(client, payload)
    worker.drain("w")
    order = orders.find_order("shop-de", "5678901234001")
    assert order.lines.count() == 150 and order.status == "allocated"


def test_an_older_state_arriving_late_never_rolls_the_order_back(shop_channels, client):
    newer = fixture("shopify_order_partially_refunded.json", id=5678901234001)
    post_shopify(client, newer, webhook_id="wh-new", topic="orders/updated")
    worker.drain("w")
    post_shopify(client, fixture("shopify_order_multicurrency.json"), webhook_id="wh-old")
    worker.drain("w")
    order = orders.find_order("shop-de", "5678901234001")
    assert order.payment_status == "partially_refunded" and len(order.refunds) == 1
    assert [d.outcome for d in channels.deliveries("shop-de").order_by("id")] == [
        "created",
        "stale",
    ]
    assert any(e.action == "channel_update_stale" for e in audit.timeline(order.id))


def test_the_ui_shows_each_channels_inbox_with_failures_first_to_see(shop_channels, client):
    from despatch.services import tokens

    broken = fixture("shopify_order_multicurrency.json")
    broken["line_items"][0]["quantity"] = 0
    post_shopify(client, broken)
    worker.drain("w")
    tokens.ensure_user("ops", "pw", roles=("order_ops",))
    client.login(username="ops", password="pw")
    overview = client.get("/channels/").content.decode()
    assert "/api/channels/shop-de/webhooks" in overview and "?status=failed" in overview
    failed = client.get("/channels/shop-de/?status=failed").content.decode()
    assert "line_items[0].quantity" in failed and "rejected" in failed


def test_ebay_orders_come_by_file_and_refuse_webhooks(shop_channels, client):
    channels.configure_channel(code="ebay-uk", name="eBay UK", type="ebay")
    delivery, new = channels.import_payload(
        "ebay-uk", (FIXTURES / "ebay_order.json").read_bytes(), name="ebay_order.json"
    )
    assert new and delivery.outcome == "created"
    worker.drain("w")
    order = orders.find_order("ebay-uk", "27-11963-40517")
    assert order.status == "allocated" and str(order.total_amount.normalize()) == "43.48"
    response = client.post("/api/channels/ebay-uk/webhooks", b"{}", content_type="application/json")
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "no_webhooks"


def test_amazon_afn_orders_are_recorded_and_never_fulfilled_here(shop_channels):
    channels.configure_channel(code="amz-us", name="Amazon US", type="amazon")
    delivery, _ = channels.import_payload(
        "amz-us", (FIXTURES / "amazon_order_afn.json").read_bytes(), name="afn.json"
    )
    worker.drain("w")
    order = orders.find_order("amz-us", "113-0000001-0000001")
    assert (
        delivery.outcome == "created_fulfilled_by_channel"
        and order.status == "fulfilled_by_channel"
    )
    assert level("SKU-0001", "LON") == (20, 0) and order.shipments.count() == 0


def test_a_pending_amazon_order_waits_then_goes_when_it_is_paid(shop_channels):
    channels.configure_channel(code="amz-us", name="Amazon US", type="amazon")
    channels.import_payload(
        "amz-us", (FIXTURES / "amazon_order_pending.json").read_bytes(), name="p.json"
    )
    worker.drain("w")
    order = orders.find_order("amz-us", "113-4821907-5528211")
    assert (order.status, order.hold_reason) == ("on_hold", "awaiting_payment")
    assert level("SKU-0001", "LON") == (20, 0)
    channels.import_payload(
        "amz-us", (FIXTURES / "amazon_order_mfn.json").read_bytes(), name="u.json"
    )
    worker.drain("w")
    order = orders.get_order(order.id)
    assert order.status == "allocated" and order.payment_status == "paid"
    assert any(e.reason_code == "payment_received" for e in audit.timeline(order.id))


def _ebay_order(order_id, modified):
    payload = fixture("ebay_order.json")
    payload.update(orderId=order_id, lastModifiedDate=modified)
    return payload


def test_pulling_ebay_follows_pages_and_retries_rate_limits_and_outages(shop_channels):
    from tests.integration.fake_platforms import Answer, fake_platform

    orders_page_1 = [
        _ebay_order("27-00001-00001", "2026-11-21T08:00:00.000Z"),
        _ebay_order("27-00001-00002", "2026-11-21T08:01:00.000Z"),
    ]
    orders_page_2 = [_ebay_order("27-00001-00003", "2026-11-21T08:02:00.000Z")]
    with fake_platform([]) as platform:
        platform.script += [
            Answer(429, {"errors": [{"message": "rate limited"}]}, {"Retry-After": "0"}),
            Answer(
                200,
                {
                    "orders": orders_page_1,
                    "total": 3,
                    "next": f"{platform.url}/sell/fulfillment/v1/order?limit=50&offset=2",
                },
            ),
            Answer(503, {"errors": []}),
            Answer(200, {"orders": orders_page_2, "total": 3}),
        ]
        channels.configure_channel(
            code="ebay-uk", name="eBay UK", type="ebay", api_url=platform.url, token="v^1.1#token"
        )
        report = channels.pull("ebay-uk")
        paths = [r["path"] for r in platform.requests]
    assert (report.fetched, report.new) == (3, 3)
    assert paths[0] == paths[1] == "/sell/fulfillment/v1/order?limit=50"
    assert paths[2] == paths[3] == "/sell/fulfillment/v1/order?limit=50&offset=2"
    assert {r["authorization"] for r in platform.requests} == {"Bearer v^1.1#token"}
    worker.drain("w")
    assert orders.list_orders(channel="ebay-uk").count() == 3

    with fake_platform([Answer(200, {"orders": orders_page_1 + orders_page_2})]) as again:
        channels.configure_channel(code="ebay-uk", name="eBay UK", type="ebay", api_url=again.url)
        second = channels.pull("ebay-uk")
    assert (second.fetched, second.new, second.already_had) == (3, 0, 3)
    assert "filter=lastmodifieddate%3A%5B" in again.requests[0]["path"]  # since the last pull


def test_a_platform_that_keeps_failing_is_reported_not_hidden(shop_channels):
    from despatch.domain.errors import Unavailable
    from tests.integration.fake_platforms import Answer, fake_platform

    with fake_platform(
        [Answer(401, {"errors": [{"message": "Invalid access token"}]})]
    ) as platform:
        channels.configure_channel(
            code="ebay-uk", name="eBay UK", type="ebay", api_url=platform.url
        )
        with pytest.raises(Unavailable) as exc:
            channels.pull("ebay-uk")
    assert "HTTP 401" in str(exc.value) and len(platform.requests) == 1  # no retry on 4xx
    with pytest.raises(ValidationFailed):
        channels.pull("shop-de")  # no API URL configured: said plainly


def test_channels_pull_from_the_cli(shop_channels):
    from tests.integration.fake_platforms import Answer, fake_platform

    runner = CliRunner()
    order = _ebay_order("27-00009-00001", "2026-11-22T08:00:00.000Z")
    with fake_platform([Answer(200, {"orders": [order]})]) as platform:
        runner.invoke(
            app,
            [
                "channels",
                "add",
                "ebay-uk",
                "--type",
                "ebay",
                "--api-url",
                platform.url,
                "--token",
                "t",
            ],
        )
        result = runner.invoke(
            app, ["channels", "pull", "ebay-uk", "--since", "2026-11-20T00:00:00Z"]
        )
    assert result.exit_code == 0, result.output
    assert "1 fetched, 1 new, 0 already had" in result.output
    assert "lastmodifieddate%3A%5B2026-11-20T00%3A00%3A00.000Z" in platform.requests[0]["path"]
    assert orders.find_order("ebay-uk", "27-00009-00001").status == "allocated"
    bad = runner.invoke(app, ["channels", "pull", "ebay-uk", "--since", "yesterday"])
    assert bad.exit_code == 2 and "not an ISO 8601 time" in bad.output


def _bigcommerce_store(orders_by_id, *, outages=0, refused=()):
    """A fake BigCommerce store: V2 orders, products and shipping addresses, V3 refunds."""
    from tests.integration.fake_platforms import Answer

    state = {"outages": outages}

    def route(method, path, body):
        if state["outages"]:
            state["outages"] -= 1
            return Answer(503, {"title": "down for maintenance"})
        parts = path.split("?")[0].strip("/").split("/")
        if parts[:2] == ["v2", "orders"] and len(parts) == 2:
            page = int(path.split("page=")[1].split("&")[0])
            listed = [p["order"] for p in orders_by_id.values()]
            return Answer(200, listed) if page == 1 and listed else Answer(204)
        order_id = parts[2]
        if order_id in refused or order_id not in orders_by_id:
            return Answer(404, {"status": 404, "title": "The requested resource was not found."})
        full = orders_by_id[order_id]
        if parts[0] == "v3":
            return Answer(200, {"data": full.get("refunds", []), "meta": {}})
        if len(parts) == 3:
            return Answer(200, full["order"])
        return Answer(200, full[parts[3]] if "page=1&" in path or path.endswith("page=1") else [])

    return route


def post_bigcommerce(
    client, order_id, *, hash_="h-1", token="bc-token", scope="store/order/created"
):
    body = json.dumps(
        {
            "scope": scope,
            "store_id": "1025646",
            "data": {"type": "order", "id": order_id},
            "hash": hash_,
            "created_at": 1763630441,
            "producer": "stores/abc123",
        }
    )
    return client.post(
        "/api/channels/bc-uk/webhooks",
        body,
        content_type="application/json",
        HTTP_X_WEBHOOK_TOKEN=token,
    )


def test_bigcommerce_thin_webhooks_fetch_the_order_once_per_hash(shop_channels, client):
    from tests.integration.fake_platforms import fake_platform

    full = fixture("bigcommerce_order.json")
    with fake_platform(route=_bigcommerce_store({"250": full})) as store:
        channels.configure_channel(
            code="bc-uk",
            name="BigCommerce",
            type="bigcommerce",
            webhook_secret="bc-token",
            api_url=store.url,
            token="xat-1",
        )
        assert post_bigcommerce(client, 250).status_code == 202
        assert post_bigcommerce(client, 250).status_code == 200  # re-fired: same hash
        forged = post_bigcommerce(client, 250, hash_="h-9", token="guess")
        assert forged.status_code == 401
        worker.drain("w")
        order = orders.find_order("bc-uk", "250")
        assert order.status == "allocated" and order.total_amount == Decimal("51.10")
        assert order.shipping_address["line2"] == "Hinterhaus"
        assert {r["headers"]["x-auth-token"] for r in store.requests} == {"xat-1"}
        fetched = len(store.requests)
        assert (
            post_bigcommerce(client, 250, hash_="h-2", scope="store/order/updated").status_code
            == 202
        )
        worker.drain("w")
    assert len(store.requests) == fetched * 2  # a new hash fetches the current state again
    assert channels.deliveries("bc-uk").filter(outcome="unchanged").count() == 1
    assert channels.deliveries("bc-uk").exclude(status="duplicate").count() == 2
    assert channels.deliveries("bc-uk", "duplicate").count() == 1  # the re-fired hash, listed


def test_bigcommerce_outage_is_retried_and_a_missing_order_is_reported(
    shop_channels, client, monkeypatch
):
    from despatch.integrations.channels import http
    from despatch.models import ChannelDelivery

    monkeypatch.setattr(http, "BACKOFF", (0.0,))
    from tests.integration.fake_platforms import fake_platform

    full = fixture("bigcommerce_order.json")
    with fake_platform(route=_bigcommerce_store({"250": full}, outages=5)) as store:
        channels.configure_channel(
            code="bc-uk",
            name="BigCommerce",
            type="bigcommerce",
            webhook_secret="bc-token",
            api_url=store.url,
        )
        post_bigcommerce(client, 250)
        first = channels.deliveries("bc-uk").get()
        with pytest.raises(Exception, match="did not answer"):
            channels.process_delivery(first.pk)
        assert ChannelDelivery.objects.get(pk=first.pk).status == "pending"  # kept for a retry
        assert channels.process_delivery(first.pk).outcome == "created"
        post_bigcommerce(client, 999, hash_="h-missing")
        missing = channels.deliveries("bc-uk").get(delivery_id="h-missing")
        failed = channels.process_delivery(missing.pk)
    assert failed.status == "failed" and "HTTP 404" in failed.error


def test_bigcommerce_pull_and_file_import(shop_channels, tmp_path):
    from tests.integration.fake_platforms import fake_platform

    full = fixture("bigcommerce_order.json")
    other = copy.deepcopy(full)
    other["order"]["id"] = 251
    with fake_platform(route=_bigcommerce_store({"250": full, "251": other})) as store:
        channels.configure_channel(
            code="bc-uk", name="BigCommerce", type="bigcommerce", api_url=store.url
        )
        report = channels.pull("bc-uk", since=None)
        assert (report.fetched, report.new) == (2, 2)
        again = channels.pull("bc-uk")
    assert again.already_had == 2
    assert "min_date_modified=" in store.calls("GET", "/v2/orders?")[-1]["path"]
    worker.drain("w")
    assert orders.find_order("bc-uk", "251").status == "allocated"
    path = tmp_path / "bc-252.json"
    third = copy.deepcopy(full)
    third["order"]["id"] = 252
    path.write_text(json.dumps(third, ensure_ascii=False))
    result = CliRunner().invoke(app, ["orders", "import", "--channel", "bc-uk", str(path)])
    assert result.exit_code == 0 and "bc-252.json: created" in result.output, result.output


def test_pulling_amazon_follows_next_tokens_for_orders_and_items(shop_channels):
    from tests.integration.fake_platforms import Answer, fake_platform

    mfn = fixture("amazon_order_mfn.json")
    order = mfn["order"]["payload"]
    items = mfn["items"][0]["payload"]["OrderItems"]
    second = dict(order, AmazonOrderId="202-0000000-0000002")

    def route(method, path, body):
        if path.startswith("/orders/v0/orders?") and "NextToken" not in path:
            return Answer(200, {"payload": {"Orders": [order], "NextToken": "page/2+"}})
        if path.startswith("/orders/v0/orders?"):
            return Answer(200, {"payload": {"Orders": [second]}})
        order_id = path.split("/")[4]
        if "NextToken" not in path:
            first_items = {"AmazonOrderId": order_id, "OrderItems": items[:1], "NextToken": "i2"}
            return Answer(200, {"payload": first_items})
        return Answer(200, {"payload": {"AmazonOrderId": order_id, "OrderItems": items[1:]}})

    with fake_platform(route=route) as sp_api:
        channels.configure_channel(
            code="amz-uk", name="Amazon UK", type="amazon", api_url=sp_api.url, token="Atza|x"
        )
        with pytest.raises(ValidationFailed, match="marketplace"):
            channels.pull("amz-uk")
        channels.configure_channel(
            code="amz-uk",
            name="Amazon UK",
            type="amazon",
            settings={"marketplace_ids": ["A1F83G8C2ARO7P"]},
        )
        report = channels.pull("amz-uk")
    assert (report.fetched, report.new) == (2, 2)
    listed = sp_api.calls("GET", "/orders/v0/orders?")
    assert (
        "MarketplaceIds=A1F83G8C2ARO7P" in listed[0]["path"]
        and "LastUpdatedAfter=" in listed[0]["path"]
    )
    assert "NextToken=page%2F2%2B" in listed[1]["path"]
    assert {r["headers"]["x-amz-access-token"] for r in sp_api.requests} == {"Atza|x"}
    worker.drain("w")
    placed = orders.find_order("amz-uk", "202-0000000-0000002")
    assert placed.lines.count() == orders.find_order("amz-uk", order["AmazonOrderId"]).lines.count()


def test_reconciling_shopify_and_woocommerce_by_pulling(shop_channels):
    from tests.integration.fake_platforms import Answer, fake_platform

    shop_order = fixture("shopify_order_multicurrency.json")
    later = dict(shop_order, id=5678901234999, name="#1999")

    def shopify(method, path, body):
        if "page_info" in path:
            return Answer(200, {"orders": [later]})
        link = f'<{shop.url}/admin/api/2025-01/orders.json?limit=250&page_info=xyz>; rel="next"'
        return Answer(200, {"orders": [shop_order]}, {"Link": link})

    with fake_platform(route=shopify) as shop:
        channels.configure_channel(
            code="shop-de", name="Shop DE", type="shopify", api_url=shop.url, token="shpat_1"
        )
        report = channels.pull("shop-de")
    assert (report.fetched, report.new) == (2, 2)
    assert shop.requests[0]["headers"]["x-shopify-access-token"] == "shpat_1"
    assert "status=any" in shop.requests[0]["path"] and "page_info=xyz" in shop.requests[1]["path"]

    woo_order = fixture("woocommerce_order.json")
    pages = {1: [woo_order], 2: [dict(woo_order, id=728, number="728")]}
    with fake_platform(
        route=lambda m, path, b: Answer(
            200, pages[int(path.split("&page=")[1].split("&")[0])], {"X-WP-TotalPages": "2"}
        )
    ) as woo:
        channels.configure_channel(
            code="woo-fr", name="Woo FR", type="woocommerce", api_url=woo.url, token="ck_1:cs_2"
        )
        channels.pull("woo-fr", since=None)
        channels.pull("woo-fr")
    assert woo.requests[0]["authorization"] == "Basic Y2tfMTpjc18y"
    assert "modified_after=" in woo.requests[-1]["path"]
    worker.drain("w")
    assert {o.external_id for o in orders.list_orders(channel="woo-fr")} == {"727", "728"}
    assert orders.find_order("shop-de", "5678901234999").status in ("allocated", "on_hold")


def test_an_oversell_at_capture_reserves_what_it_can_and_backorders_the_short_line(
    shop_channels, client
):
    from despatch.models import OutboxEvent

    channels.configure_channel(  # the whole order waits (when_available: see test_partials)
        code="shop-de", name="Shop DE", type="shopify", settings={"partial_shipments": "never"}
    )
    inventory.adjust_stock(sku="SKU-0001", warehouse="LON", delta=-19, actor="t", note="count")
    payload = fixture("shopify_order_multicurrency.json")  # 2 x SKU-0001, 1 x SKU-0002
    post_shopify(client, payload)
    worker.drain("w")
    order = orders.find_order("shop-de", str(payload["id"]))
    assert (order.status, order.hold_reason) == ("backordered", "")
    assert "oversold" in order.tags and order.allocation["oversold"] == {"SKU-0001": 1}
    assert {line.sku: line.backordered for line in order.lines.all()} == {
        "SKU-0001": 1,
        "SKU-0002": 0,
    }
    assert level("SKU-0001", "LON") == (1, 1) and level("SKU-0002", "LON") == (20, 1)
    event = OutboxEvent.objects.get(topic="order.oversold")
    assert event.payload["short"] == {"SKU-0001": 1}


def test_generic_json_webhooks_for_a_custom_storefront(shop_channels, client):
    channels.configure_channel(code="web-jp", name="Web JP", type="api", webhook_secret="gsec")
    body = json.dumps(fixture("generic_order.json"), ensure_ascii=False).encode()

    def post(secret="gsec", delivery="d-1"):
        return client.post(
            "/api/channels/web-jp/webhooks",
            body,
            content_type="application/json",
            HTTP_X_DESPATCH_SIGNATURE=sign_base64(secret, body),
            HTTP_X_DESPATCH_DELIVERY_ID=delivery,
        )

    assert post().status_code == 202
    assert post().status_code == 200
    assert post(secret="nope").status_code == 401
    worker.drain("w")
    order = orders.find_order("web-jp", "WEB-10042")
    assert order.currency == "JPY" and order.total_amount == Decimal("7400")
    assert post(delivery="d-2").status_code == 202  # another delivery of the same order
    worker.drain("w")
    assert orders.list_orders(channel="web-jp").count() == 1
