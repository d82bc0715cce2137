"""The order page: a hold on an allocated order pauses its parcel; the address and service are
edited before picking (validated as at intake, audited, planned again); notes and tags; only
the actions the role and the state allow; words, not internals."""

import json
import re
from pathlib import Path

import pytest

from despatch import worker
from despatch.models import AuditEntry, Order, OrderNote, Reservation, Shipment
from despatch.services import orders, picking, tokens, waves
from tests.conftest import make_draft

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


@pytest.fixture
def page(shop, client):
    picking.set_layout("LON", json.loads((EXAMPLES / "layout.json").read_text()))
    picking.set_locations("LON", [("A", "A05-B19-L"), ("B", "A01-B02-R")])
    order = orders.receive_order(make_draft([("A", 2)], external_id="3001"), actor="test")[0]
    worker.drain("test")
    tokens.ensure_user("ops", "pw", roles=("order_ops",))
    client.login(username="ops", password="pw")
    return Order.objects.get(id=order.id)


def post(client, order, action, **data):
    return client.post(f"/orders/{order.id}/{action}/", data, follow=True).content.decode()


def test_a_hold_on_an_allocated_order_pauses_its_parcel_until_released(page, client):
    assert page.status == "allocated"
    held = post(client, page, "hold", reason="awaiting_customer", note="ring first")
    assert "Held: done" in held and "Its parcel keeps its stock and waits" in held
    order = Order.objects.get(id=page.id)
    assert order.status == "on_hold"
    assert Shipment.objects.get(order=order).status == "allocated"
    assert Reservation.objects.filter(order=order, status="allocated").exists()  # stock kept
    assert waves.release("LON", actor="user:lead").pick_lists == []  # not picked while held
    assert "Change service" not in held  # the plan is kept: edits wait for the release
    released = post(client, page, "release", reason="checked_ok")
    assert "Released: done" in released
    assert Order.objects.get(id=page.id).status == "allocated"
    worker.drain("test")
    assert Order.objects.get(id=page.id).status == "allocated"  # not planned a second time
    assert Shipment.objects.filter(order=page).count() == 1
    assert len(waves.release("LON", actor="user:lead").pick_lists) == 1


def test_the_address_is_checked_as_at_intake_and_the_order_planned_again(page, client):
    refused = post(client, page, "address", postcode="NOT A CODE", city="")
    assert "Not done:" in refused and "address city" in refused
    assert Order.objects.get(id=page.id).shipping_address["city"] == "Leeds"
    done = post(client, page, "address", line1="2 Mill Lane", postcode="LS2 7HY")
    assert "Address changed" in done
    order = Order.objects.get(id=page.id)
    assert order.shipping_address["line1"] == "2 Mill Lane" and order.status == "allocated"
    entry = AuditEntry.objects.get(order_id=page.id, action="address_changed")
    assert entry.before == {"line1": "1 High St", "postcode": "LS1 1AA"}
    assert entry.actor == "user:ops"
    assert AuditEntry.objects.filter(order_id=page.id, action="replan").exists()
    live = Shipment.objects.filter(order=page).exclude(status="cancelled")
    assert live.count() == 1 and Reservation.objects.filter(order=page, status="allocated").count()


def test_the_service_is_changed_before_picking_only(page, client):
    assert "Service changed" in post(client, page, "service", service="express")
    assert Order.objects.get(id=page.id).requested_service == "express"
    waves.release("LON", actor="user:lead")
    refused = post(client, page, "service", service="standard")
    assert "Not done: the order is being picked" in refused.replace("picking", "being picked")
    assert Order.objects.get(id=page.id).requested_service == "express"


def test_notes_and_tags_are_kept_and_audited(page, client):
    html = post(client, page, "note", text="Customer wants gift wrap")
    assert "Customer wants gift wrap" in html and OrderNote.objects.count() == 1
    post(client, page, "tags", tags="gift, vip")
    assert Order.objects.get(id=page.id).tags == ["gift", "vip"]
    assert AuditEntry.objects.filter(order_id=page.id, action="note_added").exists()
    assert AuditEntry.objects.get(order_id=page.id, action="tags_changed").after == ["gift", "vip"]
    assert "Not done" in post(client, page, "tags", tags="<script>")


def test_only_the_actions_the_role_and_state_allow_are_shown(page, client):
    html = client.get(f"/orders/{page.id}/").content.decode()
    assert ">Hold</button>" in html and ">Cancel</button>" in html
    assert ">Release</button>" not in html and "Edit the address" in html
    assert "Ready to pick" in html and "Order 3001" in html
    tokens.ensure_user("picker", "pw", roles=("picker",))
    client.login(username="picker", password="pw")
    html = client.get(f"/orders/{page.id}/").content.decode()
    assert ">Hold</button>" not in html and "Edit the address" not in html
    assert "Add note" not in html
    client.login(username="ops", password="pw")
    post(client, page, "cancel", reason="duplicate")
    html = client.get(f"/orders/{page.id}/").content.decode()
    assert ">Hold</button>" not in html and ">Cancel</button>" not in html
    assert "Cancelled" in html and "Change service" not in html


def test_hold_problems_name_fields_in_words(shop, client):
    order = orders.receive_order(make_draft([("A", 1), ("ZZZ", 1)]), actor="test")[0]
    worker.drain("test")
    tokens.ensure_user("ops", "pw", roles=("order_ops",))
    client.login(username="ops", password="pw")
    html = client.get(f"/orders/{order.id}/").content.decode()
    assert "On hold: unknown SKU" in html and "<b>line 2 SKU</b>" in html
    assert "lines[1].sku" not in html


def test_each_line_is_named_by_the_channel_else_the_catalogue_else_its_sku(shop, client):
    from dataclasses import replace

    draft = make_draft([("A", 1), ("B", 1), ("NOT-LISTED", 1)], external_id="3002")
    lines = (replace(draft.lines[0], name="Apple, as the shop calls it"), *draft.lines[1:])
    order = orders.receive_order(replace(draft, lines=lines), actor="test")[0]
    tokens.ensure_user("ops", "pw", roles=("order_ops",))
    client.login(username="ops", password="pw")
    page = client.get(f"/orders/{order.id}/").content.decode()
    rows = page.split("<h2>Lines</h2>", 1)[1].split("</table>", 1)[0]
    assert "<td>A</td><td>Apple, as the shop calls it</td>" in rows
    assert "<td>B</td><td>Item B</td>" in rows  # the catalogue's name
    assert "<td>NOT-LISTED</td><td>NOT-LISTED</td>" in rows  # no name anywhere: its SKU


def test_reason_selects_say_words_and_submit_codes(page, client):
    shown = client.get(f"/orders/{page.id}/").content.decode()
    hold = shown.split('aria-label="hold reason"', 1)[1].split("</select>", 1)[0]
    assert '<option value="awaiting_customer">Waiting for the customer to answer</option>' in hold
    assert '<option value="ops_decision" selected>An operations decision' in hold
    cancel = shown.split('aria-label="cancel reason"', 1)[1].split("</select>", 1)[0]
    assert '<option value="duplicate">The same order twice</option>' in cancel
    for select in (hold, cancel):  # no bare code is shown as an option's text
        assert not re.search(r">[a-z]+_[a-z_]+<", select), select
    held = post(client, page, "hold", reason="awaiting_customer")
    assert "Held: done" in held
    entry = AuditEntry.objects.filter(order_id=page.id, action="hold").last()
    assert entry is not None and entry.reason_code == "awaiting_customer"


def test_payment_stock_platform_and_timeline_reasons_are_said_in_words(page, client):
    post(client, page, "hold", reason="awaiting_customer")
    Order.objects.filter(id=page.id).update(
        payment_status="partially_refunded",
        platform_actions=[{"action": "cancel", "key": "k", "status": "by_hand", "answer": ""}],
    )
    html = client.get(f"/orders/{page.id}/").content.decode()
    assert "payment Partly refunded" in html and "partially_refunded" not in html
    stock = html.split("<h3>Stock held</h3>", 1)[1].split("</ul>", 1)[0]
    assert ": Held for a parcel" in stock and ": allocated" not in stock
    told = html.split('id="platform"', 1)[1].split("</table>", 1)[0]
    assert "To be done on the platform by hand" in told and "by_hand" not in told
    timeline = html.split('id="timeline"', 1)[1].split("</table>", 1)[0]
    assert "<td>Waiting for the customer to answer</td>" in timeline
    assert "awaiting_customer" not in timeline
    assert orders.get_order(page.id).payment_status == "partially_refunded"  # codes stay


def test_the_timeline_says_changed_tags_and_address_fields_in_words(page, client):
    post(client, page, "tags", tags="vip gift")
    html = post(client, page, "address", line1="2 Mill Lane", postcode="LS2 7HY")
    timeline = html.split('id="timeline"', 1)[1].split("</table>", 1)[0]
    assert "→ vip, gift</td>" in timeline
    assert "→ first line 2 Mill Lane; postcode LS2 7HY</td>" in timeline
    assert "[" not in timeline and "{" not in timeline  # no Python lists or dicts


def test_the_sourcing_strategy_and_the_platform_log_read_in_words_with_the_zone(page, client):
    Order.objects.filter(id=page.id).update(
        platform_actions=[
            {
                "action": "cancel",
                "key": "k",
                "status": "by_hand",
                "answer": "no API",
                "at": "2026-07-01T09:30:00+00:00",
            }
        ]
    )
    html = client.get(f"/orders/{page.id}/").content.decode()
    assert "Strategy: fewest parcels" in html and "fewest_shipments" not in html
    assert "<td>2026-07-01 10:30 BST</td>" in html  # LON's zone, summer time
    assert "2026-07-01T09:30" not in html
