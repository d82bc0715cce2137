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
from despatch.services import picking, tokens, waves
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
    inbox = client.get("/").content.decode()
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
