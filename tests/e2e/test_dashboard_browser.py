"""The dashboard in Chromium on the demo's business: today's figures, three server-drawn
charts, and a figure that opens the orders behind it. With DESPATCH_UPDATE_SCREENSHOTS=1 the
screenshot is also saved as docs/dashboard.png (the README shows it)."""

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e import test_browser
from tests.e2e.test_first_run import _log_in, demo  # noqa: F401 (a fixture)

page = test_browser.page  # the Chromium fixture
DOCS = Path(__file__).parents[2] / "docs"


@pytest.mark.browser
def test_the_dashboard_shows_the_demo_and_opens_the_orders_behind_a_figure(demo, page, tmp_path):  # noqa: F811
    page.set_viewport_size({"width": 1280, "height": 900})
    _log_in(page, demo)
    expect(page.get_by_role("heading", name="Today at a glance")).to_be_visible()
    expect(page.locator("#dash-when")).to_contain_text("times in Europe/London")
    expect(page.locator("svg.chart")).to_have_count(3)
    expect(page.locator("#trend svg rect.bar-in")).to_have_count(14)
    expect(page.locator("#hourly svg rect.bar-out")).to_have_count(24)
    figure = page.locator(".kpi-tile", has_text="Received today").locator(".kpi-figure")
    received = int(figure.inner_text())
    assert received >= 1  # the demo's orders arrived today
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    if os.environ.get("DESPATCH_UPDATE_SCREENSHOTS"):
        shutil.copyfile(shot, DOCS / "dashboard.png")

    figure.click()
    expect(page.get_by_role("heading", name="Orders received")).to_be_visible()
    rows = page.locator(".kpi-group tbody tr")
    expect(rows).to_have_count(min(received, 500))
    number = rows.first.locator("a").inner_text()
    rows.first.locator("a").click()
    expect(page.locator("h1")).to_be_visible()
    assert number in page.content()
