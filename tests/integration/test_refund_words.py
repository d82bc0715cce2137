"""Refunds are visible on the order page, in words: amount with currency, kind, status and
reason, and timeline entries that say what happened ("Refund of 19.98 GBP requested")."""

import re
from decimal import Decimal

import pytest

from despatch.services import refunds, tokens
from tests.integration.test_returns import delivered


@pytest.fixture
def waiting(shop, monkeypatch):
    """A 19.98 GBP refund of two of four units, waiting for one approver."""
    monkeypatch.setenv("DESPATCH_REFUND_LIMITS", "5,500")
    order = delivered([("A", 4)], external_id="R901")
    return refunds.request_refund(order.id, lines={1: 2}, actor="user:support")


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_order_page_lists_refunds_and_says_them_in_the_timeline(waiting, client):
    refunds.request_refund(
        waiting.order_id,
        kind="store_credit",
        amount=Decimal("5"),
        actor="user:support",
        reason="arrived late",
    )
    tokens.ensure_user("ops", "pw", roles=("order_ops",))
    client.login(username="ops", password="pw")
    html = client.get(f"/orders/{waiting.order_id}/").content.decode()
    section = _text(html[html.index('id="refunds"') : html.index('id="timeline"')])
    assert "19.98 GBP refund Waiting for approval" in section
    assert "5.00 GBP store credit" in section and "arrived late" in section
    timeline = _text(html[html.index('id="timeline"') :])
    assert "Refund of 19.98 GBP requested" in timeline
    assert "Store credit of 5.00 GBP requested" in timeline
    assert "refund refund requested" not in timeline and "user:support" not in timeline


def test_the_returns_desk_says_each_waiting_refunds_kind_and_reason(waiting, client):
    refunds.request_refund(
        waiting.order_id,
        kind="store_credit",
        amount=Decimal("15"),
        actor="user:support",
        reason="goodwill",
    )
    tokens.ensure_user("fin", "pw", roles=("finance",))
    client.login(username="fin", password="pw")
    html = client.get("/returns-desk/").content.decode()
    pending = _text(html[html.index('id="pending-refunds"') : html.index('id="recent"')])
    assert "19.98 GBP refund" in pending
    assert "15.00 GBP store credit goodwill" in pending
    assert "group:" not in pending and "user:support" not in pending


def test_an_order_with_no_warehouse_yet_shows_times_in_the_default_warehouses_zone(shop, client):
    from tests.integration.test_exceptions import held

    order = held([("NOPE", 1)])  # held: no shipment, no warehouse
    tokens.ensure_user("ops", "pw", roles=("order_ops",))
    client.login(username="ops", password="pw")
    html = client.get(f"/orders/{order.id}/").content.decode()
    assert "When (Europe/London)" in html and "When (UTC)" not in html
