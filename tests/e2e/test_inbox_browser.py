"""The inbox in Chromium: filter it, save the filter as a view, export it as CSV, and hold
every order that matches in one bulk action."""

import csv

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import log_in, page  # noqa: F401 (a fixture)


def allocated_order(server, external_id, sku):
    body = {
        "channel": "web",
        "external_id": external_id,
        "currency": "GBP",
        "customer_name": "Ivy Inbox",
        "lines": [{"sku": sku, "quantity": 1, "unit_price": "12.50"}],
        "shipping_address": {
            "name": "Ivy Inbox",
            "line1": "4 Row St",
            "city": "Leeds",
            "postcode": "LS1 1AA",
            "country": "GB",
        },
    }
    status, order = server.call("POST", "/orders", body)
    assert status == 201, order
    return server.wait_for(
        lambda: (
            (o := server.call("GET", f"/orders/{order['id']}")[1])["status"] == "allocated" and o
        ),
        "allocation",
    )


@pytest.mark.browser
def test_filter_save_a_view_export_and_hold_all_that_match(server, page, tmp_path):  # noqa: F811
    mugs = [allocated_order(server, f"inbox-e2e-{n}", "MUG-1") for n in (1, 2)]
    tee = allocated_order(server, "inbox-e2e-3", "TEE-1")
    log_in(page, server, "/orders/")
    expect(page.get_by_role("heading", name="Order inbox")).to_be_visible()
    rows = page.locator("#orders tbody tr")
    page.fill("input[name=q]", "inbox-e2e")  # htmx swaps the rows as you type
    expect(rows).to_have_count(3)
    page.fill("input[name=sku]", "mug-1")
    expect(rows).to_have_count(2)
    expect(page).to_have_url(f"{server.url}/orders/?sku=mug-1&q=inbox-e2e")  # a link to share

    page.fill("input[name=name]", "Ivy's mugs")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("status")).to_contain_text("Saved the view")
    page.get_by_role("link", name="All orders").click()
    expect(rows.first).to_be_visible()
    page.get_by_role("link", name="Ivy's mugs").click()
    expect(rows).to_have_count(2)
    expect(page.locator("input[name=sku]")).to_have_value("mug-1")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    path = tmp_path / "orders.csv"
    download.value.save_as(path)
    with path.open(newline="") as handle:
        exported = list(csv.DictReader(handle))
    assert sorted(r["order_number"] for r in exported) == ["inbox-e2e-1", "inbox-e2e-2"]
    assert {r["total"] for r in exported} == {"12.50"} and exported[0]["status"] == "Ready to pick"

    page.get_by_label("Bulk action", exact=True).select_option("hold")
    page.get_by_label("Reason", exact=True).select_option("awaiting_customer")
    page.get_by_label("Note", exact=True).fill("check the glaze")
    page.get_by_label("all 2 that match").check()
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("heading", name="Hold: 2 of 2 done")).to_be_visible()
    expect(page.locator("#outcomes tbody tr")).to_have_count(2)
    for order in mugs:
        assert server.call("GET", f"/orders/{order['id']}")[1]["status"] == "on_hold"
    assert server.call("GET", f"/orders/{tee['id']}")[1]["status"] == "allocated"
