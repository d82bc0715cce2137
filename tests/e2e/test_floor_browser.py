"""The floor in Chromium: release a wave and give its list to a picker, pick and pack on a
phone-sized screen with a scanner (the pick list's barcode opens the bench), buy labels for
several parcels at once and close the day's manifest."""

import re

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.conftest import _cli
from tests.e2e.test_browser import ARGS, CHROMIUM, log_in

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def browser():
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def allocated_order(server, external_id, quantity=1):
    body = {
        "channel": "web",
        "external_id": external_id,
        "currency": "GBP",
        "lines": [{"sku": "MUG-1", "quantity": quantity, "unit_price": "8.00"}],
        "shipping_address": {
            "name": "Flo Floor",
            "line1": "2 Dock Road",
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


def picked_and_packed(server, external_id):
    """An order released alone, picked and packed through the API (no label yet)."""
    order = allocated_order(server, external_id)
    status, wave = server.call("POST", "/waves", {"warehouse": "LON", "max_orders": 1})
    assert status == 200, wave
    (shipment,) = [s["id"] for s in order["shipments"]]
    task = next(t for pl in wave["pick_lists"] for t in pl["tasks"] if t["shipment_id"] == shipment)
    server.call(
        "POST", f"/pick-tasks/{task['id']}/scan", {"location": task["location"], "item": "MUG-1"}
    )
    status, packed = server.call("POST", f"/shipments/{shipment}/pack", {})
    assert status == 200 and packed["status"] == "packed", packed
    return shipment


@pytest.mark.browser
def test_release_a_wave_with_limits_and_give_its_list_to_a_picker(server, browser):
    _cli(server.env, "users", "create", "pia", "--password", "pick-all-day-1", "--role", "picker")
    allocated_order(server, "browser-wave-1", quantity=2)
    allocated_order(server, "browser-wave-2")
    page = browser.new_page()
    log_in(page, server, "/waves/")
    expect(page.get_by_role("heading", name="Waves", exact=True)).to_be_visible()
    waiting = page.locator("#work-waiting tbody tr").first
    expect(waiting).to_contain_text("LON")
    expect(waiting).to_contain_text("Europe/London")
    page.get_by_label("Orders a list").fill("1")
    page.get_by_label("Lists (0: all)").fill("1")
    page.get_by_role("button", name="Release wave").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "wave released at LON: 1 pick lists, 1 parcels"
    )
    wave = page.locator("#waves .wave").first
    expect(wave).to_contain_text(re.compile(r"0 of \d units picked"))
    pick_list = wave.locator("tbody tr td span.meta").first.inner_text()  # the ID by the name
    wave.get_by_label(f"Picker for {pick_list}").select_option("pia")
    wave.get_by_role("button", name="Assign").click()
    expect(page.get_by_role("status").first).to_contain_text(f"{pick_list} given to pia")
    expect(page.get_by_label(f"Picker for {pick_list}")).to_have_value("pia")


@pytest.mark.browser
def test_pick_and_pack_by_scanning_on_a_phone(server, browser):
    order = allocated_order(server, "browser-phone-1", quantity=2)
    status, wave = server.call("POST", "/waves", {"warehouse": "LON", "max_orders": 1})
    assert status == 200
    (shipment,) = [s["id"] for s in order["shipments"]]
    pick_list = next(
        pl["id"] for pl in wave["pick_lists"] if pl["tasks"][0]["shipment_id"] == shipment
    )
    page = browser.new_page(viewport=PHONE, has_touch=True, is_mobile=True)
    log_in(page, server, f"/pick/{pick_list}/")

    for count in ("1/2", "2/2"):
        expect(page.locator("#scan-location")).to_be_focused()
        page.keyboard.type("A03-B17-R")
        page.keyboard.press("Enter")
        expect(page.locator("#scan-item")).to_be_focused()
        page.keyboard.type("MUG-1")
        page.keyboard.press("Enter")
        expect(page.locator("#pick-units")).to_contain_text(f"{count[0]}/2 units")
        if count == "1/2":
            button = page.get_by_role("button", name="Pick", exact=True).bounding_box()
            assert button["height"] >= 44 and button["width"] >= 300  # a thumb's target
    expect(page.locator("#pick-done")).to_contain_text("Pick list complete")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # the navigation folds behind Menu
    expect(page.locator("header nav")).to_be_hidden()
    page.get_by_text("Menu").click()
    expect(page.locator("header nav")).to_be_visible()
    expect(page.locator("header nav").get_by_role("link", name="Pack")).to_be_visible()
    page.get_by_text("Menu").click()
    expect(page.locator("header nav")).to_be_hidden()

    # at the bench: the pick list's barcode opens its parcel
    page.goto(server.url + "/pack/")
    expect(page.locator("#scan-code")).to_be_focused()
    page.keyboard.type(pick_list)
    page.keyboard.press("Enter")
    expect(page.locator("#pack-panel h1")).to_contain_text("Order browser-phone-1")
    expect(page.locator("#pack-items")).to_contain_text("Black Mug")
    for n in (1, 2):
        expect(page.locator("#scan-item")).to_be_focused()
        page.keyboard.type("MUG-1")
        page.keyboard.press("Enter")
        expect(page.locator("#scanned-MUG-1")).to_have_text(str(n))
    expect(page.locator("#carton")).to_have_text("M")
    expect(page.locator("#weight")).to_be_focused()
    page.keyboard.type("700")
    page.keyboard.press("Enter")
    expect(page.locator("#pack-message")).to_contain_text("Packed, 700 g. Label: royalmail")
    expect(page.locator("#open-label")).to_be_visible()
    expect(page.locator("#scan-code")).to_be_focused()  # ready for the next scan
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # the widest code a scanner can send (64 wide letters) still wraps inside a phone's screen
    page.goto(f"{server.url}/pack/{shipment}/?came=" + "W" * 64)
    expect(page.locator("#next-parcel")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.browser
def test_buy_labels_in_bulk_then_close_the_manifest(server, browser):
    parcels = [picked_and_packed(server, f"browser-bulk-{n}") for n in (1, 2)]
    page = browser.new_page()
    log_in(page, server, "/manifests/")
    for n in (1, 2):
        page.get_by_label(f"Select browser-bulk-{n}").check()
    page.get_by_role("button", name="Buy labels for the selected").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "2 labels bought: browser-bulk-1 royalmail"
    )
    bought = page.locator("#labels-bought")
    for n in (1, 2):
        expect(bought).to_contain_text(f"browser-bulk-{n}")
    for shipment in parcels:
        assert server.call("GET", f"/shipments/{shipment}")[1]["tracking_number"]

    page.get_by_role("button", name="Close the day for royalmail at LON").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "parcels despatched with Royal Mail from LON"
    )
    expect(page.locator("#manifests-closed")).to_contain_text("royalmail")
    for shipment in parcels:
        assert server.call("GET", f"/shipments/{shipment}")[1]["status"] == "despatched"


WORD_BROKEN = """sel => Array.from(document.querySelectorAll(sel)).filter(el => {
    const range = document.createRange(); range.selectNodeContents(el);
    return el.innerText.trim() && !el.innerText.trim().includes(' ')
        && new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top))).size > 1;
}).map(el => el.innerText)"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 430])
def test_the_bench_and_the_lists_have_thumb_sized_links_on_a_handheld(server, browser, width):
    shipment = picked_and_packed(server, f"browser-thumb-{width}")
    allocated_order(server, f"browser-thumb-list-{width}")
    status, _ = server.call("POST", "/waves", {"warehouse": "LON", "max_orders": 1})
    assert status == 200
    page = browser.new_page(viewport={"width": width, "height": 800}, has_touch=True)
    log_in(page, server, f"/pack/{shipment}/")
    page.get_by_role("button", name="Print label").click()
    expect(page.locator("#open-label")).to_be_visible()
    for name in ("ZPL", "packing slip"):
        box = page.locator("#pack-panel .also").get_by_role("link", name=name).bounding_box()
        assert box["height"] >= 44, (name, box)
    assert page.evaluate(WORD_BROKEN, "#pack-panel th") == []  # "Scanned", not "Scanne d"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.goto(server.url + "/pick/")
    box = page.locator(".bench-item").first.get_by_role("link", name="print").bounding_box()
    assert box["height"] >= 44, box
