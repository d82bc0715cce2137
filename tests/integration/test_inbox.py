"""The order inbox: columns in words, filters (SKU on the order's lines included), sorting,
scopes, and the same filters on GET /api/orders."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from despatch import worker
from despatch.domain.addresses import Address
from despatch.models import Order, Shipment
from despatch.services import orders, tokens
from despatch.services.inbox_query import OrderQuery, search
from tests.conftest import make_draft

BERLIN = Address("Hans Vogel", "Hauptstr 1", "Berlin", "10115", "DE")


@pytest.fixture
def inbox(shop, client):
    """Four orders: 1001 (A, GB, standard), 1002 (B, DE, express, channel shop), 1003 (C from
    NJ), 1004 (held by hand); 1001's parcel was due to ship yesterday."""
    made = {}
    for number, lines, extra in [
        ("1001", [("A", 1)], {}),
        ("1002", [("B", 2)], {"channel": "shop", "requested_service": "express"}),
        ("1003", [("C", 1)], {"shipping_address": BERLIN}),
        ("1004", [("A", 2)], {}),
    ]:
        made[number] = orders.receive_order(
            make_draft(lines, external_id=number, **extra), actor="test"
        )[0]
    orders.place_hold(made["1004"].id, actor="test", note="customer rang")
    worker.drain("test")
    yesterday = timezone.now().date() - timedelta(days=1)
    Shipment.objects.filter(order_id=made["1001"].id).update(ship_by=yesterday)
    Shipment.objects.filter(order_id=made["1002"].id).update(
        ship_by=timezone.now().date() + timedelta(days=30)
    )
    tokens.ensure_user("ops", "pw", roles=("order_ops",))
    client.login(username="ops", password="pw")
    return made


def numbers(query, **params):
    return [o.external_id for o in search(OrderQuery.parse({**params, **query}))]


def shown(client, **params):
    html = client.get("/orders/", params).content.decode()
    return sorted(n for n in ("1001", "1002", "1003", "1004") if f">{n}</a>" in html)


def test_the_inbox_says_each_order_in_words(inbox, client):
    response = client.get("/orders/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<a href="/orders/{inbox["1001"].id}/">1001</a>' in html
    assert "Ready to pick" in html and "On hold" in html and "held by a person" in html
    assert "1 day late" in html and 'class="late"' in html  # 1001, red
    assert "9.99 GBP" in html and "Jo Bloggs" in html and "<td>DE</td>" in html
    assert "express" in html and ">NJ<" in html


def test_a_sku_filter_matches_the_orders_lines(inbox, client):
    assert shown(client, sku="a") == ["1001", "1004"]  # case does not matter
    assert shown(client, sku="C") == ["1003"]
    orders.receive_order(make_draft([("MUG-9", 1)], external_id="1005"), actor="test")
    html = client.get("/orders/", {"q": "mug-9"}).content.decode()  # a SKU in the search box
    assert ">1005</a>" in html and ">1001</a>" not in html
    assert shown(client, sku="ZZZ") == []


def test_filters_by_status_channel_warehouse_country_service_and_hold(inbox, client):
    assert shown(client, status="on_hold") == ["1004"]
    assert shown(client, channel="shop") == ["1002"]
    assert shown(client, warehouse="NJ") == ["1003"]
    assert shown(client, country="de") == ["1003"]
    assert shown(client, service="express") == ["1002"]
    assert shown(client, hold_reason="manual") == ["1004"]
    assert shown(client, warehouse="LON", channel="web") == ["1001"]


def test_ship_by_windows_count_in_each_warehouses_own_day(inbox):
    assert numbers({}, ship_by="late") == ["1001"]
    assert "1001" not in numbers({}, ship_by="today")
    assert "1002" not in numbers({}, ship_by="week")
    Shipment.objects.filter(order_id=inbox["1003"].id).update(ship_by=timezone.now().date())
    Order.objects.filter(id=inbox["1003"].id).update(status="despatched")
    assert numbers({}, ship_by="late") == ["1001"]  # shipped orders are never late
    assert "1003" not in numbers({}, ship_by="today")


def test_a_date_range_counts_days_received(inbox):
    Order.objects.filter(id=inbox["1002"].id).update(created_at="2026-01-10T23:30:00Z")
    assert numbers({}, since="2026-01-10", until="2026-01-10") == ["1002"]
    assert "1002" not in numbers({}, since="2026-01-11")


def test_every_column_sorts_both_ways_with_ties_broken_by_id(inbox):
    for key in ("number", "channel", "customer", "country", "service", "ship_by", "received",
                "status", "total", "warehouse"):  # fmt: skip
        up, down = numbers({}, sort=key), numbers({}, sort=f"-{key}")
        assert sorted(up) == ["1001", "1002", "1003", "1004"], key
        assert up == numbers({}, sort=key), key  # stable
        if key not in ("ship_by", "warehouse"):  # nulls last both ways
            assert up == list(reversed(down)) or key in ("channel", "customer", "total"), key
    assert numbers({}, sort="number") == ["1001", "1002", "1003", "1004"]
    assert numbers({}, sort="-number") == ["1004", "1003", "1002", "1001"]
    by_day = numbers({}, sort="ship_by")
    assert by_day[0] == "1001" and by_day[-1] == "1004"  # earliest first, none (held) last
    assert numbers({}, sort="-ship_by")[-1] == "1004"


def test_statuses_sort_in_the_order_of_the_flow_not_of_their_codes(inbox, client):
    for number, status in (("1001", "delivered"), ("1002", "received"), ("1003", "packed")):
        Order.objects.filter(id=inbox[number].id).update(status=status)
    flow = ["1002", "1004", "1003", "1001"]  # received, on hold, packed, delivered
    assert numbers({}, sort="status") == flow
    assert numbers({}, sort="-status") == list(reversed(flow))
    html = client.get("/orders/", {"sort": "status"}).content.decode()
    assert [n for n in re.findall(r">(100\d)</a>", html)] == flow


def test_a_bad_filter_is_named_and_answered_400(inbox, client):
    response = client.get("/orders/", {"sort": "password", "ship_by": "soon", "since": "yesterday"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "sort: one of" in html and "ship by: one of today" in html and "since: a date" in html


def test_the_column_heading_links_keep_the_filters(inbox, client):
    html = client.get("/orders/", {"channel": "web", "sort": "number"}).content.decode()
    assert 'href="?channel=web&amp;sort=-number"' in html  # the same column: the other way
    assert 'href="?channel=web&amp;sort=total"' in html


def test_a_role_without_personal_data_sees_no_customer_names(inbox, client):
    tokens.ensure_user("pick", "pw", roles=("picker",))
    client.login(username="pick", password="pw")
    html = client.get("/orders/", {"sort": "customer"}).content.decode()
    assert "Hans Vogel" not in html and "Jo Bloggs" not in html and "1003" in html
    assert 'value="hold"' not in html and 'value="pick_lists"' in html  # only its own actions


def test_a_channel_scoped_user_sees_only_its_channels_orders(inbox, client):
    tokens.ensure_user("sue", "pw", roles=("support",))
    tokens.set_limits("sue", scopes=("channel:shop",))
    client.login(username="sue", password="pw")
    assert shown(client) == ["1002"]
    assert shown(client, channel="web") == []
    # the status links count only the orders the user may see
    html = client.get("/orders/").content.decode()
    links = html.split('<p class="counts">', 1)[1].split("</p>", 1)[0]
    assert sum(int(n) for n in re.findall(r" (\d+)</a>", links)) == 1


def test_the_api_lists_orders_with_the_same_filters(inbox, client):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('ops')}"}
    page = client.get("/api/orders", {"sku": "A", "sort": "number"}, **auth).json()
    assert [o["external_id"] for o in page["items"]] == ["1001", "1004"]
    late = client.get("/api/orders", {"ship_by": "late"}, **auth).json()["items"]
    assert [(o["external_id"], o["late"], o["warehouses"]) for o in late] == [
        ("1001", True, ["LON"])
    ]
    bad = client.get("/api/orders", {"ship_by": "soon"}, **auth)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "ship_by"


def test_a_long_list_counts_no_further_than_it_must(inbox, client, monkeypatch):
    """Past the cap the count says "N+" and the pages go on; the status links likewise."""
    monkeypatch.setattr("despatch.web.inbox.PER_PAGE", 1)
    monkeypatch.setattr("despatch.web.inbox.COUNT_CAP", 2)
    first = client.get("/orders/").content.decode()
    assert "page 1 of 2+ · 2+ orders" in first and "all 2+ that match" in first
    assert "page=2" in first  # a next page
    last = client.get("/orders/", {"page": 4}).content.decode()
    assert "page 4 of 4 · 4 orders" in last and "page=5" not in last
    assert "page 1 of 2 · 2 orders" in client.get("/orders/", {"sku": "a"}).content.decode()
    monkeypatch.setattr("despatch.web.inbox.COUNT_CAP", 1)
    counts = client.get("/orders/").content.decode().split('class="counts"')[1]
    assert "Ready to pick 1+" in counts and "On hold 1</a>" in counts


def test_a_bad_from_date_is_answered_400_like_a_bad_sort(inbox, client):
    response = client.get("/orders/", {"from": "notadate"})
    assert response.status_code == 400
    assert "from: a date like" in response.content.decode()
    assert client.get("/orders/", {"from": "2020-01-01", "to": "2099-12-31"}).status_code == 200
