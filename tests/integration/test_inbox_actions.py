"""What the inbox does with what it lists: saved views per user, bulk actions with a result
per order (and refusals by permission), CSV exports of orders, stock and exceptions."""

import csv
import io

import pytest

from despatch import worker
from despatch.models import AuditEntry, Order, SavedView
from despatch.services import orders, tokens
from tests.conftest import make_draft


@pytest.fixture
def desk(shop, client):
    made = {}
    for number, sku in (("2001", "A"), ("2002", "A"), ("2003", "C")):
        made[number] = orders.receive_order(
            make_draft([(sku, 1)], external_id=number), actor="test"
        )[0]
    held = orders.receive_order(make_draft([("A", 1)], external_id="2004"), actor="test")[0]
    orders.place_hold(held.id, actor="test", note="ring first")
    made["2004"] = held
    worker.drain("test")
    tokens.ensure_user("ops", "pw", roles=("order_ops",))
    client.login(username="ops", password="pw")
    return made


def status(order):
    return Order.objects.get(id=order.id).status


def test_a_saved_view_keeps_the_filters_per_user(desk, client):
    response = client.post("/orders/views/", {"name": " Late  A ", "query": "sku=A&sort=number"})
    assert response.status_code == 302 and response["Location"] == "/orders/?sku=A&sort=number"
    page = client.get("/orders/").content.decode()
    assert 'href="?sku=A&amp;sort=number">Late A</a>' in page
    client.post("/orders/views/", {"name": "Late A", "query": "sku=C"})  # the name again
    (view,) = SavedView.objects.filter(user__username="ops")
    assert view.query == "sku=C"
    tokens.ensure_user("other", "pw", roles=("order_ops",))
    client.login(username="other", password="pw")
    assert ">Late A</a>" not in client.get("/orders/").content.decode()  # each user has their own
    assert client.post(f"/orders/views/{view.id}/delete/").status_code == 302
    assert SavedView.objects.filter(id=view.id).exists()  # not theirs to delete
    client.login(username="ops", password="pw")
    client.post(f"/orders/views/{view.id}/delete/")
    assert not SavedView.objects.exists()


def test_a_saved_view_with_a_bad_filter_is_refused(desk, client):
    response = client.post("/orders/views/", {"name": "x", "query": "ship_by=soon"}, follow=True)
    assert "View not saved" in response.content.decode() and not SavedView.objects.exists()


def test_bulk_hold_reports_each_order(desk, client):
    inbox = client.get("/orders/").content.decode()
    reasons = inbox.split('aria-label="Reason"', 1)[1].split("</select>", 1)[0]
    assert '<option value="awaiting_customer">Waiting for the customer to answer</option>' in (
        reasons
    )
    assert "awaiting_customer:" not in reasons  # words, the code only as the value
    response = client.post(
        "/orders/bulk/",
        {
            "action": "hold",
            "reason": "awaiting_customer",
            "note": "checking stock",
            "ids": [desk["2001"].id, desk["2004"].id, "ord_nothing"],
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Hold: 1 of 3 done" in html
    assert status(desk["2001"]) == "on_hold" and ">2001</a>" in html and "held" in html
    assert "not possible while the order is on hold" in html  # 2004 was on hold already
    assert "no such order" in html
    entry = AuditEntry.objects.get(order_id=desk["2001"].id, action="hold")
    assert entry.reason_code == "awaiting_customer" and entry.actor == "user:ops"


def test_bulk_on_all_that_match_the_filter(desk, client):
    response = client.post(
        "/orders/bulk/",
        {"action": "priority", "priority": "7", "scope": "all", "query": "sku=A&status=allocated"},
    )
    assert "Set priority: 2 of 2 done" in response.content.decode()
    assert Order.objects.get(id=desk["2001"].id).priority == 7
    assert Order.objects.get(id=desk["2003"].id).priority == 0  # SKU C: not in the filter
    assert AuditEntry.objects.filter(action="priority_changed").count() == 2


def test_bulk_service_change_replans_and_cancel_needs_a_listed_reason(desk, client):
    response = client.post(
        "/orders/bulk/", {"action": "service", "service": "express", "ids": [desk["2001"].id]}
    )
    assert "Change service: 1 of 1 done" in response.content.decode()
    order = Order.objects.get(id=desk["2001"].id)
    assert order.requested_service == "express" and order.status == "allocated"
    refused = client.post(
        "/orders/bulk/", {"action": "cancel", "reason": "bored", "ids": [desk["2002"].id]}
    )
    assert refused.status_code == 400 and status(desk["2002"]) == "allocated"
    client.post(
        "/orders/bulk/", {"action": "cancel", "reason": "duplicate", "ids": [desk["2002"].id]}
    )
    assert status(desk["2002"]) == "cancelled"


def test_bulk_actions_need_their_own_permission(desk, client):
    tokens.ensure_user("packer", "pw", roles=("packer",))
    client.login(username="packer", password="pw")
    response = client.post("/orders/bulk/", {"action": "hold", "ids": [desk["2001"].id]})
    assert response.status_code == 403 and "orders.write" in response.content.decode()
    assert status(desk["2001"]) == "allocated"
    slips = client.post(
        "/orders/bulk/", {"action": "packing_slips", "ids": [desk["2001"].id, desk["2004"].id]}
    )
    html = slips.content.decode()
    assert "Print packing slips: 1 of 2 done" in html and "no parcel yet" in html
    sheet = client.get(f"/orders/print/packing_slips/?ids={desk['2001'].id}")
    assert sheet.status_code == 200 and "Order 2001" in sheet.content.decode()
    assert "data:image/svg+xml;base64," in sheet.content.decode()  # the parcel's barcode


def test_bulk_through_the_api(desk, client):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('ops')}"}
    body = {"action": "hold", "reason": "fraud", "filter": "sku=A&status=allocated"}
    response = client.post("/api/orders/bulk", body, content_type="application/json", **auth)
    assert response.status_code == 200
    results = response.json()["results"]
    assert sorted((r["order_number"], r["done"]) for r in results) == [
        ("2001", True),
        ("2002", True),
    ]
    tokens.ensure_user("picky", "pw", roles=("picker",))
    picker = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('picky')}"}
    body = {"action": "cancel", "order_ids": [desk["2003"].id]}
    refused = client.post("/api/orders/bulk", body, content_type="application/json", **picker)
    assert refused.status_code == 403 and status(desk["2003"]) == "allocated"


def rows_of(response):
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_orders_csv_is_the_filtered_list_with_formulas_neutralised(desk, client):
    Order.objects.filter(id=desk["2001"].id).update(customer_name="=HYPERLINK(1)")
    rows = rows_of(client.get("/orders/export.csv", {"sku": "A", "sort": "number"}))
    assert [r["order_number"] for r in rows] == ["2001", "2002", "2004"]
    assert rows[0]["customer"] == "'=HYPERLINK(1)" and rows[0]["total"] == "9.99"
    assert rows[0]["status"] == "Ready to pick" and rows[2]["hold"] == "held by a person"
    tokens.ensure_user("pick", "pw", roles=("picker",))
    client.login(username="pick", password="pw")
    rows = rows_of(client.get("/orders/export.csv"))
    assert len(rows) == 4 and {r["customer"] for r in rows} == {""}


def test_stock_and_exception_exports(desk, client):
    rows = rows_of(client.get("/stock/export.csv", {"q": "B"}))
    assert {(r["sku"], r["warehouse"], r["on_hand"]) for r in rows} == {
        ("B", "LON", "2"),
        ("B", "NJ", "5"),
    }
    rows = rows_of(client.get("/exceptions/export.csv"))
    assert [(r["kind"], r["order_number"]) for r in rows] == [("manual", "2004")]
    tokens.ensure_user("pick", "pw", roles=("picker",))
    client.login(username="pick", password="pw")
    assert client.get("/exceptions/export.csv").status_code == 403


def test_saving_changing_and_deleting_a_view_is_audited(desk, client):
    client.post("/orders/views/", {"name": "Late A", "query": "sku=A"})
    client.post("/orders/views/", {"name": "Late A", "query": "sku=C"})
    (view,) = SavedView.objects.filter(user__username="ops")
    client.post(f"/orders/views/{view.id}/delete/")
    trail = AuditEntry.objects.filter(subject_type="saved_view", subject_id=str(view.id))
    said = [(e.action, e.actor, e.before, e.after) for e in trail.order_by("seq")]
    assert said == [
        ("saved_view_created", "user:ops", None, {"name": "Late A", "query": "sku=A"}),
        ("saved_view_changed", "user:ops", {"query": "sku=A"}, {"query": "sku=C"}),
        ("saved_view_deleted", "user:ops", {"name": "Late A", "query": "sku=C"}, None),
    ]
