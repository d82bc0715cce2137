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

from tests.e2e.conftest import DESPATCH, Server, _free_port
from tests.e2e.test_browser import page  # noqa: F401  (a fixture)


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


def _log_in(page, demo: Demo) -> None:  # noqa: F811
    page.goto(demo.url)
    expect(page).to_have_url(re.compile(r"/login/"))
    page.fill("input[name=username]", demo.username)
    page.fill("input[name=password]", demo.password)
    page.click("button[type=submit]")
    expect(page.locator("header nav")).to_be_visible()


@pytest.mark.browser
def test_the_printed_login_opens_every_page_in_the_navigation(demo, page):  # noqa: F811
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
        expect(heading).to_be_visible()
        assert heading.inner_text().strip(), f"{name} ({href}) has an empty heading"
        assert "Server Error" not in page.content(), f"{name} ({href})"


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
