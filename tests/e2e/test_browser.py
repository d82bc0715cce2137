"""Debian's Chromium, driven by Playwright: log in → inbox → order detail."""

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser.new_page()
        browser.close()


@pytest.mark.browser
def test_log_in_find_an_order_and_read_its_story(server, page):
    body = {
        "channel": "shop",
        "external_id": "browser-1",
        "currency": "GBP",
        "customer_name": "Iris Rossi",
        "lines": [{"sku": "MUG-1", "quantity": 1, "unit_price": "8.00"}],
        "shipping_address": {
            "name": "Iris Rossi",
            "line1": "9 Mill Lane",
            "city": "Leeds",
            "postcode": "LS1 1AA",
            "country": "GB",
        },
    }
    status, order = server.call("POST", "/orders", body)
    assert status == 201
    server.wait_for(
        lambda: server.call("GET", f"/orders/{order['id']}")[1]["status"] == "allocated",
        "allocation",
    )

    page.goto(server.url + "/")
    expect(page).to_have_url(server.url + "/login/?next=/")
    page.fill("input[name=username]", "ops")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password")
    page.fill("input[name=username]", "ops")
    page.fill("input[name=password]", "ops-pass")
    page.click("button[type=submit]")

    expect(page.get_by_role("heading", name="Today at a glance")).to_be_visible()  # home
    page.locator("header nav").get_by_role("link", name="Orders", exact=True).click()
    expect(page.get_by_role("heading", name="Order inbox")).to_be_visible()
    page.fill("input[name=q]", "Iris")  # htmx swaps the rows as you type
    rows = page.locator("#orders tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("browser-1")
    rows.first.get_by_role("link").click()

    expect(page.get_by_role("heading", name="Order browser-1")).to_be_visible()
    expect(page.locator("#allocation")).to_contain_text("chose LON")
    expect(page.locator("#timeline")).to_contain_text("Received → Checked")
    expect(page.locator("#timeline")).to_contain_text("Stock reserved → Ready to pick")

    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("status")).to_contain_text("Cancelled: done")
    expect(page.locator("h1 .pill")).to_have_text("Cancelled")


def released_task(server, external_id, name):
    """An order for two mugs, allocated and released in a wave; returns its pick task."""
    body = {
        "channel": "web",
        "external_id": external_id,
        "currency": "GBP",
        "lines": [{"sku": "MUG-1", "quantity": 2, "unit_price": "8.00"}],
        "shipping_address": {
            "name": name,
            "line1": "1 Bin Row",
            "city": "Leeds",
            "postcode": "LS1 1AA",
            "country": "GB",
        },
    }
    status, order = server.call("POST", "/orders", body)
    assert status == 201
    order = server.wait_for(
        lambda: (
            (o := server.call("GET", f"/orders/{order['id']}")[1])["status"] == "allocated" and o
        ),
        "allocation",
    )
    # one shipment a list, so the list holds only this order whatever other tests left behind
    status, wave = server.call("POST", "/waves", {"warehouse": "LON", "max_orders": 1})
    assert status == 200, wave
    mine = {s["id"] for s in order["shipments"]}
    return next(t for pl in wave["pick_lists"] for t in pl["tasks"] if t["shipment_id"] in mine)


def log_in(page, server, next_path):
    page.goto(f"{server.url}/login/?next={next_path}")
    page.fill("input[name=username]", "ops")
    page.fill("input[name=password]", "ops-pass")
    page.click("button[type=submit]")


@pytest.mark.browser
def test_pick_by_scanning_with_a_keyboard_wedge_scanner(server, page):
    task = released_task(server, "browser-pick-1", "Ada Pick")
    log_in(page, server, "/pick/")
    listed = page.locator("#pick-lists li", has_text=task["pick_list"])  # the ID beside its name
    expect(listed.locator("a.big")).to_contain_text(" order")  # "London, Mon 30 Nov 2026, 1 order"
    listed.locator("a.big").click()
    expect(page.locator("#task-bin")).to_have_text("A03-B17-R")

    # A scanner types the code and presses Enter: bin first, then the item.
    expect(page.locator("#scan-location")).to_be_focused()
    page.keyboard.type("A03-B17-R")
    page.keyboard.press("Enter")
    page.keyboard.type("TEE-1")  # the wrong item
    page.keyboard.press("Enter")
    expect(page.locator("#pick-message")).to_contain_text("wrong item: scanned TEE-1")
    expect(page.locator("#pick-message")).to_have_class("alert wrong")
    expect(page.locator("#task-count")).to_have_text("0/2")

    for count in ("1/2", None):  # wait for each answer before the next scan
        expect(page.locator("#scan-location")).to_be_focused()
        page.keyboard.type("A03-B17-R")
        page.keyboard.press("Enter")
        expect(page.locator("#scan-item")).to_be_focused()
        page.keyboard.type("MUG-1")
        page.keyboard.press("Enter")
        if count:
            expect(page.locator("#task-count")).to_have_text(count)
    expect(page.locator("#pick-done")).to_contain_text("Pick list complete")
    _, done = server.call("GET", f"/pick-lists/{task['pick_list']}")
    assert done["status"] == "done" and done["tasks"][0]["picked"] == 2


@pytest.mark.browser
def test_pack_by_scanning_weigh_and_print_the_label(server, page):
    task = released_task(server, "browser-pack-1", "Pat Packer")
    for _ in range(2):
        server.call(
            "POST",
            f"/pick-tasks/{task['id']}/scan",
            {"location": task["location"], "item": "MUG-1"},
        )
    log_in(page, server, "/pack/")
    expect(page.locator("#scan-code")).to_be_focused()
    page.keyboard.type(task["shipment_id"])  # the scanner reads the packing slip's barcode
    page.keyboard.press("Enter")
    expect(page.locator("#scan-item")).to_be_focused()
    for code, answer, scanned in (
        ("TEE-1", "TEE-1 is not in this parcel", "0"),
        ("MUG-1", "OK: MUG-1", "1"),
        ("MUG-1", "OK: MUG-1", "2"),
    ):
        expect(page.locator("#scan-item")).to_be_focused()
        page.keyboard.type(code)
        page.keyboard.press("Enter")
        expect(page.locator("#pack-message")).to_contain_text(answer)
        expect(page.locator("#scanned-MUG-1")).to_have_text(scanned)
    expect(page.locator("#carton")).to_have_text("M")  # two 100 x 90 x 95 mm mugs
    page.keyboard.type("400")  # too light: a mug is missing
    page.keyboard.press("Enter")
    expect(page.locator("#pack-message")).to_contain_text("expected")
    expect(page.locator("#pack-message")).to_have_class("alert wrong")
    page.fill("#weight", "700")
    page.keyboard.press("Enter")
    expect(page.locator("#pack-message")).to_contain_text("Packed, 700 g. Label: royalmail RR")
    expect(page.locator("#label-done")).to_contain_text("royalmail RR")  # printed at once
    expect(page.locator("#open-label")).to_have_attribute(
        "href", f"/pack/{task['shipment_id']}/label.pdf"
    )
    expect(page.locator("#scan-code")).to_be_focused()  # ready for the next parcel


def held_order(server, external_id, sku="MUG-1", city="Leeds"):
    body = {
        "channel": "web",
        "external_id": external_id,
        "currency": "GBP",
        "lines": [{"sku": sku, "quantity": 1, "unit_price": "8.00"}],
        "shipping_address": {
            "name": "Hal Held",
            "line1": "3 Queue St",
            "city": city,
            "postcode": "LS1 1AA",
            "country": "GB",
        },
    }
    status, order = server.call("POST", "/orders", body)
    assert status == 201, order
    return server.wait_for(
        lambda: (o := server.call("GET", f"/orders/{order['id']}")[1])["status"] == "on_hold" and o,
        "the hold",
    )


@pytest.mark.browser
def test_the_exception_queue_takes_fixes_and_resolves_in_bulk(server, page):
    no_city = held_order(server, "browser-exc-1", city="")
    ghost_a = held_order(server, "browser-exc-2", sku="GHOST-1")
    ghost_b = held_order(server, "browser-exc-3", sku="GHOST-2")
    log_in(page, server, "/exceptions/?queue=addresses")
    expect(page.get_by_role("heading", name="Exceptions")).to_be_visible()
    row = page.locator('#exceptions tbody tr[data-order="browser-exc-1"]')
    expect(row).to_contain_text("address city: is required")
    row.get_by_role("button", name="Take").click()
    expect(page.locator("#exception-message")).to_have_text("1 taken by you")
    row = page.locator('#exceptions tbody tr[data-order="browser-exc-1"]')
    expect(row.locator("td").nth(6)).to_have_text("ops")  # the owner, by name, not user:ops
    row.get_by_text("Fix the address").click()
    row.locator("input[name='address.city']").fill("Leeds")
    row.get_by_role("button", name="Save and release").click()
    expect(page.locator("#exception-message")).to_have_text("1 resolved: address corrected")
    server.wait_for(
        lambda: server.call("GET", f"/orders/{no_city['id']}")[1]["status"] == "allocated",
        "the corrected order allocated",
    )

    page.goto(server.url + "/exceptions/?queue=catalogue")
    for order in (ghost_a, ghost_b):
        row = page.locator(f'#exceptions tbody tr[data-order="{order["external_id"]}"]')
        row.get_by_role("checkbox").check()
    page.get_by_label("Action for the selected").select_option("cancel")
    page.get_by_label("Note for the selected").fill("not our product")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator("#exception-message")).to_have_text("2 resolved: order cancelled")
    for order in (ghost_a, ghost_b):
        expect(page.locator("#exceptions")).not_to_contain_text(order["external_id"])
        assert server.call("GET", f"/orders/{order['id']}")[1]["status"] == "cancelled"
