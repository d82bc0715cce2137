"""Set-up in the browser, as an ops manager does it: add a channel and test its connection;
add a user who can then sign in with the role given."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import page  # noqa: F401 (a fixture)
from tests.integration.fake_platforms import Answer, fake_platform


def sign_in(server, page, username: str, password: str) -> None:  # noqa: F811
    page.goto(server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


@pytest.mark.browser
def test_the_manager_adds_a_channel_and_tests_its_connection(server, page):  # noqa: F811
    def route(method, path, body):
        return Answer(200, {"orders": []})

    with fake_platform(route=route) as platform:
        sign_in(server, page, "ops", "ops-pass")
        page.get_by_role("link", name="Set-up").click()
        page.locator("main").get_by_role("link", name="Channels").first.click()
        expect(page.get_by_role("heading", name="Channels")).to_be_visible()

        form = page.locator("#add-channel")
        form.locator("input[name=code]").fill("bad code")
        form.get_by_role("button", name="Add channel").click()
        expect(page.locator("#code-error")).to_contain_text("letters, digits")

        form = page.locator("#add-channel")
        form.locator("input[name=code]").fill("e2e-shop")
        form.locator("input[name=name]").fill("E2E Shop")
        form.locator("select[name=type]").select_option("shopify")
        form.locator("input[name=warehouses]").fill("LON")
        form.locator("input[name=api_url]").fill(platform.url)
        form.locator("input[name=token]").fill("shpat_e2e_secret")
        form.get_by_role("button", name="Add channel").click()

        expect(page.get_by_role("status").first).to_contain_text("channel e2e-shop added")
        expect(page.locator("#health")).to_contain_text("0 orders today")
        assert "shpat_e2e_secret" not in page.content()
        expect(page.locator("#edit-channel")).to_contain_text("set (sha256:")

        page.get_by_role("button", name="Test the connection").click()
        expect(page.locator("#probe")).to_contain_text("connected: 127.0.0.1")
    assert [r["headers"]["x-shopify-access-token"] for r in platform.requests] == [
        "shpat_e2e_secret"
    ]
    status, listed = server.call("GET", "/channels")
    assert status == 200
    assert next(c for c in listed if c["code"] == "e2e-shop")["warehouses"] == ["LON"]


@pytest.mark.browser
def test_the_manager_adds_a_user_who_then_signs_in(server, page):  # noqa: F811
    sign_in(server, page, "ops", "ops-pass")
    page.goto(server.url + "/setup/users/")
    form = page.locator("#add-user")
    form.locator("input[name=username]").fill("e2e-picker")
    form.locator("input[name=password]").fill("12345678")
    form.get_by_role("button", name="Add user").click()
    expect(page.locator("#password-error")).to_contain_text("too common")

    form = page.locator("#add-user")
    form.locator("input[name=password]").fill("scan-the-bin-2026")
    form.get_by_label("picker").check()
    form.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status").first).to_contain_text("user e2e-picker added")
    expect(page.locator("#roles input[value=picker]")).to_be_checked()

    page.get_by_role("button", name="Log out").click()
    sign_in(server, page, "e2e-picker", "scan-the-bin-2026")
    nav = page.locator("header nav")
    expect(nav.get_by_role("link", name="Pick")).to_be_visible()
    expect(nav.get_by_role("link", name="Set-up")).to_have_count(0)
    assert page.goto(server.url + "/setup/users/").status == 403
