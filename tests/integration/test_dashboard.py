"""The home page: the dashboard for roles that read the KPIs (figures linking to the orders
behind them, charts drawn as inline SVG in the business time zone), each floor role's own page
for the others; the inbox lives at /orders/."""

import re
from datetime import UTC, datetime

from despatch.services import demo_floor, kpis, tokens
from tests.integration.demo_business import CRAWLER, demo_business  # noqa: F401 (a fixture)
from tests.integration.kpi_week import week  # noqa: F401 (a fixture)


def test_the_dashboard_shows_today_with_charts_and_links(demo_business, client):  # noqa: F811
    client.login(username=CRAWLER[0], password=CRAWLER[1])
    page = client.get("/").content.decode()
    assert "Today at a glance" in page and "times in Europe/London" in page
    assert re.search(r"\d\d:\d\d (GMT|BST) · times in", page)
    assert page.count("<svg") == 3 and "style=" not in page and "<script>" not in page
    received = kpis.dashboard().figures.report.values["orders_received"]
    tile = re.search(r'href="(/kpis/orders_received/[^"]+)">(\d+)<', page)
    assert tile and int(tile.group(2)) == received
    behind = client.get(tile.group(1).replace("&amp;", "&"))
    assert behind.status_code == 200
    assert behind.content.decode().count('href="/orders/ord_') == min(received, 500)


def test_each_role_lands_on_its_own_page(demo_business, client):  # noqa: F811
    headings = {}
    for role, password in demo_floor.ROLE_USERS:
        client.login(username=role, password=password)
        headings[role] = re.search(r"<h1>(.*?)</h1>", client.get("/").content.decode(), re.S)[1]
        client.logout()
    assert headings["ops_manager"] == headings["order_ops"] == "Today at a glance"
    assert headings["finance"] == "Today at a glance"
    assert "Pick" in headings["picker"] and "Pack" in headings["packer"]
    assert "inbox" in headings["support"].lower()


def test_a_filter_outside_the_scope_is_not_found(demo_business, client):  # noqa: F811
    tokens.ensure_user("lon", "pw", roles=("order_ops",))
    tokens.set_limits("lon", scopes=("warehouse:LON",))
    client.login(username="lon", password="pw")
    page = client.get("/").content.decode()
    assert '<option value="LON">' in page and '<option value="NJ">' not in page
    assert client.get("/", {"warehouse": "NJ"}).status_code == 404
    assert client.get("/kpis/orders_received/", {"warehouse": "NJ"}).status_code == 404
    client.logout()
    client.login(username=CRAWLER[0], password=CRAWLER[1])
    assert client.get("/", {"warehouse": "NOPE"}).status_code == 404
    assert client.get("/kpis/not_a_kpi/").status_code == 404
    bad = client.get("/kpis/late_orders/", {"from": "tomorrow"})
    assert bad.status_code == 400 and b"tomorrow" in bad.content


def test_the_figures_of_a_known_day_link_to_their_orders(week, client):  # noqa: F811
    tokens.ensure_user("boss", "pw", roles=("ops_manager",))
    client.login(username="boss", password="pw")
    page = client.get("/kpis/late_orders/", {"from": "2026-06-01", "to": "2026-06-08"})
    text = page.content.decode()
    assert "Late: 2 orders" in text and ">O9<" in text and ">O10<" in text
    day = kpis.dashboard(now=datetime(2026, 6, 7, 22, tzinfo=UTC))
    assert [d.received for d in day.trend][-7:] == [1, 1, 1, 1, 1, 3, 2]
    assert day.received_by_hour[20] == 1 and day.to_ship_today == []


def test_a_status_is_said_in_the_same_words_on_every_page(week, client):  # noqa: F811
    """One mapping, the template's status filter: the KPI list, the inbox and the order page
    say the same words for the same status (the API keeps the code)."""
    from despatch.domain.wording import STATUS_WORDS
    from despatch.models import Order

    tokens.ensure_user("boss", "pw", roles=("ops_manager",))
    client.login(username="boss", password="pw")
    order = Order.objects.get(external_id="O9")
    words = STATUS_WORDS[order.status]
    assert words.lower() != order.status.replace("_", " ")  # so the check can tell them apart
    pill = f'<span class="pill {order.status}">{words}</span>'
    kpi = client.get("/kpis/late_orders/", {"from": "2026-06-01", "to": "2026-06-08"})
    inbox = client.get("/orders/", {"q": "O9"})
    page = client.get(f"/orders/{order.id}/")
    for answer in (kpi, inbox, page):
        assert pill in answer.content.decode()
    token = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('boss')}"}
    assert client.get(f"/api/orders/{order.id}", **token).json()["status"] == order.status
