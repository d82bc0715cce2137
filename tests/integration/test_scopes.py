"""Scopes limit what a user or token reaches, in the queries: a picker at LON sees LON's pick
lists only, an integrator posts only to its channel, support sees only its channels' orders
(another channel's order answers 404, as if it did not exist). Pickers and packers see no
customer's name, email or address."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from despatch.models import ApiToken
from despatch.services import catalogue, picking, tokens, waves
from tests.integration.test_fulfillment import allocated
from tests.integration.test_permissions import bearer, call

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


@pytest.fixture
def two_lists(shop):
    """One open pick list at LON (SKU A) and one at NJ (SKU C)."""
    layout = json.loads((EXAMPLES / "layout.json").read_text())
    for code, sku, where in (("LON", "A", "A05-B19-L"), ("NJ", "C", "A01-B02-R")):
        picking.set_layout(code, layout)
        picking.set_locations(code, [(sku, where)])
    allocated([("A", 1)], channel="shop")
    allocated([("C", 1)], channel="web")
    (lon,) = waves.release("LON", actor="t").pick_lists
    (nj,) = waves.release("NJ", actor="t").pick_lists
    return lon, nj


def test_a_picker_at_lon_sees_only_lons_pick_lists(two_lists, client):
    lon, nj = two_lists
    tokens.ensure_user("pip", "pw", roles=("picker",))
    tokens.set_limits("pip", scopes=("warehouse:LON",))
    client.login(username="pip", password="pw")
    page = client.get("/pick/").content.decode()
    assert lon.id in page and nj.id not in page
    assert client.get(f"/pick/{lon.id}/").status_code == 200
    assert client.get(f"/pick/{nj.id}/").status_code == 404
    auth = bearer("pip", roles=("picker",))
    assert call(client, auth, "GET", f"/api/pick-lists/{lon.id}")[0] == 200
    status, problem = call(client, auth, "GET", f"/api/pick-lists/{nj.id}")
    assert status == 404 and problem["code"] == "not_found"
    task = nj.tasks.get()
    status, _ = call(client, auth, "POST", f"/api/pick-tasks/{task.id}/short", {"note": "x"})
    assert status == 404
    status, _ = call(client, auth, "POST", "/api/waves", {"warehouse": "NJ"})
    assert status == 403  # picking.release is not a picker's


def test_a_token_scope_narrows_its_users_reach(two_lists, client):
    lon, nj = two_lists
    auth = bearer("pip", roles=("picker",), scopes=("warehouse:NJ",))
    assert call(client, auth, "GET", f"/api/pick-lists/{nj.id}")[0] == 200
    assert call(client, auth, "GET", f"/api/pick-lists/{lon.id}")[0] == 404
    status, rows = call(client, auth, "GET", "/api/stock")
    assert status == 200 and {r["warehouse"] for r in rows["items"]} == {"NJ"}


def test_support_sees_only_its_channels_orders(two_lists, client):
    auth = bearer("sue", roles=("support",))
    tokens.set_limits("sue", scopes=("channel:shop",))
    status, page = call(client, auth, "GET", "/api/orders")
    assert status == 200 and {o["channel"] for o in page["items"]} == {"shop"}
    (web_order,) = [
        o
        for o in call(client, bearer("boss", ("ops_manager",)), "GET", "/api/orders")[1]["items"]
        if o["channel"] == "web"
    ]
    status, problem = call(client, auth, "GET", f"/api/orders/{web_order['id']}")
    assert status == 404 and problem["code"] == "not_found"
    assert call(client, auth, "GET", f"/api/orders/{web_order['id']}/timeline")[0] == 404
    client.login(username="sue", password="pw")
    inbox = client.get("/orders/").content.decode()
    assert web_order["id"] not in inbox
    assert client.get(f"/orders/{web_order['id']}/").status_code == 404


ORDER = {
    "external_id": "INT-1",
    "currency": "GBP",
    "lines": [{"sku": "A", "quantity": 1, "unit_price": "5.00"}],
    "shipping_address": {
        "name": "Jo",
        "line1": "1 High St",
        "city": "Leeds",
        "postcode": "LS1 4DY",
        "country": "GB",
    },
}


def test_an_integrator_posts_orders_only_to_its_channel(shop, client):
    catalogue.upsert_channel(code="shop", name="Shop")  # an order names a channel that exists
    auth = bearer("int", roles=("integrator",), scopes=("channel:shop",))
    status, problem = call(client, auth, "POST", "/api/orders", {**ORDER, "channel": "web"})
    assert status == 403 and problem["code"] == "forbidden" and "'web'" in problem["detail"]
    status, order = call(client, auth, "POST", "/api/orders", {**ORDER, "channel": "shop"})
    assert status == 201 and order["channel"] == "shop"


def test_pickers_and_packers_get_no_personal_data_from_order_reads(shop, client):
    order = allocated([("A", 1)])
    for role in ("picker", "packer"):
        auth = bearer(f"u-{role}", roles=(role,))
        status, body = call(client, auth, "GET", f"/api/orders/{order.id}")
        assert status == 200 and body["customer_name"] == "" and body["customer_email"] == ""
        assert body["shipping_address"] == {"country": "GB"}
        status, page = call(client, auth, "GET", "/api/orders")
        assert page["items"][0]["customer_name"] == ""
        client.login(username=f"u-{role}", password="pw")
        html = client.get(f"/orders/{order.id}/").content.decode()
        assert "Jo Bloggs" not in html and "1 High St" not in html
    status, body = call(client, bearer("sue", roles=("support",)), "GET", f"/api/orders/{order.id}")
    assert body["customer_name"] == "Jo Bloggs" and body["shipping_address"]["line1"] == "1 High St"


def test_expired_and_revoked_tokens_are_refused(shop, client):
    auth = bearer("ops", roles=("order_ops",), expires_in=timedelta(days=1))
    assert call(client, auth, "GET", "/api/orders")[0] == 200
    row = ApiToken.objects.get(user__username="ops")
    assert row.last_used_at is not None and row.expires_at is not None
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert call(client, auth, "GET", "/api/orders")[0] == 401
    again = bearer("ops", roles=("order_ops",))
    assert call(client, again, "GET", "/api/orders")[0] == 200
    tokens.revoke_token(ApiToken.objects.filter(user__username="ops").latest("id").pk)
    status, problem = call(client, again, "GET", "/api/orders")
    assert status == 401 and problem["code"] == "unauthorized"


def test_an_api_order_is_paid_only_if_its_channel_is_trusted_to_say_so(shop, client):
    from despatch.services import channels

    auth = bearer("int", roles=("integrator",))
    status, order = call(client, auth, "POST", "/api/orders", {**ORDER, "payment_status": "paid"})
    assert status == 201 and order["payment_status"] == "pending"
    channels.configure_channel(
        code="api", name="API", type="api", settings={"trusted_payment_status": True}
    )
    paid = {**ORDER, "external_id": "INT-2", "payment_status": "paid"}
    status, order = call(client, auth, "POST", "/api/orders", paid)
    assert status == 201 and order["payment_status"] == "paid"
    channels.configure_channel(
        code="api", name="API", type="api", settings={"trusted_payment_status": "yes"}
    )
    status, order = call(client, auth, "POST", "/api/orders", {**paid, "external_id": "INT-3"})
    assert order["payment_status"] == "pending"  # only a JSON true trusts the channel


def test_lists_of_returns_refunds_exceptions_and_messages_keep_to_the_scope(shop, client):
    from despatch.services import exceptions, refunds, returns
    from tests.integration.test_returns import delivered

    shop_order = delivered([("A", 1)], channel="shop", external_id="S-1")
    web_order = delivered([("A", 1)], channel="web", external_id="W-1")
    for order in (shop_order, web_order):
        returns.request_return(order.id, {1: (1, "damaged")}, actor="user:t")
        refunds.request_refund(order.id, amount=None, lines={1: 1}, actor="user:t")
    held = allocated([("NOPE", 1)], channel="web")  # an unknown SKU: a case in a queue
    assert exceptions.list_cases(order_id=held.id).exists()
    auth = bearer("sue", roles=("support",))
    tokens.set_limits("sue", scopes=("channel:shop",))
    for path in ("/api/returns", "/api/refunds"):
        status, rows = call(client, auth, "GET", path)
        assert status == 200 and {r["order_id"] for r in rows} == {shop_order.id}, path
    status, cases = call(client, auth, "GET", "/api/exceptions")
    assert status == 200 and held.id not in {c["order_id"] for c in cases}
    everyone = bearer("boss", roles=("ops_manager",))
    assert held.id in {c["order_id"] for c in call(client, everyone, "GET", "/api/exceptions")[1]}
    assert {r["order_id"] for r in call(client, everyone, "GET", "/api/refunds")[1]} == {
        shop_order.id,
        web_order.id,
    }


@pytest.fixture
def two_channels(shop, monkeypatch):
    """A delivered order of channel shop and one of channel web, each with a return, a refund
    waiting for one approval and an open exception; users limited to channel shop."""
    from despatch.domain.exceptions import Kind
    from despatch.services import exceptions, refunds, returns
    from despatch.services.audit import Trail
    from tests.integration.test_returns import delivered

    monkeypatch.setenv("DESPATCH_REFUND_LIMITS", "0,500")
    made = {}
    for channel in ("shop", "web"):
        order = delivered([("A", 2)], channel=channel, external_id=f"{channel}-1")
        rma = returns.request_return(order.id, {1: (1, "damaged")}, actor="user:t")
        refund = refunds.request_refund(order.id, amount=None, lines={1: 1}, actor="user:t")
        assert refund.status == "requested"
        trail = Trail("test")
        case = exceptions.open_case(
            Kind.MANUAL, subject=f"look-{channel}", summary="look", trail=trail, order_id=order.id
        )
        trail.save()
        made[channel] = {"order": order, "rma": rma, "refund": refund, "case": case}
    for name, role in (("fin", "finance"), ("sue", "support"), ("pat", "packer")):
        tokens.ensure_user(name, "pw", roles=(role,))
        tokens.set_limits(name, scopes=("channel:shop",))
    return made


def test_rows_named_in_a_body_are_kept_to_the_callers_channels(two_channels, client):
    from despatch.models import ExceptionCase, Refund, ReturnRequest

    web = two_channels["web"]
    auth = bearer("sue", roles=("support",))
    body = {
        "order_id": web["order"].id,
        "lines": [{"line_no": 1, "quantity": 1, "reason": "damaged"}],
    }
    status, problem = call(client, auth, "POST", "/api/returns", body)
    assert status == 404 and problem["code"] == "not_found", problem
    status, problem = call(client, auth, "POST", "/api/refunds", {"order_id": web["order"].id})
    assert status == 404 and problem["code"] == "not_found", problem
    assert ReturnRequest.objects.filter(order_id=web["order"].id).count() == 1
    assert Refund.objects.filter(order_id=web["order"].id).count() == 1
    case = web["case"]
    status, body = call(
        client,
        auth,
        "POST",
        "/api/exceptions/bulk",
        {"ids": [case.id], "action": "resolve", "note": "x"},
    )
    assert status == 200 and body["resolved"] == 0, body
    assert ExceptionCase.objects.get(id=case.id).status == "open"


def test_the_web_desks_keep_to_the_users_channels(two_channels, client):
    from despatch.models import ExceptionCase, Refund

    web, shop = two_channels["web"], two_channels["shop"]
    client.login(username="fin", password="pw")
    assert client.post(f"/refunds/{web['refund'].id}/approve/").status_code == 404
    assert Refund.objects.get(id=web["refund"].id).status == "requested"
    client.post(f"/refunds/{shop['refund'].id}/approve/")
    assert Refund.objects.get(id=shop["refund"].id).status == "approved"

    client.login(username="pat", password="pw")
    assert client.post(f"/returns-desk/{web['rma'].id}/receive/").status_code == 404
    page = client.get("/returns-desk/", {"rma": web["rma"].id}).content.decode()
    assert f"no return {web['rma'].id}" in page

    client.login(username="sue", password="pw")
    assert client.post(f"/returns-desk/{web['rma'].id}/refund/").status_code == 404
    assert Refund.objects.filter(order_id=web["order"].id).count() == 1
    client.post("/exceptions/", {"ids": [web["case"].id], "action": "take"})
    assert ExceptionCase.objects.get(id=web["case"].id).owner == web["case"].owner != "user:sue"
    client.post("/exceptions/", {"ids": [web["case"].id], "action": "resolve", "note": "x"})
    assert ExceptionCase.objects.get(id=web["case"].id).status == "open"


def test_messages_and_channels_keep_to_the_users_channels(two_channels, client):
    from django.utils import timezone

    from despatch.models import Message

    web = two_channels["web"]["order"]
    failed = Message.objects.create(
        id="msg_web_1",
        key="web-1-shipped",
        audience="customer",
        medium="email",
        template="shipped",
        topic="shipment.despatched",
        event_id=1,
        order_id=web.id,
        channel="web",
        recipient="jo@example.com",
        body_text="on its way",
        status="failed",
        created_at=timezone.now(),
    )
    client.login(username="sue", password="pw")
    assert client.post(f"/messages/{failed.id}/resend/").status_code == 404
    assert Message.objects.get(id=failed.id).status == "failed"

    from despatch.services import channels

    for code in ("shop", "web"):
        channels.configure_channel(code=code, name=code.title(), type="api")
    tokens.ensure_user("ops", "pw", roles=("order_ops",))
    tokens.set_limits("ops", scopes=("channel:shop",))
    client.login(username="ops", password="pw")
    assert client.get("/channels/web/").status_code == 404
    assert client.get("/channels/shop/").status_code == 200
    assert "/channels/web/" not in client.get("/channels/").content.decode()
    status, rows = call(client, bearer("ops", roles=("order_ops",)), "GET", "/api/channels")
    assert status == 200 and [c["code"] for c in rows] == ["shop"]


def test_a_caller_limited_to_some_channels_cannot_manage_outbound_webhooks(shop, client):
    """A subscription receives every channel's events (and deliveries hold their payloads),
    so a limited manager would read other channels' orders through one."""
    from typer.testing import CliRunner

    from despatch.cli.app import app
    from despatch.models import WebhookSubscription

    limited = bearer("olga", roles=("ops_manager",), scopes=("channel:shop",))
    hook = {"url": "http://127.0.0.1:9/hook", "events": ["*"]}
    status, problem = call(client, limited, "POST", "/api/webhooks", hook)
    assert status == 403 and "every channel" in problem["detail"], problem
    for path in ("/api/webhooks", "/api/webhooks/deliveries"):
        assert call(client, limited, "GET", path)[0] == 403, path
    tokens.set_limits("olga", scopes=("channel:shop",))
    client.login(username="olga", password="pw")
    assert client.get("/webhooks/").status_code == 403
    assert (
        client.post("/webhooks/subscribe/", {"url": hook["url"], "events": "*"}).status_code == 403
    )
    args = ["webhooks", "add", hook["url"], "--event", "*", "--by", "olga"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "every channel" in result.output, result.output
    assert not WebhookSubscription.objects.exists()
    boss = bearer("boss", roles=("ops_manager",))
    assert call(client, boss, "GET", "/api/webhooks")[0] == 200


def test_stock_is_booked_at_the_set_up_page_only_in_the_users_warehouses(shop, client):
    from tests.integration.conftest import level

    tokens.ensure_user("olga", "pw", roles=("ops_manager",))
    tokens.set_limits("olga", scopes=("warehouse:LON",))
    client.login(username="olga", password="pw")
    before = level("B", "NJ")
    for action, field in (("receive", "quantity"), ("adjust", "delta"), ("count", "counted")):
        form = {
            "action": action,
            "warehouse": "NJ",
            field: "9",
            "note": "x",
            "reason_code": "found",
        }
        answer = client.post("/setup/skus/B/stock/", form)
        assert answer.status_code == 403, (action, answer.status_code)
    assert level("B", "NJ") == before
    form = {"action": "receive", "warehouse": "LON", "quantity": "3"}
    assert client.post("/setup/skus/B/stock/", form).status_code == 302
    assert level("B", "LON")[0] == 5


def test_set_up_pages_of_another_warehouse_or_channel_answer_not_found(shop, client):
    from despatch.services import channels

    for code in ("shop", "web"):
        channels.configure_channel(code=code, name=code.title(), type="api")
    tokens.ensure_user("olga", "pw", roles=("ops_manager",))
    tokens.set_limits("olga", scopes=("warehouse:LON", "channel:shop"))
    client.login(username="olga", password="pw")
    assert client.get("/setup/warehouses/NJ/").status_code == 404
    assert client.post("/setup/warehouses/NJ/", {"name": "Mine now"}).status_code == 404
    assert client.get("/setup/channels/web/").status_code == 404
    assert client.post("/setup/channels/web/", {"name": "Mine", "type": "api"}).status_code == 404
    assert client.get("/setup/warehouses/LON/").status_code == 200
    assert client.get("/setup/channels/shop/").status_code == 200
