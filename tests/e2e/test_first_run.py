"""The first run, as a newcomer runs it: `despatch demo`, then the printed URL and login in
Chromium. The demo always runs on SQLite in a fresh DESPATCH_HOME (it needs no server)."""

import os
import re
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import expect

from despatch.domain.wording import carrier_words
from tests.e2e import test_browser
from tests.e2e.conftest import DESPATCH, Server, _free_port

page = test_browser.page  # the Chromium fixture


@dataclass
class Demo:
    url: str
    username: str
    password: str
    api: Server
    output: list[str] = field(default_factory=list)


def _read_lines(stream, into: list[str]) -> None:
    for line in stream:
        into.append(line.rstrip("\n"))


def _wait_for_line(lines: list[str], pattern: str, proc, seconds: float = 240) -> re.Match:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for line in list(lines):
            if found := re.search(pattern, line):
                return found
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(f"the demo never printed {pattern!r}:\n" + "\n".join(lines))


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}login/", timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.HTTPError):
        return False


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    home = tmp_path_factory.mktemp("first-run")
    env = {
        **os.environ,
        "DESPATCH_HOME": str(home),
        "DESPATCH_DATABASE_URL": f"sqlite:///{home / 'despatch.sqlite3'}",
        "COLUMNS": "200",  # rich wraps at 80 columns when it is not writing to a terminal
    }
    port = _free_port()
    proc = subprocess.Popen(
        [*DESPATCH, "demo", "--orders", "50", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True).start()
    try:
        login = _wait_for_line(
            lines, r"log in at (http://127\.0\.0\.1:\d+/) as (\S+) / (\S+)", proc
        )
        token = _wait_for_line(lines, r"API token: (\S+)", proc).group(1)
        url, username, password = login.groups()
        assert url == f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 30
        while not _answers(url):
            assert time.monotonic() < deadline, "the printed URL never answered:\n" + "\n".join(
                lines
            )
            assert proc.poll() is None, "the demo stopped:\n" + "\n".join(lines)
            time.sleep(0.2)
        yield Demo(url, username, password, Server(url.rstrip("/"), token, env), lines)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stdout.close()


def _log_in(page, demo: Demo) -> None:
    page.goto(demo.url)
    expect(page).to_have_url(re.compile(r"/login/"))
    page.fill("input[name=username]", demo.username)
    page.fill("input[name=password]", demo.password)
    page.click("button[type=submit]")
    expect(page.locator("header nav")).to_be_visible()


@pytest.mark.browser
def test_the_printed_login_opens_every_page_in_the_navigation(demo, page):
    _log_in(page, demo)
    links = page.locator("header nav a")
    targets = [
        (links.nth(i).inner_text(), links.nth(i).get_attribute("href"))
        for i in range(links.count())
    ]
    assert len(targets) >= 10, targets
    for name, href in targets:
        response = page.goto(demo.url.rstrip("/") + href)
        assert response is not None and response.status == 200, f"{name} ({href})"
        heading = page.get_by_role("heading").first
        # The API docs page draws its heading once it has fetched the schema: on a loaded
        # machine that took more than the default 5 s once, so give it longer.
        expect(heading).to_be_visible(timeout=30_000)
        assert heading.inner_text().strip(), f"{name} ({href}) has an empty heading"
        assert "Server Error" not in page.content(), f"{name} ({href})"
        expect(page.locator("#outbox-lag")).to_have_count(0)  # the demo's worker keeps up


@pytest.mark.browser
def test_an_order_posted_with_the_printed_token_moves_on(demo):
    body = {
        "channel": "shopify-uk",
        "external_id": "first-run-1",
        "currency": "GBP",
        "customer_name": "Nia Newcomer",
        "lines": [{"sku": "SKU-0001", "quantity": 1, "unit_price": "12.00"}],
        "shipping_address": {
            "name": "Nia Newcomer",
            "line1": "4 Canal Street",
            "city": "Leeds",
            "postcode": "LS1 4DY",
            "country": "GB",
        },
    }
    status, order = demo.api.call("POST", "/orders", body)
    assert status == 201, order
    assert order["status"] == "received"
    moved = demo.api.wait_for(
        lambda: (
            (o := demo.api.call("GET", f"/orders/{order['id']}")[1])["status"] != "received" and o
        ),
        "the demo's worker thread moving the order past received",
    )
    assert moved["status"] in {"allocated", "backordered", "on_hold"}, moved["status"]


def _swap(page, selector: str, act) -> None:
    """Do ``act`` and wait until htmx has replaced ``selector`` with the answer.

    htmx is a deferred script: until the page has loaded, Enter would post the form the plain
    way (which works, but is a new page rather than a swap), so wait for the load first.
    """
    page.wait_for_load_state()
    old = page.locator(selector).element_handle()
    act()
    page.wait_for_function("el => !el.isConnected", arg=old)


def _pick_the_first_list(page, demo: Demo) -> str:
    page.goto(demo.url + "pick/")
    page.locator("#pick-lists a.big").first.click()
    pick_list = page.url.rstrip("/").rsplit("/", 1)[1]
    for _ in range(100):  # each pass scans one unit: the bin, then the item
        if page.locator("#pick-done").is_visible():
            break
        page.fill("#scan-location", page.locator("#task-bin").inner_text())
        page.fill("#scan-item", page.locator("#task-sku").inner_text())
        _swap(page, "#pick-panel", page.get_by_role("button", name="Pick", exact=True).click)
        expect(page.locator("#pick-message")).to_contain_text("OK:")
    expect(page.locator("#pick-done")).to_contain_text("Pick list complete")
    return pick_list


def _pack_and_label(page, demo: Demo, pick_list: str) -> str:
    """Scan the pick list's barcode at the bench, open its first parcel, pack it."""
    page.goto(demo.url + "pack/")
    page.fill("#scan-code", pick_list)
    page.keyboard.press("Enter")
    page.locator("#parcels, #pack-panel").first.wait_for()  # the bench's answer to the scan
    if page.locator("#parcels").count():  # more than one parcel on the list: take the first
        page.locator("#parcels a.big").first.click()
    expect(page.locator("#pack-panel h1")).to_contain_text("Order ")
    for row in page.locator("#pack-items tbody tr").all():
        sku, want = row.get_attribute("data-sku"), int(row.locator("td.want").inner_text())
        for n in range(1, want + 1):
            page.fill("#scan-item", sku)
            _swap(page, "#pack-panel", lambda: page.keyboard.press("Enter"))
            expect(page.locator(f"#scanned-{sku}")).to_have_text(str(n))
    expect(page.locator("#carton")).not_to_have_text("-")
    page.fill("#weight", "1")  # no scale here: the weight gate says what it expects
    _swap(page, "#pack-panel", lambda: page.keyboard.press("Enter"))
    expect(page.locator("#pack-message")).to_contain_text("expected")
    expected = re.search(r"expected (\d+) g", page.locator("#pack-message").inner_text())
    page.fill("#weight", expected.group(1))
    _swap(page, "#pack-panel", lambda: page.keyboard.press("Enter"))
    expect(page.locator("#pack-message")).to_contain_text("Packed")
    expect(page.locator("#label-done")).to_be_visible()  # the label follows the weight gate
    return page.locator("#label-done").inner_text()


@pytest.mark.browser
def test_a_newcomer_picks_packs_labels_and_closes_the_manifest_in_the_browser(demo, page):
    _log_in(page, demo)
    pick_list = _pick_the_first_list(page, demo)
    label = _pack_and_label(page, demo, pick_list)
    assert re.search(r"(royalmail|ups) \S+", label), label
    href = page.locator("#open-label").get_attribute("href")
    response = page.request.get(demo.url.rstrip("/") + href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"

    page.get_by_role("link", name="close the manifest").click()
    carrier = label.split()[0]
    page.get_by_role("button", name=re.compile(f"Close the day for {carrier} at ")).click()
    expect(page.get_by_role("status")).to_contain_text(
        re.compile(rf"parcels? despatched with {carrier_words(carrier)}")
    )
    expect(page.locator("#manifests-closed")).to_contain_text(carrier)
    pdf = page.locator("#manifests-closed a", has_text="PDF").first.get_attribute("href")
    response = page.request.get(demo.url.rstrip("/") + pdf)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"


@pytest.mark.browser
def test_a_second_demo_on_the_same_port_says_so_before_seeding(demo, tmp_path):
    port = demo.url.rstrip("/").rsplit(":", 1)[1]
    env = {
        **demo.api.env,
        "DESPATCH_HOME": str(tmp_path),
        "DESPATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'despatch.sqlite3'}",
    }
    started = time.monotonic()
    done = subprocess.run(
        [*DESPATCH, "demo", "--orders", "50", "--port", port],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is taken" in done.stderr
    assert "--port" in done.stderr and "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / "despatch.sqlite3").exists()  # nothing was seeded
    assert time.monotonic() - started < 60
