"""Chromium: a customer opens a return on the self-service page; the returns desk grades it."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import log_in, page  # noqa: F401  (page is a fixture)


def delivered_order(server, external_id):
    body = {
        "channel": "shop",
        "external_id": external_id,
        "currency": "GBP",
        "customer_name": "Ada Shaw",
        "customer_email": "ada@example.com",
        "lines": [{"sku": "MUG-1", "quantity": 2, "unit_price": "30.00"}],
        "shipping_address": {
            "name": "Ada Shaw",
            "line1": "3 Park Row",
            "city": "Leeds",
            "postcode": "LS1 5HD",
            "country": "GB",
        },
    }
    status, order = server.call("POST", "/orders", body)
    assert status == 201, order
    order = server.wait_for(
        lambda: (
            (o := server.call("GET", f"/orders/{order['id']}")[1])["status"] == "allocated" and o
        ),
        "allocation",
    )
    shipment = order["shipments"][0]["id"]
    for step in ("pick", "pack"):
        assert server.call("POST", f"/shipments/{shipment}/{step}", {})[0] == 200
    status, done = server.call("POST", f"/shipments/{shipment}/despatch", {"carrier": "dpd"})
    assert status == 200, done
    return order


@pytest.mark.browser
def test_the_customer_returns_page_and_the_returns_desk(server, page):  # noqa: F811
    delivered_order(server, "RET-77")
    page.goto(server.url + "/returns/")
    page.fill("input[name=order]", "RET-77")
    page.fill("input[name=proof]", "someone@else.example")
    page.click("#find button")
    expect(page.get_by_role("alert")).to_contain_text("could not find that order")
    page.fill("input[name=order]", "RET-77")
    page.fill("input[name=proof]", "ls1 5hd")
    page.click("#find button")
    page.get_by_label("units of MUG-1").fill("2")
    page.get_by_label("reason for MUG-1").select_option("damaged")
    page.click("#request button")
    rma = page.locator("#rma").inner_text()
    assert rma.startswith("rma_")
    label = page.request.get(server.url + page.get_attribute("#label", "href"))
    assert label.ok and label.body().startswith(b"%PDF")  # the session's own return only
    assert page.request.get(f"{server.url}/returns/rma_OTHER/label.pdf").status == 404

    log_in(page, server, "/returns-desk/")
    page.fill("#scan input[name=rma]", rma.upper())  # scanners shout
    page.press("#scan input[name=rma]", "Enter")
    page.get_by_label("grade MUG-1 unit 1").select_option("A")
    page.get_by_label("grade MUG-1 unit 2").select_option("D")
    page.click("#grade-form button")
    expect(page.locator(".dispositions")).to_contain_text("1 restock")
    expect(page.locator(".dispositions")).to_contain_text("1 quarantine")
    page.click("#refund-form button")  # 60.00 GBP: above the automatic limit
    expect(page.locator("#pending-refunds")).to_contain_text("60.00 GBP")
    page.click("#pending-refunds button:has-text('Approve')")
    expect(page.locator(".flash.error")).to_contain_text("requested this refund")
