"""With DESPATCH_SECURE=1, Chromium runs every staff page, the customer returns page and the
API docs under the Content-Security-Policy without one violation, and a Secure session cookie
still logs in (Chromium treats http://localhost as a secure context)."""

import os
import subprocess
import time
import urllib.request

import pytest

from tests.e2e.conftest import DESPATCH, _cli, _free_port
from tests.e2e.test_browser import ARGS, CHROMIUM

PAGES = ["/", "/orders/", "/exceptions/", "/stock/", "/channels/", "/rules/", "/pick/", "/pack/"]
PAGES += ["/returns-desk/", "/messages/", "/webhooks/", "/returns/", "/api/docs"]
PAGES += ["/setup/", "/setup/users/", "/setup/tokens/", "/setup/channels/", "/setup/skus/"]
PAGES += ["/setup/warehouses/", "/setup/cartons/", "/setup/notifications/confirmed/"]
PAGES += ["/waves/", "/manifests/"]


@pytest.fixture
def secure_server(tmp_path):
    env = {
        **os.environ,
        "DESPATCH_HOME": str(tmp_path),
        "DESPATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'despatch.sqlite3'}",
        "DESPATCH_SECURE": "1",
        "DESPATCH_ALLOWED_HOSTS": "localhost",
    }
    _cli(env, "migrate")
    _cli(
        env,
        "users",
        "create",
        "boss",
        "--password",
        "a-long-enough-pass-1",
        "--role",
        "ops_manager",
    )
    port = _free_port()
    serve = subprocess.Popen(
        [*DESPATCH, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://localhost:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{url}/login/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        serve.terminate()
        serve.wait(timeout=30)


@pytest.mark.browser
def test_every_page_runs_under_the_content_security_policy(secure_server):
    from playwright.sync_api import sync_playwright

    blocked = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.on(
            "console",
            lambda m: (
                blocked.append((page.url, m.text))
                if "Content Security Policy" in m.text or "Refused to" in m.text
                else None
            ),
        )
        response = page.goto(f"{secure_server}/login/")
        assert "default-src 'self'" in response.headers["content-security-policy"]
        page.fill("input[name=username]", "boss")
        page.fill("input[name=password]", "a-long-enough-pass-1")
        page.click("button[type=submit]")
        page.wait_for_url(f"{secure_server}/")
        for path in PAGES:
            page.goto(secure_server + path)
            page.wait_for_load_state("networkidle")
        page.goto(f"{secure_server}/webhooks/")  # the status filter sends itself (despatch.js)
        page.select_option("select[name=status]", index=1)
        page.wait_for_url("**status=**")
        page.goto(f"{secure_server}/orders/")  # htmx filters the inbox as one types
        with page.expect_response(lambda r: "q=" in r.url):
            page.locator("form.filters input").first.fill("nothing-matches")
        browser.close()
    assert blocked == []
